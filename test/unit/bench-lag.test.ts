/**
 * `npm run bench -- --lag` for real, in short windows: this process's child plays the extension
 * host (the extension's TrainingController forks dist/worker.js) and prints the event-loop lag
 * idle, with the extension's default workers and with one replica per core. Checks that every
 * window ran, measured ticks, and (the training windows) that steps were trained; the numbers
 * themselves are the benchmark's to print, not a test's to bound.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { test } from 'node:test';

const BENCH = resolve(__dirname, '..', '..', '..', 'dist', 'bench.js');

test('npm run bench -- --lag measures the host idle and while the worker trains, and cleans up', () => {
  const leftBefore = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('mnist-lab-lag-')));
  const r = spawnSync(process.execPath, [BENCH, '--lag', '--lag-seconds', '2'], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `bench --lag failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  const rows = r.stdout.split('\n').filter((l) => /^(idle|training)/.test(l));
  const expected = availableParallelism() > 1 ? 3 : 2;
  assert.equal(rows.length, expected, `expected ${expected} windows:\n${r.stdout}`);
  assert.match(rows[0]!, /^idle \(baseline\)/);
  assert.match(rows[1]!, /mnistLab\.workers = 1\)/, 'the second window is the extension’s default (package.json: 1 worker)');
  for (const row of rows) {
    // window, ticks, p50, p99, max, waited, p99 less the wait, ms/step
    const cells = row.split(/\s{2,}/).slice(1);
    assert.equal(cells.length, 7, `row: ${row}`);
    const [ticks, p50, p99, max] = cells.map(Number);
    // 2 s of 10 ms ticks is ≈ 200; a starved machine loses some, never most.
    assert.ok(ticks! >= 60 && ticks! <= 210, `ticks ${ticks} in: ${row}`);
    assert.ok(0 <= p50! && p50! <= p99! && p99! <= max!, `p50 ≤ p99 ≤ max in: ${row}`);
    if (row.startsWith('training')) assert.ok(Number(cells[6]) > 0, `no steps trained in the window: ${row}`);
    else assert.equal(cells[6], '–');
  }
  assert.match(r.stdout, /raw p99 < 50 ms/);
  const left = readdirSync(tmpdir()).filter((f) => f.startsWith('mnist-lab-lag-') && !leftBefore.has(f));
  assert.deepEqual(left, [], 'the runs folders of the windows were not removed');
});
