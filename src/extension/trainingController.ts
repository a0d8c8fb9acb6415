/**
 * One training at a time for this workspace: a fresh worker process per run, stopped on request
 * (AbortSignal in the worker: the partial run is kept), killed by PID when it does not obey, and
 * a crash turned into a failed run with the worker's last error. No vscode import.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabConfig } from '../core/config';
import type { RunSummary, TrainingEvent } from '../core/events';
import { writeJsonAtomic } from '../core/runs/atomic';
import { WorkerProcess, type WorkerOptions } from './workerProcess';

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

  constructor(private readonly workerOptions: () => Omit<WorkerOptions, 'onStderr'>) {}

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
    this.stopRequested = false;
    const worker = new WorkerProcess({ ...this.workerOptions(), onStderr: hooks.onStderr });
    this.worker = worker;
    const active: ActiveTraining = { source: start.source, name: start.config.name, runDir: null, pid: worker.pid, startedAt: Date.now() };
    this.current = active;
    try {
      await worker.ready;
      if (this.stopRequested) throw new Error('stopped before the run started');
      return await worker.request(
        { type: 'train', config: start.config, outDir: start.outDir, backend: start.backend, maxSteps: start.maxSteps, workers: start.workers },
        {
          onEvent: (e) => {
            if (e.type === 'start') active.runDir = e.runDir;
            hooks.onEvent?.(e);
          },
          onStep: hooks.onStep,
        },
      );
    } catch (e) {
      if (active.runDir) markFailed(active.runDir, e instanceof Error ? e.message : String(e));
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
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One training per workspace, across windows: the newest runs whose summary says "running" with
 * a live worker PID (summary.json records it until the run ends).
 */
export function findRunningTraining(runDirs: string[], ownPid?: number): ForeignTraining | null {
  for (const dir of runDirs.slice(0, 10)) {
    try {
      const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
      if (s.status === 'running' && typeof s.pid === 'number' && s.pid !== ownPid && s.pid !== process.pid && processAlive(s.pid)) {
        return { runDir: dir, name: s.name, pid: s.pid };
      }
    } catch {
      // unreadable summaries are not trainings
    }
  }
  return null;
}

/** Asks another window's worker to stop (SIGTERM: it cancels its run properly); waits for it. */
export async function stopForeignTraining(t: ForeignTraining, timeoutMs = 6000): Promise<boolean> {
  try {
    process.kill(t.pid, 'SIGTERM');
  } catch {
    return true;
  }
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!processAlive(t.pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !processAlive(t.pid);
}

/** A run whose worker died keeps its files; its summary says it failed, and why. */
export function markFailed(runDir: string, error: string): void {
  const file = join(runDir, 'summary.json');
  if (!existsSync(file)) return;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
    if (s.status !== 'running') return;
    s.status = 'failed';
    s.error = error;
    s.finishedAt = new Date().toISOString();
    delete s.pid;
    writeJsonAtomic(file, s);
  } catch {
    // A summary we cannot read is left as it is: readRun reports it by name.
  }
}
