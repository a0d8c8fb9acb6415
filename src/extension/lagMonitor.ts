/**
 * The event-loop lag of the thread it runs on (the extension host's), tick by tick, with the
 * time the thread spent waiting for a CPU set apart. Used by the VS Code integration test
 * (test/vscode/suite/2-training.test.ts) and `npm run bench -- --lag`; the extension's own
 * always-on measure is lag.ts (perf_hooks). No vscode import.
 *
 * A timer tick that comes late was late for one of two reasons: the event loop was busy or
 * blocked (work on this thread, a synchronous call, a garbage-collection pause), or the thread
 * was ready to run and the operating system had no core for it. The second is the machine, not
 * the event loop: on the 2-core CI machine the test's browser (Chromium rendering the workbench
 * and the lab panel in software, 45–70 % of a core while the panel draws) and code-server share
 * the cores with the extension host. Linux counts that wait per thread (the second field of
 * /proc/thread-self/schedstat, in ns), so each tick's lag splits into "waited for a CPU" and
 * "the loop was not free". Where there is no schedstat, the whole lag counts as not free.
 */
import { readFileSync } from 'node:fs';

/** Nanoseconds this thread has waited on a run queue, or null where Linux does not say. */
function runQueueWaitNs(): number | null {
  try {
    const wait = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
    return Number.isFinite(wait) ? wait : null;
  } catch {
    return null;
  }
}

export interface LagStats {
  ticks: number;
  p50: number;
  p99: number;
  max: number;
}

function stats(v: number[]): LagStats {
  const s = [...v].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
  return { ticks: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0 };
}

export const formatLag = (s: LagStats): string =>
  `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${s.ticks} ticks)`;

export class LagMonitor {
  /** Per tick: how much later than due it ran, in ms. */
  private readonly lags: number[] = [];
  /** Per tick: the part of that lag not spent waiting for a CPU. */
  private readonly busy: number[] = [];
  private waitedMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private lastWait: number | null = null;
  readonly schedstat = runQueueWaitNs() !== null;

  constructor(readonly resolutionMs = 10) {}

  start(): void {
    this.last = performance.now();
    this.lastWait = runQueueWaitNs();
    this.timer = setInterval(() => this.tick(), this.resolutionMs);
  }

  /** Stops ticking; `start()` again resumes (the pause is not counted). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = performance.now();
    const wait = runQueueWaitNs();
    const lag = Math.max(0, now - this.last - this.resolutionMs);
    const waited = wait !== null && this.lastWait !== null ? Math.min(lag, (wait - this.lastWait) / 1e6) : 0;
    this.lags.push(lag);
    this.busy.push(lag - waited);
    this.waitedMs += waited;
    this.last = now;
    this.lastWait = wait;
  }

  /** The lag as the event loop saw it, waiting for a CPU included. */
  get total(): LagStats {
    return stats(this.lags);
  }

  /** The lag less the time the thread waited for a CPU: how long the loop itself was not free. */
  get notFree(): LagStats {
    return stats(this.busy);
  }

  /** All the time the ticks spent waiting for a CPU, in ms. */
  get waitedForCpuMs(): number {
    return this.waitedMs;
  }
}
