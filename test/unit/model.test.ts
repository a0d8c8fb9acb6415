import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { SEED_CONFIG } from '../../src/core/config';
import { ConvNet, PARAM_NAMES, paramShapes, specFromConfig } from '../../src/core/model/convnet';
import { tf } from '../../src/core/tf';

before(async () => {
  await selectBackend('wasm');
});

const spec = specFromConfig(SEED_CONFIG);

test('the seed network: shapes and parameter count (as net.parameters listed)', () => {
  const net = ConvNet.init(spec, 1);
  const shapes = paramShapes(spec);
  assert.deepEqual(shapes['fc1.weight'], [392, 512]);
  assert.deepEqual(shapes['conv2.weight'], [5, 5, 4, 8]);
  const s = net.summary();
  assert.deepEqual(
    s.map((l) => l.outputShape),
    [[4, 28, 28], [4, 14, 14], [8, 14, 14], [8, 7, 7], [392], [512], [512], [10], [10]],
  );
  // 104 + 808 + 392*512+512 + 512*10+10
  assert.equal(net.parameterCount(), 104 + 808 + 201216 + 5130);
  const x = tf.zeros([3, 28, 28, 1]) as tf.Tensor4D;
  const out = net.forward(x);
  assert.deepEqual(out.shape, [3, 10]);
  const [f1, f2] = net.featureMaps(x);
  assert.deepEqual(f1.shape, [3, 28, 28, 4]);
  assert.deepEqual(f2.shape, [3, 14, 14, 8]);
  // log-softmax: probabilities sum to 1
  const sums = tf.sum(tf.exp(out), 1).dataSync();
  for (const v of sums) assert.ok(Math.abs(v - 1) < 1e-5);
  tf.dispose([x, out, f1, f2]);
  net.dispose();
});

test("initialisation is PyTorch's default: uniform in ±1/√fan_in, seeded", () => {
  const a = ConvNet.init(spec, 7);
  const b = ConvNet.init(spec, 7);
  const c = ConvNet.init(spec, 8);
  const fanIn: Record<string, number> = { conv1: 25, conv2: 100, fc1: 392, fc2: 512 };
  const va = a.values();
  for (const n of PARAM_NAMES) {
    const bound = 1 / Math.sqrt(fanIn[n.split('.')[0]!]!);
    const v = va[n];
    const max = v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(max <= bound, `${n} within ±${bound}`);
    if (v.length >= 100) {
      assert.ok(max > 0.9 * bound, `${n} spans the range`);
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      assert.ok(Math.abs(mean) < 0.1 * bound, `${n} centred`);
    }
  }
  assert.deepEqual(va['fc1.weight'], b.values()['fc1.weight']);
  assert.notDeepEqual(va['fc1.weight'], c.values()['fc1.weight']);
  [a, b, c].forEach((n) => n.dispose());
});

test('depth, kernel size and hidden width come from the config', () => {
  const s = specFromConfig({ ...SEED_CONFIG, model: { depth: [16, 32], kernelSize: 3, hidden: 64, dropout: 0.2 } });
  const net = ConvNet.init(s, 1);
  assert.deepEqual(paramShapes(s)['fc1.weight'], [7 * 7 * 32, 64]);
  const x = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
  const [f1, f2] = net.featureMaps(x);
  assert.deepEqual(f1.shape, [2, 28, 28, 16]);
  assert.deepEqual(f2.shape, [2, 14, 14, 32]);
  tf.dispose([x, f1, f2]);
  net.dispose();
});
