import assert from 'node:assert/strict';

/** Error measures and the layout change the PyTorch comparisons share: the numeric tests and scripts/gpu-check (no side effects). */

/** Largest |a[i] − b[i]|; NaN anywhere makes it NaN (a failure for any ≤ check). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, what = 'values'): number {
  assert.equal(a.length, b.length, `${what}: ${a.length} values vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d;
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** NHWC [n, h, w, c] → NCHW, the layout of PyTorch's tensors. */
export function nhwcToNchw(v: ArrayLike<number>, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = v[((b * h + y) * w + x) * c + ch]!;
  return out;
}
