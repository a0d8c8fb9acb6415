import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { SEED_CONFIG } from '../../src/core/config';
import { imageAt, loadLabData } from '../../src/core/data/mnist';
import { evaluate, featureMapsOf, predict } from '../../src/core/analysis/evaluate';
import { ConvNet, specFromConfig } from '../../src/core/model/convnet';
import { robustnessCheck, shiftImage } from '../../src/core/analysis/robustness';

before(async () => {
  await selectBackend('wasm');
});
const data = loadLabData();

test("shiftImage reproduces the seed's loop (b[i, j] = a[i, j + w], zeros fill) and shifts any way", () => {
  const a = imageAt(data.testFile, 4);
  const w = 3;
  const seed = new Float32Array(784);
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28 - w; j++) seed[i * 28 + j] = a[i * 28 + j + w]!;
  assert.deepEqual(shiftImage(a, 28, -3, 0), seed);
  const down = shiftImage(a, 28, 0, 2);
  for (let j = 0; j < 28; j++) assert.equal(down[j], 0);
  for (let i = 2; i < 28; i++) for (let j = 0; j < 28; j++) assert.equal(down[i * 28 + j], a[(i - 2) * 28 + j]);
  assert.deepEqual(shiftImage(a, 28, 0, 0), a);
  // Shifting by (2, -1) then back by (-2, 1) restores rows 1..27, columns 0..25; the rest fell off.
  const back = shiftImage(shiftImage(a, 28, 2, -1), 28, -2, 1);
  for (let i = 0; i < 28; i++) {
    for (let j = 0; j < 28; j++) assert.equal(back[i * 28 + j], i >= 1 && j <= 25 ? a[i * 28 + j] : 0, `(${i}, ${j})`);
  }
  assert.throws(() => shiftImage(a, 28, 0.5, 0), /whole pixels/);
});

test('predict, feature maps and the robustness check', () => {
  const net = ConvNet.init(specFromConfig(SEED_CONFIG), 1);
  const img = imageAt(data.testFile, 4);
  const p = predict(net, img);
  assert.equal(p.probabilities.length, 10);
  assert.ok(Math.abs(p.probabilities.reduce((s, v) => s + v, 0) - 1) < 1e-5);
  assert.equal(p.label, p.probabilities.indexOf(Math.max(...p.probabilities)));
  const maps = featureMapsOf(net, img);
  assert.equal(maps.conv1.channels, 4);
  assert.equal(maps.conv1.size, 28);
  assert.equal(maps.conv2.channels, 8);
  assert.equal(maps.conv2.size, 14);
  assert.ok(
    maps.conv1.data.every((m) => m.length === 784 && m.every((v) => v >= 0)),
    'ReLU outputs',
  );
  const same = robustnessCheck(net, img, 0, 0);
  assert.equal(same.meanAbsDiff.conv1, 0);
  assert.deepEqual(same.shifted.prediction, same.original.prediction);
  const r = robustnessCheck(net, img, -3, 0);
  assert.deepEqual(r.shifted.image, shiftImage(img, 28, -3, 0));
  assert.ok(r.meanAbsDiff.conv1 > 0 && r.meanAbsDiff.conv2 > 0);
  // Evaluating the whole split agrees with one-by-one predictions.
  const ev = evaluate(net, {
    ...data.test,
    count: 50,
    images: data.test.images.subarray(0, 50 * 784),
    labels: data.test.labels.subarray(0, 50),
  });
  for (let i = 0; i < 50; i++) assert.equal(ev.predictions[i], predict(net, imageAt(data.test, i)).label);
  net.dispose();
});
