import { type ImageSet, type LabData, gatherImages } from '../data/mnist';
import type { ConvNet } from '../model/convnet';
import { tf } from '../tf';

export interface Evaluation {
  accuracy: number;
  correct: number;
  total: number;
  /** Predicted class of every image, in order. */
  predictions: Uint8Array;
}

/** An image set as one tensor [N, H, W, 1], built once and reused by repeated evaluations. */
export function imagesTensor(set: ImageSet): tf.Tensor4D {
  const all = Uint32Array.from({ length: set.count }, (_, i) => i);
  return tf.tensor4d(gatherImages(set, all), [set.count, set.height, set.width, 1]);
}

/**
 * Accuracy in eval mode (no dropout), in large batches: the seed's evaluation loop, faster.
 * Images [from, from + count) of x, against labels of the same indices.
 */
export function evaluateTensor(
  net: ConvNet,
  x: tf.Tensor4D,
  labels: Uint8Array,
  batchSize = 1000,
  from = 0,
  count = x.shape[0] - from,
): Evaluation {
  const predictions = new Uint8Array(count);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const pred = tf.tidy(() => tf.argMax(net.forward(tf.slice(x, [from + start, 0, 0, 0], [size, -1, -1, -1])), 1));
    predictions.set(pred.dataSync(), start);
    pred.dispose();
  }
  let correct = 0;
  for (let i = 0; i < count; i++) if (predictions[i] === labels[from + i]) correct++;
  return { accuracy: count ? correct / count : 0, correct, total: count, predictions };
}

/**
 * evaluate() with asynchronous reads: the form that also runs on GPU backends, which cannot
 * read synchronously in Node (webgpu).
 */
export async function evaluateAsync(net: ConvNet, set: ImageSet, batchSize = 1000): Promise<Evaluation> {
  const x = imagesTensor(set);
  const n = set.count;
  const predictions = new Uint8Array(n);
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const pred = tf.tidy(() => tf.argMax(net.forward(tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1])), 1));
      predictions.set(await pred.data(), start);
      pred.dispose();
    }
  } finally {
    x.dispose();
  }
  let correct = 0;
  for (let i = 0; i < n; i++) if (predictions[i] === set.labels[i]) correct++;
  return { accuracy: n ? correct / n : 0, correct, total: n, predictions };
}

export function evaluate(net: ConvNet, set: ImageSet, batchSize = 1000): Evaluation {
  const x = imagesTensor(set);
  try {
    return evaluateTensor(net, x, set.labels, batchSize);
  } finally {
    x.dispose();
  }
}

export interface Prediction {
  label: number;
  probabilities: number[];
}

/** Class probabilities of one image (H×W floats in [0,1]). */
export function predict(net: ConvNet, image: Float32Array): Prediction {
  const s = net.spec.imageSize;
  const probs = tf.tidy(() => tf.exp(net.forward(tf.tensor4d(image, [1, s, s, 1]))).dataSync());
  const probabilities = Array.from(probs);
  let label = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[label]!) label = i;
  return { label, probabilities };
}

/** Feature maps of one layer, channel-major: data[c] is a size×size map (row-major). */
export interface LayerMaps {
  channels: number;
  size: number;
  data: Float32Array[];
}

export interface FeatureMaps {
  conv1: LayerMaps;
  conv2: LayerMaps;
}

function toChannels(t: tf.Tensor4D): LayerMaps {
  const [, h, w, c] = t.shape;
  const v = t.dataSync();
  const data = Array.from({ length: c }, () => new Float32Array(h * w));
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) data[ch]![p] = v[p * c + ch]!;
  return { channels: c, size: h, data };
}

/** What the seed's retrieve_features returns for one image, as per-channel maps. */
export function featureMapsOf(net: ConvNet, image: Float32Array): FeatureMaps {
  const s = net.spec.imageSize;
  const x = tf.tensor4d(image, [1, s, s, 1]);
  const [f1, f2] = net.featureMaps(x);
  try {
    return { conv1: toChannels(f1), conv2: toChannels(f2) };
  } finally {
    tf.dispose([x, f1, f2]);
  }
}

export interface SplitAccuracies {
  valAccuracy: number;
  testAccuracy: number;
  valCorrect: number;
  valTotal: number;
  testCorrect: number;
  testTotal: number;
}

/** Validation and test accuracy of a model (the original lab's two halves of the test file). */
export function evaluateSplits(net: ConvNet, data: LabData): SplitAccuracies {
  const val = evaluate(net, data.validation);
  const test = evaluate(net, data.test);
  return {
    valAccuracy: val.accuracy,
    testAccuracy: test.accuracy,
    valCorrect: val.correct,
    valTotal: val.total,
    testCorrect: test.correct,
    testTotal: test.total,
  };
}
