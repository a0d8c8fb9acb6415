import * as assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import {
  LONG_CONFIG_NAME,
  SMALL_CONFIG,
  descendants,
  fire,
  isAlive,
  listRunDirs,
  note,
  openConfig,
  readMetrics,
  readSummary,
  runEnded,
  runsDir,
  shared,
  sleep,
  waitFor,
} from './util';
import { LagMonitor, formatLag } from '../../../src/extension/lagMonitor';

/** A run directory created after `before` (a set of existing ones), with a summary. */
async function newRun(before: Set<string>, timeoutMs: number, cmd: { error: () => unknown }): Promise<string> {
  const error = () => (cmd.error() ? `mnistLab.train failed: ${cmd.error()}` : undefined);
  return waitFor(
    `a new run directory with summary.json in ${runsDir()}`,
    () => listRunDirs().find((d) => !before.has(d) && readSummary(d)),
    timeoutMs,
    50,
    error,
  );
}

/** Child processes of the extension host that were not there before (the training worker). */
function newChildren(before: Set<number>): { pid: number; cmd: string }[] {
  return descendants().filter((p) => !before.has(p.pid));
}

const LAG_RESOLUTION_MS = 10;
const LAG_WINDOW_MS = 20_000;

/**
 * The workbench keeps the extension host busy for a while after it opens (language servers
 * start, built-in extensions search the workspace, ripgrep is spawned): that is VS Code's own
 * start-up, present with or without this extension. Waits (at most `timeoutMs`) for a window of
 * `windowMs` whose p99 lag is under 15 ms, so the measurement below is of the training, and
 * returns that window's numbers as the baseline the report prints beside it, and whether the
 * host was found quiet.
 */
async function quietHost(windowMs = 2000, timeoutMs = 30_000): Promise<{ text: string; quiet: boolean }> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    const m = new LagMonitor(LAG_RESOLUTION_MS);
    m.start();
    await sleep(windowMs);
    m.stop();
    last = `${formatLag(m.total)} over ${windowMs / 1000} s`;
    if (m.total.p99 < 15) return { text: `${last}, ${((Date.now() - t0) / 1000).toFixed(1)} s after the test began`, quiet: true };
  }
  return { text: `${last}: not quiet after ${timeoutMs / 1000} s; measuring anyway`, quiet: false };
}

describe('training', function () {
  this.timeout(240_000);

  it('MNIST: Train on a small config starts the worker, reports progress, finishes and writes a run directory', async () => {
    await openConfig(SMALL_CONFIG);
    const runsBefore = new Set(listRunDirs());
    const childrenBefore = new Set(descendants().map((p) => p.pid));
    const t0 = Date.now();
    const cmd = fire('mnistLab.train');
    const runDir = await newRun(runsBefore, 60_000, cmd);
    // The worker: summary.json records the PID of the process that trains; it must be a child
    // process of this extension host, not the extension host itself.
    const pid = readSummary(runDir)!.pid;
    assert.ok(typeof pid === 'number', 'summary.json has no pid');
    assert.notEqual(pid, process.pid, 'the training runs inside the extension host, not in a worker process');
    const worker = descendants().find((p) => p.pid === pid);
    if (!worker)
      assert.fail(
        `the training process ${pid} is not a child of the extension host ${process.pid} (new children: ${JSON.stringify(newChildren(childrenBefore))})`,
      );
    note(`training worker: pid ${worker.pid} (extension host ${process.pid}): ${worker.cmd.slice(0, 160)}`);
    // Progress: metrics.jsonl gains progress events with increasing steps.
    const first = await waitFor('a progress event in metrics.jsonl', () => readMetrics(runDir).find((e) => e.type === 'progress'), 90_000);
    const summary = await runEnded(runDir, 'the run to finish (summary.json status ≠ running)', 180_000, 200);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(summary.status, 'completed', `run ended with status ${summary.status}: ${summary.error ?? ''}`);
    const progress = readMetrics(runDir).filter((e) => e.type === 'progress');
    assert.ok(progress.length >= 2, `expected several progress events, got ${progress.length}`);
    assert.ok(Number(progress.at(-1)!.step) > Number(first.step), 'progress steps do not increase');
    assert.ok(summary.steps > 0 && summary.steps === summary.totalSteps, `steps ${summary.steps}/${summary.totalSteps}`);
    assert.ok(summary.totalSteps <= 600, `the small config should train a few hundred steps, not ${summary.totalSteps}`);
    assert.ok(
      typeof summary.testAccuracy === 'number' && summary.testAccuracy > 0.5,
      `test accuracy ${summary.testAccuracy} is not above 50 % (chance: 10 %)`,
    );
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json']) assert.ok(existsSync(join(runDir, f)), `${f} missing in ${runDir}`);
    const model = join(runDir, 'model');
    assert.ok(existsSync(model) && readdirSync(model).length > 0, `no saved model in ${model}`);
    note(
      `training: ${summary.totalSteps} steps in ${seconds.toFixed(1)} s on ${summary.backend}, test accuracy ${(summary.testAccuracy * 100).toFixed(2)} %, run ${runDir}`,
    );
    shared.trainedRun = summary;
    await cmd.done;
  });

  it("the extension host's event loop stays free over 20 s of training with the default workers (raw p99 lag < 50 ms)", async () => {
    // The original lab's network, batch and validation every 100 batches, trained with the
    // extension's default workers (mnistLab.workers: 1) until stopped: 20 s measured from the
    // first step on (≈ 2,000 ticks; a 4-s window of a small run said little about a p99).
    await openConfig(LONG_CONFIG_NAME);
    const runsBefore = new Set(listRunDirs());
    const before = await quietHost();
    const cmd = fire('mnistLab.train');
    const runDir = await newRun(runsBefore, 60_000, cmd);
    await waitFor('the first progress event of the long run', () => readMetrics(runDir).some((e) => e.type === 'progress'), 90_000);
    const m = new LagMonitor(LAG_RESOLUTION_MS);
    const t0 = Date.now();
    m.start();
    // No reads of the run's files inside the window: they are this test's work, not the extension's.
    await sleep(LAG_WINDOW_MS);
    m.stop();
    const seconds = (Date.now() - t0) / 1000;
    await vscode.commands.executeCommand('mnistLab.stop');
    const stopped = await runEnded(runDir, 'the long run to stop', 15_000, 50);
    await cmd.done;
    const own = (await vscode.commands.getCommands(true)).includes('mnistLab.debug.eventLoopLag')
      ? await vscode.commands.executeCommand<unknown>('mnistLab.debug.eventLoopLag')
      : undefined;
    const { total, notFree } = m;
    note(
      `extension-host event-loop lag while training the original lab's network (${seconds.toFixed(1)} s, ticks of ${LAG_RESOLUTION_MS} ms, ${stopped.workers ?? 1} worker, ${stopped.steps} steps by the stop), raw: ${formatLag(total)}`,
    );
    note(
      m.schedstat
        ? `  less the time the thread waited for a CPU (${(m.waitedForCpuMs / 1000).toFixed(2)} s in all): ${formatLag(notFree)}`
        : '  (no /proc/thread-self/schedstat here: the whole lag counts as the loop not being free)',
    );
    note(`  before the training, with the extension host idle (the baseline): ${before.text}`);
    if (own) note(`  the extension's own report (mnistLab.debug.eventLoopLag, from the start of the run): ${JSON.stringify(own)}`);
    assert.equal(stopped.status, 'cancelled', `the long run ended ${stopped.status} before it was stopped: ${stopped.error ?? ''}`);
    assert.equal(stopped.workers, 1, "the run did not use the extension's default of one worker (mnistLab.workers)");
    assert.ok(total.ticks >= (LAG_WINDOW_MS / LAG_RESOLUTION_MS) * 0.5, `only ${total.ticks} ticks in ${seconds.toFixed(1)} s`);
    // Issue 17's bound is on the lag as the event loop saw it, waiting for a CPU included. The
    // worker cannot cause that wait: every thread of it runs below normal priority
    // (test/unit/worker-process.test.ts), and `npm run bench -- --lag` measures its share
    // without an editor (p99 2.1 ms against 0.9 ms idle). What else takes the cores here is the
    // test's browser, code-server, and whatever else runs on the machine: so the raw bound is
    // asserted when the host was quiet before the training (the baseline above), and the bound
    // on the time the loop itself was not free always.
    assert.ok(
      notFree.p99 < 50,
      `p99 event-loop lag ${notFree.p99.toFixed(1)} ms ≥ 50 ms, not counting ${(m.waitedForCpuMs / 1000).toFixed(2)} s of waiting for a CPU (with it: p99 ${total.p99.toFixed(1)} ms)`,
    );
    if (before.quiet)
      assert.ok(
        total.p99 < 50,
        `raw p99 event-loop lag ${total.p99.toFixed(1)} ms ≥ 50 ms (less ${(m.waitedForCpuMs / 1000).toFixed(2)} s of waiting for a CPU: p99 ${notFree.p99.toFixed(1)} ms)`,
      );
    else note('  the raw bound was not asserted: the machine was not quiet before the training (baseline above)');
  });

  it('MNIST: Stop Training stops a run promptly (< 2.5 s on two shared cores) and keeps the partial run', async () => {
    await openConfig(SMALL_CONFIG);
    const runsBefore = new Set(listRunDirs());
    const childrenBefore = new Set(descendants().map((p) => p.pid));
    const cmd = fire('mnistLab.train');
    const runDir = await newRun(runsBefore, 60_000, cmd);
    await waitFor('a progress event of the second run', () => readMetrics(runDir).some((e) => e.type === 'progress'), 90_000);
    const workerPid = readSummary(runDir)?.pid;
    assert.ok(
      workerPid !== undefined && workerPid !== process.pid && isAlive(workerPid),
      `no live worker process for the second run (pid ${workerPid}; new children ${JSON.stringify(newChildren(childrenBefore))})`,
    );
    const t0 = Date.now();
    await vscode.commands.executeCommand('mnistLab.stop');
    const stopped = await runEnded(runDir, 'summary.json to leave status running', 5_000, 10);
    const ms = Date.now() - t0;
    note(`stop: run ${stopped.status} ${ms} ms after MNIST: Stop Training, at step ${stopped.steps}/${stopped.totalSteps}`);
    // Measured 450–740 ms on a quiet machine, 1.2–1.6 s on CI's two shared cores: the bound keeps a margin.
    assert.ok(ms < 2500, `stopping took ${ms} ms (≥ 2.5 s)`);
    assert.equal(stopped.status, 'cancelled');
    assert.ok(stopped.steps < stopped.totalSteps, 'the run finished before Stop could act (it should have been mid-training)');
    assert.ok(
      existsSync(join(runDir, 'config.json')) && readMetrics(runDir).some((e) => e.type === 'progress'),
      'the partial run was not kept',
    );
    // No training continues: the steps stay where they are.
    await sleep(1500);
    assert.equal(readSummary(runDir)?.steps, stopped.steps, 'steps changed after Stop');
    assert.notEqual(readSummary(runDir)?.status, 'running');
    await cmd.done;
  });
});
