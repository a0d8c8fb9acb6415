import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { SEED_CONFIG } from '../../src/core/config';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { ConvNet, PARAM_NAMES, specFromConfig } from '../../src/core/model/convnet';
import { fromTorchStateDict, loadModel, saveModel, toTorchStateDict } from '../../src/core/model/interchange';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/model/safetensors';
import { tf } from '../../src/core/tf';
import { tempDir } from '../helpers/tmp';

before(async () => {
  await selectBackend('wasm');
});
const data = loadLabData();
const x = () => tf.tensor4d(gatherImages(data.testFile, [0, 1, 2, 3, 4]), [5, 28, 28, 1]);

function logProbs(net: ConvNet): Float32Array {
  const input = x();
  const out = net.forward(input);
  const v = out.dataSync() as Float32Array;
  tf.dispose([input, out]);
  return v;
}

test('state_dict names, shapes and PyTorch layouts', () => {
  const net = ConvNet.init(specFromConfig(SEED_CONFIG), 2);
  const sd = toTorchStateDict(net);
  assert.deepEqual(Object.keys(sd), [...PARAM_NAMES]);
  assert.deepEqual(sd['conv1.weight'].shape, [4, 1, 5, 5]);
  assert.deepEqual(sd['conv2.weight'].shape, [8, 4, 5, 5]);
  assert.deepEqual(sd['fc1.weight'].shape, [512, 392]);
  assert.deepEqual(sd['fc2.weight'].shape, [10, 512]);
  const v = net.values();
  // conv: torch[o][i][y][x] = tfjs[y][x][i][o]
  assert.equal(sd['conv2.weight'].data[((3 * 4 + 2) * 5 + 1) * 5 + 4], v['conv2.weight'][((1 * 5 + 4) * 4 + 2) * 8 + 3]);
  // fc1: torch column c*49 + h*7 + w holds the NHWC feature (h*7 + w)*8 + c
  const [j, c, h, w] = [17, 5, 2, 6];
  assert.equal(sd['fc1.weight'].data[j * 392 + c * 49 + h * 7 + w], v['fc1.weight'][((h * 7 + w) * 8 + c) * 512 + j]);
  assert.equal(sd['fc2.weight'].data[3 * 512 + 100], v['fc2.weight'][100 * 10 + 3]);
  const back = fromTorchStateDict(sd, 'x');
  for (const n of PARAM_NAMES) assert.deepEqual(back.values()[n], v[n]);
  net.dispose();
  back.dispose();
});

test('safetensors: encode/decode round trip, metadata, alignment, other float dtypes', () => {
  const bytes = encodeSafetensors(
    { a: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, b: { shape: [1], data: Float32Array.from([-0.5]) } },
    { format: 'pt' },
  );
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLen) % 8, 0);
  const f = decodeSafetensors(bytes);
  assert.deepEqual(f.metadata, { format: 'pt' });
  assert.deepEqual(Array.from(f.tensors.a!.data), [1, 2, 3, 4]);
  assert.deepEqual(f.tensors.b!.shape, [1]);
  // F64 and F16 tensors (as numpy/torch may write them) are read as float32.
  const header = JSON.stringify({
    d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
    h: { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
  });
  const buf = new Uint8Array(8 + header.length + 20);
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(0, BigInt(header.length), true);
  buf.set(Buffer.from(header), 8);
  dv.setFloat64(8 + header.length, 1.5, true);
  dv.setFloat64(8 + header.length + 8, -2.25, true);
  dv.setUint16(8 + header.length + 16, 0x3c00, true); // 1.0
  dv.setUint16(8 + header.length + 18, 0xc000, true); // -2.0
  const g = decodeSafetensors(buf);
  assert.deepEqual(Array.from(g.tensors.d!.data), [1.5, -2.25]);
  assert.deepEqual(Array.from(g.tensors.h!.data), [1, -2]);
});

test('safetensors: corrupt and foreign files are rejected with the file named', () => {
  assert.throws(
    () => decodeSafetensors(new Uint8Array(4), 'w.safetensors'),
    /w\.safetensors: not a valid safetensors file: 4 bytes is too short/,
  );
  const bytes = encodeSafetensors({ a: { shape: [4], data: new Float32Array(4) } });
  assert.throws(
    () => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'cut.safetensors'),
    /cut\.safetensors: .*data_offsets \[0, 16\] do not match/,
  );
  const other = encodeSafetensors({ 'layer.weight': { shape: [2], data: new Float32Array(2) } });
  const dir = tempDir();
  writeFileSync(join(dir, 'other.safetensors'), other);
  assert.throws(
    () => loadModel(join(dir, 'other.safetensors')),
    /other\.safetensors: not weights of the lab's ConvNet: missing tensor 'conv1\.weight'/,
  );
  const net = ConvNet.init(specFromConfig(SEED_CONFIG), 1);
  const sd = toTorchStateDict(net);
  sd['fc1.weight'] = { shape: [512, 390], data: sd['fc1.weight'].data.subarray(0, 512 * 390) };
  assert.throws(() => fromTorchStateDict(sd, 'bad.safetensors'), /bad\.safetensors: .*fc1\.weight has 390 input features/);
  net.dispose();
});

test('both saved formats load back to the same network; model.json is a real tfjs layers model', async () => {
  const dir = tempDir();
  const net = ConvNet.init(specFromConfig({ ...SEED_CONFIG, model: { depth: [6, 12], kernelSize: 3, hidden: 40, dropout: 0.3 } }), 9);
  const paths = await saveModel(net, dir);
  const expected = logProbs(net);
  for (const file of [paths.safetensors, paths.tfjs, dir]) {
    const { net: loaded } = loadModel(file);
    assert.deepEqual(loaded.spec, net.spec, file);
    assert.deepEqual(logProbs(loaded), expected, file);
    loaded.dispose();
  }
  // tf.loadLayersModel reads our model.json + weights.bin; its softmax output = exp(log-probs).
  const json = JSON.parse(readFileSync(paths.tfjs, 'utf8'));
  const weights = readFileSync(join(dir, 'weights.bin'));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const input = x();
  const probs = (model.predict(input) as tf.Tensor).dataSync();
  probs.forEach((p, i) => assert.ok(Math.abs(p - Math.exp(expected[i]!)) < 1e-6));
  tf.dispose(input);
  model.dispose();
  net.dispose();
  // A truncated weights.bin is reported, not misread.
  writeFileSync(join(dir, 'weights.bin'), weights.subarray(0, 100));
  assert.throws(() => loadModel(paths.tfjs), /model\.json: weights hold 100 bytes, the manifest describes \d+/);
  assert.throws(() => loadModel(join(dir, 'nothing.bin')), /nothing\.bin: no such run directory or weights file/);
});
