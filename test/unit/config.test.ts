import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONFIG_SCHEMA, SEED_CONFIG, checkConfig, loadConfigFile, parseConfig, parseConfigText } from '../../src/core/config';
import { tempDir } from '../helpers/tmp';

test('an empty config is the seed', () => {
  assert.deepEqual(parseConfig({}), SEED_CONFIG);
  assert.deepEqual(SEED_CONFIG.model, { depth: [4, 8], kernelSize: 5, hidden: 512, dropout: 0.5 });
  assert.deepEqual(
    {
      epochs: SEED_CONFIG.training.epochs,
      batchSize: SEED_CONFIG.training.batchSize,
      lr: SEED_CONFIG.training.learningRate,
      m: SEED_CONFIG.training.momentum,
      every: SEED_CONFIG.training.evalEvery,
    },
    { epochs: 20, batchSize: 64, lr: 0.001, m: 0.9, every: 100 },
  );
});

test('partial sections are filled with defaults', () => {
  const c = parseConfig({ name: 'wide', model: { depth: [16, 32] }, training: { learningRate: 0.01 } });
  assert.deepEqual(c.model.depth, [16, 32]);
  assert.equal(c.model.kernelSize, 5);
  assert.equal(c.training.learningRate, 0.01);
  assert.equal(c.training.epochs, 20);
  assert.equal(c.name, 'wide');
});

test('errors name the JSON path and the rule', () => {
  const cases: [unknown, RegExp][] = [
    [{ model: { depth: [4] } }, /model\.depth: must have at least 2 items, got 1/],
    [{ model: { depth: [4, -8] } }, /model\.depth\[1\]: must be ≥ 1, got -8/],
    [{ model: { depth: [4, 8.5] } }, /model\.depth\[1\]: must be integer, got number 8.5/],
    [{ model: { kernelSize: 4 } }, /model\.kernelSize: must be odd for "same" padding, got 4/],
    [{ model: { dropout: 1 } }, /model\.dropout: must be < 1, got 1/],
    [{ training: { learningRate: 0 } }, /training\.learningRate: must be > 0, got 0/],
    [{ training: { epochs: '20' } }, /training\.epochs: must be integer, got string/],
    [{ training: { epoch: 3 } }, /training\.epoch: unknown field \(allowed: epochs, batchSize/],
    [{ modle: {} }, /modle: unknown field/],
    [{ data: { classNames: ['a', 'a'] } }, /data\.classNames: must not repeat a name/],
    [[1, 2], /\(top level\): a config must be a JSON object, got array/],
  ];
  for (const [raw, re] of cases) {
    assert.throws(
      () => parseConfig(raw, 'lab.mnist.json'),
      (e: Error) => re.test(e.message) && e.message.startsWith('lab.mnist.json: '),
      `${JSON.stringify(raw)} → ${re}`,
    );
  }
  const { problems } = checkConfig({ model: { depth: [0, 0] }, training: { batchSize: 0 } });
  assert.deepEqual(
    problems.map((p) => p.path),
    ['model.depth[0]', 'model.depth[1]', 'training.batchSize'],
  );
});

test('invalid JSON is reported with line and column', () => {
  assert.throws(
    () => parseConfigText('{\n  "name": "x",\n  oops\n}', 'bad.mnist.json'),
    /bad\.mnist\.json: not valid JSON at line 3, column 3/,
  );
});

test('a relative data.dir is resolved against the config file; missing file is named', () => {
  const dir = tempDir();
  const file = join(dir, 'a.mnist.json');
  writeFileSync(file, JSON.stringify({ data: { dir: 'fashion' } }));
  assert.equal(loadConfigFile(file).data.dir, join(dir, 'fashion'));
  assert.throws(() => loadConfigFile(join(dir, 'missing.mnist.json')), /missing\.mnist\.json: cannot read config: file not found/);
});

test('the committed JSON Schema is the one generated from CONFIG_SCHEMA', () => {
  const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'schema', 'mnist-lab.schema.json'), 'utf8'));
  assert.deepEqual(committed, CONFIG_SCHEMA);
  // Every default in the schema is the seed's value.
  const props = CONFIG_SCHEMA.properties as Record<string, { properties: Record<string, { default?: unknown }> }>;
  for (const section of ['model', 'training', 'data'] as const) {
    for (const [k, v] of Object.entries(props[section]!.properties)) {
      assert.deepEqual(v.default, (SEED_CONFIG[section] as Record<string, unknown>)[k], `${section}.${k}`);
    }
  }
  const schedule = props.training!.properties.schedule as unknown as { properties: Record<string, { default?: unknown }> };
  for (const [k, v] of Object.entries(schedule.properties)) {
    assert.deepEqual(v.default, (SEED_CONFIG.training.schedule as unknown as Record<string, unknown>)[k], `training.schedule.${k}`);
  }
});
