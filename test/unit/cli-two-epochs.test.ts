import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, jsonLines } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

// The acceptance check: `npm start -- --epochs 2 --json` on the embedded MNIST with the
// seed's settings ends with validation accuracy ≥ 0.88 (the seed's own code gives ≈ 0.91).
test('two epochs of the seed on real MNIST reach ≥ 0.88 validation accuracy', () => {
  const r = cli(['train', '--epochs', '2', '--json', '--out', tempDir()]);
  assert.equal(r.status, 0, r.stderr);
  const s = jsonLines(r.stdout).at(-1)!;
  assert.equal(s.type, 'summary');
  assert.equal(s.steps, 2 * 938);
  console.log(`two epochs: validation ${s.valAccuracy}, test ${s.testAccuracy}, ${Number(s.seconds).toFixed(1)} s on ${s.backend}`);
  assert.ok((s.valAccuracy as number) >= 0.88, `validation accuracy ${s.valAccuracy}`);
});
