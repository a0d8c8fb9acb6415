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
  const at = (i: number, j: number) => (i >= 0 && i < size && j >= 0 && j < size ? image[i * size + j]! : 0);
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
      let v = at(i0, j0);
      if (fx !== 0 || fy !== 0) {
        v = (1 - fy) * ((1 - fx) * v + fx * at(i0, j0 + 1)) + fy * ((1 - fx) * at(i0 + 1, j0) + fx * at(i0 + 1, j0 + 1));
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
