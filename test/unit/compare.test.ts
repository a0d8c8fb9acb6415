/** Run comparison (src/core/runs/compare.ts) and `mnist-lab compare` on real short runs. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SEED_CONFIG, type LabConfig } from '../../src/core/config';
import { loadLabData } from '../../src/core/data/mnist';
import { compareRuns, differingFields, flattenConfig } from '../../src/core/runs/compare';
import { stepsOfTotal } from '../../src/core/format';
import { readRun } from '../../src/core/runs/store';
import { cli, jsonLines } from '../helpers/cli';
import { head, writeIdxDir } from '../helpers/dataset';
import { tempDir } from '../helpers/tmp';

const variant = (f: (c: LabConfig) => void): LabConfig => {
  const c = structuredClone(SEED_CONFIG);
  f(c);
  return c;
};

test('flattenConfig: dotted leaf paths, arrays as one value', () => {
  const flat = flattenConfig(SEED_CONFIG);
  assert.equal(flat.get('model.depth'), '[4,8]');
  assert.equal(flat.get('training.learningRate'), '0.001');
  assert.equal(flat.get('data.dir'), 'null');
  // Every leaf of the seed config, counted by hand: name, 4 model, 6 training + 5 of the optimizer
  // (optimizer, nesterov, weightDecay, betas, eps) + 13 of training.schedule, 2 data.
  assert.equal(flat.get('training.schedule.type'), '"none"');
  assert.equal(flat.size, 1 + 4 + (6 + 5 + 13) + 2);
});

test('differingFields: only the fields in which some run differs, whatever the number of runs', () => {
  const a = SEED_CONFIG;
  const b = variant((c) => (c.model.depth = [16, 32]));
  const c = variant((c) => (c.training.learningRate = 0.01));
  const d = variant((c) => {
    c.model.depth = [16, 32];
    c.training.learningRate = 0.01;
    c.name = 'wide-fast';
  });
  assert.deepEqual(differingFields([a, a]), []);
  assert.deepEqual(differingFields([a, b]), ['model.depth']);
  assert.deepEqual(differingFields([a, b, c]), ['model.depth', 'training.learningRate']);
  assert.deepEqual(differingFields([a, b, c, d]), ['model.depth', 'name', 'training.learningRate']);
  // A field that only one run equals still differs; [4, 8] vs [4, 9] differs by one element.
  assert.deepEqual(differingFields([a, a, variant((c) => (c.model.depth = [4, 9]))]), ['model.depth']);
});

test("mnist-lab compare: three real runs of different configs, the differing fields and each run's own results", () => {
  const root = tempDir();
  const data = loadLabData();
  const dataDir = writeIdxDir(join(root, 'data'), head(data.train, 320), head(data.testFile, 200));
  const configs: Array<[string, unknown]> = [
    ['small', { name: 'cmp', model: { depth: [4, 8] }, training: { learningRate: 0.001, epochs: 1, batchSize: 32, evalEvery: 2 } }],
    ['wide', { name: 'cmp', model: { depth: [16, 32] }, training: { learningRate: 0.001, epochs: 1, batchSize: 32, evalEvery: 2 } }],
    ['fast', { name: 'cmp', model: { depth: [4, 8] }, training: { learningRate: 0.01, epochs: 1, batchSize: 32, evalEvery: 2 } }],
  ];
  const runs = configs.map(([n, cfg]) => {
    const file = join(root, `${n}.mnist.json`);
    writeFileSync(file, JSON.stringify(cfg));
    const r = cli(['train', file, '--data', dataDir, '--max-steps', '6', '--workers', '1', '--json', '--out', join(root, 'runs')]);
    assert.equal(r.status, 0, r.stderr);
    return jsonLines(r.stdout).at(-1)!.runDir as string;
  });
  const r = cli(['compare', ...runs, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = jsonLines(r.stdout).at(-1)! as {
    fields: string[];
    runs: Array<{ runDir: string; values: string[]; valAccuracy: number; testAccuracy: number; seconds: number }>;
  };
  // data.dir is the same resolved path in all three; only depth and learning rate differ.
  assert.deepEqual(s.fields, ['model.depth', 'training.learningRate']);
  assert.deepEqual(
    s.runs.map((x) => x.values),
    [
      ['[4,8]', '0.001'],
      ['[16,32]', '0.001'],
      ['[4,8]', '0.01'],
    ],
  );
  runs.forEach((dir, i) => {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.equal(s.runs[i]!.runDir, dir);
    assert.equal(s.runs[i]!.testAccuracy, summary.testAccuracy);
    assert.equal(s.runs[i]!.valAccuracy, summary.valAccuracy);
    assert.equal(s.runs[i]!.seconds, summary.seconds);
  });
  // The curves are the runs' own records (6 steps, a validation every 2: three points each).
  const c = compareRuns(runs.map((d) => readRun(d)));
  c.runs.forEach((x, i) => {
    assert.equal(x.curve.steps.length, 3);
    assert.deepEqual(
      x.curve.steps,
      readRun(runs[i]!).progress.map((p) => p.step),
    );
  });
  assert.deepEqual(
    c.runs[1]!.curve.valError,
    readRun(runs[1]!).progress.map((p) => p.record[1]),
  );
  const human = cli(['compare', ...runs]).stdout;
  assert.match(human, /configs differ in: model\.depth, training\.learningRate/);
  assert.match(human, /\[16,32\]\s+0\.001\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d s/);
  // Six steps of a one-epoch config: no whole epoch done, the six steps it was asked for, completed.
  assert.match(human, /epochs\s+steps\s+status\n/);
  for (const line of human.trimEnd().split('\n').slice(-3)) assert.match(line, /\s0\/1\s+6\s+completed$/);
  const one = cli(['compare', runs[0]!]);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /compare takes two or more run directories, got 1/);
});

test('stepsOfTotal: a run stopped early shows done/asked, a finished one its steps', () => {
  assert.equal(stepsOfTotal(188, 9380), '188/9380');
  assert.equal(stepsOfTotal(9380, 9380), '9380');
  assert.equal(stepsOfTotal(3, 0), '3', 'an old summary without totalSteps');
});
