import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { type LabConfig, SEED_CONFIG, parseConfig } from '../../src/core/config';
import { type LabData, gatherImages, loadLabData } from '../../src/core/data/mnist';
import type { ProgressEvent } from '../../src/core/events';
import { ConvNet, specFromConfig } from '../../src/core/model/convnet';
import { SgdMomentum, train, trainStep } from '../../src/core/train/trainer';
import { tf } from '../../src/core/tf';

const full = loadLabData();
/** Real MNIST, fewer images: 1,280 training images (20 batches), 500 validation images. */
const small: LabData = {
  ...full,
  train: { ...full.train, count: 1280, images: full.train.images.subarray(0, 1280 * 784), labels: full.train.labels.subarray(0, 1280) },
  validation: { ...full.validation, count: 500, images: full.validation.images.subarray(0, 500 * 784), labels: full.validation.labels.subarray(0, 500) },
};
const cfg = (training: Partial<LabConfig['training']>): LabConfig => parseConfig({ training: { ...SEED_CONFIG.training, ...training } });

before(async () => {
  await selectBackend('wasm');
});

test('no tensor leaks: tf.memory().numTensors stays flat across steps', () => {
  const net = ConvNet.init(specFromConfig(SEED_CONFIG), 1);
  const opt = new SgdMomentum(net, 0.001, 0.9);
  const x = tf.tensor4d(gatherImages(full.train, Array.from({ length: 64 }, (_, i) => i)), [64, 28, 28, 1]);
  const y = tf.tensor1d(Int32Array.from(full.train.labels.subarray(0, 64)), 'int32');
  const mask = tf.onesLike(tf.zeros([64, 512])) as tf.Tensor2D;
  const counts: number[] = [];
  for (let i = 0; i < 8; i++) {
    const { loss, right } = trainStep(net, opt, x, y, mask);
    tf.dispose([loss, right]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(counts.every((c) => c === counts[0]), `numTensors per step: ${counts.join(', ')}`);
  tf.dispose([x, y, mask]);
  opt.dispose();
  net.dispose();
});

test('a whole training run leaves no tensors behind and reports like the seed', async () => {
  const before = tf.memory().numTensors;
  const config = cfg({ epochs: 2, evalEvery: 5 });
  const net = ConvNet.init(specFromConfig(config), config.training.seed);
  const afterInit = tf.memory().numTensors;
  const progress: ProgressEvent[] = [];
  const epochs: number[] = [];
  const result = await train({ config, data: small, net, onProgress: (e) => progress.push(e), onEpoch: (e) => epochs.push(e.epoch) });
  assert.equal(tf.memory().numTensors, afterInit, 'only the net\'s own variables remain');
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.status, 'completed');
  assert.equal(result.steps, 40);
  assert.equal(result.epochsCompleted, 2);
  assert.deepEqual(epochs, [1, 2]);
  // Every evalEvery batches, from batch 0 (the seed's batch_idx % 100 == 0).
  assert.deepEqual(progress.map((p) => [p.epoch, p.batch]), [[1, 0], [1, 5], [1, 10], [1, 15], [2, 0], [2, 5], [2, 10], [2, 15]]);
  const p = progress[5]!;
  assert.equal(p.samples, 6 * 64);
  assert.equal(p.step, 26);
  assert.ok(Math.abs(p.percent - (100 * 384) / 1280) < 1e-9);
  assert.deepEqual(p.record, [100 - 100 * p.trainAccuracy, 100 - 100 * p.valAccuracy]);
  assert.deepEqual(result.record, progress.map((e) => e.record));
  for (const e of progress) {
    assert.ok(Number.isFinite(e.loss) && e.loss > 0);
    assert.ok(e.trainAccuracy >= 0 && e.trainAccuracy <= 1 && e.valAccuracy >= 0 && e.valAccuracy <= 1);
    // valAccuracy is a count over the 500 validation images.
    assert.ok(Math.abs(e.valAccuracy * 500 - Math.round(e.valAccuracy * 500)) < 1e-9);
  }
});

test('the same seed gives the same run; another seed another', async () => {
  const config = cfg({ epochs: 1, evalEvery: 100 });
  const weights = async (seed: number) => {
    const c = { ...config, training: { ...config.training, seed } };
    const net = ConvNet.init(specFromConfig(c), seed);
    await train({ config: c, data: small, net, maxSteps: 6 });
    const v = net.values()['fc1.weight'];
    net.dispose();
    return v;
  };
  const a = await weights(3);
  const b = await weights(3);
  const c = await weights(4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('cancellation through an AbortSignal keeps what was done', async () => {
  const config = cfg({ epochs: 3, evalEvery: 1 });
  const net = ConvNet.init(specFromConfig(config), 1);
  const ac = new AbortController();
  const result = await train({
    config,
    data: small,
    net,
    signal: ac.signal,
    onProgress: (e) => {
      if (e.step === 7) ac.abort();
    },
  });
  assert.equal(result.status, 'cancelled');
  assert.equal(result.steps, 7);
  assert.equal(result.epochsCompleted, 0);
  assert.equal(result.record.length, 7);
  assert.ok(result.valAccuracy >= 0);
  net.dispose();
});

test('training learns: real MNIST, 300 steps at lr 0.01 reach > 80 % validation accuracy', async () => {
  const config = cfg({ epochs: 1, learningRate: 0.01, evalEvery: 1000 });
  const net = ConvNet.init(specFromConfig(config), 1);
  const result = await train({ config, data: { ...full, validation: small.validation }, net, maxSteps: 300 });
  assert.ok(result.valAccuracy > 0.8, `validation accuracy ${result.valAccuracy}`);
  net.dispose();
});

test('a diverging run is an error naming the cause', async () => {
  // Beyond the schema's limits on purpose: the weights overflow to Infinity within a few steps.
  const base = cfg({ epochs: 1, evalEvery: 1 });
  const config = { ...base, training: { ...base.training, learningRate: 1e30 } };
  const net = ConvNet.init(specFromConfig(config), 1);
  await assert.rejects(train({ config, data: small, net }), /training diverged: loss is (NaN|Infinity|-Infinity) .*lower training\.learningRate/);
  net.dispose();
});
