/** Host-side pieces without VS Code: the event-loop lag monitor and marking a dead worker's run. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EventLoopLag } from '../../src/extension/lag';
import { findRunningTraining, markFailed } from '../../src/extension/trainingController';
import { tempDir } from '../helpers/tmp';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const block = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

describe('EventLoopLag', () => {
  test('a free loop reports ≈0 ms; a blocked one reports the block; the training window is kept after the run', async () => {
    const lag = new EventLoopLag(10);
    lag.trainingStarted();
    await sleep(300);
    const free = lag.report();
    assert.equal(free.window, 'training');
    assert.ok(free.p50Ms < 5, `p50 ${free.p50Ms} ms on a free loop`);
    for (let i = 0; i < 3; i++) {
      block(120);
      await sleep(20);
    }
    lag.trainingEnded();
    const blocked = lag.report();
    assert.ok(blocked.maxMs >= 100, `max ${blocked.maxMs} ms after blocking 120 ms`);
    assert.equal(blocked.training, false);
    await sleep(100);
    assert.deepEqual(lag.report(), blocked, 'the last run’s numbers stay readable after it');
    lag.dispose();
  });
});

describe('run directories of dead workers', () => {
  const dir = tempDir('mnist-lab-host-');
  const summary = (status: string, pid?: number) => ({
    runId: 'r',
    runDir: dir,
    name: 'x',
    status,
    steps: 3,
    ...(pid !== undefined && { pid }),
  });

  test('markFailed turns a running summary into failed with the reason, and leaves finished ones alone', async () => {
    const run = join(dir, 'a');
    mkdirSync(run);
    writeFileSync(join(run, 'summary.json'), JSON.stringify(summary('running', 123)));
    await markFailed(run, 'the training worker was killed (SIGKILL)');
    const s = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    assert.equal(s.status, 'failed');
    assert.equal(s.error, 'the training worker was killed (SIGKILL)');
    assert.equal(s.pid, undefined);
    assert.ok(s.finishedAt);
    const done = join(dir, 'b');
    mkdirSync(done);
    writeFileSync(join(done, 'summary.json'), JSON.stringify(summary('completed')));
    await markFailed(done, 'x');
    assert.equal(JSON.parse(readFileSync(join(done, 'summary.json'), 'utf8')).status, 'completed');
  });

  test('findRunningTraining ignores runs whose worker is gone', () => {
    const run = join(dir, 'c');
    mkdirSync(run);
    // A PID far above Linux's pid_max: no such process.
    writeFileSync(join(run, 'summary.json'), JSON.stringify(summary('running', 2 ** 30)));
    assert.equal(findRunningTraining([run]), null);
    writeFileSync(join(run, 'summary.json'), '{"status": "runn');
    assert.equal(findRunningTraining([run]), null);
  });
});
