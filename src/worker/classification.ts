/**
 * The worker's side of the analysis views: the confusion matrix, the examples behind a cell or
 * the misclassified gallery, and the robustness sweep (progress, cancellation). One
 * classification per model and split is kept: a click on a cell asks again without recomputing.
 */
import { type Classification, classify, confusionMatrix, selectExamples } from '../core/analysis/classify';
import { robustnessSweep } from '../core/analysis/sweep';
import type { LabData } from '../core/data/mnist';
import { LabError } from '../core/errors';
import type { ConvNet } from '../core/model/convnet';
import type { AnalysisSplit, ConfusionPayload, ExamplesPayload, ExamplesQuery, SweepPayload } from '../core/protocol';
import { display } from './display';
let cached: { net: ConvNet; data: LabData; split: AnalysisSplit; cls: Classification } | null = null;

export function classified(net: ConvNet, data: LabData, split: AnalysisSplit): Classification {
  if (cached?.net !== net || cached.data !== data || cached.split !== split) cached = { net, data, split, cls: classify(net, data[split]) };
  return cached.cls;
}

export function confusionOf(net: ConvNet, data: LabData, split: AnalysisSplit): ConfusionPayload {
  const cm = confusionMatrix(data[split].labels, classified(net, data, split).predictions, net.spec.numClasses);
  return { split, ...cm };
}

export function examplesOf(net: ConvNet, data: LabData, q: ExamplesQuery): ExamplesPayload {
  const set = data[q.split];
  const cls = classified(net, data, q.split);
  const found = selectExamples(set.labels, cls, q);
  // The validation split is the test file's first half, the test split its second half.
  const offset = q.split === 'test' ? data.validation.count : 0;
  const px = set.height * set.width;
  const c = cls.numClasses;
  return {
    split: q.split,
    trueLabel: q.trueLabel,
    predicted: q.predicted,
    onlyWrong: q.onlyWrong,
    limit: q.limit,
    total: found.length,
    items: found.slice(0, q.limit).map((i) => ({
      index: offset + i,
      label: set.labels[i]!,
      predicted: cls.predictions[i]!,
      probabilities: Array.from(cls.probabilities.subarray(i * c, (i + 1) * c), display),
      size: set.height,
      pixels: Array.from(set.images.subarray(i * px, (i + 1) * px)),
    })),
  };
}

let sweeping: AbortController | null = null;

export async function sweepOf(
  net: ConvNet,
  data: LabData,
  range: number,
  onProgress: (done: number, total: number) => void,
): Promise<SweepPayload> {
  if (sweeping) throw new LabError('a robustness sweep is already running: cancel it first');
  sweeping = new AbortController();
  let last = 0;
  try {
    const r = await robustnessSweep(net, data.test, {
      range,
      signal: sweeping.signal,
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - last < 200 && done < total) return;
        last = now;
        onProgress(done, total);
      },
    });
    return { ...r, split: 'test' };
  } finally {
    sweeping = null;
  }
}

export function cancelSweep(): { cancelled: boolean } {
  const running = sweeping !== null;
  sweeping?.abort();
  return { cancelled: running };
}
