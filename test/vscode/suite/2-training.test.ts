import * as assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import {
  SMALL_CONFIG,
  type Summary,
  descendants,
  fire,
  isAlive,
  listRunDirs,
  note,
  openConfig,
  readMetrics,
  readSummary,
  runsDir,
  shared,
  sleep,
  waitFor,
} from './util';

/** A run directory created after `before` (a set of existing ones), with a summary. */
async function newRun(before: Set<string>, timeoutMs: number, cmd: { error: () => unknown }): Promise<string> {
  const error = () => (cmd.error() ? `mnistLab.train failed: ${cmd.error()}` : undefined);
  return waitFor(`a new run directory with summary.json in ${runsDir()}`, () => listRunDirs().find((d) => !before.has(d) && readSummary(d)), timeoutMs, 50, error);
}

/** Child processes of the extension host that were not there before (the training worker). */
function newChildren(before: Set<number>): { pid: number; cmd: string }[] {
  return descendants().filter((p) => !before.has(p.pid));
}

const LAG_RESOLUTION_MS = 10;
const lag: { p50?: number; p99?: number; max?: number; samples?: number; steady?: string } = {};

describe('training', function () {
  this.timeout(240_000);

  it('MNIST: Train on a small config starts the worker, reports progress, finishes and writes a run directory', async () => {
    await openConfig(SMALL_CONFIG);
    const runsBefore = new Set(listRunDirs());
    const childrenBefore = new Set(descendants().map((p) => p.pid));
    const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    h.enable();
    const t0 = Date.now();
    const cmd = fire('mnistLab.train');
    const runDir = await newRun(runsBefore, 60_000, cmd);
    // The worker: summary.json records the PID of the process that trains; it must be a child
    // process of this extension host, not the extension host itself.
    const pid = readSummary(runDir)!.pid;
    assert.ok(typeof pid === 'number', 'summary.json has no pid');
    assert.notEqual(pid, process.pid, 'the training runs inside the extension host, not in a worker process');
    // Reading /proc is synchronous work of this test, not of the extension: keep it out of the lag window.
    h.disable();
    const worker = descendants().find((p) => p.pid === pid);
    if (!worker) assert.fail(`the training process ${pid} is not a child of the extension host ${process.pid} (new children: ${JSON.stringify(newChildren(childrenBefore))})`);
    h.enable();
    note(`training worker: pid ${worker.pid} (extension host ${process.pid}): ${worker.cmd.slice(0, 160)}`);
    // Progress: metrics.jsonl gains progress events with increasing steps.
    const first = await waitFor('a progress event in metrics.jsonl', () => readMetrics(runDir).find((e) => e.type === 'progress'), 90_000);
    // For diagnosis only: the lag once training runs steadily (after the first progress event).
    const steady = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    steady.enable();
    const summary = await waitFor<Summary>(
      'the run to finish (summary.json status ≠ running)',
      () => {
        const s = readSummary(runDir);
        return s && s.status !== 'running' ? s : undefined;
      },
      180_000,
      200,
    );
    h.disable();
    steady.disable();
    const seconds = (Date.now() - t0) / 1000;
    // The histogram records the interval between timer ticks; the lag is what exceeds the resolution.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
    lag.p50 = ms(h.percentile(50));
    lag.p99 = ms(h.percentile(99));
    lag.max = ms(h.max);
    lag.samples = h.count;
    lag.steady = `p50 ${ms(steady.percentile(50)).toFixed(1)} ms, p99 ${ms(steady.percentile(99)).toFixed(1)} ms, max ${ms(steady.max).toFixed(1)} ms (${steady.count} ticks)`;
    assert.equal(summary.status, 'completed', `run ended with status ${summary.status}: ${summary.error ?? ''}`);
    const progress = readMetrics(runDir).filter((e) => e.type === 'progress');
    assert.ok(progress.length >= 2, `expected several progress events, got ${progress.length}`);
    assert.ok(Number(progress.at(-1)!.step) > Number(first.step), 'progress steps do not increase');
    assert.ok(summary.steps > 0 && summary.steps === summary.totalSteps, `steps ${summary.steps}/${summary.totalSteps}`);
    assert.ok(summary.totalSteps <= 600, `the small config should train a few hundred steps, not ${summary.totalSteps}`);
    assert.ok(typeof summary.testAccuracy === 'number' && summary.testAccuracy > 0.5, `test accuracy ${summary.testAccuracy} is not above 50 % (chance: 10 %)`);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json']) assert.ok(existsSync(join(runDir, f)), `${f} missing in ${runDir}`);
    const model = join(runDir, 'model');
    assert.ok(existsSync(model) && readdirSync(model).length > 0, `no saved model in ${model}`);
    note(
      `training: ${summary.totalSteps} steps in ${seconds.toFixed(1)} s on ${summary.backend}, test accuracy ${(summary.testAccuracy * 100).toFixed(2)} %, run ${runDir}`,
    );
    shared.trainedRun = summary;
    await cmd.done;
  });

  it("the extension host's event loop stays free while training (p99 lag < 50 ms)", async () => {
    const all = await vscode.commands.getCommands(true);
    const own = all.includes('mnistLab.debug.eventLoopLag') ? await vscode.commands.executeCommand<unknown>('mnistLab.debug.eventLoopLag') : undefined;
    assert.ok(lag.p99 !== undefined, 'no lag measurement: the training test did not finish');
    note(
      `extension-host event-loop lag during training (this test's histogram): p50 ${lag.p50!.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms, max ${lag.max!.toFixed(1)} ms (${lag.samples} ticks of ${LAG_RESOLUTION_MS} ms)`,
    );
    note(`  of which from the first progress event to the end: ${lag.steady}`);
    if (own) note(`extension-host event-loop lag, the extension's own report (mnistLab.debug.eventLoopLag): ${JSON.stringify(own)}`);
    assert.ok(lag.p99 < 50, `p99 event-loop lag ${lag.p99.toFixed(1)} ms ≥ 50 ms`);
  });

  it('MNIST: Stop Training stops a run within a second and keeps the partial run', async () => {
    await openConfig(SMALL_CONFIG);
    const runsBefore = new Set(listRunDirs());
    const childrenBefore = new Set(descendants().map((p) => p.pid));
    const cmd = fire('mnistLab.train');
    const runDir = await newRun(runsBefore, 60_000, cmd);
    await waitFor('a progress event of the second run', () => readMetrics(runDir).some((e) => e.type === 'progress'), 90_000);
    const workerPid = readSummary(runDir)?.pid;
    assert.ok(workerPid !== undefined && workerPid !== process.pid && isAlive(workerPid), `no live worker process for the second run (pid ${workerPid}; new children ${JSON.stringify(newChildren(childrenBefore))})`);
    const t0 = Date.now();
    await vscode.commands.executeCommand('mnistLab.stop');
    const stopped = await waitFor(
      'summary.json to leave status running',
      () => {
        const s = readSummary(runDir);
        return s && s.status !== 'running' ? s : undefined;
      },
      5_000,
      10,
    );
    const ms = Date.now() - t0;
    note(`stop: run ${stopped.status} ${ms} ms after MNIST: Stop Training, at step ${stopped.steps}/${stopped.totalSteps}`);
    assert.ok(ms < 1000, `stopping took ${ms} ms (≥ 1 s)`);
    assert.equal(stopped.status, 'cancelled');
    assert.ok(stopped.steps < stopped.totalSteps, 'the run finished before Stop could act (it should have been mid-training)');
    assert.ok(existsSync(join(runDir, 'config.json')) && readMetrics(runDir).some((e) => e.type === 'progress'), 'the partial run was not kept');
    // No training continues: the steps stay where they are.
    await sleep(1500);
    assert.equal(readSummary(runDir)?.steps, stopped.steps, 'steps changed after Stop');
    assert.notEqual(readSummary(runDir)?.status, 'running');
    await cmd.done;
  });
});
