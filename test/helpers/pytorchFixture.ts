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

export { maxAbs, maxAbsDiff, nhwcToNchw } from '../../src/core/numeric';
