/**
 * Data augmentation (`training.augment`): each training image of a step is transformed at
 * random before the step, with the robustness sweep's own transforms, so "shift" means the same
 * in both. Every row of a batch draws from its own stream, seeded by (training seed, step, row),
 * as the dropout masks do: the same batches whatever the number of replicas, and a run stays
 * reproducible.
 *
 * Per image, in this order:
 * 1. rotation by an angle uniform in [−rotate, rotate) degrees about the image centre, bilinear,
 *    zeros outside (transforms.ts rotateImage, the sweep's rotation);
 * 2. a shift by whole pixels (dx, dy), each uniform in {−shift, …, shift}, zeros filling what is
 *    uncovered (robustness.ts shiftImage, the sweep's shift);
 * 3. N(0, σ²) noise added to every pixel, then clipped to [0, 1], as the sweep's noise (its
 *    normal draws are tabulated: each of 65,536 equally likely quantiles of N(0, 1), tails beyond
 *    ±4.32σ cut off, two per uniform draw; the sweep's come from Box–Muller, one per pair).
 * The stream draws dx then dy (when shift > 0), then the angle (when rotate > 0), then the noise
 * (when noise > 0): a transform that is off draws nothing.
 */
import type { Augment } from '../config';
import { Rng, rowSeed } from '../rng';
import { shiftImage } from '../analysis/robustness';
import { normalTable16, rotateImage } from '../analysis/transforms';

/** Keeps the augmentation streams apart from the dropout streams of the same (seed, step, row). */
const AUGMENT_SALT = 0x61756721;

/** Whether a config's augmentation changes anything (absent, or all zero: the seed's training). */
export function augments(a: Augment | null | undefined): a is Augment {
  return !!a && (a.shift > 0 || a.rotate > 0 || a.noise > 0);
}

/** What one row of one step draws: the shift, the angle (the noise is drawn from `rng` afterwards). */
export interface RowDraw {
  dx: number;
  dy: number;
  angle: number;
  rng: Rng;
}

/** The transform of row `row` of step `step` (the row's position in the whole batch). */
export function drawRow(a: Augment, seed: number, step: number, row: number): RowDraw {
  const rng = new Rng(rowSeed((seed ^ AUGMENT_SALT) >>> 0, step, row));
  let dx = 0;
  let dy = 0;
  let angle = 0;
  if (a.shift > 0) {
    const k = 2 * a.shift + 1;
    dx = Math.floor(rng.next() * k) - a.shift;
    dy = Math.floor(rng.next() * k) - a.shift;
  }
  if (a.rotate > 0) angle = (2 * rng.next() - 1) * a.rotate;
  return { dx, dy, angle, rng };
}

/**
 * Transforms in place the n images in `pixels` (size×size each, floats in [0, 1]), rows
 * [row, row + n) of step `step`'s batch. `scratch` holds one image (size×size floats).
 */
export function augmentBatch(
  a: Augment,
  seed: number,
  step: number,
  row: number,
  pixels: Float32Array,
  n: number,
  size: number,
  scratch: Float32Array = new Float32Array(size * size),
): void {
  const px = size * size;
  const table = normalTable16();
  for (let k = 0; k < n; k++) {
    const img = pixels.subarray(k * px, (k + 1) * px);
    const d = drawRow(a, seed, step, row + k);
    if (d.angle !== 0) {
      rotateImage(img, size, d.angle, scratch);
      img.set(scratch);
    }
    if (d.dx !== 0 || d.dy !== 0) {
      shiftImage(img, size, d.dx, d.dy, scratch);
      img.set(scratch);
    }
    if (a.noise > 0) {
      for (let p = 0; p < px; p += 2) {
        const bits = d.rng.next() * 4294967296;
        const v = img[p]! + a.noise * table[bits & 0xffff]!;
        img[p] = v < 0 ? 0 : v > 1 ? 1 : v;
        if (p + 1 < px) {
          const w = img[p + 1]! + a.noise * table[bits >>> 16]!;
          img[p + 1] = w < 0 ? 0 : w > 1 ? 1 : w;
        }
      }
    }
  }
}
