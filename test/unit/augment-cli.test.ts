/**
 * `mnist-lab robustness RUN --sweep --compare RUN2` on the two committed 20-epoch runs (the seed's
 * config without and with training.augment.shift 3): RUN2's sweep is the one a separate sweep of
 * RUN2 gives, beside RUN's, and the augmented run's committed weights reproduce its record.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadLabData } from '../../src/core/data/mnist';
import { formatSweepComparison } from '../../src/cli/output';
import { cli, jsonLines } from '../helpers/cli';
import { head, writeIdxDir } from '../helpers/dataset';
import { tempDir } from '../helpers/tmp';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const seedRun = join(FIXTURES, 'seed-run-20-epochs');
const augmentedRun = join(FIXTURES, 'augment-shift3-run-20-epochs');
const full = loadLabData();
const root = tempDir();
// 200 test images (the second half of 400): a sweep of range 1 in seconds.
const dataDir = writeIdxDir(join(root, 'data'), head(full.train, 64), head(full.testFile, 400));

test('the committed augmented run: its config asks for shift 3, its weights reproduce its test accuracy', () => {
  const config = JSON.parse(readFileSync(join(augmentedRun, 'config.json'), 'utf8'));
  assert.deepEqual(config.training.augment, { shift: 3, rotate: 0, noise: 0 });
  const stored = JSON.parse(readFileSync(join(augmentedRun, 'summary.json'), 'utf8'));
  const ev = jsonLines(cli(['evaluate', augmentedRun, '--json']).stdout).at(-1)!;
  assert.equal(ev.testAccuracy, stored.testAccuracy);
});

test('robustness --sweep --compare: the second run’s sweep beside the first, equal to its own sweep', () => {
  const r = cli(['robustness', seedRun, '--sweep', '--range', '1', '--data', dataDir, '--compare', augmentedRun]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const both = JSON.parse(lines[0]!);
  const alone = (run: string) => JSON.parse(cli(['robustness', run, '--sweep', '--range', '1', '--data', dataDir]).stdout.trim());
  const seed = alone(seedRun);
  const augmented = alone(augmentedRun);
  assert.ok(String(both.model).startsWith(seedRun));
  assert.ok(String(both.compare.model).startsWith(augmentedRun));
  for (const k of ['shift', 'rotation', 'noise', 'accuracy', 'count', 'statement']) {
    assert.deepEqual(both[k], seed[k], k);
    assert.deepEqual(both.compare[k], augmented[k], `compare.${k}`);
  }
  assert.notDeepEqual(both.compare.shift.accuracy, both.shift.accuracy, 'two different models, two different sweeps');
  const text = formatSweepComparison(both, both.compare, true);
  const radius = text.findIndex((l) => l.startsWith('worst within radius'));
  assert.match(text[radius + 1]!, /^run 1\s/);
  assert.match(text[radius + 2]!, /^run 2\s/);
  assert.ok(text[radius + 2]!.includes((100 * augmented.shift.byRadius[1].minAccuracy).toFixed(1)));
});

test('--compare: only with --sweep; an empty or missing RUN2 is exit 2 naming it', () => {
  const bad = (args: string[], pattern: RegExp) => {
    const r = cli(args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), pattern);
  };
  bad(['robustness', seedRun, '--compare', augmentedRun], /--compare: only with --sweep/);
  bad(['robustness', seedRun, '--sweep', '--compare', ''], /--compare: expected a second RUN/);
  bad(['robustness', seedRun, '--sweep', '--compare', join(root, 'nowhere')], /nowhere: no such run directory or weights file/);
});

test('the panel asks for a compared run’s sweep by its place among the runs drawn over the shown one (validated, never a path)', async () => {
  const { validateFromWebview } = await import('../../src/core/protocol');
  assert.equal(validateFromWebview({ messageId: 1, type: 'sweep', range: 3, overlay: 0 }).ok, true);
  assert.equal(validateFromWebview({ messageId: 1, type: 'sweep', range: 3 }).ok, true);
  for (const overlay of [-1, 8, 1.5, '0', null, '/tmp/run'])
    assert.match(
      (validateFromWebview({ messageId: 1, type: 'sweep', range: 3, overlay }) as { error: string }).error,
      /^sweep: overlay must be a whole number 0\.\.7/,
      String(overlay),
    );
  assert.equal(validateFromWebview({ messageId: 1, type: 'ready', overlay: 0 }).ok, false);
});

test('the editor marks a bad training.augment value on its own text, naming the field, with a fix that removes it (the seed has none)', async () => {
  const { parseConfigDocument } = await import('../../src/extension/editor/configDocument');
  const { configDiagnostics } = await import('../../src/extension/editor/diagnostics');
  const text = '{\n  "training": { "augment": { "shift": 2.5, "rotate": 10 } }\n}\n';
  const ds = configDiagnostics(parseConfigDocument(text), { file: join(root, 'lab.mnist.json'), defaultDataDir: null });
  assert.equal(ds.length, 1, JSON.stringify(ds));
  const d = ds[0]!;
  assert.equal(d.path, 'training.augment.shift');
  assert.match(d.message, /must be integer, got number 2\.5/);
  assert.equal(text.slice(d.span.offset, d.span.offset + d.span.length), '2.5');
  assert.ok(d.fix, 'no quick fix');
  let fixed = text;
  for (const e of [...d.fix.edits].sort((a, b) => b.offset - a.offset))
    fixed = fixed.slice(0, e.offset) + e.content + fixed.slice(e.offset + e.length);
  assert.deepEqual(JSON.parse(fixed), { training: { augment: { rotate: 10 } } });
  const good = '{ "training": { "augment": { "shift": 3 } } }';
  assert.deepEqual(configDiagnostics(parseConfigDocument(good), { file: join(root, 'lab.mnist.json'), defaultDataDir: null }), []);
});
