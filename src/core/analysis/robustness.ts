import { type FeatureMaps, type Prediction, featureMapsOf, predict } from './evaluate';
import type { ConvNet } from '../model/convnet';

/**
 * Shifts a size×size image by (dx, dy) pixels, zeros filling what is uncovered:
 * b[i, j] = a[i - dy, j - dx]. dx < 0 moves the digit left; the seed's case is dx = -3
 * (`b[i, j] = a[i, j + 3]`).
 */
export function shiftImage(
  image: Float32Array,
  size: number,
  dx: number,
  dy: number,
  out: Float32Array = new Float32Array(size * size),
): Float32Array {
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) throw new Error(`shift must be whole pixels, got (${dx}, ${dy})`);
  if (out === image) throw new Error('shiftImage: out must not be the image itself');
  for (let i = 0; i < size; i++) {
    const si = i - dy;
    if (si < 0 || si >= size) {
      out.fill(0, i * size, (i + 1) * size);
      continue;
    }
    for (let j = 0; j < size; j++) {
      const sj = j - dx;
      out[i * size + j] = sj >= 0 && sj < size ? image[si * size + sj]! : 0;
    }
  }
  return out;
}

export interface RobustnessView {
  image: Float32Array;
  prediction: Prediction;
  featureMaps: FeatureMaps;
}

export interface RobustnessResult {
  dx: number;
  dy: number;
  original: RobustnessView;
  shifted: RobustnessView;
  /** Mean absolute difference between original and shifted maps, per layer. */
  meanAbsDiff: { conv1: number; conv2: number };
}

function meanAbsDiff(a: FeatureMaps['conv1'], b: FeatureMaps['conv1']): number {
  let sum = 0;
  let n = 0;
  for (let c = 0; c < a.channels; c++) {
    for (let p = 0; p < a.data[c]!.length; p++) sum += Math.abs(a.data[c]![p]! - b.data[c]![p]!);
    n += a.data[c]!.length;
  }
  return n ? sum / n : 0;
}

/** The seed's robustness check, in any direction: predictions and feature maps before and after. */
export function robustnessCheck(net: ConvNet, image: Float32Array, dx: number, dy: number): RobustnessResult {
  const size = net.spec.imageSize;
  const view = (img: Float32Array): RobustnessView => ({ image: img, prediction: predict(net, img), featureMaps: featureMapsOf(net, img) });
  const original = view(image);
  const shifted = view(shiftImage(image, size, dx, dy));
  return {
    dx,
    dy,
    original,
    shifted,
    meanAbsDiff: {
      conv1: meanAbsDiff(original.featureMaps.conv1, shifted.featureMaps.conv1),
      conv2: meanAbsDiff(original.featureMaps.conv2, shifted.featureMaps.conv2),
    },
  };
}
