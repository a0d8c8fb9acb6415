import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { readGridRecordSync } from '../../src/core/runs/grid';
import { CLI, cli, jsonLines, spawn } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

// A small network and two steps: the point is that the grid's runs are the runs of its points.
const BASE = { name: 'grid', model: { depth: [2, 4], hidden: 16 }, training: { epochs: 1, evalEvery: 1 } };
const GRID = { 'training.learningRate': [0.001, 0.05], 'model.hidden': [16, 24] };

function configFile(dir: string, name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** What must be equal between two runs of one config: everything but times, folders and the process. */
function runContent(runDir: string) {
  const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ seconds: _s, startedAt: _t, runDir: _d, runId: _i, msPerStep: _m, ...rest }) => rest);
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  return {
    config: readFileSync(join(runDir, 'config.json'), 'utf8'),
    weights: readFileSync(join(runDir, 'model', 'model.safetensors')).toString('base64'),
    metrics,
    accuracies: [summary.valAccuracy, summary.testAccuracy, summary.steps, summary.status],
  };
}

test("a grid's runs equal separate runs of its points (one after the other, and --parallel 2)", () => {
  const dir = tempDir('mnist-lab-cli-grid-');
  const file = configFile(dir, 'grid.mnist.json', { ...BASE, grid: GRID });
  const common = ['--max-steps', '2', '--workers', '1', '--json'];

  const seq = cli(['train', file, ...common, '--out', join(dir, 'seq')]);
  assert.equal(seq.status, 0, seq.stderr);
  const par = cli(['train', file, ...common, '--parallel', '2', '--out', join(dir, 'par')]);
  assert.equal(par.status, 0, par.stderr);

  const values = [
    { 'training.learningRate': 0.001, 'model.hidden': 16 },
    { 'training.learningRate': 0.001, 'model.hidden': 24 },
    { 'training.learningRate': 0.05, 'model.hidden': 16 },
    { 'training.learningRate': 0.05, 'model.hidden': 24 },
  ];
  const separate = values.map((v, i) => {
    const one = configFile(dir, `point-${i}.mnist.json`, {
      ...BASE,
      model: { ...BASE.model, hidden: v['model.hidden'] },
      training: { ...BASE.training, learningRate: v['training.learningRate'] },
    });
    const r = cli(['train', one, ...common, '--out', join(dir, `separate-${i}`)]);
    assert.equal(r.status, 0, r.stderr);
    const s = jsonLines(r.stdout).at(-1)!;
    assert.equal(s.type, 'summary');
    return runContent(s.runDir as string);
  });
  // The points differ from each other (else equality would say nothing).
  assert.equal(new Set(separate.map((s) => s.weights)).size, 4);

  for (const [mode, r, outDir] of [
    ['one after the other', seq, join(dir, 'seq')],
    ['--parallel 2', par, join(dir, 'par')],
  ] as const) {
    const lines = jsonLines(r.stdout);
    const summaries = lines.filter((l) => l.type === 'summary');
    assert.equal(summaries.length, 4, `${mode}: one summary line per run`);
    const last = lines.at(-1)!;
    assert.equal(last.type, 'grid', mode);
    assert.equal(lines.filter((l) => l.type === 'grid').length, 1);
    assert.equal(last.status, 'completed');
    const runs = last.runs as { runDir: string; values: Record<string, number>; valAccuracy: number; testAccuracy: number }[];
    assert.deepEqual(
      runs.map((x) => x.values),
      values,
      mode,
    );
    for (const [i, run] of runs.entries()) {
      // The grid line's accuracies are the run's summary's; its folder is a normal run folder.
      const s = summaries.find((x) => x.runDir === run.runDir)!;
      assert.ok(s, `${mode}: point ${i + 1} has a summary line`);
      assert.equal(s.point, i + 1);
      assert.equal(run.valAccuracy, s.valAccuracy);
      assert.equal(run.testAccuracy, s.testAccuracy);
      assert.deepEqual(runContent(run.runDir), separate[i], `${mode}: point ${i + 1} equals its separate run`);
    }
    // The record on disk names the same runs.
    const grids = readdirSync(join(outDir, 'grids'));
    assert.equal(grids.length, 1);
    const record = readGridRecordSync(join(outDir, 'grids', grids[0]!), outDir);
    assert.equal(record.file, last.file);
    assert.deepEqual(
      record.points.map((p) => p.runDir),
      runs.map((x) => x.runDir),
    );
  }
});

test('a grid without --json: a line per run and a table marking the best validation accuracy', () => {
  const dir = tempDir('mnist-lab-cli-grid-human-');
  const file = configFile(dir, 'grid.mnist.json', { ...BASE, grid: { 'training.learningRate': [0.001, 0.05] } });
  const r = cli(['train', file, '--max-steps', '1', '--workers', '1', '--parallel', '2', '--out', join(dir, 'runs')]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.filter((l) => /^point [12]\/2 completed: validation [\d.]+%, test [\d.]+% — /.test(l)).length, 2, r.stdout);
  assert.match(r.stdout, /^grid: 2 runs, completed — .*grids.*\.json$/m);
  assert.match(r.stdout, /^#\s+training\.learningRate\s+validation\s+test\s+status\s+run$/m);
  assert.equal(lines.filter((l) => /^\d\*? +0\.0(01|5) +[\d.]+% +[\d.]+% +completed +\d{8}-\d{6}-grid/.test(l)).length, 2, r.stdout);
  assert.equal(lines.filter((l) => /^\d\* /.test(l)).length, 1);
});

test('grid flags and grid configs that are refused, by name', () => {
  const dir = tempDir('mnist-lab-cli-grid-bad-');
  const plain = configFile(dir, 'plain.mnist.json', {});
  const grid = configFile(dir, 'grid.mnist.json', { grid: { 'training.seed': [1, 2] } });
  const cases: [string[], RegExp][] = [
    [['train', plain, '--parallel', '2'], /--parallel: only for a config with a "grid"/],
    [['train', '--point', '1'], /--point: only for a config with a "grid"/],
    [['train', grid, '--seed', '3'], /--seed: the grid of .* varies training\.seed/],
    [['train', grid, '--point', '3'], /--point: the grid of .* has 2 points, got 3/],
    [['train', grid, '--parallel', '0'], /--parallel: expected a whole number ≥ 1/],
    [['train', configFile(dir, 'badkey.mnist.json', { grid: { 'training.lr': [1] } })], /grid\["training\.lr"\]: unknown field/],
    [
      ['train', configFile(dir, 'badval.mnist.json', { grid: { 'model.hidden': [8, -1] } })],
      /grid\["model\.hidden"\]\[1\]: must be ≥ 1, got -1/,
    ],
    [
      [
        'train',
        configFile(dir, 'many.mnist.json', {
          grid: { 'training.seed': Array.from({ length: 13 }, (_, i) => i), 'model.hidden': [1, 2, 3, 4, 5] },
        }),
      ],
      /grid: makes 65 runs \(13 × 5\), more than the 64 allowed/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('Ctrl-C stops every child of a --parallel grid: each run recorded as cancelled, the grid too', async () => {
  const dir = tempDir('mnist-lab-cli-grid-stop-');
  const out = join(dir, 'runs');
  const file = configFile(dir, 'grid.mnist.json', {
    ...BASE,
    training: { epochs: 1, evalEvery: 1000 },
    grid: { 'training.seed': [1, 2, 3] },
  });
  const child = spawn(process.execPath, [CLI, 'train', file, '--workers', '1', '--parallel', '2', '--json', '--out', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Record<string, unknown>[] = [];
  let started = 0;
  const exited = once(child, 'exit');
  for await (const line of createInterface({ input: child.stdout! })) {
    const e = JSON.parse(line) as Record<string, unknown>;
    lines.push(e);
    // Both children are training (a progress line from each point): stop them all.
    if (e.type === 'progress' && new Set(lines.filter((l) => l.type === 'progress').map((l) => l.point)).size === 2 && !started++)
      child.kill('SIGINT');
  }
  const [code] = await exited;
  assert.equal(code, 130, stderr);
  const summaries = lines.filter((l) => l.type === 'summary');
  assert.deepEqual(
    summaries.map((s) => s.status),
    ['cancelled', 'cancelled'],
  );
  const grid = lines.at(-1)!;
  assert.equal(grid.type, 'grid');
  assert.equal(grid.status, 'cancelled');
  // The third point never started.
  assert.deepEqual(
    (grid.runs as { status: string }[]).map((r) => r.status),
    ['cancelled', 'cancelled', 'pending'],
  );
  for (const s of summaries) {
    const onDisk = JSON.parse(readFileSync(join(s.runDir as string, 'summary.json'), 'utf8'));
    assert.equal(onDisk.status, 'cancelled');
    // No process left: the PIDs the runs recorded while training are gone.
    assert.equal(onDisk.pid, undefined);
  }
});
