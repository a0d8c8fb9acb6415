import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigDocument } from '../../src/extension/editor/configDocument';
import { HINT_MAX_LENGTH, configHints, latestRunLabels, liveLabels } from '../../src/extension/editor/hints';
import { type RunRecord, readRunRecord } from '../../src/extension/editor/runHistory';
import { tempDir } from '../helpers/tmp';

// The committed 20-epoch seed run (wasm, 99.12 % test, 98.00 % validation, 498 s).
const root = tempDir('mnist-lab-editor-hints-');
const runDir = join(root, 'runs', '20261128-001011-seed');
cpSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs'), runDir, { recursive: true });
const run = readRunRecord(runDir)!;
const file = join(root, 'seed.mnist.json');
const at = (text: string, offset: number) => text.slice(0, offset);

test('the run record of the committed seed run', () => {
  assert.equal(run.status, 'completed');
  assert.equal(run.testAccuracy, 0.9912);
  assert.equal(run.backend, 'wasm');
  assert.deepEqual(run.config?.model.depth, [4, 8]);
  assert.equal(run.source, null);
});

test('the latest run’s accuracies after the top-level {, its duration and backend after the closing }', () => {
  const text = '{\n  "name": "seed"\n}\n';
  const hints = configHints(parseConfigDocument(text), { file, defaultDataDir: null, latest: run, live: null });
  assert.deepEqual(
    hints.map((h) => [h.kind, h.offset, h.label]),
    [
      ['latest', 1, 'last run: test 99.12 % · val 98.00 %'],
      ['latest', text.indexOf('}') + 1, 'last run: 8 min 18 s on wasm'],
    ],
  );
  assert.deepEqual(latestRunLabels({ ...run, seconds: 12.34 }), ['last run: test 99.12 % · val 98.00 %', 'last run: 12.3 s on wasm']);
  // VS Code cuts a line's hints after 43 characters: each line's hint fits, even with long numbers.
  const long = [
    ...latestRunLabels({ ...run, seconds: 86399, backend: 'tensorflow-gpu', testAccuracy: 1, valAccuracy: 1 }),
    ...liveLabels({ epoch: 999, epochs: 1000, step: 937999, totalSteps: 938000, valAccuracy: 1 }, { ...run, testAccuracy: 1 }),
  ];
  for (const label of long) assert.ok(label.length <= HINT_MAX_LENGTH, `${label} (${label.length} characters)`);
  // The file writes nothing else: epochs etc. are the seed's, as in the run.
  assert.match(hints[0]!.tooltip, /still has that run’s settings/);
});

test('"(last run: X)" after each written value that differs from that run’s', () => {
  const text =
    '{\n  "name": "renamed",\n  "model": { "depth": [8, 16], "kernelSize": 5 },\n  "training": { "learningRate": 0.01, "epochs": 20 }\n}';
  const hints = configHints(parseConfigDocument(text), { file, defaultDataDir: null, latest: run, live: null });
  const changed = hints.filter((h) => h.kind === 'changed');
  assert.deepEqual(
    changed.map((h) => [h.path, h.label, at(text, h.offset).slice(-8)]),
    [
      ['model.depth', '(last run: [4, 8])', ' [8, 16]'],
      ['training.learningRate', '(last run: 0.001)', 'e": 0.01'],
    ],
  );
  assert.ok(!changed.some((h) => h.path === 'name'), 'a new name is not a new hyperparameter');
  const top = hints.find((h) => h.kind === 'latest')!;
  assert.match(top.tooltip, /model\.depth: \[4, 8\] → \[8, 16\]; training\.learningRate: 0\.001 → 0\.01/);
});

test('a field removed from the file is named in the tooltip as back at its default', () => {
  const r: RunRecord = { ...run, config: { ...run.config!, training: { ...run.config!.training, epochs: 3 } } };
  const hints = configHints(parseConfigDocument('{ "name": "seed" }'), { file, defaultDataDir: null, latest: r, live: null });
  assert.match(hints.find((h) => h.kind === 'latest')!.tooltip, /training\.epochs: 3 → 20 \(default\)/);
});

test('data.dir is compared as Train resolves it (relative to the file)', () => {
  const r: RunRecord = { ...run, config: { ...run.config!, data: { dir: join(root, 'data'), classNames: null } } };
  const same = configHints(parseConfigDocument('{ "data": { "dir": "data" } }'), { file, defaultDataDir: null, latest: r, live: null });
  assert.deepEqual(
    same.filter((h) => h.kind === 'changed'),
    [],
  );
  const other = configHints(parseConfigDocument('{ "data": { "dir": "other" } }'), { file, defaultDataDir: null, latest: r, live: null });
  // Inside the config's folder it reads relative, as written.
  assert.deepEqual(
    other.filter((h) => h.kind === 'changed').map((h) => h.label),
    ['(last run: "data")'],
  );
  const outside: RunRecord = { ...run, config: { ...run.config!, data: { dir: '/elsewhere/mnist', classNames: null } } };
  const far = configHints(parseConfigDocument('{ "data": { "dir": "data" } }'), {
    file,
    defaultDataDir: null,
    latest: outside,
    live: null,
  });
  assert.deepEqual(
    far.filter((h) => h.kind === 'changed').map((h) => h.label),
    ['(last run: "/elsewhere/mnist")'],
  );
});

test('while the file trains: epoch and validation after {, the step (and the last run’s accuracy) after }', () => {
  const text = '{\n  "name": "seed"\n}';
  const live = { epoch: 2, epochs: 3, step: 1000, totalSteps: 2814, valAccuracy: 0.9731 };
  const hints = configHints(parseConfigDocument(text), { file, defaultDataDir: null, latest: run, live });
  assert.deepEqual(
    hints.map((h) => [h.kind, h.offset, h.label]),
    [
      ['live', 1, 'training: epoch 2/3 · val 97.31 %'],
      ['live', text.length, 'step 1000/2814 · last run: 99.12 %'],
    ],
  );
  assert.match(hints[0]!.tooltip, /training now[\s\S]*20261128-001011-seed/);
  // A first run, before its first evaluation.
  const first = configHints(parseConfigDocument(text), {
    file,
    defaultDataDir: null,
    latest: null,
    live: { epoch: 0, epochs: 1, step: 0, totalSteps: 188, valAccuracy: null },
  });
  assert.deepEqual(
    first.map((h) => h.label),
    ['training: epoch 1/1 · val —', 'step 0/188'],
  );
});

test('no hints on half-typed JSON, on a non-object, or without any run', () => {
  for (const t of ['{ "name": "se', '{ "model": { "depth": [4, ', '[]', '']) {
    assert.deepEqual(configHints(parseConfigDocument(t), { file, defaultDataDir: null, latest: run, live: null }), [], t);
  }
  assert.deepEqual(configHints(parseConfigDocument('{}'), { file, defaultDataDir: null, latest: null, live: null }), []);
});

test('a run whose config.json is unreadable still shows its accuracy', () => {
  writeFileSync(join(runDir, 'config.json'), '{ broken');
  const r = readRunRecord(runDir)!;
  assert.equal(r.config, null);
  const hints = configHints(parseConfigDocument('{ "model": { "hidden": 64 } }'), { file, defaultDataDir: null, latest: r, live: null });
  assert.deepEqual(
    hints.map((h) => h.kind),
    ['latest', 'latest'],
  );
});
