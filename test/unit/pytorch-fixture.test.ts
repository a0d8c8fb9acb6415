/**
 * Numbers against real PyTorch (issue 2). test/fixtures/pytorch-seed.safetensors was written by
 * tools/pytorch/make_fixture.py with Debian's PyTorch 1.13: the seed's ConvNet with its initial
 * weights, MNIST test images 0..15, PyTorch's log-probabilities, feature maps, and the weights
 * after one and after two SGD-momentum steps (lr 0.001, momentum 0.9, dropout off). The model here
 * loads those weights through the project's own safetensors reader and must match on every
 * backend. CI needs no torch: the fixture is committed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { restoreStockGradients } from '../../src/core/backends/gradients';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { featureMapsOf } from '../../src/core/analysis/evaluate';
import { PARAM_NAMES } from '../../src/core/model/convnet';
import { fromTorchStateDict, toTorchStateDict } from '../../src/core/model/interchange';
import type { NamedTensor } from '../../src/core/model/safetensors';
import { Replica, flattenValues } from '../../src/core/train/replica';
import { tf } from '../../src/core/tf';
import { FIXTURE, T, maxAbs, maxAbsDiff, nhwcToNchw, stateDict } from '../helpers/pytorchFixture';

/** Absolute tolerance of every comparison with PyTorch (issue 2: 1e-5). */
const TOL = 1e-5;
/**
 * One step moves a weight by lr·v ≈ 1e-7..1e-4, below TOL: the weights check alone cannot see a
 * wrong gradient (a sign error in fc1's gradient would pass it). So the update itself (weights
 * after − weights before) must also match PyTorch's, element by element, to 1e-3 of the
 * largest update of that parameter plus 2 ulp of the weight (both sides store the new weight in
 * float32, so updates are only known to about one ulp of the weight).
 */
const UPDATE_REL_TOL = 1e-3;
const UPDATE_ULPS = 2;

/** Unit in the last place of a float32 value. */
function ulp32(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

const images = T('images');
const [N, C, H, W] = images.shape as [number, number, number, number];
const labels = Int32Array.from(T('labels').data);

const measured: string[] = [];
const record = (backend: string, check: string, err: number, tol: number) => {
  measured.push(`${backend.padEnd(5)} ${check.padEnd(28)} max |Δ| = ${err.toExponential(2)}  (tolerance ${tol.toExponential(0)})`);
  assert.ok(err <= tol, `${backend}: ${check}: max abs error ${err} > ${tol}`);
};

after(() => {
  // The measured errors, for the record (issue 2 asks for them).
  process.stdout.write(`# PyTorch fixture, measured:\n${measured.map((l) => `#   ${l}`).join('\n')}\n`);
});

test('the fixture holds the seed network, a real MNIST batch and PyTorch results', () => {
  assert.deepEqual(T('conv1.weight').shape, [4, 1, 5, 5]);
  assert.deepEqual(T('conv2.weight').shape, [8, 4, 5, 5]);
  assert.deepEqual(T('fc1.weight').shape, [512, 392]);
  assert.deepEqual(T('fc2.weight').shape, [10, 512]);
  assert.equal(C, 1);
  assert.equal(H, 28);
  assert.equal(W, 28);
  assert.deepEqual(T('logprobs').shape, [N, 10]);
  assert.deepEqual(T('features.conv1').shape, [N, 4, 28, 28]);
  assert.deepEqual(T('features.conv2').shape, [N, 8, 14, 14]);
  // The images are MNIST test images 0..N-1 scaled exactly as our loader scales them (ToTensor).
  const data = loadLabData();
  const ours = gatherImages(
    data.testFile,
    Array.from({ length: N }, (_, i) => i),
  );
  assert.equal(maxAbsDiff(ours, images.data, 'images'), 0, 'fixture images differ from our MNIST loader');
  assert.deepEqual(Array.from(labels), Array.from(data.testFile.labels.subarray(0, N)));
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`PyTorch fixture on the ${backend} backend`, () => {
    before(async () => {
      // cpu runs with TensorFlow.js's stock gradients; selecting wasm installs the fast ones.
      if (backend === 'cpu') restoreStockGradients();
      const active = await selectBackend(backend);
      assert.equal(active.name, backend);
      assert.equal(tf.getBackend(), backend);
    });

    // NCHW with C = 1 has the same memory order as NHWC [N, 28, 28, 1].
    const input = () => tf.tensor4d(images.data, [N, H, W, 1]);

    test('toTorchStateDict(fromTorchStateDict(x)) round-trips exactly', () => {
      const net = fromTorchStateDict(stateDict(''), FIXTURE);
      try {
        const back = toTorchStateDict(net);
        for (const n of PARAM_NAMES) {
          assert.deepEqual(back[n].shape, T(n).shape, `${n} shape`);
          assert.ok(
            Buffer.from(back[n].data.buffer, back[n].data.byteOffset, back[n].data.byteLength).equals(
              Buffer.from(T(n).data.buffer, T(n).data.byteOffset, T(n).data.byteLength),
            ),
            `${n}: values differ after the round trip`,
          );
        }
      } finally {
        net.dispose();
      }
    });

    test('forward log-probabilities match PyTorch (eval mode)', () => {
      const net = fromTorchStateDict(stateDict(''), FIXTURE);
      const x = input();
      try {
        const logp = net.forward(x);
        assert.deepEqual(logp.shape, [N, 10]);
        const ours = logp.dataSync();
        logp.dispose();
        record(backend, 'forward log-probs', maxAbsDiff(ours, T('logprobs').data, 'logprobs'), TOL);
      } finally {
        x.dispose();
        net.dispose();
      }
    });

    test('feature maps match retrieve_features', () => {
      const net = fromTorchStateDict(stateDict(''), FIXTURE);
      const x = input();
      try {
        const [f1, f2] = net.featureMaps(x);
        const [, h1, w1, c1] = f1.shape;
        const [, h2, w2, c2] = f2.shape;
        const a1 = nhwcToNchw(f1.dataSync(), N, h1, w1, c1);
        const a2 = nhwcToNchw(f2.dataSync(), N, h2, w2, c2);
        tf.dispose([f1, f2]);
        record(backend, 'featureMaps conv1 (batch)', maxAbsDiff(a1, T('features.conv1').data, 'features.conv1'), TOL);
        record(backend, 'featureMaps conv2 (batch)', maxAbsDiff(a2, T('features.conv2').data, 'features.conv2'), TOL);
        // featureMapsOf (what the extension shows): one image at a time, channel-major maps.
        let e1 = 0;
        let e2 = 0;
        for (let i = 0; i < N; i++) {
          const maps = featureMapsOf(net, images.data.subarray(i * H * W, (i + 1) * H * W));
          assert.equal(maps.conv1.channels, 4);
          assert.equal(maps.conv2.channels, 8);
          assert.equal(maps.conv1.size, 28);
          assert.equal(maps.conv2.size, 14);
          const r1 = T('features.conv1').data.subarray(i * 4 * 784, (i + 1) * 4 * 784);
          const r2 = T('features.conv2').data.subarray(i * 8 * 196, (i + 1) * 8 * 196);
          for (let c = 0; c < 4; c++) e1 = Math.max(e1, maxAbsDiff(maps.conv1.data[c]!, r1.subarray(c * 784, (c + 1) * 784), 'conv1 map'));
          for (let c = 0; c < 8; c++) e2 = Math.max(e2, maxAbsDiff(maps.conv2.data[c]!, r2.subarray(c * 196, (c + 1) * 196), 'conv2 map'));
        }
        record(backend, 'featureMapsOf conv1', e1, TOL);
        record(backend, 'featureMapsOf conv2', e2, TOL);
      } finally {
        x.dispose();
        net.dispose();
      }
    });

    test('one and two SGD-momentum steps match PyTorch (dropout off)', () => {
      // The trainer's own step: a Replica's gradients and its SGD-momentum update.
      const loaded = fromTorchStateDict(stateDict(''), FIXTURE);
      const replica = new Replica(loaded.spec, flattenValues(loaded.spec, loaded.values()), {
        learningRate: 0.001,
        momentum: 0.9,
        seed: 0,
        batchSize: labels.length,
      });
      loaded.dispose();
      const net = replica.net;
      const grads = replica.gradientBuffer(); // in the replica's memory: the SIMD update runs
      const x = input();
      const y = tf.tensor1d(labels, 'int32');
      try {
        let refBefore = stateDict('');
        let ourBefore: Record<string, NamedTensor> = toTorchStateDict(net);
        for (const step of [1, 2]) {
          const lossValue = replica.gradientsOf(x, y, undefined, grads).loss;
          replica.apply([grads], [1]);
          record(backend, `loss at step ${step}`, Math.abs(lossValue - T(`loss.step${step}`).data[0]!), TOL);
          const now = toTorchStateDict(net);
          let worst = 0;
          let worstUpdate = 0;
          let worstUlps = 0;
          for (const n of PARAM_NAMES) {
            const ref = T(`step${step}.${n}`).data;
            assert.deepEqual(now[n].shape, T(`step${step}.${n}`).shape);
            worst = Math.max(worst, maxAbsDiff(now[n].data, ref, `step${step}.${n}`));
            const scale = maxAbs(ref.map((v, i) => v - refBefore[n]!.data[i]!));
            assert.ok(scale > 0, `step${step}.${n}: PyTorch did not change it`);
            for (let i = 0; i < ref.length; i++) {
              const ourUpdate = now[n].data[i]! - ourBefore[n]!.data[i]!;
              const refUpdate = ref[i]! - refBefore[n]!.data[i]!;
              const err = Math.abs(ourUpdate - refUpdate);
              const ulps = err / ulp32(ref[i]!);
              worstUpdate = Math.max(worstUpdate, err / scale);
              worstUlps = Math.max(worstUlps, ulps);
              if (!(err <= UPDATE_REL_TOL * scale + UPDATE_ULPS * ulp32(ref[i]!))) {
                assert.fail(
                  `${backend}: step ${step}: ${n}[${i}]: update ${ourUpdate} vs PyTorch's ${refUpdate} (largest update ${scale})`,
                );
              }
            }
          }
          record(backend, `weights after step ${step}`, worst, TOL);
          measured.push(
            `${backend.padEnd(5)} ${`update of step ${step}`.padEnd(28)} max |Δ| = ${worstUpdate.toExponential(2)} of the largest update, ${worstUlps.toFixed(2)} ulp of the weight`,
          );
          refBefore = stateDict(`step${step}.`);
          ourBefore = now;
        }
      } finally {
        tf.dispose([x, y]);
        replica.dispose();
      }
    });
  });
}
