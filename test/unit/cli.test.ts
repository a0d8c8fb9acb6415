import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadLabData } from '../../src/core/data/mnist';
import { CLI, cli, jsonLines, spawn } from '../helpers/cli';
import { head, writeIdxDir } from '../helpers/dataset';
import { tempDir } from '../helpers/tmp';

const full = loadLabData();
const root = tempDir();
const dataDir = writeIdxDir(join(root, 'data'), head(full.train, 640), head(full.testFile, 400));
const out = join(root, 'runs');

function expectBadInput(args: string[], pattern: RegExp): void {
  const r = cli(args);
  assert.equal(r.status, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.ok(lines[0]!.startsWith('mnist-lab: '));
}

test('usage', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /mnist-lab train \[CONFIG\]/);
  assert.equal(cli([]).status, 2);
});

test('bad input: one clear line naming the file or field, exit code 2, nothing written', () => {
  const bad = join(root, 'bad.mnist.json');
  writeFileSync(bad, JSON.stringify({ model: { depth: [4] } }));
  expectBadInput(['train', bad, '--out', out], /bad\.mnist\.json: model\.depth: must have at least 2 items, got 1/);
  expectBadInput(['train', '--backend', 'quantum', '--out', out], /--backend: unknown backend 'quantum'/);
  expectBadInput(['train', '--epochs', 'two', '--out', out], /--epochs: expected a whole number ≥ 1, got 'two'/);
  expectBadInput(['train', '--data', join(root, 'nowhere'), '--out', out], /nowhere: data directory does not exist/);
  expectBadInput(['train', '--bogus'], /Unknown option '--bogus'/);
  expectBadInput(['frobnicate'], /unknown command 'frobnicate'/);
  const corrupt = writeIdxDir(join(root, 'corrupt'), head(full.train, 10), head(full.testFile, 10));
  writeFileSync(join(corrupt, 't10k-images-idx3-ubyte'), readFileSync(join(corrupt, 't10k-images-idx3-ubyte')).subarray(0, 500));
  expectBadInput(
    ['train', '--data', corrupt, '--out', out],
    /t10k-images-idx3-ubyte: truncated: header says 10×28×28 = 7840 bytes of data, file holds 484/,
  );
  const wrongMagic = writeIdxDir(join(root, 'magic'), head(full.train, 10), head(full.testFile, 10));
  writeFileSync(join(wrongMagic, 'train-labels-idx1-ubyte'), readFileSync(join(wrongMagic, 'train-images-idx3-ubyte')));
  expectBadInput(
    ['train', '--data', wrongMagic, '--out', out],
    /train-labels-idx1-ubyte: wrong magic number 0x00000803; expected 0x00000801/,
  );
  expectBadInput(['evaluate', join(root, 'no-run')], /no-run: no such run directory or weights file/);
  assert.equal(existsSync(out), false, 'no run directory was created');
  // --json: the error is a JSON line with its type, file and field.
  const r = cli(['train', bad, '--json', '--out', out]);
  assert.equal(r.status, 2);
  const [e] = jsonLines(r.stdout);
  assert.equal(e!.type, 'error');
  assert.equal(e!.file, bad);
  assert.equal(e!.field, 'model.depth');
});

test('train --json, then evaluate, robustness and export on the run', () => {
  const r = cli(['train', '--data', dataDir, '--epochs', '1', '--max-steps', '8', '--seed', '5', '--json', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.ok(lines.every((l) => typeof l.type === 'string'));
  assert.deepEqual([...new Set(lines.map((l) => l.type))], ['start', 'progress', 'summary']);
  const s = lines.at(-1)!;
  for (const k of ['valAccuracy', 'testAccuracy', 'seconds', 'backend', 'steps', 'runDir']) assert.ok(k in s, k);
  assert.equal(s.steps, 8);
  assert.equal(s.backend, 'wasm');
  assert.equal(s.status, 'completed');
  const runDir = s.runDir as string;
  assert.ok(existsSync(join(runDir, 'summary.json')));
  assert.equal(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).training.seed, 5);

  const ev = jsonLines(cli(['evaluate', runDir, '--json']).stdout).at(-1)!;
  assert.equal(ev.type, 'summary');
  assert.equal(ev.testAccuracy, s.testAccuracy, "evaluate reproduces the run's test accuracy");
  assert.equal(ev.valTotal, 200);

  const rb = cli(['robustness', runDir, '--index', '4', '--dx', '-3', '--json']);
  assert.equal(rb.status, 0, rb.stderr);
  const rs = jsonLines(rb.stdout).at(-1)!;
  assert.equal(rs.type, 'summary');
  assert.equal(rs.label, 4);
  assert.equal(rs.dx, -3);
  assert.equal((rs.shiftedProbabilities as number[]).length, 10);
  assert.ok(typeof rs.shiftedTestAccuracy === 'number' && typeof rs.valAccuracy === 'number');
  const human = cli(['robustness', runDir, '--dy', '2']);
  assert.match(human.stdout, /shifted \(dx -3, dy 2\): predicted \d/);
  expectBadInput(['robustness', runDir, '--dx', '40'], /--dx: expected a whole number of pixels between -27 and 27, got '40'/);

  const ex = jsonLines(cli(['export', runDir, '--json']).stdout).at(-1)!;
  assert.equal(ex.safetensors, join(runDir, 'model', 'model.safetensors'));
  // Weights given as a file are written out in both formats.
  const dest = join(root, 'exported');
  const ex2 = jsonLines(cli(['export', ex.safetensors as string, '--out', dest, '--json']).stdout).at(-1)!;
  assert.deepEqual(readdirSync(dest).sort(), ['load_pytorch.py', 'model.json', 'model.safetensors', 'weights.bin']);
  const ev2 = jsonLines(cli(['evaluate', ex2.tfjs as string, '--data', dataDir, '--json']).stdout).at(-1)!;
  assert.equal(ev2.testAccuracy, s.testAccuracy, 'the exported model.json gives the same accuracy');
});

test('Ctrl-C stops cleanly and keeps the partial run', async () => {
  const dir = join(root, 'runs-int');
  const child = spawn(process.execPath, [CLI, 'train', '--data', dataDir, '--epochs', '50', '--json', '--out', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('"type":"epoch"')) resolve();
    });
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 130);
  const summary = jsonLines(stdout).at(-1)!;
  assert.equal(summary.type, 'summary');
  assert.equal(summary.status, 'cancelled');
  const stored = JSON.parse(readFileSync(join(summary.runDir as string, 'summary.json'), 'utf8'));
  assert.equal(stored.status, 'cancelled');
  assert.ok(stored.epochsCompleted >= 1);
  assert.ok(existsSync(join(summary.runDir as string, 'model', 'model.safetensors')));
});

test('the committed 20-epoch run of the seed: ≥ 99 % test accuracy, and test image #4 shifted 3 px left is still a 4', () => {
  const run = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');
  const stored = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
  const ev = jsonLines(cli(['evaluate', run, '--json']).stdout).at(-1)!;
  assert.equal(ev.testAccuracy, stored.testAccuracy, "the saved weights reproduce the run's test accuracy");
  assert.ok((ev.testAccuracy as number) >= 0.99);
  const rb = jsonLines(cli(['robustness', run, '--json']).stdout).at(-1)!;
  assert.equal(rb.label, 4);
  assert.equal(rb.originalPrediction, 4);
  assert.equal(rb.shiftedPrediction, 4);
});

test('robustness --sweep prints one JSON object; (0, 0) is the plain test accuracy; a bad --range is exit 2 naming the flag', () => {
  const run = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');
  const r = cli(['robustness', run, '--sweep', '--range', '1', '--data', dataDir]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const s = JSON.parse(lines[0]!);
  assert.equal(s.type, 'summary');
  assert.equal(s.sweep, true);
  assert.equal(s.split, 'test');
  assert.equal(s.count, 200);
  assert.deepEqual(s.shift.offsets, [-1, 0, 1]);
  assert.equal(s.shift.accuracy.length, 3);
  assert.ok(s.shift.accuracy.every((row: number[]) => row.length === 3 && row.every((v) => v >= 0 && v <= 1)));
  const ev = jsonLines(cli(['evaluate', run, '--data', dataDir, '--json']).stdout).at(-1)!;
  assert.equal(s.shift.accuracy[1][1], ev.testAccuracy);
  assert.equal(s.accuracy, ev.testAccuracy);
  assert.equal(s.rotation.accuracy[s.rotation.angles.indexOf(0)], ev.testAccuracy);
  assert.equal(s.noise.accuracy[s.noise.sigmas.indexOf(0)], ev.testAccuracy);
  assert.match(s.statement, /for shifts of ≤ 1 px/);
  expectBadInput(['robustness', run, '--sweep', '--range', '99'], /--range: expected a whole number of pixels between 0 and 14, got '99'/);
  expectBadInput(['robustness', run, '--sweep', '--range', '-1'], /--range: expected a whole number of pixels between 0 and 14, got '-1'/);
  expectBadInput(['robustness', run, '--range', '2'], /--range: only with --sweep/);
});
