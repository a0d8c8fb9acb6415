/**
 * The training worker yields the cores to the editor. On Windows and macOS the nice value (the
 * priority class) belongs to the process; on Linux it belongs to each thread, and a thread only
 * inherits it from the thread that creates it. The threads Node starts before our first line
 * (V8's platform workers: garbage collection, WebAssembly tier-up compilation) would stay at
 * normal priority and compete with the extension host, so every thread of the process is lowered,
 * by its id in /proc/self/task. Threads started later (the replicas, libuv's pool) are created
 * by a lowered thread and inherit it.
 *
 * Tried and not kept: the SCHED_IDLE policy (util-linux's chrt) for training. In the VS Code
 * integration test on 2 cores, three runs each: the extension host's p99 lag 27–49 ms against
 * 41–86 ms with nice 10 alone, its time waiting for a CPU 0.60–0.94 s against 0.73–1.02 s:
 * within the spread from run to run, not worth depending on chrt. No vscode import.
 */
import { readdirSync } from 'node:fs';
import { constants, getPriority, setPriority } from 'node:os';
import { errorMessage } from '../core/errors';

export const WORKER_PRIORITY = constants.priority.PRIORITY_BELOW_NORMAL;

export interface PriorityResult {
  /** Threads now at `WORKER_PRIORITY` or lower (on Linux: each thread; elsewhere: the process, 1). */
  lowered: number;
  /** What could not be changed, with the reason. */
  failed: string[];
}

/** Lowers this process (every thread of it on Linux) to below-normal priority. Never throws. */
export function lowerProcessPriority(platform: NodeJS.Platform = process.platform): PriorityResult {
  const result: PriorityResult = { lowered: 0, failed: [] };
  const lower = (id: number) => {
    try {
      // Never raise a thread someone lowered further (nice 19 from the shell stays 19).
      if (getPriority(id) < WORKER_PRIORITY) setPriority(id, WORKER_PRIORITY);
      result.lowered++;
    } catch (e) {
      // A thread that ended meanwhile (ESRCH) is not a failure.
      if (!/ESRCH|no such process/i.test(String(e))) result.failed.push(`thread ${id}: ${errorMessage(e)}`);
    }
  };
  let tids: string[] = [];
  if (platform === 'linux') {
    try {
      tids = readdirSync('/proc/self/task').filter((t) => /^\d+$/.test(t));
    } catch (e) {
      result.failed.push(`/proc/self/task: ${errorMessage(e)}`);
    }
  }
  if (tids.length === 0) lower(0);
  for (const tid of tids) lower(Number(tid));
  return result;
}
