/**
 * A grid's record: `<runs>/grids/<time>-<name>.json`, naming the run folder of each point and
 * what it reached. Written by the lab (temp + rename, after each point); read back as a hostile
 * file: bounded, every field checked, every run folder a plain name inside the runs folder.
 */
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LabError, errorMessage } from '../errors';
import type { RunStatus, RunSummary } from '../events';
import {
  hasOwn,
  isInside,
  isPlainObject,
  listFolder,
  listFolderSync,
  parseJsonFile,
  readUntrustedText,
  readUntrustedTextSync,
} from '../files/untrusted';
import { CONFIG_LIMITS } from '../config';
import { writeJsonAtomic } from './atomic';

/** The folder of grid records inside a runs folder. */
export const GRIDS_FOLDER = 'grids';

export type GridStatus = 'running' | 'completed' | 'cancelled' | 'failed';
const GRID_STATUSES: readonly GridStatus[] = ['running', 'completed', 'cancelled', 'failed'];
const POINT_STATUSES: readonly (RunStatus | 'pending')[] = ['pending', 'running', 'completed', 'cancelled', 'failed', 'interrupted'];

/** A value a grid varies: what a config field holds (a number, a string, a list of them, null). */
export type GridValue = number | string | boolean | null | (number | string)[];

export interface GridRecordPoint {
  values: Record<string, GridValue>;
  /** The run folder's name inside the runs folder (absolute once read back); null before it starts. */
  runDir: string | null;
  status: RunStatus | 'pending';
  valAccuracy: number | null;
  testAccuracy: number | null;
}

export interface GridRecord {
  type: 'grid';
  version: 1;
  name: string;
  /** The config file it came from, where there was one. */
  source: string | null;
  keys: string[];
  status: GridStatus;
  startedAt: string;
  finishedAt: string | null;
  points: GridRecordPoint[];
}

/** A grid record as read back: `file` where it is, run folders absolute (inside the runs folder). */
export interface StoredGrid extends GridRecord {
  file: string;
}

/** A run folder's name as a grid record holds it: one plain path segment. */
const RUN_NAME = /^[A-Za-z0-9._-]{1,200}$/;
/** A grid key: a config field's dotted path ("training.learningRate"), never "__proto__" or the like. */
const KEY_PATH = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

/** The record of one grid training, rewritten whole (temp + rename) after every change. */
export class GridRecordFile {
  private constructor(
    readonly file: string,
    readonly record: GridRecord,
  ) {}

  /** A new record `<runsDir>/grids/<time>-<name>.json`, created exclusively. */
  static create(
    runsDir: string,
    init: { name: string; source: string | null; keys: string[]; values: Record<string, unknown>[] },
    now = new Date(),
  ): GridRecordFile {
    const dir = join(resolve(runsDir), GRIDS_FOLDER);
    mkdirSync(dir, { recursive: true });
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    const safe = init.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40) || 'grid';
    for (let i = 1; i <= 10_000; i++) {
      const file = join(dir, `${stamp}-${safe}${i === 1 ? '' : `-${i}`}.json`);
      try {
        closeSync(openSync(file, 'wx'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new LabError(`${dir}: cannot write the grid record (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, {
          file: dir,
          code: 'invalid-input',
        });
      }
      const record: GridRecord = {
        type: 'grid',
        version: 1,
        name: init.name,
        source: init.source,
        keys: [...init.keys],
        status: 'running',
        startedAt: now.toISOString(),
        finishedAt: null,
        points: init.values.map((values) => ({
          values: values as Record<string, GridValue>,
          runDir: null,
          status: 'pending',
          valAccuracy: null,
          testAccuracy: null,
        })),
      };
      const g = new GridRecordFile(file, record);
      g.write();
      return g;
    }
    throw new LabError(`${dir}: 10000 grids named ${stamp}-${safe} already exist`, { file: dir, code: 'invalid-data' });
  }

  /** Point `index` started (its run folder) or ended (its summary). */
  update(index: number, s: Pick<RunSummary, 'runDir' | 'status' | 'valAccuracy' | 'testAccuracy'>): void {
    const p = this.record.points[index]!;
    p.runDir = basename(s.runDir);
    p.status = s.status;
    p.valAccuracy = s.valAccuracy;
    p.testAccuracy = s.testAccuracy;
    this.write();
  }

  /** Point `index` ended without a summary (its process failed or was stopped before it wrote one). */
  ended(index: number, status: 'failed' | 'cancelled'): void {
    this.record.points[index]!.status = status;
    this.write();
  }

  finish(status: GridStatus): void {
    this.record.status = status;
    this.record.finishedAt = new Date().toISOString();
    this.write();
  }

  private write(): void {
    writeJsonAtomic(this.file, this.record);
  }
}

function bad(file: string, field: string, what: string): LabError {
  return new LabError(`${file}: ${field} ${what}`, { file, field, code: 'invalid-data' });
}

const shown = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 80);

function gridValue(v: unknown): v is GridValue {
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'string') return v.length <= CONFIG_LIMITS.pathLength;
  return (
    Array.isArray(v) &&
    v.length <= CONFIG_LIMITS.classes &&
    v.every((x) => (typeof x === 'number' && Number.isFinite(x)) || (typeof x === 'string' && x.length <= CONFIG_LIMITS.nameLength))
  );
}

function accuracy(v: unknown, file: string, field: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw bad(file, field, `must be a number in [0, 1] or null, got ${shown(v)}`);
  return v;
}

/**
 * A grid record as the lab wrote it, or a LabError naming the file and the field: the keys and
 * values bounded, every run folder a plain name resolved inside `runsDir`.
 */
export function parseGridRecord(raw: unknown, file: string, runsDir: string): StoredGrid {
  if (!isPlainObject(raw)) throw bad(file, 'grid record', 'must be a JSON object');
  const get = (k: string): unknown => (hasOwn(raw, k) ? raw[k] : undefined);
  if (get('type') !== 'grid' || get('version') !== 1) throw bad(file, 'type', `must be "grid" (version 1), got ${shown(get('type'))}`);
  const str = (k: string, max: number): string => {
    const v = get(k);
    if (typeof v !== 'string' || v.length > max) throw bad(file, k, `must be a string of at most ${max} characters`);
    return v;
  };
  const name = str('name', CONFIG_LIMITS.nameLength);
  const source = get('source') === null ? null : str('source', CONFIG_LIMITS.pathLength);
  const status = get('status');
  if (!GRID_STATUSES.includes(status as GridStatus)) throw bad(file, 'status', `must be one of ${GRID_STATUSES.join(', ')}, got ${shown(status)}`);
  const startedAt = str('startedAt', 40);
  const finishedAt = get('finishedAt') === null ? null : str('finishedAt', 40);
  const keys = get('keys');
  if (
    !Array.isArray(keys) ||
    keys.length < 1 ||
    keys.length > 32 ||
    !keys.every((k) => typeof k === 'string' && k.length <= 100 && KEY_PATH.test(k)) ||
    new Set(keys).size !== keys.length
  )
    throw bad(file, 'keys', 'must be a list of 1 to 32 distinct config paths (such as "training.learningRate")');
  const points = get('points');
  if (!Array.isArray(points) || points.length < 1 || points.length > CONFIG_LIMITS.gridPoints)
    throw bad(file, 'points', `must be a list of 1 to ${CONFIG_LIMITS.gridPoints} points`);
  const root = resolve(runsDir);
  const out: GridRecordPoint[] = points.map((p: unknown, i): GridRecordPoint => {
    const at = `points[${i}]`;
    if (!isPlainObject(p)) throw bad(file, at, 'must be an object');
    const pv = (k: string): unknown => (hasOwn(p, k) ? p[k] : undefined);
    const values = pv('values');
    if (!isPlainObject(values)) throw bad(file, `${at}.values`, 'must be an object');
    const copy: Record<string, GridValue> = {};
    for (const k of keys as string[]) {
      const v = hasOwn(values, k) ? values[k] : undefined;
      if (!gridValue(v)) throw bad(file, `${at}.values[${JSON.stringify(k)}]`, `must be a config value, got ${shown(v)}`);
      copy[k] = Array.isArray(v) ? [...v] : v;
    }
    const st = pv('status');
    if (!POINT_STATUSES.includes(st as RunStatus)) throw bad(file, `${at}.status`, `must be one of ${POINT_STATUSES.join(', ')}, got ${shown(st)}`);
    const rd = pv('runDir');
    let runDir: string | null = null;
    if (rd !== null && rd !== undefined) {
      if (typeof rd !== 'string' || !RUN_NAME.test(rd) || rd === '.' || rd === '..')
        throw bad(file, `${at}.runDir`, `must be the name of a run folder inside the runs folder, got ${shown(rd)}`);
      runDir = join(root, rd);
      if (!isInside(root, runDir) || dirname(runDir) !== root) throw bad(file, `${at}.runDir`, 'must lie inside the runs folder');
    }
    return {
      values: copy,
      runDir,
      status: st as GridRecordPoint['status'],
      valAccuracy: accuracy(pv('valAccuracy'), file, `${at}.valAccuracy`),
      testAccuracy: accuracy(pv('testAccuracy'), file, `${at}.testAccuracy`),
    };
  });
  return {
    type: 'grid',
    version: 1,
    file,
    name,
    source,
    keys: [...(keys as string[])],
    status: status as GridStatus,
    startedAt,
    finishedAt,
    points: out,
  };
}

/** A grid record under `<runsDir>/grids/`, read through the untrusted-file rules (synchronous: the CLI, tests). */
export function readGridRecordSync(file: string, runsDir: string): StoredGrid {
  const text = readUntrustedTextSync(file, { kind: 'runJson', inside: join(resolve(runsDir), GRIDS_FOLDER) });
  return parseGridRecord(parseJsonFile(text, file), file, runsDir);
}

/** readGridRecordSync without blocking (the extension host). */
export async function readGridRecord(file: string, runsDir: string): Promise<StoredGrid> {
  const text = await readUntrustedText(file, { kind: 'runJson', inside: join(resolve(runsDir), GRIDS_FOLDER) });
  return parseGridRecord(parseJsonFile(text, file), file, runsDir);
}

const GRID_FILE = /^\d{8}-\d{6}-[A-Za-z0-9._-]+\.json$/;

/** The grid record files among a grids folder's names, newest first. */
function gridFiles(dir: string, names: string[]): string[] {
  return names
    .filter((n) => GRID_FILE.test(n))
    .sort()
    .reverse()
    .map((n) => join(dir, n));
}

/** Grid record files of a runs folder, newest first (none when it has no grids folder). */
export function listGridsSync(runsDir: string): string[] {
  const dir = join(resolve(runsDir), GRIDS_FOLDER);
  return gridFiles(dir, listFolderSync(dir));
}

/** listGridsSync without blocking. */
export async function listGrids(runsDir: string): Promise<string[]> {
  const dir = join(resolve(runsDir), GRIDS_FOLDER);
  return gridFiles(dir, await listFolder(dir));
}

/** The most grid records a run's report looks through, newest first, for the grid the run belongs to. */
export const MAX_GRIDS_SEARCHED = 200;

/**
 * The newest grid record of `runDir`'s runs folder that lists the run, or null. A record that
 * cannot be read is passed over: it is not this run's report that should fail on it.
 */
export function gridOfRunSync(runDir: string): StoredGrid | null {
  const run = resolve(runDir);
  const runsDir = dirname(run);
  for (const file of listGridsSync(runsDir).slice(0, MAX_GRIDS_SEARCHED)) {
    let grid: StoredGrid;
    try {
      grid = readGridRecordSync(file, runsDir);
    } catch {
      continue;
    }
    if (grid.points.some((p) => p.runDir === run)) return grid;
  }
  return null;
}

/**
 * The grid record at `path` as a user names it: a record file `<runs>/grids/<time>-<name>.json`,
 * or a grids folder (its newest record). Read as a hostile file (readGridRecordSync): a regular
 * file of bounded size, its own keys only, every field checked, every run folder a name inside
 * the runs folder, which is the grids folder's parent.
 */
export function gridRecordAtSync(path: string): StoredGrid {
  let file = resolve(path);
  let isFolder: boolean;
  try {
    isFolder = statSync(file).isDirectory();
  } catch (e) {
    throw new LabError(`${file}: no such grid record (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, { file, code: 'not-found' });
  }
  if (isFolder) {
    const newest = gridFiles(file, listFolderSync(file))[0];
    if (!newest) throw new LabError(`${file}: no grid record in this folder (a grid's record is RUNS/${GRIDS_FOLDER}/<time>-<name>.json)`, { file, code: 'not-found' });
    file = newest;
  }
  if (basename(dirname(file)) !== GRIDS_FOLDER)
    throw new LabError(`${file}: a grid record is read from a runs folder's ${GRIDS_FOLDER}/ folder (its runs are named inside that runs folder)`, {
      file,
    });
  return readGridRecordSync(file, dirname(dirname(file)));
}

/** The point with the best validation accuracy that has a run folder (the first of equals), or -1. */
export function bestGridPoint(points: readonly Pick<GridRecordPoint, 'runDir' | 'valAccuracy'>[]): number {
  let best = -1;
  points.forEach((p, i) => {
    if (p.runDir !== null && p.valAccuracy !== null && (best < 0 || p.valAccuracy > points[best]!.valAccuracy!)) best = i;
  });
  return best;
}

