import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { SEED_CONFIG, parseConfig } from '../../src/core/config';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { ConvNet, PARAM_NAMES, specFromConfig } from '../../src/core/model/convnet';
import { unpoolRelu } from '../../src/core/train/manualStep';
import { Replica, dropoutRows, flattenValues, paramLayout } from '../../src/core/train/replica';
import { tf } from '../../src/core/tf';

// The hand-written training step (src/core/train/manualStep.ts) against TensorFlow.js's
// automatic differentiation of the same network on the same batch, per parameter, on both
// in-memory backends, for the seed network, an odd-shaped one (kernel 3, few channels) and
// 30×30 images (pooling 15 → 7 drops a row and a column, as PyTorch floors), with and without
// dropout, after some training where the images are MNIST's (ReLUs half dead).
const data = loadLabData();

const configs = [
  { label: 'seed network', config: SEED_CONFIG, size: 28 },
  {
    label: 'depth [3, 5], kernel 3, hidden 37',
    config: parseConfig({ model: { depth: [3, 5], kernelSize: 3, hidden: 37, dropout: 0.3 } }),
    size: 28,
  },
  {
    label: '30×30 images, kernel 5, depth [2, 3], hidden 16',
    config: parseConfig({ model: { depth: [2, 3], kernelSize: 5, hidden: 16, dropout: 0.5 } }),
    size: 30,
  },
];

for (const backend of ['wasm', 'cpu']) {
  for (const { label, config, size } of configs) {
    test(`${backend}, ${label}: the manual step's gradients equal autodiff's`, async () => {
      await selectBackend(backend);
      const spec = specFromConfig(config, size);
      const init = ConvNet.init(spec, 5);
      const replica = new Replica(spec, flattenValues(spec, init.values()), { ...config.training, batchSize: 64 });
      init.dispose();
      const g = new Float32Array(replica.size);
      for (let s = 0; size === 28 && s < (backend === 'wasm' ? 30 : 3); s++) {
        replica.gradients(
          data.train,
          Array.from({ length: 64 }, (_, i) => (s * 64 + i) % data.train.count),
          s,
          0,
          g,
          config.model.dropout,
        );
        replica.apply([g], [1]);
      }
      const n = 23; // not a multiple of anything
      const idx = Array.from({ length: n }, (_, i) => 7000 + 3 * i);
      const px = new Float32Array(n * size * size);
      if (size === 28) gatherImages(data.train, idx, px);
      else for (let i = 0; i < px.length; i++) px[i] = ((i * 7919) % 255) / 255 - 0.3; // some negative: dead ReLUs
      const x = tf.tensor4d(px, [n, size, size, 1]);
      const y = tf.tensor1d(
        idx.map((i) => data.train.labels[i]!),
        'int32',
      );
      // Makes the replica's cached transposed fc1 weights (kept until the next update).
      replica.gradientsOf(x, y, undefined, new Float32Array(replica.size));
      for (const dropout of [0, config.model.dropout]) {
        const mask = dropout > 0 ? tf.tensor2d(dropoutRows(1, 3, spec.hidden, dropout, 0, n), [n, spec.hidden]) : undefined;
        const manual = new Float32Array(replica.size);
        const auto = new Float32Array(replica.size);
        const before = tf.memory().numTensors;
        const rm = replica.gradientsOf(x, y, mask, manual);
        assert.equal(tf.memory().numTensors, before, 'the manual step leaves no tensors behind');
        const ra = replica.autodiffGradients(x, y, mask, auto);
        assert.ok(Math.abs(rm.loss - ra.loss) < 1e-5, `loss ${rm.loss} vs ${ra.loss}`);
        assert.equal(rm.right, ra.right);
        const { offsets } = paramLayout(spec);
        for (const name of PARAM_NAMES) {
          const len =
            (PARAM_NAMES.indexOf(name) < PARAM_NAMES.length - 1 ? offsets[PARAM_NAMES[PARAM_NAMES.indexOf(name) + 1]!] : replica.size) -
            offsets[name];
          let diff = 0;
          let scale = 0;
          for (let i = offsets[name]; i < offsets[name] + len; i++) {
            diff = Math.max(diff, Math.abs(manual[i]! - auto[i]!));
            scale = Math.max(scale, Math.abs(auto[i]!));
          }
          assert.ok(scale > 0, `${name}: autodiff gradient is all zero (the check would be empty)`);
          assert.ok(diff <= 1e-5 * scale + 1e-9, `${name} (dropout ${dropout}): max |Δ| ${diff} vs max |g| ${scale}`);
        }
        mask?.dispose();
      }
      tf.dispose([x, y]);
      replica.dispose();
    });
  }
}

test('pool backward of the manual step: ties go to the first maximum (row-major), dead ReLUs pass nothing', () => {
  // One image, 4×4, one channel: four 2×2 windows.
  //  window (0,0): all equal 2 → the first (top-left) gets it
  //  window (0,1): maxima 5 at top-right and bottom-left → top-right (first in row-major order)
  //  window (1,0): all 0 (ReLU dead) → nothing
  //  window (1,1): a single maximum 3 at bottom-right
  const x = Float32Array.from([2, 2, 1, 5, 2, 2, 5, 0, 0, 0, 1, 1, 0, 0, 1, 3]);
  const y = Float32Array.from([2, 5, 0, 3]);
  const dy = Float32Array.from([10, 20, 30, 40]);
  const dz = new Float32Array(16);
  const dzT = new Float32Array(16);
  const db = new Float64Array(1);
  unpoolRelu(x, y, dy, false, 1, 4, 1, dz, dzT, db);
  assert.deepEqual([...dz], [10, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40]);
  assert.deepEqual([...dzT], [...dz], 'with n = c = 1 both layouts agree');
  assert.equal(db[0], 70);
});
