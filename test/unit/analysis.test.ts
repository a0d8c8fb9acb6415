import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { classify, confusionMatrix, selectExamples } from '../../src/core/analysis/classify';
import { checkSweepRange, describeShiftSweep, robustnessSweep } from '../../src/core/analysis/sweep';
import { addGaussianNoise, rotateImage } from '../../src/core/analysis/transforms';
import { selectBackend } from '../../src/core/backends';
import { type ImageSet, imageAt, loadLabData } from '../../src/core/data/mnist';
import { evaluate, predict } from '../../src/core/analysis/evaluate';
import { loadModel } from '../../src/core/model/interchange';
import { Rng } from '../../src/core/rng';
import { shiftImage } from '../../src/core/analysis/robustness';
import { head } from '../helpers/dataset';

before(async () => {
  await selectBackend('wasm');
});
const data = loadLabData();
// The committed 20-epoch run: a real trained model, so the mistakes are real ones.
const run = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');

/** A copy of a set with every image's bytes rearranged by `map(i, j) → source pixel`. */
function remap(set: ImageSet, map: (i: number, j: number) => number): ImageSet {
  const n = set.width;
  const images = new Uint8Array(set.images.length);
  for (let k = 0; k < set.count; k++)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) images[k * n * n + i * n + j] = set.images[k * n * n + map(i, j)]!;
  return { ...set, images };
}

test('confusion matrix: sums to the split size, rows to the class counts, and agrees with predict() image by image', () => {
  const { net } = loadModel(run);
  const set = head(data.test, 600);
  const cls = classify(net, set);
  const cm = confusionMatrix(set.labels, cls.predictions, 10);
  let sum = 0;
  for (const row of cm.counts) for (const v of row) sum += v;
  assert.equal(sum, 600);
  const perLabel = new Array<number>(10).fill(0);
  for (const l of set.labels) perLabel[l]!++;
  assert.deepEqual(
    cm.counts.map((r) => r.reduce((s, v) => s + v, 0)),
    perLabel,
  );
  // An independent loop: one predict() per image, counted by hand.
  const counts = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (let i = 0; i < set.count; i++) {
    const p = predict(net, imageAt(set, i));
    counts[set.labels[i]!]![p.label]!++;
    for (let c = 0; c < 10; c++) assert.ok(Math.abs(cls.probabilities[i * 10 + c]! - p.probabilities[c]!) < 1e-5, `image ${i} class ${c}`);
  }
  assert.deepEqual(cm.counts, counts);
  const ev = evaluate(net, set);
  assert.equal(cm.correct, ev.correct);
  assert.equal(cm.accuracy, ev.accuracy);
  for (let k = 0; k < 10; k++) {
    assert.equal(cm.perClass[k]!.correct, counts[k]![k]);
    assert.equal(cm.perClass[k]!.total, perLabel[k]);
    assert.equal(cm.perClass[k]!.accuracy, counts[k]![k]! / perLabel[k]!);
  }
  // The misclassified gallery: exactly the off-diagonal images, most confident first.
  const wrong = selectExamples(set.labels, cls, { trueLabel: null, predicted: null, onlyWrong: true });
  assert.equal(wrong.length, 600 - cm.correct);
  assert.ok(wrong.length > 0, 'a real model makes some mistakes');
  for (const i of wrong) assert.notEqual(cls.predictions[i], set.labels[i]);
  for (let k = 1; k < wrong.length; k++) {
    const conf = (i: number) => cls.probabilities[i * 10 + cls.predictions[i]!]!;
    assert.ok(conf(wrong[k - 1]!) >= conf(wrong[k]!));
  }
  // One cell: the images of true t predicted p are that cell's count.
  const [t, p] = (() => {
    for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) if (a !== b && cm.counts[a]![b]! > 0) return [a, b];
    return [0, 0];
  })();
  const cell = selectExamples(set.labels, cls, { trueLabel: t, predicted: p, onlyWrong: false });
  assert.equal(cell.length, cm.counts[t]![p]);
  assert.equal(selectExamples(set.labels, cls, { trueLabel: 3, predicted: 3, onlyWrong: false }).length, cm.counts[3]![3]);
  net.dispose();
});

test('rotateImage: 0° is the identity, 90° is an exact permutation (numpy rot90), 45° keeps the centre; noise σ 0 is the identity', () => {
  const a = imageAt(data.testFile, 4);
  assert.deepEqual(rotateImage(a, 28, 0), a);
  const r90 = rotateImage(a, 28, 90);
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) assert.equal(r90[i * 28 + j], a[j * 28 + (27 - i)], `(${i}, ${j})`);
  const r180 = rotateImage(a, 28, 180);
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) assert.equal(r180[i * 28 + j], a[(27 - i) * 28 + (27 - j)]);
  assert.deepEqual(rotateImage(rotateImage(a, 28, -90), 28, 90), a);
  // A single bright pixel at the centre's right, rotated 45°, spreads over its bilinear neighbours
  // and keeps its mass up to interpolation (ink is neither created nor lost away from the edges).
  const dot = new Float32Array(784);
  dot[13 * 28 + 20] = 1;
  const d45 = rotateImage(dot, 28, 45);
  const mass = d45.reduce((s, v) => s + v, 0);
  assert.ok(mass > 0.6 && mass < 1.4, `mass ${mass}`);
  // It moved up (counter-clockwise on screen): its centre of mass is above row 13.5.
  let my = 0;
  d45.forEach((v, p) => (my += v * Math.floor(p / 28)));
  assert.ok(my / mass < 13.5 - 3, `row ${my / mass}`);
  assert.deepEqual(addGaussianNoise(a, 0, new Rng(1)), a);
  const noisy = addGaussianNoise(a, 0.3, new Rng(1));
  assert.ok(noisy.every((v) => v >= 0 && v <= 1));
  assert.notDeepEqual(noisy, a);
  assert.deepEqual(addGaussianNoise(a, 0.3, new Rng(1)), noisy, 'seeded: the same noise every time');
});

test('robustness sweep: (0, 0), 0° and σ 0 give exactly the plain accuracy; 90° and a shift match independently transformed sets', async () => {
  const { net } = loadModel(run);
  const set = head(data.test, 400);
  const plain = evaluate(net, set);
  const seen: number[] = [];
  const r = await robustnessSweep(net, set, {
    range: 1,
    angles: [-90, 0, 90],
    sigmas: [0, 0.3],
    onProgress: (done, total) => seen.push(done / total),
  });
  assert.deepEqual(r.shift.offsets, [-1, 0, 1]);
  assert.equal(r.shift.accuracy.length, 3);
  assert.equal(r.shift.accuracy[1]![1], plain.accuracy);
  assert.equal(r.accuracy, plain.accuracy);
  assert.equal(r.rotation.accuracy[1], plain.accuracy);
  assert.equal(r.noise.accuracy[0], plain.accuracy);
  assert.equal(seen.at(-1), 1);
  assert.equal(seen.length, 9 + 3 + 2);
  // 90° counter-clockwise = numpy's rot90: out[i][j] = in[j][27 − i], on the bytes.
  assert.equal(
    r.rotation.accuracy[2],
    evaluate(
      net,
      remap(set, (i, j) => j * 28 + (27 - i)),
    ).accuracy,
  );
  assert.equal(
    r.rotation.accuracy[0],
    evaluate(
      net,
      remap(set, (i, j) => (27 - j) * 28 + i),
    ).accuracy,
  );
  // dx = 1, dy = −1 (row 0, column 2): b[i, j] = a[i + 1, j − 1], zeros fill.
  const shifted = { ...set, images: new Uint8Array(set.images.length) };
  for (let k = 0; k < set.count; k++) {
    for (let i = 0; i < 27; i++)
      for (let j = 1; j < 28; j++) shifted.images[k * 784 + i * 28 + j] = set.images[k * 784 + (i + 1) * 28 + j - 1]!;
  }
  assert.equal(r.shift.accuracy[0]![2], evaluate(net, shifted).accuracy);
  assert.deepEqual(Array.from(shiftImage(imageAt(set, 0), 28, 1, -1)), Array.from(imageAt(shifted, 0)));
  // A well-trained net: upside-down and sideways digits are mostly wrong, noise costs a little.
  assert.ok(r.rotation.accuracy[2]! < plain.accuracy - 0.3);
  assert.ok(r.noise.accuracy[1]! <= plain.accuracy);
  assert.equal(r.shift.byRadius[0]!.minAccuracy, plain.accuracy);
  assert.equal(r.shift.byRadius[1]!.minAccuracy, Math.min(...r.shift.accuracy.flat()));
  assert.match(describeShiftSweep(r), /test accuracy stays ≥ \d+\.\d % for shifts of ≤ 1 px in any direction \(unshifted: \d+\.\d %\)/);
  net.dispose();
});

test('robustness sweep: cancellable between batches, and a bad range names the field', async () => {
  const { net } = loadModel(run);
  const ac = new AbortController();
  let calls = 0;
  await assert.rejects(
    robustnessSweep(net, head(data.test, 200), {
      range: 2,
      batchSize: 50,
      signal: ac.signal,
      onProgress: () => {
        if (++calls === 3) ac.abort();
      },
    }),
    /the robustness sweep was cancelled/,
  );
  assert.equal(calls, 3);
  assert.throws(() => checkSweepRange(-1, 28), /range: expected a whole number of pixels between 0 and 14, got -1/);
  assert.throws(() => checkSweepRange(1.5, 28), /range/);
  net.dispose();
});
