// The CLI on hostile input (issue #13, classes 5 and 9): every user-input failure is one line on
// stderr, exit 2, no stack; an internal error (a bug) exits 1 and shows its stack only with
// --verbose. Nothing here trains: each case fails before the first step.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SEED_CONFIG } from '../../src/core/config';
import { CLI, cli, jsonLines } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const root = tempDir();

/** Exit 2, exactly one line on stderr starting `mnist-lab: `, matching `pattern`, no stack frame. */
function expectUserError(args: string[], pattern: RegExp): string {
  const r = cli(args, root);
  assert.equal(r.status, 2, `exit code of ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr for ${args.join(' ')}, got:\n${r.stderr}`);
  assert.ok(lines[0]!.startsWith('mnist-lab: '), lines[0]);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at |TypeError|ENOENT|EACCES|ENOTDIR/, `no stack, no raw fs error: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  return lines[0]!;
}

/** A run folder made by hand, as hostile as a user's disk can be. */
function handRun(name: string, files: Record<string, string>): string {
  const dir = join(root, 'hand-runs', name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

const goodSummary = {
  runId: 'x',
  runDir: '/x',
  name: 'seed',
  status: 'completed',
  backend: 'cpu',
  device: 'cpu',
  workers: 1,
  epochs: 1,
  epochsCompleted: 1,
  steps: 8,
  totalSteps: 8,
  valAccuracy: 0.5,
  testAccuracy: 0.5,
  seedTestAccuracy: 0.9906,
  seconds: 1.5,
  msPerStep: 10,
  startedAt: '',
  finishedAt: '',
};

test('train --out: a regular file, /proc, a folder under a file, an unwritable folder → one line, exit 2, nothing written', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');
  expectUserError(['train', '--out', file, '--max-steps', '1'], /--out .*a-file: is a regular file, not a folder/);
  expectUserError(
    ['train', '--out', join(file, 'runs'), '--max-steps', '1'],
    /--out .*a-file[\\/]runs: .*a-file is a regular file, not a folder|a part of the path is a file/,
  );
  if (process.platform === 'linux') {
    expectUserError(
      ['train', '--out', '/proc/self/foo', '--max-steps', '1'],
      /--out \/proc\/self\/foo: is inside \/proc, a virtual file system/,
    );
    expectUserError(['train', '--out', '/sys/kernel/runs', '--max-steps', '1'], /--out \/sys\/kernel\/runs: is inside \/sys/);
    expectUserError(['train', '--out', '/dev/null', '--max-steps', '1'], /--out \/dev\/null: is inside \/dev/);
  }
  // An unwritable folder (as root every folder is writable: then only the message shape is checked).
  const locked = join(root, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot)
    expectUserError(
      ['train', '--out', join(locked, 'runs'), '--max-steps', '1'],
      /--out .*locked[\\/]runs: the folder .*locked is not writable \(permission denied\)/,
    );
  chmodSync(locked, 0o755);
  assert.deepEqual(readdirSync(locked), [], 'nothing written');
});

test('train: --workers bounded, --data not a folder, config files with null fields and inherited keys → one line, exit 2', () => {
  const out = join(root, 'runs-never');
  expectUserError(['train', '--workers', '100000', '--out', out], /--workers: at most 64, got 100000/);
  expectUserError(['train', '--workers', '65', '--out', out], /--workers: at most 64, got 65/);
  expectUserError(['train', '--workers', '1e400', '--out', out], /--workers: expected a whole number ≥ 1/);
  expectUserError(['train', '--workers', '0', '--out', out], /--workers: expected a whole number ≥ 1, got '0'/);
  const file = join(root, 'data-file');
  writeFileSync(file, 'x');
  expectUserError(['train', '--data', file, '--out', out], /--data .*data-file: is a regular file, not a folder/);
  expectUserError(['train', '--data', '', '--out', out], /--data: expected a folder path/);
  const nulls = join(root, 'nulls.mnist.json');
  writeFileSync(nulls, JSON.stringify({ name: null, model: null, training: { epochs: null }, data: { classNames: [null, null] } }));
  expectUserError(
    ['train', nulls, '--out', out],
    /nulls\.mnist\.json: name: must be string, got null; .*nulls\.mnist\.json: model: must be object, got null; .*training\.epochs: must be integer, got null/,
  );
  const inherited = join(root, 'inherited.mnist.json');
  writeFileSync(inherited, '{"toString": 1, "__proto__": {"polluted": 1}, "training": {"constructor": 1}}');
  expectUserError(
    ['train', inherited, '--out', out],
    /toString: unknown field.*__proto__: unknown field.*training\.constructor: unknown field/,
  );
  const names = join(root, 'names.mnist.json');
  writeFileSync(names, JSON.stringify({ data: { classNames: Array.from({ length: 10_000 }, (_, i) => `class ${i}`) } }));
  expectUserError(['train', names, '--out', out], /data\.classNames: must have at most 256 items, got 10000/);
  const long = join(root, 'long.mnist.json');
  writeFileSync(long, JSON.stringify({ data: { classNames: ['x'.repeat(5000), 'b'] } }));
  expectUserError(['train', long, '--out', out], /data\.classNames\[0\]: must be at most 100 characters, got 5000/);
  assert.equal(existsSync(out), false, 'no run folder created');
  // --json: the same error as one JSON line.
  const r = cli(['train', '--workers', '100000', '--json', '--out', out], root);
  assert.equal(r.status, 2);
  const [e] = jsonLines(r.stdout);
  assert.equal(e!.type, 'error');
  assert.equal(e!.field, 'workers');
});

test('compare: a run whose summary.json is null, or holds odd values → one line naming the file and field, exit 2', () => {
  const config = JSON.stringify(SEED_CONFIG);
  const good = handRun('good', { 'config.json': config, 'summary.json': JSON.stringify(goodSummary) });
  const nullSummary = handRun('null-summary', { 'config.json': config, 'summary.json': 'null' });
  expectUserError(['compare', good, nullSummary], /null-summary[\\/]summary\.json: summary must be a JSON object, got null/);
  const arraySummary = handRun('array-summary', { 'config.json': config, 'summary.json': '[1, 2]' });
  expectUserError(['compare', good, arraySummary], /array-summary[\\/]summary\.json: summary must be a JSON object, got an array/);
  const badStatus = handRun('bad-status', {
    'config.json': config,
    'summary.json': JSON.stringify({ ...goodSummary, status: { toString: 1 } }),
  });
  expectUserError(
    ['compare', good, badStatus],
    /bad-status[\\/]summary\.json: status must be one of running, completed, cancelled, failed, interrupted/,
  );
  const nullConfig = handRun('null-config', { 'config.json': '{"model": null}', 'summary.json': JSON.stringify(goodSummary) });
  expectUserError(['compare', good, nullConfig], /null-config[\\/]config\.json: model: must be object, got null/);
  const protoConfig = handRun('proto-config', {
    'config.json': '{"__proto__": {"name": "x"}}',
    'summary.json': JSON.stringify(goodSummary),
  });
  expectUserError(['compare', good, protoConfig], /proto-config[\\/]config\.json: __proto__: unknown field/);
  // Odd values where numbers go: the run store names the file and the first odd field.
  const odd = handRun('odd-values', {
    'config.json': JSON.stringify({ ...SEED_CONFIG, name: 'odd' }),
    'summary.json': JSON.stringify({ ...goodSummary, name: 7, seconds: 'soon', valAccuracy: 'high', testAccuracy: null, steps: {} }),
    'metrics.jsonl': `${JSON.stringify({ type: 'progress', step: 'x', record: null })}\n${JSON.stringify({ type: 'progress', step: 10, record: [5, 6] })}\n`,
  });
  expectUserError(['compare', good, odd], /odd-values[\\/]summary\.json: name must be a string, got number/);
});

test('an internal error (a bug, not the user) exits 1 as "internal error", with its stack only behind --verbose', () => {
  // A preloaded module breaks stdout: writing the usage fails with a TypeError, a bug of no user's making.
  const breaker = join(root, 'break-stdout.cjs');
  writeFileSync(breaker, "process.stdout.write = () => { throw new TypeError('stdout is broken'); };\n");
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--require', breaker, CLI, ...args], { encoding: 'utf8', cwd: root, timeout: 120_000 });
  const quiet = run(['--help']);
  assert.equal(quiet.status, 1, quiet.stderr);
  const lines = quiet.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, quiet.stderr);
  assert.match(lines[0]!, /^mnist-lab: internal error: stdout is broken \(run again with --verbose for details\)$/);
  const verbose = run(['--help', '--verbose']);
  assert.equal(verbose.status, 1, verbose.stderr);
  assert.match(verbose.stderr, /^mnist-lab: internal error: stdout is broken\nTypeError: stdout is broken\n\s+at /);
  // --verbose changes nothing for a user error: still one line, exit 2.
  expectUserError(['train', '--workers', '100000', '--verbose'], /--workers: at most 64/);
});
