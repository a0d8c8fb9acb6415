// Helpers of the integration suite (runs inside the extension host).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'mnist-lab.mnist-lab';
export const COMMAND_IDS = [
  'mnistLab.train',
  'mnistLab.evaluate',
  'mnistLab.robustness',
  'mnistLab.openLab',
  'mnistLab.stop',
  'mnistLab.newConfig',
  'mnistLab.installBackend',
] as const;
/** The command titles of issue 3, as shown in the palette (`category: title`). */
export const COMMAND_TITLES: Record<(typeof COMMAND_IDS)[number], string> = {
  'mnistLab.train': 'MNIST Lab: Train',
  'mnistLab.evaluate': 'MNIST Lab: Evaluate',
  'mnistLab.robustness': 'MNIST Lab: Robustness Check',
  'mnistLab.openLab': 'MNIST Lab: Open Lab',
  'mnistLab.stop': 'MNIST Lab: Stop Training',
  'mnistLab.newConfig': 'MNIST Lab: New Config',
  'mnistLab.installBackend': 'MNIST Lab: Install Accelerated Backend',
};
/** The small config the runners put in the test workspace (see test/vscode/workspace.ts). */
export const SMALL_CONFIG = 'small.mnist.json';
/** The original lab's network for 100 epochs of the small data (test/vscode/workspace.ts): trains until stopped. */
export const LONG_CONFIG_NAME = 'long.mnist.json';

export function note(line: string): void {
  const notes = (globalThis as Record<string, unknown>).__mnistLabSuiteNotes as string[] | undefined;
  notes?.push(line);
  console.log(line);
}

export function workspaceRoot(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('the integration suite needs a workspace folder (the runner opens one)');
  return f.uri.fsPath;
}

/** Where the extension writes run directories: the mnistLab.runsDir setting, else <workspace>/.mnist-lab/runs (issue 3's package.json). */
export function runsDir(): string {
  const ws = workspaceRoot();
  const setting = vscode.workspace.getConfiguration('mnistLab').get<string>('runsDir') ?? '';
  if (setting) return isAbsolute(setting) ? setting : join(ws, setting);
  return join(ws, '.mnist-lab', 'runs');
}

export function listRunDirs(): string[] {
  const dir = runsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((d) => join(dir, d))
    .filter((d) => statSync(d).isDirectory());
}

export interface Summary {
  runId: string;
  runDir: string;
  status: 'running' | 'completed' | 'cancelled' | 'failed';
  steps: number;
  totalSteps: number;
  epochsCompleted: number;
  valAccuracy: number | null;
  testAccuracy: number | null;
  backend: string;
  seconds: number;
  pid?: number;
  workers?: number;
  error?: string;
}

export function readSummary(runDir: string): Summary | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Summary;
  } catch {
    return undefined; // not written yet, or being replaced
  }
}

export function readMetrics(runDir: string): { type: string; [k: string]: unknown }[] {
  try {
    return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { type: string });
  } catch {
    return [];
  }
}

/** Waits until the run's summary.json leaves status `running` and returns that summary. */
export function runEnded(runDir: string, what: string, timeoutMs: number, intervalMs: number): Promise<Summary> {
  return waitFor<Summary>(
    what,
    () => {
      const s = readSummary(runDir);
      return s && s.status !== 'running' ? s : undefined;
    },
    timeoutMs,
    intervalMs,
  );
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
  abort?: () => unknown,
): Promise<T> {
  const t0 = Date.now();
  let lastError: unknown;
  for (;;) {
    const why = abort?.();
    if (why) throw new Error(`gave up waiting for ${what}: ${why instanceof Error ? why.message : String(why)}`);
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Live descendants of this extension host process, from /proc (the training worker is one). */
export function descendants(rootPid = process.pid): { pid: number; cmd: string }[] {
  const parents = new Map<number, number>();
  const cmds = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      parents.set(Number(name), Number(rest[1]));
      cmds.set(Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim());
    } catch {
      /* exited meanwhile */
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const stack = [rootPid];
  while (stack.length) {
    const p = stack.pop()!;
    for (const [pid, ppid] of parents) {
      if (ppid === p) {
        out.push({ pid, cmd: cmds.get(pid) ?? '' });
        stack.push(pid);
      }
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function openConfig(name: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.file(join(workspaceRoot(), name));
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

/** Starts a command without awaiting it (Train may resolve only when training ends); a rejection is kept. */
export function fire(command: string, ...args: unknown[]): { error: () => unknown; done: Promise<unknown> } {
  let error: unknown;
  const done = Promise.resolve(vscode.commands.executeCommand(command, ...args)).then(
    (v) => v,
    (e) => {
      error = e;
      return undefined;
    },
  );
  return { error: () => error, done };
}

/**
 * State shared between the suite's files (mocha runs them in order, in one extension host). Each
 * test file is its own bundle with its own copy of this module, hence the global.
 */
const g = globalThis as { __mnistLabShared?: { trainedRun?: Summary } };
export const shared: { trainedRun?: Summary } = (g.__mnistLabShared ??= {});
