/**
 * The worker's handlers of the analysis table (src/core/analyses.ts): one per entry, typed by
 * it (a missing handler or a wrong result is a compile error). Each gets the request with the
 * host's target and a context to report progress.
 */
import { checkTestIndex, maxShift, shiftInRange } from '../core/analysis/service';
import { evaluateSplits, featureMapsOf, predict, type FeatureMaps } from '../core/analysis/evaluate';
import { channelActivity, epochHistograms, histogramProbe } from '../core/analysis/layerStats';
import { robustnessCheck } from '../core/analysis/robustness';
import type { AnalysisHandlers, FeatureMapsPayload, ImagePayload } from '../core/analyses';
import { imageAt } from '../core/data/mnist';
import { LabError } from '../core/errors';
import { confusionOf, examplesOf, sweepOf } from './classification';
import { drawnPrediction, occlusionOfTestImage } from './drawing';
import { display } from './display';
import { explanationOf } from './explain';
import { dataFor, modelAndData, modelFor } from './models';
import { projectionOf } from './projection';

export interface AnalysisContext {
  /** Progress of a long analysis: `done` of `total` batches. */
  progress(done: number, total: number): void;
}

const image = (pixels: Float32Array, size: number): ImagePayload => ({ size, pixels: Array.from(pixels, display) });
const maps = (f: FeatureMaps): FeatureMapsPayload => ({
  conv1: { size: f.conv1.size, maps: f.conv1.data.map((m) => Array.from(m, display)) },
  conv2: { size: f.conv2.size, maps: f.conv2.data.map((m) => Array.from(m, display)) },
});

export const ANALYSIS_HANDLERS: AnalysisHandlers<AnalysisContext> = {
  async modelInfo(r) {
    const { net, file } = await modelFor(r.target);
    return { file, layers: net.summary(), parameters: net.parameterCount() };
  },
  async evaluate(r) {
    const { net, file, data } = await modelAndData(r.target);
    return { model: file, ...evaluateSplits(net, data) };
  },
  async sample(r) {
    const data = dataFor(r.target);
    checkTestIndex(data, r.index);
    const pixels = imageAt(data.testFile, r.index);
    const base = {
      index: r.index,
      label: data.testFile.labels[r.index]!,
      testCount: data.testFile.count,
      image: image(pixels, data.testFile.height),
    };
    if (!r.target.model) return { ...base, prediction: null, featureMaps: null };
    const { net } = await modelAndData(r.target, data);
    return { ...base, prediction: predict(net, pixels), featureMaps: maps(featureMapsOf(net, pixels)) };
  },
  trainingImage(r) {
    const data = dataFor(r.target);
    if (r.index >= data.train.count)
      throw new LabError(`training image #${r.index} does not exist: 0..${data.train.count - 1}`, { field: 'index' });
    return { index: r.index, label: data.train.labels[r.index]!, image: image(imageAt(data.train, r.index), data.train.height) };
  },
  async robustness(r) {
    const data = dataFor(r.target);
    checkTestIndex(data, r.index);
    const { net } = await modelAndData(r.target, data);
    const size = net.spec.imageSize;
    for (const [name, v] of [
      ['dx', r.dx],
      ['dy', r.dy],
    ] as const) {
      if (!shiftInRange(size, v))
        throw new LabError(`${name}: a shift must stay within ${-maxShift(size)}..${maxShift(size)} pixels, got ${v}`, { field: name });
    }
    const res = robustnessCheck(net, imageAt(data.testFile, r.index), r.dx, r.dy);
    const view = (v: typeof res.original) => ({ image: image(v.image, size), prediction: v.prediction, featureMaps: maps(v.featureMaps) });
    return {
      index: r.index,
      label: data.testFile.labels[r.index]!,
      dx: r.dx,
      dy: r.dy,
      original: view(res.original),
      shifted: view(res.shifted),
      meanAbsDiff: res.meanAbsDiff,
    };
  },
  async predictImage(r) {
    const { net } = await modelFor(r.target);
    return drawnPrediction(net, r.pixels);
  },
  async occlusion(r) {
    const data = dataFor(r.target);
    checkTestIndex(data, r.index);
    const { net } = await modelAndData(r.target, data);
    return occlusionOfTestImage(net, data, r);
  },
  async confusion(r) {
    const { net, data } = await modelAndData(r.target);
    return confusionOf(net, data, r.split);
  },
  async examples(r) {
    const { net, data } = await modelAndData(r.target);
    return examplesOf(net, data, r);
  },
  async deadChannels(r) {
    const { net, data } = await modelAndData(r.target);
    return { split: r.split, ...(await channelActivity(net, r.split === 'test' ? data.test : data.validation)) };
  },
  async finalHistograms(r) {
    const { net, data } = await modelAndData(r.target);
    const probe = histogramProbe(data);
    try {
      // Epoch 1 stands for "the saved weights": the run folder says how many epochs they had.
      return await epochHistograms(net, probe, 1);
    } finally {
      probe.dispose();
    }
  },
  async explain(r) {
    if (r.index === null) {
      const { net } = await modelFor(r.target);
      return explanationOf(net, null, r);
    }
    const data = dataFor(r.target);
    checkTestIndex(data, r.index);
    const { net } = await modelAndData(r.target, data);
    return explanationOf(net, data, r);
  },
  async sweep(r, ctx) {
    const { net, data } = await modelAndData(r.target);
    return sweepOf(net, data, r.range, (done, total) => ctx.progress(done, total));
  },
  async projection(r, ctx) {
    const { net, data } = await modelAndData(r.target);
    return projectionOf(net, data, r, (done, total) => ctx.progress(done, total));
  },
};
