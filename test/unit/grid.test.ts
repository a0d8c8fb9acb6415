import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONFIG_LIMITS, GRID_PATHS, SEED_CONFIG, checkConfig, expandGrid, gridSize, parseConfigWithGrid } from '../../src/core/config';
import { GRIDS_FOLDER, GridRecordFile, listGridsSync, parseGridRecord, readGridRecordSync } from '../../src/core/runs/grid';
import { parseConfigDocument, pathSegments, pathString, spanOfPath } from '../../src/extension/editor/configDocument';
import { configDiagnostics } from '../../src/extension/editor/diagnostics';
import { tempDir } from '../helpers/tmp';

/** The dotted paths of a config's leaves, walked on the seed's config itself (not on the schema). */
function leaves(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? leaves(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

test('grid keys: every leaf of the config, derived from the schema (no list to keep)', () => {
  // The schema's leaves: the seed config's, and those of the fields it leaves out when absent
  // (training.augment: absent = the original lab's training).
  const optional = ['training.augment.shift', 'training.augment.rotate', 'training.augment.noise'];
  assert.deepEqual([...GRID_PATHS].sort(), [...leaves(SEED_CONFIG as unknown as Record<string, unknown>), ...optional].sort());
});

test('grid expansion: every combination, the first key slowest, each a whole config', () => {
  const { config, grid } = parseConfigWithGrid({
    name: 'g',
    training: { epochs: 3 },
    grid: { 'training.learningRate': [0.001, 0.01], 'model.hidden': [128, 256, 512], 'model.depth': [[2, 4]] },
  });
  assert.ok(grid);
  assert.equal(gridSize(grid), 6);
  const points = expandGrid(config, grid);
  assert.deepEqual(
    points.map((p) => [p.config.training.learningRate, p.config.model.hidden, p.config.model.depth]),
    [
      [0.001, 128, [2, 4]],
      [0.001, 256, [2, 4]],
      [0.001, 512, [2, 4]],
      [0.01, 128, [2, 4]],
      [0.01, 256, [2, 4]],
      [0.01, 512, [2, 4]],
    ],
  );
  assert.deepEqual(points[4]!.values, { 'training.learningRate': 0.01, 'model.hidden': 256, 'model.depth': [2, 4] });
  assert.deepEqual(
    points.map((p) => p.index),
    [0, 1, 2, 3, 4, 5],
  );
  for (const p of points) {
    // What the grid does not vary is the file's: epochs 3, the rest the seed's; no grid inside a run's config.
    assert.equal(p.config.training.epochs, 3);
    assert.equal(p.config.training.momentum, SEED_CONFIG.training.momentum);
    assert.equal('grid' in p.config, false);
    // A point's config is valid as a config of its own.
    assert.deepEqual(checkConfig(JSON.parse(JSON.stringify(p.config))).problems, []);
  }
  // Each point has its own copy: changing one changes no other, nor the base.
  points[0]!.config.model.depth[0] = 99;
  assert.equal(points[1]!.config.model.depth[0], 2);
  assert.deepEqual(config.model.depth, [4, 8]);
});

test('a config without a grid (or with an empty one) has none', () => {
  assert.equal(checkConfig({}).grid, null);
  assert.equal(checkConfig({ grid: {} }).grid, null);
});

const problemsOf = (grid: unknown) => checkConfig({ grid }).problems;

test('grid validation: an unknown key is named, with the keys allowed', () => {
  const p = problemsOf({ 'training.lr': [0.1] });
  assert.equal(p.length, 1);
  assert.equal(p[0]!.path, 'grid["training.lr"]');
  assert.match(p[0]!.message, /unknown field \(allowed: .*training\.learningRate/);
  // A section is not a leaf; `grid` and `$schema` are not config fields.
  for (const k of ['training', 'grid', '$schema', 'model.depth.0', '__proto__', 'constructor'])
    assert.equal(
      problemsOf(JSON.parse(`{${JSON.stringify(k)}: [1]}`))[0]?.path,
      /^[\w$]+$/.test(k) ? `grid.${k}` : `grid[${JSON.stringify(k)}]`,
      k,
    );
});

test('grid validation: a value list must be a non-empty list', () => {
  assert.deepEqual(problemsOf({ 'model.hidden': [] }), [{ path: 'grid["model.hidden"]', message: 'must have at least 1 items, got 0' }]);
  assert.deepEqual(problemsOf({ 'model.hidden': 128 }), [{ path: 'grid["model.hidden"]', message: 'must be array, got integer 128' }]);
  assert.deepEqual(checkConfig({ grid: [1, 2] }).problems, [{ path: 'grid', message: 'must be object, got array' }]);
});

test("grid validation: each value by the field's own rules, named by key and position", () => {
  assert.deepEqual(problemsOf({ 'training.learningRate': [0.01, 0, 'fast'] }), [
    { path: 'grid["training.learningRate"][1]', message: 'must be > 0, got 0' },
    { path: 'grid["training.learningRate"][2]', message: 'must be number, got string' },
  ]);
  assert.deepEqual(problemsOf({ 'model.hidden': [1.5] }), [
    { path: 'grid["model.hidden"][0]', message: 'must be integer, got number 1.5' },
  ]);
  assert.deepEqual(problemsOf({ 'model.depth': [[4, 8, 16]] }), [
    { path: 'grid["model.depth"][0]', message: 'must have at most 2 items, got 3' },
  ]);
  // A rule the schema cannot say (odd kernel sizes) is checked on each point's whole config.
  assert.deepEqual(problemsOf({ 'model.kernelSize': [3, 4, 5] }), [
    { path: 'grid["model.kernelSize"]', message: 'must be odd for "same" padding, got 4' },
  ]);
  assert.deepEqual(problemsOf({ 'data.classNames': [['a', 'a']] }), [
    { path: 'grid["data.classNames"]', message: 'must not repeat a name' },
  ]);
});

test('grid validation: at most CONFIG_LIMITS.gridPoints runs', () => {
  const seeds = Array.from({ length: 8 }, (_, i) => i);
  assert.deepEqual(problemsOf({ 'training.seed': seeds, 'model.hidden': [1, 2, 3, 4, 5, 6, 7, 8] }), []);
  assert.equal(8 * 8, CONFIG_LIMITS.gridPoints);
  assert.deepEqual(problemsOf({ 'training.seed': seeds, 'model.hidden': [1, 2, 3, 4, 5, 6, 7, 8, 9] }), [
    { path: 'grid', message: 'makes 72 runs (8 × 9), more than the 64 allowed' },
  ]);
  // One list longer than the limit is refused by the schema without expanding anything.
  const many = Array.from({ length: 100_000 }, (_, i) => i);
  assert.deepEqual(problemsOf({ 'training.seed': many }), [
    { path: 'grid["training.seed"]', message: 'must have at most 64 items, got 100000' },
  ]);
});

test('grid problems point at their text in the editor (diagnostics)', () => {
  const text = '{\n  "grid": {\n    "training.learningRate": [0.01, 0],\n    "model.hiden": [1]\n  }\n}\n';
  const diags = configDiagnostics(parseConfigDocument(text), { file: '/x/lab.mnist.json', defaultDataDir: null });
  const shown = diags.map((d) => [d.path, text.slice(d.span.offset, d.span.offset + d.span.length)]);
  assert.deepEqual(shown, [
    ['grid["training.learningRate"][1]', '0'],
    ['grid["model.hiden"]', '"model.hiden"'],
  ]);
  assert.deepEqual(pathSegments('grid["training.learningRate"][1]'), ['grid', 'training.learningRate', 1]);
  assert.equal(pathString(['grid', 'training.learningRate', 1]), 'grid["training.learningRate"][1]');
  assert.ok(spanOfPath(parseConfigDocument(text), 'grid["model.hiden"]'));
});

test('grid record: written whole after each change, read back with run folders inside the runs folder', () => {
  const runs = tempDir('mnist-lab-grid-record-');
  const g = GridRecordFile.create(runs, {
    name: 'lr/sweep',
    source: '/x/lab.mnist.json',
    keys: ['training.learningRate'],
    values: [{ 'training.learningRate': 0.01 }, { 'training.learningRate': 0.1 }],
  });
  assert.match(g.file, /grids[\\/]\d{8}-\d{6}-lr_sweep\.json$/);
  g.update(0, { runDir: join(runs, '20260101-000000-a'), status: 'completed', valAccuracy: 0.9, testAccuracy: 0.8 });
  g.ended(1, 'failed');
  g.finish('failed');
  assert.deepEqual(listGridsSync(runs), [g.file]);
  const back = readGridRecordSync(g.file, runs);
  assert.equal(back.status, 'failed');
  assert.deepEqual(
    back.points.map((p) => [p.runDir, p.status, p.valAccuracy, p.testAccuracy]),
    [
      [join(runs, '20260101-000000-a'), 'completed', 0.9, 0.8],
      [null, 'failed', null, null],
    ],
  );
  // A second grid in the same second gets its own file.
  const g2 = GridRecordFile.create(runs, { name: 'lr/sweep', source: null, keys: ['model.hidden'], values: [{ 'model.hidden': 1 }] });
  assert.notEqual(g2.file, g.file);
  assert.equal(JSON.parse(readFileSync(g2.file, 'utf8')).status, 'running');
});

test('grid record: a hostile file is refused, naming the field', () => {
  const runs = tempDir('mnist-lab-grid-hostile-');
  const good = {
    type: 'grid',
    version: 1,
    name: 'g',
    source: null,
    keys: ['model.hidden'],
    status: 'completed',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    points: [{ values: { 'model.hidden': 8 }, runDir: '20260101-000000-g', status: 'completed', valAccuracy: 0.5, testAccuracy: null }],
  };
  const file = join(runs, GRIDS_FOLDER, '20260101-000000-g.json');
  assert.equal(parseGridRecord(good, file, runs).points[0]!.runDir, join(runs, '20260101-000000-g'));
  const point = (p: object) => ({ ...good, points: [{ ...good.points[0], ...p }] });
  const cases: [unknown, RegExp][] = [
    [[], /grid record must be a JSON object/],
    [{ ...good, type: 'run' }, /type must be "grid"/],
    [point({ runDir: '../outside' }), /points\[0\]\.runDir must be the name of a run folder/],
    [point({ runDir: '/etc' }), /points\[0\]\.runDir/],
    [point({ runDir: '..' }), /points\[0\]\.runDir/],
    [point({ runDir: 'a/b' }), /points\[0\]\.runDir/],
    [point({ valAccuracy: 2 }), /points\[0\]\.valAccuracy must be a number in \[0, 1\]/],
    [point({ valAccuracy: '0.5' }), /points\[0\]\.valAccuracy/],
    [point({ status: 'done' }), /points\[0\]\.status must be one of/],
    [point({ values: { other: 1 } }), /points\[0\]\.values\["model.hidden"\] must be a config value/],
    [point({ values: { 'model.hidden': { a: 1 } } }), /must be a config value/],
    [{ ...good, keys: 'model.hidden' }, /keys must be a list/],
    [{ ...good, keys: ['__proto__'] }, /keys must be a list of 1 to 32 distinct config paths/],
    [{ ...good, keys: ['model.hidden', 'model.hidden'] }, /keys must be a list of 1 to 32 distinct config paths/],
    [{ ...good, points: Array.from({ length: 65 }, () => good.points[0]) }, /points must be a list of 1 to 64/],
    [{ ...good, status: 'ok' }, /status must be one of/],
    [{ ...good, name: 'x'.repeat(1000) }, /name must be a string/],
  ];
  for (const [raw, message] of cases) assert.throws(() => parseGridRecord(raw, file, runs), message, JSON.stringify(raw).slice(0, 100));
  // Through the untrusted-file rules: not JSON, a folder, too large.
  mkdirSync(join(runs, GRIDS_FOLDER), { recursive: true });
  writeFileSync(file, '{');
  assert.throws(() => readGridRecordSync(file, runs), /20260101-000000-g\.json/);
  writeFileSync(file, ' '.repeat(2 << 20));
  assert.throws(() => readGridRecordSync(file, runs), /more than the 1 MiB allowed/);
  mkdirSync(join(runs, GRIDS_FOLDER, '20260102-000000-d.json'));
  assert.throws(() => readGridRecordSync(join(runs, GRIDS_FOLDER, '20260102-000000-d.json'), runs), /directory/);
});
