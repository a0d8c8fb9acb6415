/**
 * training.augment (src/core/train/augment.ts): the transforms are the ones named (shift and
 * rotation exact on known images, rotation against PyTorch's grid_sample, the noise's
 * distribution), drawn reproducibly from the seed per (step, row), the same whatever the replica
 * split, and a config without augmentation trains exactly as before.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { type Augment, type LabConfig, SEED_CONFIG, checkConfig, parseConfig } from '../../src/core/config';
import { type LabData, gatherImages, loadLabData } from '../../src/core/data/mnist';
import { ConvNet, specFromConfig } from '../../src/core/model/convnet';
import { shiftImage } from '../../src/core/analysis/robustness';
import { normalQuantile, normalTable16, rotateImage } from '../../src/core/analysis/transforms';
import { augmentBatch, augments, drawRow } from '../../src/core/train/augment';
import { Replica, dropoutRows, flattenValues } from '../../src/core/train/replica';
import { train } from '../../src/core/train/trainer';
import { Rng } from '../../src/core/rng';
import { tf } from '../../src/core/tf';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const S = 28;
const PX = S * S;
const aug = (a: Partial<Augment>): Augment => ({ shift: 0, rotate: 0, noise: 0, ...a });

/** One bright pixel at (row i, column j). */
function dot(i: number, j: number): Float32Array {
  const a = new Float32Array(PX);
  a[i * S + j] = 1;
  return a;
}

const brightAt = (a: Float32Array): [number, number][] => {
  const out: [number, number][] = [];
  a.forEach((v, p) => v > 0 && out.push([Math.floor(p / S), p % S]));
  return out;
};

test('shift: each row moves by its drawn (dx, dy), whole pixels in −shift..shift, every value drawn', () => {
  const a = aug({ shift: 3 });
  const n = 400;
  const pixels = new Float32Array(n * PX);
  for (let k = 0; k < n; k++) pixels.set(dot(12, 10), k * PX);
  augmentBatch(a, 1, 7, 0, pixels, n, S);
  const seenDx = new Set<number>();
  const seenDy = new Set<number>();
  for (let k = 0; k < n; k++) {
    const { dx, dy } = drawRow(a, 1, 7, k);
    assert.ok(Number.isInteger(dx) && Number.isInteger(dy) && Math.abs(dx) <= 3 && Math.abs(dy) <= 3, `(${dx}, ${dy})`);
    seenDx.add(dx);
    seenDy.add(dy);
    // The sweep's shift: b[i, j] = a[i − dy, j − dx], so the dot lands at (12 + dy, 10 + dx).
    assert.deepEqual(brightAt(pixels.subarray(k * PX, (k + 1) * PX)), [[12 + dy, 10 + dx]], `row ${k}: (${dx}, ${dy})`);
  }
  assert.deepEqual(
    [...seenDx].sort((x, y) => x - y),
    [-3, -2, -1, 0, 1, 2, 3],
  );
  assert.deepEqual(
    [...seenDy].sort((x, y) => x - y),
    [-3, -2, -1, 0, 1, 2, 3],
  );
  // Zeros fill what is uncovered: a dot on the border leaves the image when shifted out.
  const edge = dot(0, 0);
  shiftImage(dot(0, 0), S, -1, 0, edge);
  assert.deepEqual(brightAt(edge), []);
});

test('rotation: 90° is the permutation out(i, j) = in(j, 27 − i), and matches PyTorch grid_sample at any angle', () => {
  const distinct = Float32Array.from({ length: PX }, (_, p) => p / PX);
  const r90 = rotateImage(distinct, S, 90);
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) assert.equal(r90[i * S + j], distinct[j * S + (S - 1 - i)], `(${i}, ${j})`);
  // A dot at (2, 5) turns counter-clockwise on screen to (27 − 5, 2).
  assert.deepEqual(brightAt(rotateImage(dot(2, 5), S, 90)), [[22, 2]]);
  const fixture = JSON.parse(readFileSync(join(FIXTURES, 'augment-rotation.json'), 'utf8')) as {
    image: number[];
    rotations: { angle: number; image: number[] }[];
  };
  const image = Float32Array.from(fixture.image);
  assert.ok(fixture.rotations.length >= 3);
  for (const r of fixture.rotations) {
    const ours = rotateImage(image, S, r.angle);
    let maxDiff = 0;
    for (let p = 0; p < PX; p++) maxDiff = Math.max(maxDiff, Math.abs(ours[p]! - r.image[p]!));
    assert.ok(maxDiff < 1e-6, `${r.angle}°: max |ours − torch| = ${maxDiff}`);
  }
});

test('rotation in training: each row is rotateImage by its drawn angle, uniform in [−rotate, rotate]', () => {
  const a = aug({ rotate: 20 });
  const fixture = JSON.parse(readFileSync(join(FIXTURES, 'augment-rotation.json'), 'utf8')) as { image: number[] };
  const image = Float32Array.from(fixture.image);
  const n = 200;
  const pixels = new Float32Array(n * PX);
  for (let k = 0; k < n; k++) pixels.set(image, k * PX);
  augmentBatch(a, 5, 3, 0, pixels, n, S);
  const angles: number[] = [];
  for (let k = 0; k < n; k++) {
    const { angle, dx, dy } = drawRow(a, 5, 3, k);
    assert.equal(dx, 0);
    assert.equal(dy, 0);
    angles.push(angle);
    assert.deepEqual(pixels.subarray(k * PX, (k + 1) * PX), rotateImage(image, S, angle), `row ${k}`);
  }
  assert.ok(Math.min(...angles) >= -20 && Math.max(...angles) <= 20);
  assert.ok(Math.min(...angles) < -15 && Math.max(...angles) > 15, 'angles spread over the range');
  const mean = angles.reduce((x, y) => x + y, 0) / n;
  assert.ok(Math.abs(mean) < 3, `mean angle ${mean}`);
});

test('rotate then shift, in that order', () => {
  const a = aug({ shift: 2, rotate: 30 });
  const fixture = JSON.parse(readFileSync(join(FIXTURES, 'augment-rotation.json'), 'utf8')) as { image: number[] };
  const image = Float32Array.from(fixture.image);
  const pixels = new Float32Array(8 * PX);
  for (let k = 0; k < 8; k++) pixels.set(image, k * PX);
  augmentBatch(a, 1, 0, 0, pixels, 8, S);
  for (let k = 0; k < 8; k++) {
    const d = drawRow(a, 1, 0, k);
    assert.deepEqual(pixels.subarray(k * PX, (k + 1) * PX), shiftImage(rotateImage(image, S, d.angle), S, d.dx, d.dy));
  }
});

test('noise: N(0, σ²) per pixel from the quantile table, clipped to [0, 1]', () => {
  // The table's levels are the exact quantiles (Python: statistics.NormalDist().inv_cdf).
  const table = normalTable16();
  assert.equal(table.length, 65536);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.5 / 65536) - -4.324919040826044) < 1e-7);
  assert.ok(Math.abs(table[0]! - -4.324919040826044) < 1e-5);
  assert.ok(Math.abs(table[32768]! - normalQuantile(32768.5 / 65536)) < 1e-7);
  for (let k = 1; k < table.length; k++) assert.ok(table[k]! > table[k - 1]!, `increasing at ${k}`);
  // Grey images (0.5) with σ = 0.1: mean 0.5, standard deviation 0.1, nothing clipped in practice.
  const a = aug({ noise: 0.1 });
  const n = 100;
  const grey = new Float32Array(n * PX).fill(0.5);
  augmentBatch(a, 1, 0, 0, grey, n, S);
  let sum = 0;
  let sq = 0;
  for (const v of grey) {
    sum += v;
    sq += (v - 0.5) ** 2;
  }
  const mean = sum / grey.length;
  const sd = Math.sqrt(sq / grey.length);
  assert.ok(Math.abs(mean - 0.5) < 0.002, `mean ${mean}`);
  assert.ok(Math.abs(sd - 0.1) < 0.002, `sd ${sd}`);
  // On black, half the noise is negative and clipped to 0; σ = 1 on white clips to [0, 1].
  const black = new Float32Array(n * PX);
  augmentBatch(a, 1, 0, 0, black, n, S);
  const zeros = black.filter((v) => v === 0).length / black.length;
  assert.ok(Math.abs(zeros - 0.5) < 0.01, `zeros ${zeros}`);
  const white = new Float32Array(PX).fill(1);
  augmentBatch(aug({ noise: 1 }), 1, 0, 0, white, 1, S);
  assert.ok(white.every((v) => v >= 0 && v <= 1) && white.some((v) => v < 1));
});

test('reproducible: the same seed, step and row give the same images; another seed, step or row others; any replica split the same', () => {
  const set = loadLabData().train;
  const indices = Uint32Array.from({ length: 64 }, (_, i) => i * 7);
  const a = aug({ shift: 3, rotate: 15, noise: 0.1 });
  const batch = (seed: number, step: number) => {
    const px = gatherImages(set, indices);
    augmentBatch(a, seed, step, 0, px, 64, S);
    return px;
  };
  const once = batch(1, 5);
  assert.deepEqual(batch(1, 5), once);
  assert.notDeepEqual(batch(2, 5), once);
  assert.notDeepEqual(batch(1, 6), once);
  // Rows [0, 40) and [40, 64) as two replicas augment them: the same as the whole batch at once.
  const split = gatherImages(set, indices);
  augmentBatch(a, 1, 5, 0, split.subarray(0, 40 * PX), 40, S);
  augmentBatch(a, 1, 5, 40, split.subarray(40 * PX), 24, S);
  assert.deepEqual(split, once);
  // Different rows draw different transforms.
  const draws = new Set(
    Array.from({ length: 64 }, (_, r) => JSON.stringify([drawRow(a, 1, 5, r).dx, drawRow(a, 1, 5, r).dy, drawRow(a, 1, 5, r).angle])),
  );
  assert.ok(draws.size > 60, `${draws.size} distinct draws in 64 rows`);
});

test('config: training.augment is validated by name, absent by default, filled with zeros when partly given', () => {
  assert.equal(parseConfig({}).training.augment, undefined);
  assert.equal('augment' in parseConfig({}).training, false, 'a config without it records none');
  assert.deepEqual(parseConfig({ training: { augment: { shift: 3 } } }).training.augment, { shift: 3, rotate: 0, noise: 0 });
  assert.equal(parseConfig({ training: { augment: null } }).training.augment, null);
  assert.equal(augments(parseConfig({ training: { augment: {} } }).training.augment), false);
  assert.equal(augments(parseConfig({ training: { augment: { noise: 0.05 } } }).training.augment), true);
  const problems = (raw: unknown) => checkConfig(raw).problems.map((p) => `${p.path}: ${p.message}`);
  assert.deepEqual(problems({ training: { augment: { shift: 1.5 } } }), ['training.augment.shift: must be integer, got number 1.5']);
  assert.deepEqual(problems({ training: { augment: { shift: 15 } } }), ['training.augment.shift: must be ≤ 14, got 15']);
  assert.deepEqual(problems({ training: { augment: { rotate: -1 } } }), ['training.augment.rotate: must be ≥ 0, got -1']);
  assert.deepEqual(problems({ training: { augment: { noise: 2 } } }), ['training.augment.noise: must be ≤ 1, got 2']);
  assert.deepEqual(problems({ training: { augment: 3 } }), ['training.augment: must be object or null, got integer 3']);
  assert.match(
    problems({ training: { augment: { scale: 2 } } })[0]!,
    /^training\.augment\.scale: unknown field \(allowed: shift, rotate, noise\)$/,
  );
  assert.throws(
    () => parseConfig({ training: { augment: { shift: -2 } } }, 'lab.mnist.json'),
    /lab\.mnist\.json: training\.augment\.shift: must be ≥ 0, got -2/,
  );
  // Own keys only: nothing inherited reaches the config.
  const hostile = JSON.parse('{"training": {"augment": {"__proto__": {"shift": 5}}}}');
  assert.match(problems(hostile)[0]!, /training\.augment\.__proto__: unknown field/);
});

const full = loadLabData();
const small: LabData = {
  ...full,
  train: { ...full.train, count: 640, images: full.train.images.subarray(0, 640 * PX), labels: full.train.labels.subarray(0, 640) },
  validation: {
    ...full.validation,
    count: 200,
    images: full.validation.images.subarray(0, 200 * PX),
    labels: full.validation.labels.subarray(0, 200),
  },
};
const withAugment = (augment?: Augment | null): LabConfig => {
  const c = parseConfig({ training: { epochs: 1, evalEvery: 100 } });
  if (augment !== undefined) c.training.augment = augment;
  return c;
};
async function trainedWeights(config: LabConfig, workers = 1): Promise<Float32Array> {
  const net = ConvNet.init(specFromConfig(config), config.training.seed);
  await train({ config, data: small, net, maxSteps: 6, workers, backend: 'wasm' });
  const v = flattenValues(net.spec, net.values());
  net.dispose();
  return v;
}

before(async () => {
  await selectBackend('wasm');
});

test('training: without augmentation (absent, null or all zero) exactly as before; with it another run, reproducible, the same on 2 workers', async () => {
  const plain = await trainedWeights(withAugment());
  assert.deepEqual(await trainedWeights(withAugment(null)), plain);
  assert.deepEqual(await trainedWeights(withAugment(aug({}))), plain);
  const shifted = await trainedWeights(withAugment(aug({ shift: 3 })));
  assert.notDeepEqual(shifted, plain);
  assert.deepEqual(await trainedWeights(withAugment(aug({ shift: 3 }))), shifted);
  const two = await trainedWeights(withAugment(aug({ shift: 3 })), 2);
  let maxDiff = 0;
  for (let i = 0; i < two.length; i++) maxDiff = Math.max(maxDiff, Math.abs(two[i]! - shifted[i]!));
  // Only the order of float additions differs between 2 replicas and 1 (as without augmentation).
  assert.ok(maxDiff < 1e-5, `2 workers vs 1 with augmentation: max |Δw| = ${maxDiff}`);
});

test("a replica steps on exactly the augmented batch: its gradients equal those of augmentBatch's images given as a prepared batch", () => {
  const a = aug({ shift: 2, rotate: 10, noise: 0.05 });
  const config = withAugment(a);
  const spec = specFromConfig(config);
  const init = ConvNet.init(spec, 3);
  const initial = flattenValues(spec, init.values());
  init.dispose();
  const order = new Rng(9).permutation(small.train.count).subarray(0, 64);
  const step = 4;
  const augmented = new Replica(spec, initial, config.training);
  const plain = new Replica(spec, initial, withAugment().training);
  const got = new Float32Array(augmented.size);
  const want = new Float32Array(plain.size);
  const unaugmented = new Float32Array(plain.size);
  const r = augmented.gradients(small.train, order, step, 0, got, config.model.dropout);
  const pixels = gatherImages(small.train, order);
  augmentBatch(a, config.training.seed, step, 0, pixels, 64, S);
  const labels = Int32Array.from(order, (i) => small.train.labels[i]!);
  const x = tf.tensor4d(pixels, [64, S, S, 1]);
  const y = tf.tensor1d(labels, 'int32');
  const mask = tf.tensor2d(dropoutRows(config.training.seed, step, spec.hidden, config.model.dropout, 0, 64), [64, spec.hidden]);
  try {
    const w = plain.gradientsOf(x, y, mask, want);
    assert.equal(r.loss, w.loss);
    assert.deepEqual(got, want);
    plain.gradients(small.train, order, step, 0, unaugmented, config.model.dropout);
    assert.notDeepEqual(unaugmented, want, 'the augmentation changed the gradients');
  } finally {
    tf.dispose([x, y, mask]);
    augmented.dispose();
    plain.dispose();
  }
  assert.equal(SEED_CONFIG.training.augment, undefined, "the seed's config has no augmentation");
});
