import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  EXPLAIN_COMMAND,
  RUN_HISTORY_COMMAND,
  configLenses,
  isModelFile,
  modelLenses,
  runDirOfModel,
} from '../../src/extension/editor/lenses';
import {
  RunIndex,
  historyItem,
  latestFinished,
  readRunRecord,
  recordRunSource,
  runsOfConfig,
  shortDate,
} from '../../src/extension/editor/runHistory';
import { isWeightsFile, kernelsOfSafetensors, runViewFromWeights } from '../../src/extension/editor/weightsView';
import { tempDir } from '../helpers/tmp';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const root = tempDir('mnist-lab-editor-lenses-');
const runs = join(root, 'runs');
const configA = join(root, 'a.mnist.json');
const configB = join(root, 'b.mnist.json');

/** A run folder as the run store writes it, from the committed seed run with another status/name. */
function makeRun(id: string, patch: Record<string, unknown>): string {
  const dir = join(runs, id);
  cpSync(join(FIXTURES, 'seed-run-20-epochs'), dir, { recursive: true });
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...s, runId: id, runDir: dir, ...patch }));
  return dir;
}

const titles = (l: { title: string }[]) => l.map((x) => x.title);

test('config lenses: ▶ Train, Evaluate, Robustness, Open Lab, Run History; ■ Stop first while the file trains', () => {
  const latest = readRunRecord(makeRun('20260101-000000-seed', {}))!;
  const idle = configLenses({ file: configA, latest, training: false });
  assert.deepEqual(titles(idle), ['▶ Train', 'Evaluate', 'Robustness', 'Open Lab', 'Run History']);
  assert.deepEqual(
    idle.map((l) => [l.command, l.args]),
    [
      ['mnistLab.train', [{ config: configA }]],
      ['mnistLab.evaluate', [{ run: latest.dir }]],
      ['mnistLab.robustness', [{ run: latest.dir }]],
      ['mnistLab.openLab', [{ run: latest.dir }]],
      [RUN_HISTORY_COMMAND, [configA]],
    ],
  );
  const busy = configLenses({ file: configA, latest, training: true });
  assert.deepEqual(titles(busy), ['■ Stop', '▶ Train', 'Evaluate', 'Robustness', 'Open Lab', 'Run History']);
  assert.equal(busy[0]!.command, 'mnistLab.stop');
});

test('Evaluate and Robustness without a finished run of the file say so instead of acting on another run', () => {
  const lenses = configLenses({ file: configB, latest: null, training: false });
  for (const t of ['Evaluate', 'Robustness']) {
    const l = lenses.find((x) => x.title === t)!;
    assert.equal(l.command, EXPLAIN_COMMAND);
    assert.match(String(l.args[0]), /b\.mnist\.json has no finished run yet/);
  }
  assert.deepEqual(lenses.find((x) => x.title === 'Open Lab')!.args, []);
});

test('model files: a run’s model.json and any .safetensors get Evaluate, Robustness, Dissect', () => {
  const dir = join(runs, '20260101-000000-seed');
  const modelJson = join(dir, 'model', 'model.json');
  assert.ok(isModelFile(modelJson) && isModelFile(join(dir, 'model', 'model.safetensors')) && isModelFile('/x/notebook.safetensors'));
  assert.ok(!isModelFile(configA) && !isModelFile('/x/package.json'));
  const isRun = (d: string) => existsSync(join(d, 'summary.json'));
  assert.equal(runDirOfModel(modelJson, isRun), dir);
  assert.equal(runDirOfModel(join(FIXTURES, 'pytorch-seed.safetensors'), isRun), null);
  // Inside a run: the whole run; bare weights: the file.
  assert.deepEqual(
    modelLenses(modelJson, dir).map((l) => [l.title, l.command, l.args]),
    [
      ['Evaluate', 'mnistLab.evaluate', [{ run: dir }]],
      ['Robustness', 'mnistLab.robustness', [{ run: dir }]],
      ['Dissect', 'mnistLab.openLab', [{ run: dir }]],
    ],
  );
  const bare = join(FIXTURES, 'pytorch-seed.safetensors');
  assert.deepEqual(
    modelLenses(bare, null).map((l) => l.args[0]),
    [{ run: bare }, { run: bare }, { run: bare }],
  );
});

test('a config’s runs: linked by source.json, else by name; the latest finished one is the newest completed', async () => {
  const r1 = makeRun('20260102-000000-seed', { status: 'completed', testAccuracy: 0.97 });
  const r2 = makeRun('20260103-000000-seed', { status: 'cancelled', testAccuracy: 0.5 });
  const r3 = makeRun('20260104-000000-seed', { status: 'completed', testAccuracy: 0.98 });
  recordRunSource(r1, configA);
  recordRunSource(r2, configA);
  recordRunSource(r3, configB);
  recordRunSource(r3, configA); // the first record stays
  assert.equal(JSON.parse(readFileSync(join(r3, 'source.json'), 'utf8')).config, configB);
  const index = new RunIndex(() => runs);
  const all = await index.all();
  assert.deepEqual(
    all.map((r) => r.runId),
    ['20260104-000000-seed', '20260103-000000-seed', '20260102-000000-seed', '20260101-000000-seed'],
  );
  assert.deepEqual(
    (await index.of(configA, 'seed')).map((r) => r.dir),
    [r2, r1, join(runs, '20260101-000000-seed')],
    'r3 belongs to b; the unlinked run matches the name',
  );
  assert.deepEqual(
    (await index.of(configA, 'other')).map((r) => r.dir),
    [r2, r1],
  );
  assert.equal(latestFinished(await index.of(configA, 'seed'))!.dir, r1, 'the cancelled r2 is newer but not finished');
  assert.equal(latestFinished(runsOfConfig(all, configB, 'seed'))!.dir, r3);
  assert.equal(latestFinished([]), null);
});

test('the run index re-reads a run whose summary changed, and skips corrupt ones', async () => {
  const index = new RunIndex(() => runs);
  const dir = makeRun('20260105-000000-seed', { status: 'running', testAccuracy: null, model: undefined });
  assert.equal((await index.all())[0]!.status, 'running');
  assert.equal(latestFinished((await index.all()).slice(0, 1)), null);
  await new Promise((r) => setTimeout(r, 20));
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify({ ...s, status: 'completed', testAccuracy: 0.99, model: { safetensors: 'm', tfjs: 'j' } }),
  );
  assert.equal((await index.all())[0]!.status, 'completed');
  mkdirSync(join(runs, '20260106-000000-broken'));
  writeFileSync(join(runs, '20260106-000000-broken', 'summary.json'), '{ half');
  assert.ok(!(await index.all()).some((r) => r.runId.includes('broken')));
  assert.deepEqual(await new RunIndex(() => join(root, 'nowhere')).all(), []);
});

test('history lines: accuracy, validation, date, steps, backend', () => {
  const r = readRunRecord(join(runs, '20260102-000000-seed'))!;
  const item = historyItem(r);
  assert.equal(item.label, 'test 97.00 % · validation 98.00 %');
  assert.equal(item.description, '2026-11-28 00:10 UTC');
  assert.match(item.detail, /^20260102-000000-seed · 18760\/18760 steps, 20\/20 epochs · 8 min 18 s on wasm$/);
  assert.match(historyItem(readRunRecord(join(runs, '20260103-000000-seed'))!).label, /^cancelled, test 50\.00 %/);
  assert.match(historyItem(readRunRecord(join(runs, '20260101-000000-seed'))!).detail, /matched by name/);
  assert.equal(shortDate('not a date'), 'not a date');
});

test('Dissect on bare weights: the seed notebook’s safetensors as a run of its own, kernels read without tfjs', async () => {
  const file = join(FIXTURES, 'pytorch-seed.safetensors');
  assert.ok(await isWeightsFile(file));
  assert.ok(!(await isWeightsFile(join(runs, '20260102-000000-seed'))), 'a run directory is not a weights file');
  const k = kernelsOfSafetensors(file)!;
  assert.deepEqual(k.conv1.shape, [4, 1, 5, 5]);
  assert.deepEqual(k.conv2.shape, [8, 4, 5, 5]);
  assert.equal(k.conv1.weight.length, 100);
  assert.equal(k.conv2.bias.length, 8);
  assert.ok(k.conv1.weight.some((w) => w !== 0));
  const v = await runViewFromWeights(file);
  assert.equal(v.runDir, file, 'the analysis worker loads the file itself');
  assert.equal(v.status, 'completed');
  assert.equal(v.summary?.model?.safetensors, file);
  assert.equal(v.snapshots.length, 1);
  const tfjs = await runViewFromWeights(join(runs, '20260102-000000-seed', 'model', 'model.json'));
  assert.equal(tfjs.snapshots.length, 0);
  assert.ok(tfjs.summary?.model?.tfjs.endsWith('model.json'));
});
