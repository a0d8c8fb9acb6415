import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { installFastGradients, restoreStockGradients } from '../../src/core/backends/gradients';
import { restoreWasmKernels } from '../../src/core/backends/wasmKernels';
import { SEED_CONFIG } from '../../src/core/config';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { ConvNet, PARAM_NAMES, specFromConfig } from '../../src/core/model/convnet';
import { Rng } from '../../src/core/rng';
import { tf } from '../../src/core/tf';

const data = loadLabData();
const N = 16;
const images = gatherImages(
  data.train,
  Array.from({ length: N }, (_, i) => i * 7),
);
const labels = Int32Array.from({ length: N }, (_, i) => data.train.labels[i * 7]!);

/**
 * The seed's network written with plain tfjs ops, layer by layer (conv2d, add, relu, maxPool,
 * matMul): its gradients come from TensorFlow.js's own gradient functions.
 */
function referenceLogProbs(p: Record<string, tf.Tensor>, x: tf.Tensor4D): tf.Tensor2D {
  const conv = (t: tf.Tensor4D, l: string) =>
    tf.relu(tf.add(tf.conv2d(t, p[`${l}.weight`] as tf.Tensor4D, 1, 2), p[`${l}.bias`]!)) as tf.Tensor4D;
  const h = tf.maxPool(conv(tf.maxPool(conv(x, 'conv1'), 2, 2, 'valid'), 'conv2'), 2, 2, 'valid');
  const f1 = tf.relu(tf.add(tf.matMul(tf.reshape(h, [x.shape[0], 392]) as tf.Tensor2D, p['fc1.weight'] as tf.Tensor2D), p['fc1.bias']!));
  return tf.logSoftmax(tf.add(tf.matMul(f1 as tf.Tensor2D, p['fc2.weight'] as tf.Tensor2D), p['fc2.bias']!)) as tf.Tensor2D;
}

/** Gradients of the seed's loss w.r.t. every parameter: the model's own, or the plain reference's. */
function seedGradients(which: 'model' | 'reference'): Record<string, Float32Array> {
  const net = ConvNet.init(specFromConfig(SEED_CONFIG), 3);
  const x = tf.tensor4d(images, [N, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const params = Object.fromEntries(PARAM_NAMES.map((n) => [n, net.params[n]]));
  const logp = () => (which === 'model' ? net.forward(x) : referenceLogProbs(params, x));
  const { grads, value } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(logp(), y), 1))) as tf.Scalar, net.variables());
  const out: Record<string, Float32Array> = {};
  PARAM_NAMES.forEach((n) => (out[n] = grads[net.params[n].name]!.dataSync().slice() as Float32Array));
  tf.dispose([x, y, value, ...Object.values(grads)]);
  net.dispose();
  return out;
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

test("the model's gradients (fused blocks, wasm kernels) on wasm and cpu match TensorFlow.js's stock gradients of the plain network", async () => {
  await selectBackend('cpu');
  restoreStockGradients();
  const reference = seedGradients('reference');

  await selectBackend('wasm'); // installs the fast gradients and kernels
  restoreStockGradients();
  assert.throws(() => seedGradients('reference'), /Conv2DBackpropFilter/, 'stock tfjs cannot train a conv net on wasm');

  installFastGradients();
  const plainOnWasm = seedGradients('reference');
  const modelOnWasm = seedGradients('model');
  await selectBackend('cpu');
  const modelOnCpu = seedGradients('model');
  for (const n of PARAM_NAMES) {
    assert.ok(
      reference[n]!.some((v) => v !== 0),
      `${n} has a non-zero gradient`,
    );
    for (const [what, g] of [
      ['plain network, fast gradients, wasm', plainOnWasm],
      ['model, wasm', modelOnWasm],
      ['model, cpu', modelOnCpu],
    ] as const) {
      const e = maxRelErr(g[n]!, reference[n]!);
      assert.ok(e < 1e-5, `${n}: ${what} vs stock cpu gradients: relative error ${e}`);
    }
  }
});

test('the overrides agree with stock gradients for every padding form and matMul transpose', async () => {
  await selectBackend('cpu');
  const rng = new Rng(5);
  const rand = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() - 0.5),
      shape,
    );
  const x = rand([2, 9, 8, 3]) as tf.Tensor4D;
  const w = rand([3, 5, 3, 4]) as tf.Tensor4D;
  const a = rand([6, 5]) as tf.Tensor2D;
  const b = rand([5, 7]) as tf.Tensor2D;
  const cases: [string, () => tf.Tensor[]][] = [];
  for (const pad of [
    1,
    'same',
    'valid',
    [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
  ] as const) {
    cases.push([
      `conv pad ${JSON.stringify(pad)}`,
      () => tf.grads((xx, ww) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, pad as never))))([x, w]),
    ]);
  }
  cases.push([
    'conv stride 2 (falls back to stock)',
    () => tf.grads((xx, ww) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same'))))([x, w]),
  ]);
  const at = tf.transpose(a);
  const bt = tf.transpose(b);
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const A = ta ? at : a;
    const B = tb ? bt : b;
    cases.push([
      `matMul tA=${ta} tB=${tb}`,
      () => tf.grads((p, q) => tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, ta, tb))))([A, B]),
    ]);
  }
  const batched = [rand([3, 4, 5]), rand([3, 5, 2])];
  cases.push(['batched matMul', () => tf.grads((p, q) => tf.sum(tf.square(tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D))))(batched)]);
  for (const [name, f] of cases) {
    restoreStockGradients();
    const stock = f().map((t) => t.dataSync() as Float32Array);
    installFastGradients();
    const fast = f().map((t) => t.dataSync() as Float32Array);
    stock.forEach((s, i) => assert.ok(maxRelErr(fast[i]!, s) < 1e-5, `${name}, input ${i}: ${maxRelErr(fast[i]!, s)}`));
  }
});

test('the wasm MaxPoolGrad kernel routes gradients like PyTorch and the cpu backend (first maximum), ties, zeros, odd sizes', async () => {
  const rng = new Rng(9);
  // Quantised values make ties common; ReLU-like zeros make whole windows tie.
  const tied = tf.tensor4d(
    Float32Array.from({ length: 3 * 9 * 8 * 5 }, () => Math.max(0, Math.round(rng.next() * 6 - 2) / 2)),
    [3, 9, 8, 5],
  );
  const distinct = tf.tensor4d(
    Float32Array.from({ length: 3 * 9 * 8 * 5 }, () => rng.next()),
    [3, 9, 8, 5],
  );
  const dy = tf.tensor4d(
    Float32Array.from({ length: 3 * 4 * 4 * 5 }, () => rng.next() - 0.5),
    [3, 4, 4, 5],
  );
  const grad = (x: tf.Tensor4D) => {
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
    const v = g.dataSync().slice();
    g.dispose();
    return v;
  };
  await selectBackend('wasm'); // installs the JavaScript kernel
  const ours = [grad(tied), grad(distinct)];
  restoreWasmKernels();
  const stockWasm = [grad(tied), grad(distinct)];
  await selectBackend('cpu');
  const stockCpu = [grad(tied), grad(distinct)];
  await selectBackend('wasm');
  assert.deepEqual(ours[0], stockCpu[0], 'ties go to the first maximum, as on cpu and in PyTorch');
  assert.deepEqual(ours[1], stockCpu[1]);
  assert.deepEqual(ours[1], stockWasm[1], 'without ties, the stock wasm kernel agrees');
  assert.notDeepEqual(stockWasm[0], stockCpu[0], "the stock wasm kernel sends ties to the last maximum (why ours follows cpu's rule)");
  tf.dispose([tied, distinct, dy]);
});
