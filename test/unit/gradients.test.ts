import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { installFastGradients, restoreStockGradients } from '../../src/core/backends/gradients';
import { SEED_CONFIG } from '../../src/core/config';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { ConvNet, PARAM_NAMES, specFromConfig } from '../../src/core/model/convnet';
import { Rng } from '../../src/core/rng';
import { tf } from '../../src/core/tf';

const data = loadLabData();
const N = 16;
const images = gatherImages(data.train, Array.from({ length: N }, (_, i) => i * 7));
const labels = Int32Array.from({ length: N }, (_, i) => data.train.labels[i * 7]!);

/** Gradients of the seed's loss w.r.t. every parameter, on the current backend and gradients. */
function seedGradients(): Record<string, Float32Array> {
  const net = ConvNet.init(specFromConfig(SEED_CONFIG), 3);
  const x = tf.tensor4d(images, [N, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const { grads, value } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(net.forward(x), y), 1))) as tf.Scalar, net.variables());
  const out: Record<string, Float32Array> = {};
  PARAM_NAMES.forEach((n) => (out[n] = grads[net.params[n].name]!.dataSync() as Float32Array));
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

test('wasm needs the conv gradient override; with it, wasm and cpu match the stock cpu gradients', async () => {
  await selectBackend('cpu');
  restoreStockGradients();
  const reference = seedGradients();

  await selectBackend('wasm'); // installs the fast gradients
  restoreStockGradients();
  assert.throws(() => seedGradients(), /Conv2DBackpropFilter/, 'stock tfjs cannot train a conv net on wasm');

  installFastGradients();
  const onWasm = seedGradients();
  await selectBackend('cpu');
  const fastOnCpu = seedGradients();
  for (const n of PARAM_NAMES) {
    const ew = maxRelErr(onWasm[n]!, reference[n]!);
    const ec = maxRelErr(fastOnCpu[n]!, reference[n]!);
    assert.ok(ew < 1e-5, `${n}: wasm vs stock cpu, relative error ${ew}`);
    assert.ok(ec < 1e-5, `${n}: fast vs stock gradients on cpu, relative error ${ec}`);
    assert.ok(reference[n]!.some((v) => v !== 0), `${n} has a non-zero gradient`);
  }
});

test('the overrides agree with stock gradients for every padding form and matMul transpose', async () => {
  await selectBackend('cpu');
  const rng = new Rng(5);
  const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() - 0.5), shape);
  const x = rand([2, 9, 8, 3]) as tf.Tensor4D;
  const w = rand([3, 5, 3, 4]) as tf.Tensor4D;
  const a = rand([6, 5]) as tf.Tensor2D;
  const b = rand([5, 7]) as tf.Tensor2D;
  const cases: [string, () => tf.Tensor[]][] = [];
  for (const pad of [1, 'same', 'valid', [[0, 0], [2, 0], [1, 3], [0, 0]]] as const) {
    cases.push([`conv pad ${JSON.stringify(pad)}`, () => tf.grads((xx, ww) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, pad as never))))([x, w])]);
  }
  cases.push(['conv stride 2 (falls back to stock)', () => tf.grads((xx, ww) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same'))))([x, w])]);
  const at = tf.transpose(a);
  const bt = tf.transpose(b);
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const A = ta ? at : a;
    const B = tb ? bt : b;
    cases.push([`matMul tA=${ta} tB=${tb}`, () => tf.grads((p, q) => tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, ta, tb))))([A, B])]);
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
