import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PARAM_NAMES } from '../../src/core/model/convnet';
import { type NamedTensor, decodeSafetensors } from '../../src/core/model/safetensors';

/** The checkout's root (the folder holding package.json above this bundle). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/**
 * test/fixtures/pytorch-seed.safetensors, written by tools/pytorch/make_fixture.py with
 * Debian's PyTorch: the seed network's weights, a real MNIST batch, PyTorch's results.
 */
export const FIXTURE = join(repoRoot(), 'test', 'fixtures', 'pytorch-seed.safetensors');
const fixture = decodeSafetensors(readFileSync(FIXTURE), FIXTURE);

export const T = (name: string): NamedTensor => {
  const t = fixture.tensors[name];
  assert.ok(t, `fixture has no tensor '${name}'`);
  return t;
};

/** The state_dict stored under `prefix` ('' = initial weights, 'step1.', 'step2.'). */
export const stateDict = (prefix: string): Record<string, NamedTensor> => Object.fromEntries(PARAM_NAMES.map((n) => [n, T(prefix + n)]));

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
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = v[((b * h + y) * w + x) * c + ch]!;
  return out;
}
