import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LabConfig } from '../config';
import { LabError } from '../errors';
import type { EpochEvent, KernelSnapshot, ProgressEvent, RunSummary, TrainingEvent } from '../events';
import { writeFileAtomic, writeJsonAtomic } from './atomic';

/**
 * One training run on disk:
 *   config.json      the config used (defaults filled in)
 *   metrics.jsonl    start, progress (with the seed's record entry) and epoch events
 *   kernels/epoch-NNN.json  conv1/conv2 weights and biases at each epoch end
 *   model/model.safetensors, model/model.json + weights.bin
 *   summary.json     status, accuracies, times, backend, steps
 * Every file is replaced atomically (temp file + rename).
 */
export class RunDirectory {
  private lines: string[] = [];

  constructor(readonly dir: string) {}

  static create(outDir: string, name: string, now = new Date()): RunDirectory {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40) || 'run';
    let dir = resolve(outDir, `${stamp}-${safe}`);
    for (let i = 2; existsSync(dir); i++) dir = resolve(outDir, `${stamp}-${safe}-${i}`);
    mkdirSync(dir, { recursive: true });
    return new RunDirectory(dir);
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

  /** Appends an event to metrics.jsonl (the whole file is rewritten atomically). */
  appendMetric(e: TrainingEvent): void {
    const { type } = e;
    const line = type === 'epoch' ? { type, epoch: e.epoch, seconds: e.seconds } : e;
    this.lines.push(JSON.stringify(line));
    writeFileAtomic(join(this.dir, 'metrics.jsonl'), `${this.lines.join('\n')}\n`);
  }

  writeSnapshot(s: KernelSnapshot): void {
    writeJsonAtomic(join(this.dir, 'kernels', `epoch-${String(s.epoch).padStart(3, '0')}.json`), s);
  }

  writeSummary(s: RunSummary): void {
    writeJsonAtomic(join(this.dir, 'summary.json'), s);
  }
}

/** What a finished (or running) run holds, read back for evaluation and the lab panel. */
export interface StoredRun {
  dir: string;
  config: LabConfig;
  summary: RunSummary;
  progress: ProgressEvent[];
  snapshots: KernelSnapshot[];
}

function readJson<T>(file: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new LabError(`${file}: missing (not a complete run directory)`, { file, code: 'not-found' });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new LabError(`${file}: corrupt JSON (${(e as Error).message})`, { file, code: 'invalid-data' });
  }
}

export function readRun(dir: string): StoredRun {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LabError(`${dir}: no such run directory`, { file: dir, code: 'not-found' });
  const config = readJson<LabConfig>(join(dir, 'config.json'));
  const summary = readJson<RunSummary>(join(dir, 'summary.json'));
  const progress: ProgressEvent[] = [];
  const metricsFile = join(dir, 'metrics.jsonl');
  if (existsSync(metricsFile)) {
    readFileSync(metricsFile, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        let e: TrainingEvent | EpochEvent;
        try {
          e = JSON.parse(line) as TrainingEvent;
        } catch {
          throw new LabError(`${metricsFile}: line ${i + 1} is not JSON`, { file: metricsFile, code: 'invalid-data' });
        }
        if (e.type === 'progress') progress.push(e);
      });
  }
  const kdir = join(dir, 'kernels');
  const snapshots = existsSync(kdir)
    ? readdirSync(kdir)
        .filter((f) => /^epoch-\d+\.json$/.test(f))
        .sort()
        .map((f) => readJson<KernelSnapshot>(join(kdir, f)))
    : [];
  return { dir, config, summary, progress, snapshots };
}

/** Run directories under `outDir`, newest first. */
export function listRuns(outDir: string): string[] {
  if (!existsSync(outDir)) return [];
  return readdirSync(outDir)
    .map((d) => join(outDir, d))
    .filter((d) => existsSync(join(d, 'summary.json')))
    .sort()
    .reverse();
}
