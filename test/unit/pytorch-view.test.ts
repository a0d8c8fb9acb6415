/** The lab panel's PyTorch loader (src/extension/pytorchView.ts): read from the run, or made from the weights' shapes. */
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { SEED_CONFIG } from '../../src/core/config';
import { ConvNet } from '../../src/core/model/convnet';
import { saveModel } from '../../src/core/model/interchange';
import { MAX_READ_HEADER_BYTES, encodeSafetensors, readSafetensorsHeaderFile } from '../../src/core/model/safetensors';
import { LabError } from '../../src/core/errors';
import { SNIPPET_FILE } from '../../src/core/model/pytorchSnippet';
import type { RunSummary } from '../../src/core/events';
import { pytorchSnippetFor, specOfSafetensors } from '../../src/extension/pytorchView';
import { FIXTURE } from '../helpers/pytorchFixture';
import { tempDir } from '../helpers/tmp';

test("specOfSafetensors: the architecture from a state dict's shapes", async () => {
  assert.deepEqual(await specOfSafetensors(FIXTURE), {
    depth: [4, 8],
    kernelSize: 5,
    hidden: 512,
    dropout: 0.5,
    imageSize: 28,
    numClasses: 10,
  });
  await selectBackend('wasm');
  const dir = tempDir();
  const spec = { depth: [6, 12] as [number, number], kernelSize: 3, hidden: 64, dropout: 0.5, imageSize: 28, numClasses: 10 };
  const net = ConvNet.init(spec, 3);
  const { safetensors } = await saveModel(net, dir);
  net.dispose();
  assert.deepEqual(await specOfSafetensors(safetensors), spec);
});

test("pytorchSnippetFor: the written file when there is one, else one made from the shapes with the config's names", async () => {
  await selectBackend('wasm');
  const dir = tempDir();
  const net = ConvNet.init({ depth: [4, 8], kernelSize: 5, hidden: 32, dropout: 0.3, imageSize: 28, numClasses: 10 }, 1);
  const { safetensors, tfjs } = await saveModel(net, dir);
  net.dispose();
  const summary = { model: { safetensors, tfjs } } as RunSummary;
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
  const config = { ...SEED_CONFIG, model: { ...SEED_CONFIG.model, hidden: 32, dropout: 0.3 }, data: { dir: null, classNames: names } };
  const made = (await pytorchSnippetFor(summary, config))!;
  assert.equal(made.written, false);
  assert.equal(made.file, join(dir, SNIPPET_FILE));
  assert.match(made.code, /hidden = 32\n/);
  assert.match(made.code, /p=0\.3, training=self\.training/);
  assert.match(made.code, /class_names = \["a","b","c","d","e","f","g","h","i","j"\]/);
  writeFileSync(made.file, '# written\n');
  assert.deepEqual(await pytorchSnippetFor(summary, config), { file: made.file, code: '# written\n', written: true });
  assert.equal(await pytorchSnippetFor(null, config), null);
  assert.equal(await pytorchSnippetFor({ model: { safetensors: '', tfjs } } as RunSummary, config), null);
});

test('specOfSafetensors reads the header only: at most 1 MiB of it, a longer one refused naming the file', async () => {
  const dir = tempDir();
  const tensors = { 'w.weight': { shape: [2], data: Float32Array.of(1, 2) } };
  const long = join(dir, 'long-header.safetensors');
  writeFileSync(long, encodeSafetensors(tensors, { note: 'x'.repeat(MAX_READ_HEADER_BYTES) }));
  await assert.rejects(specOfSafetensors(long), (e: unknown) => {
    assert.ok(e instanceof LabError);
    assert.equal(e.file, long);
    assert.match(
      e.message,
      /^.*long-header\.safetensors: the safetensors header is \d+ bytes, more than the 1048576 read without the data$/,
    );
    return true;
  });
  // The bound is the caller's: a larger one reads it.
  assert.deepEqual(Object.keys((await readSafetensorsHeaderFile(long, 2 * MAX_READ_HEADER_BYTES)).tensors), ['w.weight']);
  // 400 MB of data (a sparse file) behind a small header: its size is checked against the
  // offsets (fstat), its bytes are not read.
  const big = join(dir, 'big-data.safetensors');
  const header = Buffer.from(JSON.stringify({ x: { dtype: 'F32', shape: [100_000_000], data_offsets: [0, 400_000_000] } }));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(big, Buffer.concat([prefix, header]));
  truncateSync(big, 8 + header.length + 400_000_000);
  const h = await readSafetensorsHeaderFile(big);
  assert.deepEqual(h.tensors.x, { dtype: 'F32', shape: [100_000_000], begin: 0, end: 400_000_000, count: 100_000_000 });
  assert.equal(await specOfSafetensors(big), null);
  truncateSync(big, 8 + header.length + 399_999_996);
  await assert.rejects(
    readSafetensorsHeaderFile(big),
    /big-data\.safetensors: not a valid safetensors file: tensor "x": data_offsets \[0, 400000000\] do not match the data/,
  );
});
