/**
 * The state a lab panel persisted (the page's vscode.setState), handed back by the serializer
 * after a window reload. The page is untrusted, so is what it saved: its `runDir` is opened only
 * when it is a run directory inside a runs folder of the workspace, or a path the user opened
 * before (kept in the workspace state); any other path is never read. No vscode import: unit-tested.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { isInside } from '../core/files/untrusted';
import { validatePersistedPanelState } from '../core/protocol';

/** The workspace-state key of the runs the user opened explicitly (newest first). */
export const OPENED_RUNS_KEY = 'mnistLab.openedRuns';
/** How many opened runs are remembered. */
export const MAX_OPENED_RUNS = 50;

export interface PersistedRunCheck {
  /** The run to open, or null (none saved, or refused). */
  runDir: string | null;
  /** Why the saved run was refused (shown to the user), or null. */
  problem: string | null;
}

/** The remembered opened runs from a workspace-state value (itself checked: strings only, bounded). */
export function openedRunsFrom(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 4096 && isAbsolute(v))
    .slice(0, MAX_OPENED_RUNS);
}

/** `opened` with `runDir` first (a new list, bounded). */
export function rememberOpenedRun(opened: unknown, runDir: string): string[] {
  const abs = resolve(runDir);
  return [abs, ...openedRunsFrom(opened).filter((d) => d !== abs)].slice(0, MAX_OPENED_RUNS);
}

async function real(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

/** A run directory: a folder holding the lab's config.json or summary.json. */
async function isRunDirectory(dir: string): Promise<boolean> {
  try {
    if (!(await stat(dir)).isDirectory()) return false;
  } catch {
    return false;
  }
  for (const f of ['config.json', 'summary.json']) {
    try {
      if ((await stat(join(dir, f))).isFile()) return true;
    } catch {
      // next
    }
  }
  return false;
}

/** Decides whether the panel may open the run its persisted state names. Never throws. */
export async function checkPersistedRunDir(
  state: unknown,
  opts: { runsDirs: readonly string[]; opened: readonly string[] },
): Promise<PersistedRunCheck> {
  if (state === undefined || state === null) return { runDir: null, problem: null };
  const v = validatePersistedPanelState(state);
  if (!v.ok) return { runDir: null, problem: `the lab panel's saved state is invalid (${v.error}); the panel opens empty` };
  const { runDir } = v.value;
  if (runDir === null) return { runDir: null, problem: null };
  const shown = runDir.length > 200 ? `${runDir.slice(0, 200)}…` : runDir;
  if (!isAbsolute(runDir))
    return { runDir: null, problem: `the lab panel's saved run ${JSON.stringify(shown)} is not an absolute path; the panel opens empty` };
  const target = await real(runDir);
  if (target !== null) {
    for (const root of opts.runsDirs) {
      const r = await real(root);
      if (r !== null && target !== r && isInside(r, target) && (await isRunDirectory(target))) return { runDir, problem: null };
    }
    for (const o of opts.opened) {
      if (resolve(o) === resolve(runDir) || (await real(o)) === target) return { runDir, problem: null };
    }
  }
  return {
    runDir: null,
    problem: `the lab panel's saved run ${JSON.stringify(shown)} is not a run directory in ${opts.runsDirs.join(', ') || 'the runs folder'} nor a run opened before; the panel opens empty`,
  };
}
