/**
 * The runs of one config file. A run made from a file in the editor gets a `source.json` beside
 * its summary (written by the host when the run starts: the worker and the CLI know no file);
 * runs without one (the CLI's, older ones) belong to the config files whose `name` they carry.
 * Reads only summary.json, config.json and source.json, cached by their modification times.
 * No vscode import.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LabConfig } from '../../core/config';
import type { RunStatus, RunSummary } from '../../core/events';
import { writeJsonAtomic } from '../../core/runs/atomic';
import { listRuns } from '../../core/runs/store';
import { statusName, t } from '../l10n';

export const SOURCE_FILE = 'source.json';

export interface RunRecord {
  dir: string;
  runId: string;
  name: string;
  status: RunStatus;
  testAccuracy: number | null;
  valAccuracy: number | null;
  seconds: number;
  backend: string;
  steps: number;
  totalSteps: number;
  epochsCompleted: number;
  epochs: number;
  startedAt: string;
  finishedAt: string | null;
  /** The saved model (absent until the run ends). */
  model: RunSummary['model'] | null;
  /** The config file the run was made from, when the editor recorded it. */
  source: string | null;
  config: LabConfig | null;
}

/** Records which config file a run came from (once; an existing record is kept). */
export function recordRunSource(runDir: string, configFile: string): void {
  const file = join(runDir, SOURCE_FILE);
  try {
    statSync(file);
    return;
  } catch {
    writeJsonAtomic(file, { config: resolve(configFile) });
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** One run's record, or null when its summary cannot be read (a corrupt or half-made run). */
export function readRunRecord(dir: string): RunRecord | null {
  const s = readJson(join(dir, 'summary.json')) as Partial<RunSummary> | undefined;
  if (!s || typeof s !== 'object' || typeof s.status !== 'string') return null;
  const config = readJson(join(dir, 'config.json')) as LabConfig | undefined;
  const source = readJson(join(dir, SOURCE_FILE)) as { config?: unknown } | undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    dir,
    runId: typeof s.runId === 'string' ? s.runId : dir.split(/[\\/]/).pop()!,
    name: typeof s.name === 'string' ? s.name : (config?.name ?? ''),
    status: s.status,
    testAccuracy: num(s.testAccuracy),
    valAccuracy: num(s.valAccuracy),
    seconds: num(s.seconds) ?? 0,
    backend: typeof s.backend === 'string' ? s.backend : '',
    steps: num(s.steps) ?? 0,
    totalSteps: num(s.totalSteps) ?? 0,
    epochsCompleted: num(s.epochsCompleted) ?? 0,
    epochs: num(s.epochs) ?? 0,
    startedAt: typeof s.startedAt === 'string' ? s.startedAt : '',
    finishedAt: typeof s.finishedAt === 'string' ? s.finishedAt : null,
    model: s.model ?? null,
    source: typeof source?.config === 'string' ? source.config : null,
    config: config && typeof config === 'object' && config.model && config.training ? config : null,
  };
}

/** The runs folder's records, newest first, re-read only where a file changed. */
export class RunIndex {
  private cache = new Map<string, { stamp: string; record: RunRecord | null }>();

  constructor(private readonly runsDir: () => string) {}

  all(): RunRecord[] {
    const dirs = listRuns(this.runsDir());
    const next = new Map<string, { stamp: string; record: RunRecord | null }>();
    for (const dir of dirs) {
      const stamp = ['summary.json', 'config.json', SOURCE_FILE].map((f) => mtime(join(dir, f))).join('|');
      const hit = this.cache.get(dir);
      next.set(dir, hit && hit.stamp === stamp ? hit : { stamp, record: readRunRecord(dir) });
    }
    this.cache = next;
    return dirs.map((d) => next.get(d)!.record).filter((r): r is RunRecord => r !== null);
  }

  /** The runs of a config file (see the module comment), newest first. */
  of(configFile: string, configName: string): RunRecord[] {
    return runsOfConfig(this.all(), configFile, configName);
  }
}

const samePath = (a: string, b: string) => (process.platform === 'win32' ? resolve(a).toLowerCase() === resolve(b).toLowerCase() : resolve(a) === resolve(b));

export function runsOfConfig(runs: RunRecord[], configFile: string, configName: string): RunRecord[] {
  return runs.filter((r) => (r.source ? samePath(r.source, configFile) : r.name === configName));
}

/** The run Evaluate/Robustness and the accuracy hint use: the newest completed one with a model. */
export function latestFinished(runs: RunRecord[]): RunRecord | null {
  return runs.find((r) => r.status === 'completed' && r.model) ?? null;
}

export const percent = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(digits)} %`);

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `2026-11-28 00:41` from an ISO time (UTC, as the run folders are named). */
export function shortDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** One line per run for the history pick list. */
export function historyItem(r: RunRecord): { label: string; description: string; detail: string } {
  const outcome =
    r.status === 'completed'
      ? t('test {0}', percent(r.testAccuracy))
      : r.status === 'running'
        ? t('training…')
        : r.testAccuracy !== null
          ? t('{0}, test {1}', statusName(r.status), percent(r.testAccuracy))
          : statusName(r.status);
  const detail = t('{0} · {1}/{2} steps, {3}/{4} epochs · {5} on {6}', r.runId, r.steps, r.totalSteps, r.epochsCompleted, r.epochs, duration(r.seconds), r.backend || '?');
  return {
    label: t('{0} · validation {1}', outcome, percent(r.valAccuracy)),
    description: shortDate(r.startedAt),
    detail: r.source ? detail : `${detail}${t(' · (matched by name)')}`,
  };
}
