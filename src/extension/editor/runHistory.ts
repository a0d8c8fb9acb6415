/**
 * The runs of one config file. A run made from a file in the editor gets a `source.json` beside
 * its summary (written by the host when the run starts: the worker and the CLI know no file);
 * runs without one (the CLI's, older ones) belong to the config files whose `name` they carry.
 * Reads only summary.json, config.json and source.json (each a regular file within its size
 * limit, validated), cached by their modification times; the host reads them asynchronously.
 * No vscode import.
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LabConfig } from '../../core/config';
import type { RunStatus, RunSummary } from '../../core/events';
import { hasOwn, isPlainObject, readUntrusted, readUntrustedSync } from '../../core/files/untrusted';
import { writeJsonAtomic } from '../../core/runs/atomic';
import { listRunsAsync, parseRunConfig, summaryWithLiveStatus } from '../../core/runs/store';
import { statusName, t } from '../l10n';

export const SOURCE_FILE = 'source.json';

export interface RunRecord {
  dir: string;
  runId: string;
  name: string;
  /** `interrupted` where the summary says running but the process it records is gone. */
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

const RECORD_FILES = ['summary.json', 'config.json', SOURCE_FILE] as const;

function json(bytes: Buffer): unknown {
  return JSON.parse(bytes.toString('utf8'));
}

function jsonSync(file: string): unknown {
  try {
    return json(readUntrustedSync(file, { kind: 'runJson' }));
  } catch {
    return undefined;
  }
}

async function jsonAsync(file: string): Promise<unknown> {
  try {
    return json(await readUntrusted(file, { kind: 'runJson' }));
  } catch {
    return undefined;
  }
}

/** A run's record from the contents of its three files; null when its summary is not a valid one. */
export function recordFrom(dir: string, summary: unknown, configRaw: unknown, sourceRaw: unknown): RunRecord | null {
  let s: RunSummary;
  try {
    s = summaryWithLiveStatus(summary, join(dir, 'summary.json'), dir);
  } catch {
    return null;
  }
  let config: LabConfig | null;
  try {
    config = configRaw === undefined ? null : parseRunConfig(configRaw, join(dir, 'config.json'));
  } catch {
    config = null;
  }
  const source = isPlainObject(sourceRaw) && hasOwn(sourceRaw, 'config') && typeof sourceRaw.config === 'string' ? sourceRaw.config : null;
  const raw = summary as Record<string, unknown>;
  return {
    dir,
    runId: s.runId,
    name: hasOwn(raw, 'name') ? s.name : (config?.name ?? ''),
    status: s.status,
    testAccuracy: s.testAccuracy,
    valAccuracy: s.valAccuracy,
    seconds: s.seconds,
    backend: s.backend,
    steps: s.steps,
    totalSteps: s.totalSteps,
    epochsCompleted: s.epochsCompleted,
    epochs: s.epochs,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    model: s.model ?? null,
    source,
    config,
  };
}

/** One run's record, or null when its summary cannot be read (a corrupt or half-made run). CLI and tests. */
export function readRunRecord(dir: string): RunRecord | null {
  const [summary, config, source] = RECORD_FILES.map((f) => jsonSync(join(dir, f)));
  return recordFrom(dir, summary, config, source);
}

/** The same without blocking the calling thread (the extension host). */
export async function readRunRecordAsync(dir: string): Promise<RunRecord | null> {
  const [summary, config, source] = await Promise.all(RECORD_FILES.map((f) => jsonAsync(join(dir, f))));
  return recordFrom(dir, summary, config, source);
}

async function mtime(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return -1;
  }
}

/** The most runs the index reads (newest first): a runs folder of 100 000 runs costs no more. */
export const MAX_INDEXED_RUNS = 500;

/** The runs folder's records, newest first, re-read only where a file changed; every read asynchronous. */
export class RunIndex {
  private cache = new Map<string, { stamp: string; record: RunRecord | null }>();

  constructor(private readonly runsDir: () => string) {}

  async all(): Promise<RunRecord[]> {
    const dirs = await listRunsAsync(this.runsDir(), MAX_INDEXED_RUNS);
    const next = new Map<string, { stamp: string; record: RunRecord | null }>();
    await Promise.all(
      dirs.map(async (dir) => {
        const stamp = (await Promise.all(RECORD_FILES.map((f) => mtime(join(dir, f))))).join('|');
        const hit = this.cache.get(dir);
        // A running record is re-read: its process may have died since (then it reads as interrupted).
        next.set(
          dir,
          hit && hit.stamp === stamp && hit.record?.status !== 'running' ? hit : { stamp, record: await readRunRecordAsync(dir) },
        );
      }),
    );
    this.cache = next;
    return dirs.map((d) => next.get(d)!.record).filter((r): r is RunRecord => r !== null);
  }

  /** The runs of a config file (see the module comment), newest first. */
  async of(configFile: string, configName: string): Promise<RunRecord[]> {
    return runsOfConfig(await this.all(), configFile, configName);
  }
}

const samePath = (a: string, b: string) =>
  process.platform === 'win32' ? resolve(a).toLowerCase() === resolve(b).toLowerCase() : resolve(a) === resolve(b);

export function runsOfConfig(runs: RunRecord[], configFile: string, configName: string): RunRecord[] {
  return runs.filter((r) => (r.source ? samePath(r.source, configFile) : r.name === configName));
}

/** The run Evaluate/Robustness and the accuracy hint use: the newest completed one with a model. */
export function latestFinished(runs: RunRecord[]): RunRecord | null {
  return runs.find((r) => r.status === 'completed' && r.model) ?? null;
}

export const percent = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '—' : `${(100 * v).toFixed(digits)} %`;

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
  const detail = t(
    '{0} · {1}/{2} steps, {3}/{4} epochs · {5} on {6}',
    r.runId,
    r.steps,
    r.totalSteps,
    r.epochsCompleted,
    r.epochs,
    duration(r.seconds),
    r.backend || '?',
  );
  return {
    label: t('{0} · validation {1}', outcome, percent(r.valAccuracy)),
    description: shortDate(r.startedAt),
    detail: r.source ? detail : `${detail}${t(' · (matched by name)')}`,
  };
}
