/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): a square patch of one grey level slides over the
 * image; where covering the image makes the probability of the class fall, the network looked.
 */
import type { ConvNet } from '../model/convnet';
import { tf } from '../tf';

export interface OcclusionOptions {
  /** Side of the square patch, pixels. */
  patch: number;
  /** Step between patch positions, pixels. */
  stride: number;
  /** Grey level of the patch: 0 is MNIST's background (the patch only removes ink). */
  fill?: number;
  /** The class whose probability is tracked (the true label; the prediction for a drawing). */
  label: number;
  /** Occluded images per forward pass. */
  batchSize?: number;
}

export interface OcclusionResult {
  patch: number;
  stride: number;
  fill: number;
  label: number;
  /** Probability of `label` for the unoccluded image. */
  baseline: number;
  /** Patch positions: the patch's top-left corner is (column·stride, row·stride). */
  rows: number;
  cols: number;
  /** rows×cols: the probability of `label` with the patch at each position, in [0, 1]. */
  probability: Float32Array;
  /** rows×cols: the predicted class with the patch at each position. */
  predicted: Uint8Array;
  /** rows×cols: the class whose probability the patch raised most (the most-changed other class). */
  risen: Uint8Array;
  /**
   * size×size: for each pixel, the mean drop of the probability of `label` (baseline − p) over
   * the patch positions that cover it; 0 where none does.
   */
  heatmap: Float32Array;
  size: number;
}

export function occlusionPositions(size: number, patch: number, stride: number): number {
  return Math.floor((size - patch) / stride) + 1;
}

/** Class probabilities of a batch of n images (n × size²), in eval mode. */
function probabilities(net: ConvNet, images: Float32Array, n: number): Float32Array {
  const s = net.spec.imageSize;
  return tf.tidy(() => tf.exp(net.forward(tf.tensor4d(images, [n, s, s, 1])))).dataSync() as Float32Array;
}

export function occlusionSensitivity(net: ConvNet, image: Float32Array, o: OcclusionOptions): OcclusionResult {
  const size = net.spec.imageSize;
  const classes = net.spec.numClasses;
  const fill = o.fill ?? 0;
  const batchSize = o.batchSize ?? 128;
  if (image.length !== size * size) throw new Error(`image has ${image.length} pixels, the model takes ${size}×${size}`);
  if (!Number.isInteger(o.patch) || o.patch < 1 || o.patch > size)
    throw new Error(`patch must be a whole number of pixels in 1..${size}, got ${o.patch}`);
  if (!Number.isInteger(o.stride) || o.stride < 1 || o.stride > size)
    throw new Error(`stride must be a whole number of pixels in 1..${size}, got ${o.stride}`);
  if (!Number.isInteger(o.label) || o.label < 0 || o.label >= classes)
    throw new Error(`label must be a class 0..${classes - 1}, got ${o.label}`);
  if (!(fill >= 0 && fill <= 1)) throw new Error(`fill must be a grey level in [0, 1], got ${fill}`);

  const base = probabilities(net, image, 1);
  const baseline = base[o.label]!;
  const rows = occlusionPositions(size, o.patch, o.stride);
  const cols = rows;
  const count = rows * cols;
  const probability = new Float32Array(count);
  const predicted = new Uint8Array(count);
  const risen = new Uint8Array(count);
  const px = size * size;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const batch = new Float32Array(n * px);
    for (let b = 0; b < n; b++) {
      const pos = start + b;
      const top = Math.floor(pos / cols) * o.stride;
      const left = (pos % cols) * o.stride;
      const img = batch.subarray(b * px, (b + 1) * px);
      img.set(image);
      for (let i = top; i < top + o.patch; i++) img.fill(fill, i * size + left, i * size + left + o.patch);
    }
    const p = probabilities(net, batch, n);
    for (let b = 0; b < n; b++) {
      const row = p.subarray(b * classes, (b + 1) * classes);
      let arg = 0;
      let up = o.label === 0 ? 1 : 0;
      for (let c = 0; c < classes; c++) {
        if (row[c]! > row[arg]!) arg = c;
        if (c !== o.label && row[c]! - base[c]! > row[up]! - base[up]!) up = c;
      }
      probability[start + b] = row[o.label]!;
      predicted[start + b] = arg;
      risen[start + b] = up;
    }
  }

  const sum = new Float64Array(px);
  const hits = new Uint32Array(px);
  for (let pos = 0; pos < count; pos++) {
    const top = Math.floor(pos / cols) * o.stride;
    const left = (pos % cols) * o.stride;
    const drop = baseline - probability[pos]!;
    for (let i = top; i < top + o.patch; i++) {
      for (let j = left; j < left + o.patch; j++) {
        sum[i * size + j] += drop;
        hits[i * size + j]++;
      }
    }
  }
  const heatmap = new Float32Array(px);
  for (let q = 0; q < px; q++) heatmap[q] = hits[q] ? sum[q]! / hits[q]! : 0;
  return { patch: o.patch, stride: o.stride, fill, label: o.label, baseline, rows, cols, probability, predicted, risen, heatmap, size };
}
