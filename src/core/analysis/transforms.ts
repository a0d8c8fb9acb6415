/** The perturbations of the robustness sweep, on one size×size image (row-major floats in [0, 1]). */
import { Rng } from '../rng';

/** cos/sin with the exact values at multiples of 90° (so a quarter turn is a pure permutation). */
function exactTrig(degrees: number): [number, number] {
  const r = (degrees * Math.PI) / 180;
  const snap = (v: number) => (Math.abs(v - Math.round(v)) < 1e-12 ? Math.round(v) : v);
  return [snap(Math.cos(r)), snap(Math.sin(r))];
}

/**
 * Rotates by `degrees` counter-clockwise (as seen on screen) about the image centre
 * ((size−1)/2, (size−1)/2), bilinear interpolation, zeros outside:
 * out(y, x) = in(c + sin·(x−c) + cos·(y−c), c + cos·(x−c) − sin·(y−c)).
 */
export function rotateImage(
  image: ArrayLike<number>,
  size: number,
  degrees: number,
  out: Float32Array = new Float32Array(size * size),
): Float32Array {
  const [cos, sin] = exactTrig(degrees);
  const c = (size - 1) / 2;
  // Written out (no closure per read): the training's augmentation rotates every image of a batch.
  for (let i = 0; i < size; i++) {
    const y = i - c;
    for (let j = 0; j < size; j++) {
      const x = j - c;
      const sx = c + cos * x - sin * y;
      const sy = c + sin * x + cos * y;
      const j0 = Math.floor(sx);
      const i0 = Math.floor(sy);
      const fx = sx - j0;
      const fy = sy - i0;
      const in0 = i0 >= 0 && i0 < size;
      const in1 = i0 + 1 >= 0 && i0 + 1 < size;
      const jn0 = j0 >= 0 && j0 < size;
      const jn1 = j0 + 1 >= 0 && j0 + 1 < size;
      const r0 = i0 * size;
      const r1 = r0 + size;
      let v = in0 && jn0 ? image[r0 + j0]! : 0;
      if (fx !== 0 || fy !== 0) {
        const v01 = in0 && jn1 ? image[r0 + j0 + 1]! : 0;
        const v10 = in1 && jn0 ? image[r1 + j0]! : 0;
        const v11 = in1 && jn1 ? image[r1 + j0 + 1]! : 0;
        v = (1 - fy) * ((1 - fx) * v + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
      out[i * size + j] = v;
    }
  }
  return out;
}

/** A standard normal draw (Box–Muller) from a seeded generator. */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Adds N(0, σ²) noise to every pixel and clips to [0, 1] (the range of real pixels). */
export function addGaussianNoise(
  image: ArrayLike<number>,
  sigma: number,
  rng: Rng,
  out: Float32Array = new Float32Array(image.length),
): Float32Array {
  for (let p = 0; p < image.length; p++) {
    const v = sigma === 0 ? image[p]! : image[p]! + sigma * gaussian(rng);
    out[p] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/**
 * The standard normal quantile function Φ⁻¹(p), 0 < p < 1 (Acklam's rational approximation,
 * relative error < 1.2e-9: far below a float32's precision).
 */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Levels of the tabulated normal distribution: one 16-bit half of a uniform draw picks one. */
export const NORMAL_LEVELS = 65536;
let normalTable: Float32Array | null = null;

/**
 * Φ⁻¹((k + ½) / 65536) for k = 0..65535: a standard normal draw is the entry a 16-bit uniform
 * draw picks (inverse-CDF sampling on a table; each level equally likely, |z| ≤ 4.32, variance
 * 0.99998). Cheap enough for the training's noise augmentation, which draws one per pixel of
 * every image of every step (Box–Muller costs a logarithm and a cosine each).
 */
export function normalTable16(): Float32Array {
  return (normalTable ??= Float32Array.from({ length: NORMAL_LEVELS }, (_, k) => normalQuantile((k + 0.5) / NORMAL_LEVELS)));
}
