import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { SEED_CONFIG, parseConfig } from '../../src/core/config';
import { evaluateTensor, imagesTensor } from '../../src/core/analysis/evaluate';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { ConvNet, PARAM_NAMES, specFromConfig } from '../../src/core/model/convnet';
import {
  type KernelVariant,
  convKernelSupports,
  kernelVariant,
  relaxedSimdAvailable,
  trainingDevice,
} from '../../src/core/train/convKernel';
import { Replica, dropoutRows, flattenValues, paramLayout } from '../../src/core/train/replica';
import { tf } from '../../src/core/tf';

// The WebAssembly step (src/core/train/kernels/convnet.c, convKernel.ts): its gradients against
// TensorFlow.js's automatic differentiation on the cpu backend (the reference implementation,
// no XNNPACK) for the seed network and other shapes the kernels cover (other depths, kernel
// sizes, hidden widths, 30×30 images whose pooling drops a row), batch sizes 1, 23 and 64,
// with and without dropout, after some training (dead ReLUs, ties at zero); its predictions
// against tfjs's; the fallback for shapes it does not cover; and the committed module against
// a rebuild from its source.
const data = loadLabData();

const shapes = [
  { label: 'seed network', config: SEED_CONFIG, size: 28 },
  {
    label: 'depth [8, 12], kernel 3, hidden 100',
    config: parseConfig({ model: { depth: [8, 12], kernelSize: 3, hidden: 100, dropout: 0.3 } }),
    size: 28,
  },
  {
    label: 'depth [4, 4], kernel 7, hidden 20, 30×30 images',
    config: parseConfig({ model: { depth: [4, 4], kernelSize: 7, hidden: 20, dropout: 0.5 } }),
    size: 30,
  },
  {
    label: 'depth [12, 8], kernel 1, hidden 36',
    config: parseConfig({ model: { depth: [12, 8], kernelSize: 1, hidden: 36, dropout: 0.5 } }),
    size: 28,
  },
];

function images(n: number, size: number, from: number): { px: Float32Array; idx: number[] } {
  const idx = Array.from({ length: n }, (_, i) => from + 3 * i);
  const px = new Float32Array(n * size * size);
  if (size === 28) gatherImages(data.train, idx, px);
  else for (let i = 0; i < px.length; i++) px[i] = (((i + from) * 7919) % 255) / 255 - 0.3;
  return { px, idx };
}

/** Both builds of the kernels: relaxed SIMD's fused multiply-add, and SIMD128 alone. */
const VARIANTS: KernelVariant[] = ['fma', 'simd'];

for (const { label, config, size } of shapes) {
  for (const variant of VARIANTS) {
    test(`kernel step (${variant} build), ${label}: gradients equal tfjs autodiff (cpu backend)`, async () => {
      const spec = specFromConfig(config, size);
      assert.ok(convKernelSupports(spec));
      const init = ConvNet.init(spec, 7);
      const initial = flattenValues(spec, init.values());
      init.dispose();
      // Train the kernel replica a few steps (wasm), then compare on the weights it reached.
      await selectBackend('wasm');
      const replica = new Replica(spec, initial, { ...config.training, batchSize: 64 }, undefined, false, variant);
      assert.ok(replica.usesKernel, 'the replica runs the kernels');
      assert.equal(replica.kernelVariant, variant);
      const g = replica.gradientBuffer();
      for (let s = 0; size === 28 && s < 20; s++) {
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
      const weights = replica.values();
      const cases: {
        n: number;
        dropout: number;
        px: Float32Array;
        labels: number[];
        mask?: Float32Array;
        got?: Float32Array;
        loss?: number;
        right?: number;
      }[] = [];
      for (const n of [1, 23, 64]) {
        for (const dropout of [0, config.model.dropout]) {
          const { px, idx } = images(n, size, 7000 + n);
          const labels = idx.map((i) => data.train.labels[i]!);
          const mask = dropout > 0 ? dropoutRows(1, n, spec.hidden, dropout, 0, n) : undefined;
          const x = tf.tensor4d(px, [n, size, size, 1]);
          const y = tf.tensor1d(labels, 'int32');
          const m = mask ? tf.tensor2d(mask, [n, spec.hidden]) : undefined;
          const got = new Float32Array(replica.size);
          const r = replica.gradientsOf(x, y, m, got);
          tf.dispose([x, y, m]);
          cases.push({ n, dropout, px, labels, mask, got, loss: r.loss, right: r.right });
        }
      }
      replica.dispose();
      // The reference: autodiff on the cpu backend with the same weights.
      await selectBackend('cpu');
      const ref = new Replica(spec, weights, { ...config.training, batchSize: 64 });
      assert.ok(!ref.usesKernel);
      const { offsets } = paramLayout(spec);
      for (const c of cases) {
        const x = tf.tensor4d(c.px, [c.n, size, size, 1]);
        const y = tf.tensor1d(c.labels, 'int32');
        const m = c.mask ? tf.tensor2d(c.mask, [c.n, spec.hidden]) : undefined;
        const want = new Float32Array(ref.size);
        const r = ref.autodiffGradients(x, y, m, want);
        tf.dispose([x, y, m]);
        assert.ok(Math.abs(r.loss - c.loss!) < 1e-5 * Math.max(1, Math.abs(r.loss)), `n ${c.n}: loss ${c.loss} vs ${r.loss}`);
        assert.equal(c.right, r.right);
        PARAM_NAMES.forEach((name, i) => {
          const end = i + 1 < PARAM_NAMES.length ? offsets[PARAM_NAMES[i + 1]!] : ref.size;
          let diff = 0;
          let scale = 0;
          for (let j = offsets[name]; j < end; j++) {
            diff = Math.max(diff, Math.abs(c.got![j]! - want[j]!));
            scale = Math.max(scale, Math.abs(want[j]!));
          }
          if (c.n > 1) assert.ok(scale > 0, `${name}: autodiff gradient all zero`);
          assert.ok(diff <= 1e-5 * scale + 1e-9, `${name} (n ${c.n}, dropout ${c.dropout}): max |Δ| ${diff} vs max |g| ${scale}`);
        });
      }
      ref.dispose();
      await selectBackend('wasm');
    });
  }
}

test('kernel validation: the same predictions as tfjs, in batches of the capacity', async () => {
  await selectBackend('wasm');
  const spec = specFromConfig(SEED_CONFIG);
  const init = ConvNet.init(spec, 3);
  const replica = new Replica(spec, flattenValues(spec, init.values()), { ...SEED_CONFIG.training, batchSize: 48 });
  init.dispose();
  const g = replica.gradientBuffer();
  for (let s = 0; s < 30; s++) {
    replica.gradients(
      data.train,
      Array.from({ length: 48 }, (_, i) => s * 48 + i),
      s,
      0,
      g,
      0.5,
    );
    replica.apply([g], [1]);
  }
  const set = {
    ...data.validation,
    count: 1000,
    images: data.validation.images.subarray(0, 1000 * 784),
    labels: data.validation.labels.subarray(0, 1000),
  };
  const x = imagesTensor(set);
  const want = evaluateTensor(replica.net, x, set.labels, 1000, 100, 777).correct;
  const got = replica.correct(set, () => assert.fail('the kernels need no tensor'), 100, 777);
  x.dispose();
  assert.ok(Math.abs(got - want) <= 1, `kernel ${got} right vs tfjs ${want}`);
  assert.ok(got > 0);
  replica.dispose();
});

test("the kernel's dropout masks are dropoutRows(), bit for bit", async () => {
  await selectBackend('wasm');
  const spec = specFromConfig(SEED_CONFIG);
  const init = ConvNet.init(spec, 1);
  const replica = new Replica(spec, flattenValues(spec, init.values()), SEED_CONFIG.training);
  init.dispose();
  const kernel = (
    replica as unknown as {
      kernel: { dropoutMask(seed: number, step: number, p: number, from: number, to: number): void; mask: Float32Array };
    }
  ).kernel;
  for (const [seed, step, p, from, to] of [
    [1, 0, 0.5, 0, 64],
    [0x7fffffff, 123456, 0.3, 32, 64],
    [-5, 2 ** 31 - 1, 0.9, 5, 6],
    [42, 17, 1e-9, 0, 3],
  ] as const) {
    kernel.dropoutMask(seed, step, p, from, to);
    const want = dropoutRows(seed, step, spec.hidden, p, from, to);
    assert.deepEqual(kernel.mask.subarray(0, want.length), want, `seed ${seed} step ${step} p ${p}`);
  }
  replica.dispose();
});

test('shapes the kernels do not cover use the tfjs step', async () => {
  await selectBackend('wasm');
  for (const model of [
    { depth: [3, 5], kernelSize: 3, hidden: 37 },
    { depth: [4, 8], kernelSize: 5, hidden: 30 },
    { depth: [4, 36], kernelSize: 5, hidden: 32 },
  ]) {
    const spec = specFromConfig(parseConfig({ model: { ...model, dropout: 0.5 } }));
    assert.ok(!convKernelSupports(spec));
    const init = ConvNet.init(spec, 1);
    const replica = new Replica(spec, flattenValues(spec, init.values()), SEED_CONFIG.training);
    init.dispose();
    assert.ok(!replica.usesKernel);
    const g = replica.gradientBuffer();
    const r = replica.gradients(
      data.train,
      Array.from({ length: 64 }, (_, i) => i),
      0,
      0,
      g,
      0.5,
    );
    assert.ok(Number.isFinite(r.loss));
    replica.dispose();
  }
});

test('relaxed SIMD: the fma build by default (Node 20: behind a flag this process turns on), MNIST_LAB_FMA=0 the SIMD128 build; they differ only in rounding', async () => {
  assert.ok(relaxedSimdAvailable(), `relaxed SIMD does not compile in Node ${process.version}`);
  assert.equal(kernelVariant(), 'fma');
  process.env.MNIST_LAB_FMA = '0';
  try {
    assert.equal(kernelVariant(), 'simd');
  } finally {
    delete process.env.MNIST_LAB_FMA;
  }
  await selectBackend('wasm');
  const spec = specFromConfig(SEED_CONFIG);
  const init = ConvNet.init(spec, 5);
  const initial = flattenValues(spec, init.values());
  init.dispose();
  const indices = Array.from({ length: 64 }, (_, i) => 100 + i);
  const [fused, plain] = VARIANTS.map((v) => {
    const r = new Replica(spec, initial, SEED_CONFIG.training, undefined, false, v);
    assert.equal(r.kernelVariant, v);
    const g = r.gradientBuffer();
    r.gradients(data.train, indices, 0, 0, g, 0.5);
    const out = g.slice();
    r.dispose();
    return out;
  });
  const { offsets } = paramLayout(spec);
  let differ = 0;
  PARAM_NAMES.forEach((name, i) => {
    const end = i + 1 < PARAM_NAMES.length ? offsets[PARAM_NAMES[i + 1]!] : fused!.length;
    let diff = 0;
    let scale = 0;
    for (let j = offsets[name]; j < end; j++) {
      diff = Math.max(diff, Math.abs(fused![j]! - plain![j]!));
      scale = Math.max(scale, Math.abs(plain![j]!));
      if (fused![j] !== plain![j]) differ++;
    }
    assert.ok(diff <= 1e-5 * scale + 1e-9, `${name}: fma vs simd max |Δ| ${diff}, max |g| ${scale}`);
  });
  // Where the CPU has a fused multiply-add (x86-64 with FMA3), the engine uses it: the sums round
  // once, and some gradients differ in their last bits; without one the builds compute alike.
  let cpuinfo: string;
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return; // not Linux: the instruction the engine picks is not known here
  }
  if (process.arch === 'x64' && /^flags\s*:.*\bfma\b/m.test(cpuinfo))
    assert.ok(differ > 0, 'the fma build computed exactly as the SIMD128 one');
  else if (process.arch === 'x64') assert.equal(differ, 0, 'no FMA3 here, yet the builds differ');
});

test("a run's device names the kernels and their build where they train, else the backend's own words", () => {
  const seed = specFromConfig(SEED_CONFIG);
  const odd = specFromConfig(parseConfig({ model: { depth: [3, 5], kernelSize: 3, hidden: 37, dropout: 0.5 } }));
  const xnn = 'CPU (WebAssembly SIMD, XNNPACK, 1 thread)';
  assert.equal(trainingDevice('wasm', xnn, seed), 'CPU (WebAssembly SIMD kernels, fused multiply-add)');
  assert.equal(trainingDevice('wasm', xnn, odd), xnn);
  assert.equal(trainingDevice('cpu', 'CPU (pure JavaScript, slow)', seed), 'CPU (pure JavaScript, slow)');
  process.env.MNIST_LAB_FMA = '0';
  try {
    assert.equal(trainingDevice('wasm', xnn, seed), 'CPU (WebAssembly SIMD kernels)');
  } finally {
    delete process.env.MNIST_LAB_FMA;
  }
  process.env.MNIST_LAB_STEP = 'tfjs';
  try {
    assert.equal(trainingDevice('wasm', xnn, seed), xnn);
  } finally {
    delete process.env.MNIST_LAB_STEP;
  }
});

test('MNIST_LAB_STEP=tfjs turns the kernels off', async () => {
  await selectBackend('wasm');
  const spec = specFromConfig(SEED_CONFIG);
  const init = ConvNet.init(spec, 1);
  process.env.MNIST_LAB_STEP = 'tfjs';
  try {
    const replica = new Replica(spec, flattenValues(spec, init.values()), SEED_CONFIG.training);
    assert.ok(!replica.usesKernel);
    replica.dispose();
  } finally {
    delete process.env.MNIST_LAB_STEP;
    init.dispose();
  }
});

test('the committed kernel module is what its source builds to (clang-16)', (t) => {
  if (spawnSync('clang-16', ['--version']).status !== 0) {
    // CI installs clang-16 and lld-16 (.ci/run); there the check must run.
    if (process.env.CI) assert.fail('clang-16 is missing (apt-get install clang-16 lld-16)');
    t.skip('clang-16 not installed');
    return;
  }
  const r = spawnSync('node', ['scripts/build-kernels.mjs', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
