import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { occlusionPositions, occlusionSensitivity } from '../../src/core/analysis/occlusion';
import { selectBackend } from '../../src/core/backends';
import { imageAt, loadLabData } from '../../src/core/data/mnist';
import { predict } from '../../src/core/analysis/evaluate';
import { loadModel } from '../../src/core/model/interchange';

const FIXTURE_RUN = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');

before(async () => {
  await selectBackend('wasm');
});

test('occlusion: shape, range, background patches leave the probability alone, one value against predict()', () => {
  const data = loadLabData();
  const { net } = loadModel(FIXTURE_RUN);
  const index = 4;
  const image = imageAt(data.testFile, index);
  const label = data.testFile.labels[index]!;
  const base = predict(net, image).probabilities[label]!;
  for (const [patch, stride] of [
    [4, 1],
    [6, 2],
    [8, 4],
    [5, 3],
  ] as const) {
    const r = occlusionSensitivity(net, image, { patch, stride, label, batchSize: 100 });
    const n = Math.floor((28 - patch) / stride) + 1;
    assert.equal(r.rows, n);
    assert.equal(r.cols, n);
    assert.equal(occlusionPositions(28, patch, stride), n);
    assert.equal(r.probability.length, n * n);
    assert.equal(r.heatmap.length, 784);
    assert.ok(Math.abs(r.baseline - base) < 1e-6);
    let background = 0;
    let minP = 1;
    for (let pos = 0; pos < n * n; pos++) {
      const p = r.probability[pos]!;
      assert.ok(p >= 0 && p <= 1, `p = ${p}`);
      minP = Math.min(minP, p);
      const top = Math.floor(pos / n) * stride;
      const left = (pos % n) * stride;
      let ink = 0;
      for (let i = top; i < top + patch; i++) for (let j = left; j < left + patch; j++) ink += image[i * 28 + j]!;
      if (ink === 0) {
        background++;
        assert.ok(Math.abs(p - base) < 1e-6, `patch ${patch} at (${left}, ${top}) covers only background but p ${p} ≠ ${base}`);
        assert.equal(r.predicted[pos], predict(net, image).label);
      }
    }
    assert.ok(background > 0, 'no position covers only background');
    assert.ok(minP < base, `no patch lowers the probability (min ${minP}, base ${base})`);
    // One position checked against an independent occlusion and predict().
    const pos = Math.floor(n / 2) * n + Math.floor(n / 2);
    const top = Math.floor(pos / n) * stride;
    const left = (pos % n) * stride;
    const occluded = Float32Array.from(image);
    for (let i = 0; i < patch; i++) for (let j = 0; j < patch; j++) occluded[(top + i) * 28 + left + j] = 0;
    const ref = predict(net, occluded);
    assert.ok(Math.abs(r.probability[pos]! - ref.probabilities[label]!) < 1e-5, `${r.probability[pos]} vs ${ref.probabilities[label]}`);
    assert.equal(r.predicted[pos], ref.label);
    process.stdout.write(
      `# patch ${patch}, stride ${stride}: ${n}×${n} positions, ${background} on background, min p ${minP.toFixed(4)} (base ${base.toFixed(4)}), centre ${r.probability[pos]!.toFixed(4)}\n`,
    );
  }
  // A grey patch (0.5) checked the same way.
  const g = occlusionSensitivity(net, image, { patch: 6, stride: 2, label, fill: 0.5 });
  const occluded = Float32Array.from(image);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) occluded[(2 + i) * 28 + 4 + j] = 0.5;
  assert.ok(Math.abs(g.probability[1 * g.cols + 2]! - predict(net, occluded).probabilities[label]!) < 1e-5);
  assert.throws(() => occlusionSensitivity(net, image, { patch: 0, stride: 1, label }), /patch must be/);
  assert.throws(() => occlusionSensitivity(net, image, { patch: 4, stride: 1, label: 10 }), /label must be/);
  net.dispose();
});

test('occlusion heatmap: the mean drop over the patches covering each pixel', () => {
  const data = loadLabData();
  const { net } = loadModel(FIXTURE_RUN);
  const image = imageAt(data.testFile, 7);
  const label = data.testFile.labels[7]!;
  const r = occlusionSensitivity(net, image, { patch: 7, stride: 3, label });
  // Recompute pixel (13, 10) from the position grid.
  const [y, x] = [13, 10];
  let sum = 0;
  let hits = 0;
  for (let pos = 0; pos < r.rows * r.cols; pos++) {
    const top = Math.floor(pos / r.cols) * 3;
    const left = (pos % r.cols) * 3;
    if (y >= top && y < top + 7 && x >= left && x < left + 7) {
      sum += r.baseline - r.probability[pos]!;
      hits++;
    }
  }
  assert.ok(hits > 0);
  assert.ok(Math.abs(r.heatmap[y * 28 + x]! - sum / hits) < 1e-6);
  // stride 3, patch 7: positions 0..21, so column 27 is covered by the last one (21..27).
  assert.equal(r.cols, 8);
  net.dispose();
});
