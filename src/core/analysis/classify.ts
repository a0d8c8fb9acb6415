/**
 * Where a model goes right and wrong on a split: every image's prediction and class
 * probabilities, the confusion matrix and the per-class accuracy.
 */
import { type ImageSet, gatherImages } from '../data/mnist';
import type { ConvNet } from '../model/convnet';
import { tf } from '../tf';

export interface Classification {
  /** Predicted class of every image, in order. */
  predictions: Uint8Array;
  /** count × numClasses probabilities, row-major. */
  probabilities: Float32Array;
  numClasses: number;
}

/** Only the predictions, with asynchronous reads (GPU backends cannot read synchronously in Node). */
export async function predictionsAsync(net: ConvNet, set: ImageSet, batchSize = 1000): Promise<Uint8Array> {
  const predictions = new Uint8Array(set.count);
  for (let start = 0; start < set.count; start += batchSize) {
    const size = Math.min(batchSize, set.count - start);
    const x = gatherImages(
      set,
      Uint32Array.from({ length: size }, (_, k) => start + k),
    );
    const pred = tf.tidy(() => tf.argMax(net.forward(tf.tensor4d(x, [size, set.height, set.width, 1])), 1));
    predictions.set(await pred.data(), start);
    pred.dispose();
  }
  return predictions;
}

/** Predictions and probabilities of every image of a set, in eval mode, in batches. */
export function classify(net: ConvNet, set: ImageSet, batchSize = 1000): Classification {
  const c = net.spec.numClasses;
  const px = set.height * set.width;
  const predictions = new Uint8Array(set.count);
  const probabilities = new Float32Array(set.count * c);
  const buf = new Float32Array(Math.min(batchSize, set.count) * px);
  for (let start = 0; start < set.count; start += batchSize) {
    const size = Math.min(batchSize, set.count - start);
    const x = gatherImages(
      set,
      Uint32Array.from({ length: size }, (_, k) => start + k),
      buf.subarray(0, size * px),
    );
    const probs = tf.tidy(() => tf.exp(net.forward(tf.tensor4d(x, [size, set.height, set.width, 1]))).dataSync());
    probabilities.set(probs, start * c);
    for (let k = 0; k < size; k++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (probs[k * c + j]! > probs[k * c + best]!) best = j;
      predictions[start + k] = best;
    }
  }
  return { predictions, probabilities, numClasses: c };
}

export interface ClassAccuracy {
  correct: number;
  total: number;
  /** correct / total; null for a class with no images in the split. */
  accuracy: number | null;
}

export interface ConfusionMatrix {
  numClasses: number;
  /** counts[true][predicted]. */
  counts: number[][];
  perClass: ClassAccuracy[];
  correct: number;
  total: number;
  accuracy: number;
}

export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): ConfusionMatrix {
  if (labels.length !== predictions.length) throw new Error(`${labels.length} labels but ${predictions.length} predictions`);
  const counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]![predictions[i]!]!++;
  const perClass = counts.map((row, k) => {
    const total = row.reduce((s, v) => s + v, 0);
    return { correct: row[k]!, total, accuracy: total ? row[k]! / total : null };
  });
  const correct = perClass.reduce((s, p) => s + p.correct, 0);
  return { numClasses, counts, perClass, correct, total: labels.length, accuracy: labels.length ? correct / labels.length : 0 };
}

/**
 * Indices (into the set) of the images with true label `trueLabel` and prediction `predicted`;
 * null matches any; `onlyWrong` keeps the misclassified ones. Most confident mistakes first.
 */
export function selectExamples(
  labels: ArrayLike<number>,
  cls: Classification,
  filter: { trueLabel: number | null; predicted: number | null; onlyWrong: boolean },
): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = cls.predictions[i]!;
    if (filter.trueLabel !== null && t !== filter.trueLabel) continue;
    if (filter.predicted !== null && p !== filter.predicted) continue;
    if (filter.onlyWrong && t === p) continue;
    out.push(i);
  }
  const top = (i: number) => cls.probabilities[i * cls.numClasses + cls.predictions[i]!]!;
  return out.sort((a, b) => top(b) - top(a) || a - b);
}
