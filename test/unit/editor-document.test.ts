import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  endOfLine,
  isConfigFile,
  nodeAtPath,
  parseConfigDocument,
  pathSegments,
  pathString,
  positionOf,
  spanOfPath,
  valueAtPath,
  writtenLeaves,
} from '../../src/extension/editor/configDocument';

const TEXT =
  '{\n  "name": "wide",\n  "model": { "depth": [16, 32], "kernelSize": 3 },\n  "training": {\n    "learningRate": 0.01\n  }\n}\n';
const slice = (text: string, s: { offset: number; length: number } | null) => (s ? text.slice(s.offset, s.offset + s.length) : null);

test('JSON paths of the core (model.depth[1]) become segments and back', () => {
  assert.deepEqual(pathSegments('model.depth[1]'), ['model', 'depth', 1]);
  assert.deepEqual(pathSegments('training.batchSize'), ['training', 'batchSize']);
  assert.deepEqual(pathSegments(''), []);
  assert.equal(pathString(['model', 'depth', 1]), 'model.depth[1]');
  assert.equal(pathString(['data', 'classNames', 0]), 'data.classNames[0]');
});

test('a path’s span covers exactly its value (or its key), in the text', () => {
  const doc = parseConfigDocument(TEXT);
  assert.equal(doc.valid, true);
  assert.equal(slice(TEXT, spanOfPath(doc, 'model.kernelSize')), '3');
  assert.equal(slice(TEXT, spanOfPath(doc, 'model.depth')), '[16, 32]');
  assert.equal(slice(TEXT, spanOfPath(doc, 'model.depth[1]')), '32');
  assert.equal(slice(TEXT, spanOfPath(doc, 'training.learningRate')), '0.01');
  assert.equal(slice(TEXT, spanOfPath(doc, 'model.kernelSize', { key: true })), '"kernelSize"');
  // Not written: the nearest written ancestor's key (the default comes from there).
  assert.equal(slice(TEXT, spanOfPath(doc, 'training.batchSize')), '"training"');
  assert.equal(slice(TEXT, spanOfPath(doc, 'data.dir')), TEXT.trimEnd(), 'nothing of data.dir is written: the whole object');
  assert.equal(nodeAtPath(doc, 'training.batchSize'), undefined);
  assert.equal(nodeAtPath(doc, 'model.depth[0]')?.value, 16);
});

test('positions are 0-based lines and UTF-16 columns, as vscode.Position', () => {
  const off = TEXT.indexOf('3 }');
  assert.deepEqual(positionOf(TEXT, off), { line: 2, character: TEXT.split('\n')[2]!.indexOf('3 }') });
  assert.deepEqual(positionOf(TEXT, 0), { line: 0, character: 0 });
  const crlf = '{\r\n  "name": "é€"\r\n}';
  assert.deepEqual(positionOf(crlf, crlf.indexOf('}')), { line: 2, character: 0 });
  assert.equal(endOfLine(crlf, 0), 1, 'before the \\r');
  assert.equal(endOfLine(TEXT, TEXT.indexOf('"name"')), TEXT.indexOf(',\n  "model"') + 1);
});

test('written leaves list every scalar and array with its path and span', () => {
  const doc = parseConfigDocument(TEXT);
  const leaves = writtenLeaves(doc).map((l) => [l.path, l.value, slice(TEXT, l.span)]);
  assert.deepEqual(leaves, [
    ['name', 'wide', '"wide"'],
    ['model.depth', [16, 32], '[16, 32]'],
    ['model.kernelSize', 3, '3'],
    ['training.learningRate', 0.01, '0.01'],
  ]);
});

test('half-typed JSON never throws: the document is simply not valid', () => {
  const cuts = [
    TEXT.slice(0, 1),
    TEXT.slice(0, 20),
    TEXT.slice(0, TEXT.indexOf('[16') + 3),
    '{ "model": { "kernelSize": }',
    '',
    '   ',
    '{ "a": 1, }',
    '{ // comment\n}',
    'nul',
  ];
  for (const t of cuts) {
    const doc = parseConfigDocument(t);
    assert.equal(doc.valid, false, JSON.stringify(t));
    assert.ok(doc.errors.length > 0 || doc.root === undefined);
    assert.deepEqual(writtenLeaves(doc), []);
    spanOfPath(doc, 'model.kernelSize');
  }
  // Every prefix of a real config, too.
  for (let i = 0; i < TEXT.length; i++) {
    const doc = parseConfigDocument(TEXT.slice(0, i));
    spanOfPath(doc, 'model.depth[1]');
    writtenLeaves(doc);
  }
});

test('values at paths of plain objects; which files are configs', () => {
  assert.equal(valueAtPath({ model: { depth: [4, 8] } }, 'model.depth[1]'), 8);
  assert.equal(valueAtPath({ model: null }, 'model.depth'), undefined);
  assert.ok(isConfigFile('/w/seed.mnist.json'));
  assert.ok(!isConfigFile('/w/model.json'));
  assert.ok(!isConfigFile('/w/mnist.json.bak'));
});
