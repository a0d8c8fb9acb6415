import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { type LabConfig, SEED_CONFIG, parseConfig } from '../../src/core/config';
import { type LabData, loadLabData } from '../../src/core/data/mnist';
import type { ProgressEvent } from '../../src/core/events';
import { ConvNet, specFromConfig } from '../../src/core/model/convnet';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng';
import { startReplicas } from '../../src/core/train/group';
import { Replica, flattenValues } from '../../src/core/train/replica';
import { train } from '../../src/core/train/trainer';
import { tf } from '../../src/core/tf';

const full = loadLabData();
/** Real MNIST, fewer images: 1,280 training images (20 batches), 500 validation images. */
const small: LabData = {
  ...full,
  train: { ...full.train, count: 1280, images: full.train.images.subarray(0, 1280 * 784), labels: full.train.labels.subarray(0, 1280) },
  validation: {
    ...full.validation,
    count: 500,
    images: full.validation.images.subarray(0, 500 * 784),
    labels: full.validation.labels.subarray(0, 500),
  },
};
const cfg = (training: Partial<LabConfig['training']>): LabConfig => parseConfig({ training: { ...SEED_CONFIG.training, ...training } });

before(async () => {
  await selectBackend('wasm');
});

test('no tensor leaks: tf.memory().numTensors stays flat across steps', () => {
  const spec = specFromConfig(SEED_CONFIG);
  const init = ConvNet.init(spec, 1);
  const replica = new Replica(spec, flattenValues(spec, init.values()), SEED_CONFIG.training);
  init.dispose();
  const grads = new Float32Array(replica.size);
  const indices = Array.from({ length: 64 }, (_, i) => i);
  const counts: number[] = [];
  for (let i = 0; i < 8; i++) {
    replica.gradients(full.train, indices, i, 0, grads, 0.5);
    replica.apply([grads], [1]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(
    counts.every((c) => c === counts[0]),
    `numTensors per step: ${counts.join(', ')}`,
  );
  replica.dispose();
});

test('a whole training run leaves no tensors behind and reports like the seed', async () => {
  const before = tf.memory().numTensors;
  const config = cfg({ epochs: 2, evalEvery: 5 });
  const net = ConvNet.init(specFromConfig(config), config.training.seed);
  const afterInit = tf.memory().numTensors;
  const progress: ProgressEvent[] = [];
  const epochs: number[] = [];
  const result = await train({ config, data: small, net, onProgress: (e) => progress.push(e), onEpoch: (e) => epochs.push(e.epoch) });
  assert.equal(tf.memory().numTensors, afterInit, "only the net's own variables remain");
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.status, 'completed');
  assert.equal(result.steps, 40);
  assert.equal(result.epochsCompleted, 2);
  assert.deepEqual(epochs, [1, 2]);
  // Every evalEvery batches, from batch 0 (the seed's batch_idx % 100 == 0).
  assert.deepEqual(
    progress.map((p) => [p.epoch, p.batch]),
    [
      [1, 0],
      [1, 5],
      [1, 10],
      [1, 15],
      [2, 0],
      [2, 5],
      [2, 10],
      [2, 15],
    ],
  );
  const p = progress[5]!;
  assert.equal(p.samples, 6 * 64);
  assert.equal(p.step, 26);
  assert.ok(Math.abs(p.percent - (100 * 384) / 1280) < 1e-9);
  assert.deepEqual(p.record, [100 - 100 * p.trainAccuracy, 100 - 100 * p.valAccuracy]);
  assert.deepEqual(
    result.record,
    progress.map((e) => e.record),
  );
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
  await assert.rejects(
    train({ config, data: small, net }),
    /training diverged: loss is (NaN|Infinity|-Infinity) .*lower training\.learningRate/,
  );
  net.dispose();
});

test('data parallelism: replicas on worker threads stay identical and compute what one replica does', async () => {
  const config = cfg({ epochs: 1 });
  const spec = specFromConfig(config);
  const init = ConvNet.init(spec, 11);
  const initial = flattenValues(spec, init.values());
  init.dispose();
  const order = new Rng(4).permutation(full.train.count);
  const opts = { spec, initial, config, train: full.train, validation: small.validation, backend: 'wasm' };
  const one = await startReplicas({ ...opts, workers: 1 });
  const three = await startReplicas({ ...opts, workers: 3 });
  try {
    assert.equal(three.replicas, 3);
    for (let step = 0; step < 60; step++) {
      // A last, short batch (like 60000 % 64) splits unevenly: 10 = 4 + 3 + 3.
      const n = step === 59 ? 10 : 64;
      const batch = order.subarray(step * 64, step * 64 + n);
      const a = await one.step(batch, step);
      const b = await three.step(batch, step);
      assert.equal(b.right, a.right, `right answers at step ${step}`);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `loss at step ${step}: ${a.loss} vs ${b.loss}`);
    }
    const replicas = await three.allWeights();
    assert.equal(replicas.length, 3);
    assert.deepEqual(replicas[1], replicas[0], 'replica 1 has drifted from replica 0');
    assert.deepEqual(replicas[2], replicas[0], 'replica 2 has drifted from replica 0');
    const single = await one.weights();
    let maxDiff = 0;
    let moved = 0;
    for (let i = 0; i < single.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(single[i]! - replicas[0]![i]!));
      moved = Math.max(moved, Math.abs(single[i]! - initial[i]!));
    }
    // Only the order of float additions differs from one batch of 64 on one replica.
    assert.ok(maxDiff < 1e-5, `3 replicas vs 1: max |Δw| = ${maxDiff}`);
    assert.ok(moved > 1e-3, 'training moved the weights');
    assert.equal(await three.validate(), await one.validate());
  } finally {
    await one.dispose();
    await three.dispose();
  }
});

test('train() with 2 workers: same progress as 1 worker, and a crashed replica is an error', async () => {
  const config = cfg({ epochs: 1, evalEvery: 5 });
  const run = async (workers: number) => {
    const net = ConvNet.init(specFromConfig(config), 2);
    const progress: ProgressEvent[] = [];
    const result = await train({ config, data: small, net, workers, backend: 'wasm', onProgress: (e) => progress.push(e) });
    net.dispose();
    return { result, progress };
  };
  const a = await run(1);
  const b = await run(2);
  assert.equal(b.result.workers, 2);
  assert.equal(b.result.steps, a.result.steps);
  assert.deepEqual(
    b.progress.map((p) => [p.step, p.valAccuracy]),
    a.progress.map((p) => [p.step, p.valAccuracy]),
  );
  const net = ConvNet.init(specFromConfig(config), 2);
  await assert.rejects(
    train({ config, data: small, net, workers: 2, backend: 'wasm', replicaScript: join(__dirname, 'no-such-replica.js') }),
    /no-such-replica\.js|Cannot find module/,
  );
  net.dispose();
});
