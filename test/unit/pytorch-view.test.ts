/** The lab panel's PyTorch loader (src/extension/pytorchView.ts): read from the run, or made from the weights' shapes. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { SEED_CONFIG } from '../../src/core/config';
import { ConvNet } from '../../src/core/model/convnet';
import { saveModel } from '../../src/core/model/interchange';
import { SNIPPET_FILE } from '../../src/core/model/pytorchSnippet';
import type { RunSummary } from '../../src/core/events';
import { pytorchSnippetFor, specOfSafetensors } from '../../src/extension/pytorchView';
import { FIXTURE } from '../helpers/pytorchFixture';
import { tempDir } from '../helpers/tmp';

test("specOfSafetensors: the architecture from a state dict's shapes", async () => {
  assert.deepEqual(specOfSafetensors(FIXTURE), { depth: [4, 8], kernelSize: 5, hidden: 512, dropout: 0.5, imageSize: 28, numClasses: 10 });
  await selectBackend('wasm');
  const dir = tempDir();
  const spec = { depth: [6, 12] as [number, number], kernelSize: 3, hidden: 64, dropout: 0.5, imageSize: 28, numClasses: 10 };
  const net = ConvNet.init(spec, 3);
  const { safetensors } = await saveModel(net, dir);
  net.dispose();
  assert.deepEqual(specOfSafetensors(safetensors), spec);
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
  const made = pytorchSnippetFor(summary, config)!;
  assert.equal(made.written, false);
  assert.equal(made.file, join(dir, SNIPPET_FILE));
  assert.match(made.code, /hidden = 32\n/);
  assert.match(made.code, /p=0\.3, training=self\.training/);
  assert.match(made.code, /class_names = \["a","b","c","d","e","f","g","h","i","j"\]/);
  writeFileSync(made.file, '# written\n');
  assert.deepEqual(pytorchSnippetFor(summary, config), { file: made.file, code: '# written\n', written: true });
  assert.equal(pytorchSnippetFor(null, config), null);
  assert.equal(pytorchSnippetFor({ model: { safetensors: '', tfjs } } as RunSummary, config), null);
});
