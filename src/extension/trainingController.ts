/**
 * One training at a time for this workspace: a fresh worker process per run, stopped on request
 * (AbortSignal in the worker: the partial run is kept), killed by PID when it does not obey, and
 * a crash turned into a failed run with the worker's last error. No vscode import.
 */
import { join } from 'node:path';
import type { LabConfig } from '../core/config';
import type { RunSummary, TrainingEvent } from '../core/events';
import { type Restriction, parseJsonFile, readUntrusted, readUntrustedTextSync, refuseOutsideWorkspace } from '../core/files/untrusted';
import { writeJsonAtomic } from '../core/runs/atomic';
import { processAlive, sameProcess } from '../core/runs/process';
import { parseSummary } from '../core/runs/store';
import { WorkerProcess, type WorkerOptions } from './workerProcess';
import { errorMessage } from '../core/errors';

export { type Restriction, refuseOutsideWorkspace };

export interface TrainingStart {
  config: LabConfig;
  outDir: string;
  backend: string;
  maxSteps?: number;
  workers?: number;
  /** The config file this run came from (shown to the user), if any. */
  source?: string;
}

export interface TrainingHooks {
  onEvent?: (e: TrainingEvent) => void;
  onStep?: (step: number, totalSteps: number, epoch: number) => void;
  onStderr?: (line: string) => void;
}

export interface ActiveTraining {
  source?: string;
  name: string;
  runDir: string | null;
  pid: number | undefined;
  startedAt: number;
}

export class TrainingController {
  private worker: WorkerProcess | null = null;
  private current: ActiveTraining | null = null;
  private stopRequested = false;

  constructor(
    private readonly workerOptions: () => Omit<WorkerOptions, 'onStderr'>,
    private readonly restriction: () => Restriction = () => null,
  ) {}

  get active(): ActiveTraining | null {
    return this.current;
  }

  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  /**
   * Runs one training to its end (completed, cancelled or failed) and resolves with its summary.
   * Rejects only when no run could be made at all (bad input, a worker that would not start or
   * died): then the error names the reason, the worker's last error included.
   */
  async train(start: TrainingStart, hooks: TrainingHooks = {}): Promise<RunSummary> {
    if (this.current) throw new Error(`a training is already running (${this.current.name})`);
    const restriction = this.restriction();
    await refuseOutsideWorkspace(start.outDir, restriction, 'the runs folder (mnistLab.runsDir)');
    if (start.config.data.dir)
      await refuseOutsideWorkspace(start.config.data.dir, restriction, 'the data directory (data.dir / mnistLab.dataDir)');
    if (this.current) throw new Error(`a training is already running (${(this.current as ActiveTraining).name})`);
    this.stopRequested = false;
    const worker = new WorkerProcess({ ...this.workerOptions(), onStderr: hooks.onStderr });
    this.worker = worker;
    const active: ActiveTraining = { source: start.source, name: start.config.name, runDir: null, pid: worker.pid, startedAt: Date.now() };
    this.current = active;
    try {
      await worker.ready;
      if (this.stopRequested) throw new Error('stopped before the run started');
      return await worker.request(
        {
          type: 'train',
          config: start.config,
          outDir: start.outDir,
          backend: start.backend,
          maxSteps: start.maxSteps,
          workers: start.workers,
        },
        {
          onEvent: (e) => {
            if (e.type === 'start') active.runDir = e.runDir;
            hooks.onEvent?.(e);
          },
          onStep: hooks.onStep,
        },
      );
    } catch (e) {
      if (active.runDir) await markFailed(active.runDir, errorMessage(e));
      throw e;
    } finally {
      this.current = null;
      this.worker = null;
      await worker.dispose();
    }
  }

  /**
   * Asks the worker to stop (it finishes the step, saves the model, writes the summary); kills it
   * by PID if it has not finished within `killAfterMs`.
   */
  async stop(killAfterMs = 5000): Promise<boolean> {
    const worker = this.worker;
    if (!worker) return false;
    this.stopRequested = true;
    const timer = setTimeout(() => worker.killNow(), killAfterMs);
    try {
      await worker.request({ type: 'stop' }).catch(() => undefined);
      await worker.exited;
    } finally {
      clearTimeout(timer);
    }
    return true;
  }

  /** Deactivation: no worker may outlive the extension host. */
  killNow(): void {
    this.worker?.killNow();
  }
}

/** A run of this runs folder that another window's worker is training right now. */
export interface ForeignTraining {
  runDir: string;
  name: string;
  pid: number;
  /** The process's start time as recorded (Linux); a PID whose start time differs is another process. */
  pidStart?: string;
}

/** How many of the newest runs are looked at for a training in progress. */
const RECENT_RUNS = 10;

function runningIn(dir: string, raw: unknown, ownPid?: number): ForeignTraining | null {
  const file = join(dir, 'summary.json');
  const s = parseSummary(raw, file, dir);
  if (s.status !== 'running' || s.pid === undefined || s.pid === ownPid || s.pid === process.pid) return null;
  // The PID and its start time: a killed training's PID given to another process is not a training.
  if (!sameProcess(s.pid, s.pidStart)) return null;
  return { runDir: dir, name: s.name, pid: s.pid, ...(s.pidStart !== undefined && { pidStart: s.pidStart }) };
}

/**
 * One training per workspace, across windows: the newest runs whose summary says "running" with
 * a live worker (summary.json records its PID and start time until the run ends). Unreadable or
 * invalid summaries are not trainings.
 */
export function findRunningTraining(runDirs: string[], ownPid?: number): ForeignTraining | null {
  for (const dir of runDirs.slice(0, RECENT_RUNS)) {
    try {
      const file = join(dir, 'summary.json');
      const found = runningIn(dir, parseJsonFile(readUntrustedTextSync(file, { kind: 'runJson' }), file), ownPid);
      if (found) return found;
    } catch {
      // not a training
    }
  }
  return null;
}

/** The same without blocking the calling thread (the extension host). */
export async function findRunningTrainingAsync(runDirs: string[], ownPid?: number): Promise<ForeignTraining | null> {
  for (const dir of runDirs.slice(0, RECENT_RUNS)) {
    try {
      const file = join(dir, 'summary.json');
      const found = runningIn(dir, parseJsonFile((await readUntrusted(file, { kind: 'runJson' })).toString('utf8'), file), ownPid);
      if (found) return found;
    } catch {
      // not a training
    }
  }
  return null;
}

/**
 * Asks another window's worker to stop (SIGTERM: it cancels its run properly); waits for it.
 * The PID is signalled only while it is still the recorded process (same start time).
 */
export async function stopForeignTraining(t: ForeignTraining, timeoutMs = 6000): Promise<boolean> {
  if (!sameProcess(t.pid, t.pidStart)) return true;
  try {
    process.kill(t.pid, 'SIGTERM');
  } catch {
    return true;
  }
  const gone = () => !processAlive(t.pid) || !sameProcess(t.pid, t.pidStart);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (gone()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return gone();
}

/** A run whose worker died keeps its files; its summary says it failed, and why. */
export async function markFailed(runDir: string, error: string): Promise<void> {
  const file = join(runDir, 'summary.json');
  let raw: Record<string, unknown>;
  try {
    raw = parseJsonFile((await readUntrusted(file, { kind: 'runJson' })).toString('utf8'), file) as Record<string, unknown>;
    // Only a valid summary is rewritten; what it holds besides is kept as it was.
    if (parseSummary(raw, file, runDir).status !== 'running') return;
  } catch {
    // A summary that is missing or that we cannot read is left as it is: readRun reports it by name.
    return;
  }
  const { pid: _pid, pidStart: _start, ...rest } = raw;
  writeJsonAtomic(file, { ...rest, status: 'failed', error, finishedAt: new Date().toISOString() }, { fsync: true });
}
