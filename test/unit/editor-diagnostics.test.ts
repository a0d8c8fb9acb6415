import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeIdx } from '../../src/core/data/idx';
import { MNIST_FILES } from '../../src/core/data/mnist';
import { parseConfigDocument } from '../../src/extension/editor/configDocument';
import {
  type ConfigDiagnostic,
  type DiagnosticContext,
  compactJson,
  configDiagnostics,
  thousands,
  validationSize,
} from '../../src/extension/editor/diagnostics';
import { tempDir } from '../helpers/tmp';

const root = tempDir('mnist-lab-editor-diag-');
const file = join(root, 'lab.mnist.json');
const ctx: DiagnosticContext = { file, defaultDataDir: null };

function diagnose(text: string, c = ctx): ConfigDiagnostic[] {
  return configDiagnostics(parseConfigDocument(text), c);
}
const spanText = (text: string, d: ConfigDiagnostic) => text.slice(d.span.offset, d.span.offset + d.span.length);
function applyFix(text: string, d: ConfigDiagnostic): string {
  assert.ok(d.fix, `no fix for ${d.path}`);
  let out = text;
  for (const e of [...d.fix.edits].sort((a, b) => b.offset - a.offset))
    out = out.slice(0, e.offset) + e.content + out.slice(e.offset + e.length);
  return out;
}

/** An MNIST-layout directory with `testCount` test images (real IDX files, blank pixels). */
function idxDir(name: string, testCount: number, gzip = false): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const put = (f: string, bytes: Uint8Array) => writeFileSync(join(dir, f), bytes);
  put(MNIST_FILES.trainImages, encodeIdx([10, 28, 28], new Uint8Array(10 * 784)));
  put(MNIST_FILES.trainLabels, encodeIdx([10], new Uint8Array(10)));
  put(MNIST_FILES.testImages, encodeIdx([testCount, 28, 28], new Uint8Array(testCount * 784)));
  const labels = encodeIdx([testCount], new Uint8Array(testCount));
  if (gzip) put(`${MNIST_FILES.testLabels}.gz`, require('node:zlib').gzipSync(labels));
  else put(MNIST_FILES.testLabels, labels);
  return dir;
}

test('an even kernel size: exact range of the value, a message about the kernel, a fix restoring 5', () => {
  const text = '{\n  "name": "bad",\n  "model": { "kernelSize": 4 }\n}\n';
  const ds = diagnose(text);
  assert.equal(ds.length, 1, JSON.stringify(ds));
  const d = ds[0]!;
  assert.equal(d.code, 'kernel-even');
  assert.equal(d.span.offset, text.indexOf('4 }'));
  assert.equal(spanText(text, d), '4');
  assert.match(d.message, /kernelSize 4 is even.*odd.*5/);
  const fixed = applyFix(text, d);
  assert.equal(fixed, '{\n  "name": "bad",\n  "model": { "kernelSize": 5 }\n}\n');
  assert.deepEqual(diagnose(fixed), []);
});

test('depth must be two positive integers: one diagnostic on the array (not one per item), fix [4, 8]', () => {
  for (const bad of ['[4]', '[4, 0]', '[4, 8, 16]', '[4, 8.5]', '"4,8"', '[-1, 8]']) {
    const text = `{ "model": { "depth": ${bad}, "hidden": 64 } }`;
    const ds = diagnose(text);
    assert.equal(ds.length, 1, `${bad}: ${ds.map((d) => d.message).join(' | ')}`);
    assert.equal(ds[0]!.code, 'depth');
    assert.equal(spanText(text, ds[0]!), bad);
    assert.match(ds[0]!.message, /two positive integers/);
    assert.equal(applyFix(text, ds[0]!), '{ "model": { "depth": [4, 8], "hidden": 64 } }');
  }
  assert.deepEqual(diagnose('{ "model": { "depth": [1, 256] } }'), []);
});

test('batch size larger than the validation split: 5,000 for the MNIST shipped, the IDX header elsewhere', () => {
  assert.equal(validationSize(null), 5000);
  const text = '{ "training": { "batchSize": 5001 } }';
  const ds = diagnose(text);
  assert.equal(ds.length, 1);
  assert.equal(ds[0]!.code, 'batch-validation');
  assert.equal(spanText(text, ds[0]!), '5001');
  assert.match(ds[0]!.message, /larger than the validation split \(5,000 images/);
  assert.equal(applyFix(text, ds[0]!), '{ "training": { "batchSize": 64 } }');
  // The schema's own maximum (4096) is below MNIST's split: within it, nothing to say.
  assert.deepEqual(diagnose('{ "training": { "batchSize": 4096 } }'), []);

  // A small data set: 1,000 test images, so 500 validate (read from the gzipped labels' header).
  const small = idxDir('small', 1000, true);
  assert.equal(validationSize(small), 500);
  const t2 = '{ "training": { "batchSize": 501 }, "data": { "dir": "small" } }';
  const d2 = diagnose(t2);
  assert.deepEqual(
    d2.map((d) => [d.code, spanText(t2, d)]),
    [['batch-validation', '501']],
  );
  assert.deepEqual(diagnose('{ "training": { "batchSize": 500 }, "data": { "dir": "small" } }'), []);
  // The setting's data directory counts when the file names none.
  assert.equal(diagnose('{ "training": { "batchSize": 501 } }', { file, defaultDataDir: small }).length, 1);
});

test('a data directory that does not exist (or lacks the IDX files): on the string, fix back to the embedded MNIST', () => {
  const text = '{\n  "data": { "dir": "no-such-dir" }\n}';
  const ds = diagnose(text);
  assert.equal(ds.length, 1);
  assert.equal(ds[0]!.code, 'data-dir');
  assert.equal(spanText(text, ds[0]!), '"no-such-dir"');
  assert.match(ds[0]!.message, /does not exist/);
  assert.ok(ds[0]!.message.includes(join(root, 'no-such-dir')), 'the message names the resolved directory');
  assert.equal(applyFix(text, ds[0]!), '{\n  "data": { "dir": null }\n}');

  const empty = join(root, 'empty');
  mkdirSync(empty);
  const d2 = diagnose('{ "data": { "dir": "empty" } }');
  assert.match(d2[0]!.message, /has no train-images-idx3-ubyte\[\.gz\], .*t10k-labels-idx1-ubyte\[\.gz\]/);
  idxDir('ok', 20);
  assert.deepEqual(diagnose(`{ "data": { "dir": ${JSON.stringify(join(root, 'ok'))} } }`), [], 'an absolute path');
  // From the setting: a warning at the top, no fix (nothing in the file is wrong).
  const d3 = diagnose('{ "name": "x" }', { file, defaultDataDir: join(root, 'gone') });
  assert.deepEqual(
    d3.map((d) => [d.severity, d.span.offset, d.span.length, d.fix]),
    [['warning', 0, 1, undefined]],
  );
  assert.match(d3[0]!.message, /mnistLab\.dataDir/);
});

test('every problem checkConfig reports lands on its JSON path, with the seed’s value or a removal as the fix', () => {
  const text = '{\n  "model": { "depth": [4, 8], "dropout": 1.5, "colour": "red" },\n  "training": { "learningRate": -1, "epochs": 2 }\n}';
  const ds = diagnose(text);
  const got = ds.map((d) => [d.path, spanText(text, d)]);
  assert.deepEqual(got, [
    ['model.dropout', '1.5'],
    ['model.colour', '"colour"'],
    ['training.learningRate', '-1'],
  ]);
  assert.match(ds[0]!.message, /model\.dropout: must be < 1, got 1\.5/);
  assert.equal(applyFix(text, ds[0]!), text.replace('1.5', '0.5'));
  assert.equal(applyFix(text, ds[1]!), text.replace(', "colour": "red"', ''));
  assert.equal(applyFix(text, ds[2]!), text.replace('-1', '0.001'));
  // Removing the only or the first field keeps the JSON valid.
  for (const t of ['{ "extra": 1 }', '{ "extra": 1, "name": "a" }', '{ "name": "a", "extra": 1 }']) {
    const d = diagnose(t);
    assert.equal(d.length, 1, t);
    const fixed = applyFix(t, d[0]!);
    assert.deepEqual(diagnose(fixed), [], fixed);
    JSON.parse(fixed);
  }
  // A non-object config.
  const top = diagnose('[1, 2]');
  assert.equal(top.length, 1);
  assert.equal(top[0]!.path, '');
  assert.deepEqual(JSON.parse(applyFix('[1, 2]', top[0]!)).model, { depth: [4, 8], kernelSize: 5, hidden: 512, dropout: 0.5 });
});

test('no diagnostics while the JSON is half-typed, and none on the seed', () => {
  assert.deepEqual(diagnose('{ "model": { "kernelSize": 4 '), []);
  assert.deepEqual(diagnose('{ "model": { "kernelSize": '), []);
  assert.deepEqual(diagnose(''), []);
  assert.deepEqual(diagnose('{}'), []);
  const seed = JSON.stringify(
    {
      name: 'seed',
      model: { depth: [4, 8], kernelSize: 5, hidden: 512, dropout: 0.5 },
      training: { epochs: 20, batchSize: 64, learningRate: 0.001, momentum: 0.9, seed: 1, evalEvery: 100 },
      data: { dir: null, classNames: null },
    },
    null,
    2,
  );
  assert.deepEqual(diagnose(seed), []);
});

test('compact JSON is what a person types on one line', () => {
  assert.equal(compactJson([4, 8]), '[4, 8]');
  assert.equal(compactJson({ a: 1, b: [1, 2] }), '{ "a": 1, "b": [1, 2] }');
  assert.equal(compactJson(null), 'null');
  assert.equal(compactJson('x'), '"x"');
  assert.deepEqual([5, 500, 5000, 1234567].map(thousands), ['5', '500', '5,000', '1,234,567']);
});
