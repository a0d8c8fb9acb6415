import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type LabConfig, parseConfig } from '../config';
import { type EpochHistograms, parseHistogramsJsonl } from '../analysis/histograms';
import { LabError, errorMessage } from '../errors';
import type { KernelSnapshot, ProgressEvent, RunStatus, RunSummary, TrainingEvent } from '../events';
import { hasOwn, isPlainObject, listFolder, listFolderSync, parseJsonFile, readUntrustedText, readUntrustedTextSync } from '../files/untrusted';
import { writeJsonAtomic } from './atomic';
import { sameProcess } from './process';

/**
 * One training run on disk:
 *   config.json      the config used (defaults filled in)
 *   metrics.jsonl    start, progress (with the seed's record entry) and epoch events, appended
 *   kernels/epoch-NNN.json  conv1/conv2 weights and biases at each epoch end
 *   histograms.jsonl the layers' histograms at each epoch end (one line each, appended)
 *   model/model.safetensors, model/model.json + weights.bin
 *   summary.json     status, accuracies, times, backend, steps, and while it runs the PID and
 *                    start time of the process that trains it
 * JSON files are replaced atomically (temp file + rename; the final summary is fsynced);
 * metrics.jsonl only grows (one line appended per event).
 */
export class RunDirectory {
  constructor(readonly dir: string) {}

  /**
   * A new run folder `<time>-<name>`, created exclusively: two runs started in the same second
   * with the same name get `<time>-<name>` and `<time>-<name>-2` (never one shared folder).
   */
  static create(outDir: string, name: string, now = new Date()): RunDirectory {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40) || 'run';
    const root = resolve(outDir);
    const cannot = (e: unknown) =>
      new LabError(`${root}: cannot make a run folder there (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, { file: root, code: 'invalid-input' });
    try {
      mkdirSync(root, { recursive: true });
    } catch (e) {
      throw cannot(e);
    }
    for (let i = 1; i <= 10_000; i++) {
      const dir = join(root, i === 1 ? `${stamp}-${safe}` : `${stamp}-${safe}-${i}`);
      try {
        mkdirSync(dir);
        return new RunDirectory(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannot(e);
      }
    }
    throw new LabError(`${root}: 10000 runs named ${stamp}-${safe} already exist`, { file: root, code: 'invalid-data' });
  }

  get id(): string {
    return this.dir.split(/[\\/]/).pop()!;
  }
  get modelDir(): string {
    return join(this.dir, 'model');
  }

  writeConfig(config: LabConfig): void {
    writeJsonAtomic(join(this.dir, 'config.json'), config);
  }

  /** Appends one line to metrics.jsonl (O(1) per event: the file is never rewritten). */
  appendMetric(e: TrainingEvent): void {
    const { type } = e;
    const line = type === 'epoch' ? { type, epoch: e.epoch, seconds: e.seconds } : e;
    appendFileSync(join(this.dir, 'metrics.jsonl'), `${JSON.stringify(line)}\n`);
  }

  /** Appends one epoch's histograms to histograms.jsonl (≈ 10 KB a line). */
  appendHistograms(h: EpochHistograms): void {
    appendFileSync(join(this.dir, 'histograms.jsonl'), `${JSON.stringify(h)}\n`);
  }

  writeSnapshot(s: KernelSnapshot): void {
    writeJsonAtomic(join(this.dir, 'kernels', `epoch-${String(s.epoch).padStart(3, '0')}.json`), s);
  }

  /** `final`: the run's last word, flushed to disk (fsync of the file and its folder). */
  writeSummary(s: RunSummary, final = false): void {
    writeJsonAtomic(join(this.dir, 'summary.json'), s, { fsync: final });
  }
}

/** What a finished (or running) run holds, read back for evaluation and the lab panel. */
export interface StoredRun {
  dir: string;
  config: LabConfig;
  summary: RunSummary;
  progress: ProgressEvent[];
  snapshots: KernelSnapshot[];
  /** The layer histograms per epoch (empty or absent for runs trained before they were recorded). */
  histograms?: EpochHistograms[];
}

/** The most kernel snapshots a run is read with (one per epoch; the config allows far fewer epochs). */
export const MAX_SNAPSHOTS = 1000;
/** The most entries listRuns looks at in a runs folder, and the most runs it returns. */
export const MAX_RUN_ENTRIES = 5000;

const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'cancelled', 'failed', 'interrupted'];

function bad(file: string, field: string, what: string): LabError {
  return new LabError(`${file}: ${field} ${what}`, { file, field, code: 'invalid-data' });
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A missing run file says the folder is not a complete run; other errors pass unchanged. */
function missingRunFile(e: unknown, file: string): unknown {
  return e instanceof LabError && e.code === 'not-found'
    ? new LabError(`${file}: missing (not a complete run directory)`, { file, code: 'not-found' })
    : e;
}

function readJsonSync(file: string): unknown {
  let text: string;
  try {
    text = readUntrustedTextSync(file, { kind: 'runJson' });
  } catch (e) {
    throw missingRunFile(e, file);
  }
  return parseJsonFile(text, file);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readUntrustedText(file, { kind: 'runJson' });
  } catch (e) {
    throw missingRunFile(e, file);
  }
  return parseJsonFile(text, file);
}

/**
 * A summary.json as the lab wrote it: an object whose status is one of the run statuses, every
 * other field of the right type where present (older runs lack some); missing counts read as 0.
 * Anything else is a LabError naming the file and the field.
 */
export function parseSummary(raw: unknown, file: string, dir: string): RunSummary {
  if (!isPlainObject(raw)) throw bad(file, 'summary', `must be a JSON object, got ${typeOf(raw)}`);
  const get = (k: string): unknown => (hasOwn(raw, k) ? raw[k] : undefined);
  const status = get('status');
  if (typeof status !== 'string' || !RUN_STATUSES.includes(status as RunStatus)) {
    throw bad(file, 'status', `must be one of ${RUN_STATUSES.join(', ')}, got ${JSON.stringify(status ?? null)?.slice(0, 80)}`);
  }
  const str = (k: string, dflt: string): string => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (typeof v !== 'string') throw bad(file, k, `must be a string, got ${typeOf(v)}`);
    return v;
  };
  const count = (k: string): number => {
    const v = get(k);
    if (v === undefined) return 0;
    if (!finite(v) || v < 0) throw bad(file, k, `must be a number ≥ 0, got ${JSON.stringify(v)?.slice(0, 80)}`);
    return v;
  };
  const nullable = (k: string, lo: number, hi: number): number | null => {
    const v = get(k);
    if (v === undefined || v === null) return null;
    if (!finite(v) || v < lo || v > hi) throw bad(file, k, `must be null or a number in ${lo}..${hi}, got ${JSON.stringify(v)?.slice(0, 80)}`);
    return v;
  };
  const s: RunSummary = {
    runId: str('runId', dir.split(/[\\/]/).filter(Boolean).pop() ?? dir),
    runDir: str('runDir', dir),
    name: str('name', ''),
    status: status as RunStatus,
    backend: str('backend', ''),
    device: str('device', ''),
    epochs: count('epochs'),
    epochsCompleted: count('epochsCompleted'),
    steps: count('steps'),
    totalSteps: count('totalSteps'),
    valAccuracy: nullable('valAccuracy', 0, 1),
    testAccuracy: nullable('testAccuracy', 0, 1),
    seedTestAccuracy: nullable('seedTestAccuracy', 0, 1),
    seconds: count('seconds'),
    msPerStep: nullable('msPerStep', 0, Number.MAX_VALUE),
    startedAt: str('startedAt', ''),
    finishedAt: get('finishedAt') === null ? null : str('finishedAt', '') || null,
  };
  const workers = get('workers');
  if (workers !== undefined) {
    if (!Number.isSafeInteger(workers) || (workers as number) < 0) throw bad(file, 'workers', `must be an integer ≥ 0, got ${JSON.stringify(workers)}`);
    s.workers = workers as number;
  }
  const error = get('error');
  if (error !== undefined) s.error = str('error', '');
  const model = get('model');
  if (model !== undefined && model !== null) {
    if (!isPlainObject(model) || typeof model.safetensors !== 'string' || typeof model.tfjs !== 'string' || !hasOwn(model, 'safetensors') || !hasOwn(model, 'tfjs')) {
      throw bad(file, 'model', 'must be an object with the strings safetensors and tfjs');
    }
    s.model = { safetensors: model.safetensors, tfjs: model.tfjs };
  }
  const names = get('classNames');
  if (names !== undefined && names !== null) {
    if (!Array.isArray(names) || names.length > 1000 || !names.every((n) => typeof n === 'string')) throw bad(file, 'classNames', 'must be an array of at most 1000 strings');
    s.classNames = names as string[];
  }
  const pid = get('pid');
  if (pid !== undefined) {
    if (!Number.isSafeInteger(pid) || (pid as number) <= 0) throw bad(file, 'pid', `must be a positive integer, got ${JSON.stringify(pid)?.slice(0, 80)}`);
    s.pid = pid as number;
  }
  const pidStart = get('pidStart');
  if (pidStart !== undefined) s.pidStart = str('pidStart', '');
  return s;
}

/**
 * A summary's status as it stands: `running` only while the process it records (PID and start
 * time) is still that process; a training that was killed reads as `interrupted`.
 */
export function liveStatus(s: Pick<RunSummary, 'status' | 'pid' | 'pidStart'>): RunStatus {
  if (s.status === 'running' && typeof s.pid === 'number' && !sameProcess(s.pid, s.pidStart)) return 'interrupted';
  return s.status;
}

/** A summary read back: validated, and `running` turned into `interrupted` where its process is gone. */
export function summaryWithLiveStatus(raw: unknown, file: string, dir: string): RunSummary {
  const s = parseSummary(raw, file, dir);
  const status = liveStatus(s);
  if (status !== s.status) {
    s.status = status;
    delete s.pid;
    delete s.pidStart;
  }
  return s;
}

/**
 * Rates the lab records as they were asked for even outside the config's bounds (a run that
 * diverged with learningRate 1e30 is still a run to read back): they size nothing.
 */
const RECORDED_RATES = [
  ['training', 'learningRate'],
  ['training', 'momentum'],
  ['model', 'dropout'],
] as const;

/**
 * A run's config.json: validated by parseConfig like any config (a LabError naming the file and
 * the field), except that the rates above may hold any finite number.
 */
export function parseRunConfig(raw: unknown, file: string): LabConfig {
  if (!isPlainObject(raw)) return parseConfig(raw, file);
  const kept: [string, string, number][] = [];
  const copy: Record<string, unknown> = { ...raw };
  for (const [section, key] of RECORDED_RATES) {
    const sec = hasOwn(copy, section) ? copy[section] : undefined;
    if (!isPlainObject(sec) || !hasOwn(sec, key) || !finite(sec[key])) continue;
    kept.push([section, key, sec[key]]);
    const { [key]: _dropped, ...rest } = sec;
    copy[section] = rest;
  }
  const config = parseConfig(copy, file);
  for (const [section, key, v] of kept) (config[section as 'training'] as unknown as Record<string, number>)[key] = v;
  return config;
}

const PROGRESS_NUMBERS = ['epoch', 'batch', 'step', 'totalSteps', 'samples', 'trainSize', 'percent', 'loss', 'trainAccuracy', 'valAccuracy', 'seconds'] as const;

function parseProgress(e: Record<string, unknown>, file: string, line: number): ProgressEvent {
  for (const k of PROGRESS_NUMBERS) {
    if (!finite(hasOwn(e, k) ? e[k] : undefined)) throw bad(file, `line ${line}: ${k}`, `must be a finite number, got ${typeOf(e[k])}`);
  }
  const record = e.record;
  if (!Array.isArray(record) || record.length !== 2 || !record.every(finite)) throw bad(file, `line ${line}: record`, 'must be two finite numbers');
  // The learning rate: recorded since the schedules came; older runs have none.
  if (hasOwn(e, 'lr') && !(finite(e.lr) && e.lr >= 0)) throw bad(file, `line ${line}: lr`, `must be a finite number ≥ 0, got ${typeOf(e.lr)}`);
  return e as unknown as ProgressEvent;
}

/** The progress events of a metrics.jsonl; an unfinished last line (a training killed mid-write) is left out. */
export function parseMetrics(text: string, file: string): ProgressEvent[] {
  const progress: ProgressEvent[] = [];
  const lines = text.split('\n');
  const unfinished = !text.endsWith('\n') ? lines.length - 1 : -1;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      if (i === unfinished) return;
      throw new LabError(`${file}: line ${i + 1} is not JSON`, { file, code: 'invalid-data' });
    }
    if (!isPlainObject(e)) throw bad(file, `line ${i + 1}`, `must be a JSON object, got ${typeOf(e)}`);
    if (hasOwn(e, 'type') && e.type === 'progress') progress.push(parseProgress(e, file, i + 1));
  });
  return progress;
}

function parseLayer(v: unknown, file: string, name: string): KernelSnapshot['conv1'] {
  if (!isPlainObject(v)) throw bad(file, name, `must be an object, got ${typeOf(v)}`);
  const { shape, weight, bias } = v;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= 4096)) {
    throw bad(file, `${name}.shape`, 'must be four integers in 1..4096 ([out, in, k, k])');
  }
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if (!Array.isArray(weight) || weight.length !== size || !weight.every(finite)) throw bad(file, `${name}.weight`, `must be ${size} finite numbers (shape ${shape.join('×')})`);
  if (!Array.isArray(bias) || bias.length !== shape[0] || !bias.every(finite)) throw bad(file, `${name}.bias`, `must be ${shape[0]} finite numbers`);
  return { shape: shape as number[], weight: weight as number[], bias: bias as number[] };
}

/** A kernels/epoch-NNN.json: an epoch number and conv1/conv2 whose weights and biases match their shapes. */
export function parseSnapshot(raw: unknown, file: string): KernelSnapshot {
  if (!isPlainObject(raw)) throw bad(file, 'snapshot', `must be a JSON object, got ${typeOf(raw)}`);
  if (!Number.isSafeInteger(raw.epoch) || (raw.epoch as number) < 0) throw bad(file, 'epoch', 'must be an integer ≥ 0');
  return { epoch: raw.epoch as number, conv1: parseLayer(raw.conv1, file, 'conv1'), conv2: parseLayer(raw.conv2, file, 'conv2') };
}

function isDirSync(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function existsFileSync(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * A run folder read back, every file checked (a regular file within its limit, valid content):
 * bad content is a LabError naming the file and the field, never another exception.
 */
export function readRun(dir: string): StoredRun {
  if (!isDirSync(dir)) throw new LabError(`${dir}: no such run directory`, { file: dir, code: 'not-found' });
  const configFile = join(dir, 'config.json');
  const config = parseRunConfig(readJsonSync(configFile), configFile);
  const summaryFile = join(dir, 'summary.json');
  const summary = summaryWithLiveStatus(readJsonSync(summaryFile), summaryFile, dir);
  const metricsFile = join(dir, 'metrics.jsonl');
  const progress = existsFileSync(metricsFile) ? parseMetrics(readUntrustedTextSync(metricsFile, { kind: 'metrics' }), metricsFile) : [];
  const kdir = join(dir, 'kernels');
  const snapshots = snapshotFiles(listFolderSync(kdir)).map((f) => {
    const file = join(kdir, f);
    return parseSnapshot(parseJsonFile(readUntrustedTextSync(file, { kind: 'snapshot' }), file), file);
  });
  const histogramsFile = join(dir, 'histograms.jsonl');
  const histograms = existsFileSync(histogramsFile)
    ? parseHistogramsJsonl(readUntrustedTextSync(histogramsFile, { kind: 'histograms' }), histogramsFile)
    : [];
  return { dir, config, summary, progress, snapshots, histograms };
}

/** The kernel snapshots of a run folder's `kernels/`, in epoch order, at most MAX_SNAPSHOTS. */
const snapshotFiles = (names: string[]) =>
  names
    .filter((f) => /^epoch-\d+\.json$/.test(f))
    .sort()
    .slice(0, MAX_SNAPSHOTS);

/** A run folder's config.json, checked; null when the folder has none (weights outside a run). */
export async function readRunConfigAsync(dir: string): Promise<LabConfig | null> {
  const file = join(dir, 'config.json');
  if ((await stat(file).catch(() => null)) === null) return null;
  return parseRunConfig(await readJson(file), file);
}

/** readRun without blocking the calling thread (the extension host): the same checks, the same errors. */
export async function readRunAsync(dir: string): Promise<StoredRun> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new LabError(`${dir}: no such run directory`, { file: dir, code: 'not-found' });
  const configFile = join(dir, 'config.json');
  const config = parseRunConfig(await readJson(configFile), configFile);
  const summaryFile = join(dir, 'summary.json');
  const summary = summaryWithLiveStatus(await readJson(summaryFile), summaryFile, dir);
  const metricsFile = join(dir, 'metrics.jsonl');
  const hasMetrics = (await stat(metricsFile).catch(() => null)) !== null;
  const progress = hasMetrics ? parseMetrics(await readUntrustedText(metricsFile, { kind: 'metrics' }), metricsFile) : [];
  const kdir = join(dir, 'kernels');
  const snapshots: KernelSnapshot[] = [];
  for (const f of snapshotFiles(await listFolder(kdir))) {
    const file = join(kdir, f);
    snapshots.push(parseSnapshot(parseJsonFile(await readUntrustedText(file, { kind: 'snapshot' }), file), file));
  }
  const histogramsFile = join(dir, 'histograms.jsonl');
  const hasHistograms = (await stat(histogramsFile).catch(() => null)) !== null;
  const histograms = hasHistograms ? parseHistogramsJsonl(await readUntrustedText(histogramsFile, { kind: 'histograms' }), histogramsFile) : [];
  return { dir, config, summary, progress, snapshots, histograms };
}

/** How the lab names a run folder: `<yyyymmdd>-<hhmmss>-<name>` (UTC), so that names sort by time. */
export const RUN_FOLDER_NAME = /^\d{8}-\d{6}-/;

/** Run folder names newest first, among the first MAX_RUN_ENTRIES entries of the folder. */
function newestFirst(names: string[], limit: number): string[] {
  return names.filter((n) => RUN_FOLDER_NAME.test(n)).sort().reverse().slice(0, limit);
}

/**
 * Run directories under `outDir` (lab-named folders with a summary.json), newest first: at most
 * MAX_RUN_ENTRIES entries of the folder are read and at most `limit` of them looked into, so a
 * folder of 100 000 entries costs no more than that.
 */
export function listRuns(outDir: string, limit = MAX_RUN_ENTRIES): string[] {
  return newestFirst(listFolderSync(outDir, MAX_RUN_ENTRIES), limit)
    .map((d) => join(outDir, d))
    .filter((d) => statSync(join(d, 'summary.json'), { throwIfNoEntry: false }) !== undefined);
}

/** The same without blocking the calling thread (the extension host). */
export async function listRunsAsync(outDir: string, limit = MAX_RUN_ENTRIES): Promise<string[]> {
  const dirs = newestFirst(await listFolder(outDir, MAX_RUN_ENTRIES), limit).map((d) => join(outDir, d));
  const has: boolean[] = [];
  // In batches: thousands of stats at once only queue up in the thread pool.
  for (let i = 0; i < dirs.length; i += 64) {
    has.push(...(await Promise.all(dirs.slice(i, i + 64).map((d) => stat(join(d, 'summary.json')).then(() => true, () => false)))));
  }
  return dirs.filter((_, i) => has[i]);
}
