/**
 * What identifies the process that trains a run, so that a PID left in a summary by a killed
 * training is never trusted (nor signalled) once the system has given it to another process:
 * the PID with its start time (Linux: /proc/PID/stat field 22, clock ticks since boot).
 */
import { readFileSync } from 'node:fs';

/** The start time of a process as the system records it; null where the platform has no /proc or the process is gone. */
export function processStartTime(pid: number): string | null {
  if (process.platform !== 'linux' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces or ')': fields 3.. follow the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = rest[22 - 3];
    return start && /^\d+$/.test(start) ? start : null;
  } catch {
    return null;
  }
}

/** Whether a process with this PID exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process recorded as (pid, startTime) is still the one running: alive, and, where a
 * start time was recorded and the system reports one, the same start time (a reused PID is not).
 */
export function sameProcess(pid: number, startTime: string | null | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (typeof startTime !== 'string') return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}
