/**
 * The one way to open a file the lab did not write (weights, manifests, configs, run folders,
 * data): a regular file only, checked on the opened descriptor (so a symlink to /dev/zero, a
 * FIFO, a socket or a directory is refused by name and never blocks), at most `maxBytes` bytes,
 * and, where the path came from another file, resolved (real path) inside that file's folder.
 *
 * The extension host uses the async variants only: a read there must never block its thread.
 */
import { constants, closeSync, fstatSync, opendirSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { type FileHandle, open, opendir as opendirAsync, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LabError, errorMessage } from '../errors';

/** Size limits per kind of file; each is far above what the lab itself writes. */
export const FILE_LIMITS = {
  /** A *.mnist.json config (the lab writes < 1 KB; class names are bounded by the schema). */
  config: 1 << 20,
  /** A run's config.json, summary.json, source.json. */
  runJson: 1 << 20,
  /** A run's metrics.jsonl (20 epochs: ≈ 60 KB). */
  metrics: 64 << 20,
  /** A run's histograms.jsonl (≈ 10 KB per epoch; the config allows 1000 epochs). */
  histograms: 32 << 20,
  /** One kernel snapshot (the seed's: 20 KB; depth 256 × 256 × 13² floats as JSON ≈ 100 MB). */
  snapshot: 128 << 20,
  /** model.json (topology + manifest: ≈ 5 KB). */
  modelJson: 4 << 20,
  /** Weights: model.safetensors or a weights shard (the seed's: 1.7 MB; the config's limits allow far less than this). */
  weights: 512 << 20,
  /** One IDX file, raw or gzip (MNIST's training images: 47 MB raw). */
  idx: 256 << 20,
} as const;

export type FileKind = keyof typeof FILE_LIMITS;

/** How a file kind is named in messages. */
const KIND_NAMES: Record<FileKind, string> = {
  config: 'config file',
  runJson: 'run file',
  metrics: 'metrics file',
  snapshot: 'kernel snapshot',
  histograms: 'histograms file',
  modelJson: 'model.json',
  weights: 'weights file',
  idx: 'IDX file',
};

export interface ReadOptions {
  kind: FileKind;
  /** Overrides the kind's limit (tests). */
  maxBytes?: number;
  /** The path must resolve (real path) inside this folder. */
  inside?: string;
}

function typeName(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function sizeText(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(n % (1 << 10) ? 1 : 0)} KiB`;
  return `${n} bytes`;
}

function openError(path: string, kind: FileKind, e: unknown): LabError {
  const code = (e as NodeJS.ErrnoException).code;
  const what = KIND_NAMES[kind];
  if (code === 'ENOENT') return new LabError(`${path}: ${what} not found`, { file: path, code: 'not-found' });
  if (code === 'ENXIO')
    return new LabError(`${path}: ${what} is a socket or an unconnected device, not a regular file`, { file: path, code: 'invalid-data' });
  if (code === 'EACCES' || code === 'EPERM')
    return new LabError(`${path}: ${what} cannot be read (permission denied)`, { file: path, code: 'invalid-data' });
  if (code === 'ELOOP') return new LabError(`${path}: ${what} is a symbolic link loop`, { file: path, code: 'invalid-data' });
  if (code === 'EISDIR') return new LabError(`${path}: ${what} is a directory, not a regular file`, { file: path, code: 'invalid-data' });
  return new LabError(`${path}: ${what} cannot be read (${code ?? errorMessage(e)})`, { file: path, code: 'invalid-data' });
}

function checkStats(path: string, kind: FileKind, st: Stats, max: number): void {
  if (!st.isFile()) {
    throw new LabError(`${path}: ${KIND_NAMES[kind]} is ${typeName(st)}, not a regular file`, { file: path, code: 'invalid-data' });
  }
  if (st.size > max) {
    throw new LabError(`${path}: ${KIND_NAMES[kind]} is ${sizeText(st.size)}, more than the ${sizeText(max)} allowed`, {
      file: path,
      code: 'invalid-data',
    });
  }
}

function tooBig(path: string, kind: FileKind, max: number): LabError {
  return new LabError(`${path}: ${KIND_NAMES[kind]} is larger than the ${sizeText(max)} allowed`, { file: path, code: 'invalid-data' });
}

/** True when `child` (a resolved absolute path) is `root` or lies under it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function outside(path: string, root: string): LabError {
  return new LabError(`${path}: resolves outside its folder ${root}; a path read from a file must stay inside that file's folder`, {
    file: path,
    code: 'invalid-data',
  });
}

/**
 * `rel`, a path read from a file in `folder`, as an absolute path; refused when it is absolute,
 * climbs out with `..`, or (once the file exists) resolves through a symlink outside `folder`.
 */
export function resolveInsideSync(folder: string, rel: string, field = 'path'): string {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0') || isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) {
    throw new LabError(`${folder}: ${field} ${JSON.stringify(String(rel)).slice(0, 200)} must be a relative path inside the folder`, {
      file: folder,
      field,
      code: 'invalid-data',
    });
  }
  const path = resolve(folder, rel);
  if (!isInside(resolve(folder), path)) throw outside(path, folder);
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(folder);
    real = realpathSync(path);
  } catch {
    return path; // does not exist: the read that follows says so
  }
  if (!isInside(realRoot, real)) throw outside(path, folder);
  return path;
}

function checkInsideSync(path: string, root: string): void {
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(path);
  } catch {
    return;
  }
  if (!isInside(realRoot, real)) throw outside(path, root);
}

async function checkInside(path: string, root: string): Promise<void> {
  let real: string;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(path);
  } catch {
    return;
  }
  if (!isInside(realRoot, real)) throw outside(path, root);
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. On a regular
// file the flag changes nothing.
const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Opens a file the lab did not write and checks it on the descriptor (inside its folder, a
 * regular file, within its kind's limit): what every read below starts with. The caller closes it.
 */
function openCheckedSync(path: string, opts: ReadOptions): { fd: number; st: Stats; max: number } {
  const max = opts.maxBytes ?? FILE_LIMITS[opts.kind];
  if (opts.inside) checkInsideSync(path, opts.inside);
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (e) {
    throw openError(path, opts.kind, e);
  }
  try {
    const st = fstatSync(fd);
    checkStats(path, opts.kind, st, max);
    return { fd, st, max };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The same without blocking the calling thread. */
async function openChecked(path: string, opts: ReadOptions): Promise<{ handle: FileHandle; st: Stats; max: number }> {
  const max = opts.maxBytes ?? FILE_LIMITS[opts.kind];
  if (opts.inside) await checkInside(path, opts.inside);
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (e) {
    throw openError(path, opts.kind, e);
  }
  try {
    const st = await handle.stat();
    checkStats(path, opts.kind, st, max);
    return { handle, st, max };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Reads a file the lab did not write, whole, within its kind's size limit (CLI, worker, tests). */
export function readUntrustedSync(path: string, opts: ReadOptions): Buffer {
  const { fd, st, max } = openCheckedSync(path, opts);
  try {
    // The size may change under us: read at most max + 1 bytes and refuse more than max.
    const buf = Buffer.allocUnsafe(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) {
        if (n > max) throw tooBig(path, opts.kind, max);
        break;
      }
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The same, without blocking the calling thread (the extension host). */
export async function readUntrusted(path: string, opts: ReadOptions): Promise<Buffer> {
  const { handle, st, max } = await openChecked(path, opts);
  try {
    const buf = Buffer.allocUnsafe(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) {
        if (n > max) throw tooBig(path, opts.kind, max);
        break;
      }
    }
    return buf.subarray(0, n);
  } finally {
    await handle.close();
  }
}

/** UTF-8 text of a file the lab did not write. */
export function readUntrustedTextSync(path: string, opts: ReadOptions): string {
  return readUntrustedSync(path, opts).toString('utf8');
}

export async function readUntrustedText(path: string, opts: ReadOptions): Promise<string> {
  return (await readUntrusted(path, opts)).toString('utf8');
}

/** Parses JSON from a file the lab did not write; a syntax error names the file. */
export function parseJsonFile(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new LabError(`${path}: not valid JSON (${errorMessage(e)})`, { file: path, code: 'invalid-data' });
  }
}

/** Own (not inherited) property: `{"toString": 1}` or `{type: "constructor"}` never pass as known keys. */
export function hasOwn(o: object, key: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** A plain JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The first `n` bytes (fewer if the file is shorter) of a file the lab did not write, with the
 * same checks as a whole read (regular file on the descriptor, the kind's size limit, inside its
 * folder): an IDX header without reading its data.
 */
export function readUntrustedHeadSync(path: string, n: number, opts: ReadOptions): Buffer {
  const { fd } = openCheckedSync(path, opts);
  try {
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = readSync(fd, buf, got, n - got, got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export async function readUntrustedHead(path: string, n: number, opts: ReadOptions): Promise<Buffer> {
  return readUntrustedParts(path, opts, (file) => file.read(0, n));
}

/** An opened file the lab did not write: its size (on the descriptor) and `length` bytes from `position` (fewer at its end). */
export interface UntrustedParts {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
}

/**
 * Reads parts of a file the lab did not write (a header, then what the header says to read), with
 * the same checks as a whole read, opened once: `use` reads what it needs, the file is closed after.
 */
export async function readUntrustedParts<T>(path: string, opts: ReadOptions, use: (file: UntrustedParts) => Promise<T>): Promise<T> {
  const { handle, st } = await openChecked(path, opts);
  const read = async (position: number, length: number): Promise<Buffer> => {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  };
  try {
    return await use({ size: st.size, read });
  } finally {
    await handle.close();
  }
}

/** The most entries a listing of a folder the lab did not write reads (runs folders, kernels/). */
export const MAX_DIR_ENTRIES = 10_000;

/**
 * The names in a folder, at most `max` of them (a folder with 100 000 entries costs no more than
 * `max`); [] when the folder does not exist or is not a folder.
 */
export function listFolderSync(dir: string, max = MAX_DIR_ENTRIES): string[] {
  let d;
  try {
    d = opendirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  try {
    for (let e = d.readSync(); e !== null && out.length < max; e = d.readSync()) out.push(e.name);
  } finally {
    d.closeSync();
  }
  return out;
}

export async function listFolder(dir: string, max = MAX_DIR_ENTRIES): Promise<string[]> {
  let d;
  try {
    d = await opendirAsync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  try {
    for (let e = await d.read(); e !== null && out.length < max; e = await d.read()) out.push(e.name);
  } finally {
    await d.close();
  }
  return out;
}

/**
 * Restricted Mode (an untrusted workspace): the folder every path must stay inside, real paths
 * compared (a `.mnist-lab` that is a symlink out of the workspace is outside). null: trusted.
 */
export type Restriction = { workspace: string } | null;

/** The real path of `p`, or of its nearest existing ancestor with the rest appended (a runs folder not made yet). */
async function realPathOf(p: string): Promise<string> {
  let cur = resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(cur), ...rest.reverse());
    } catch {
      const up = dirname(cur);
      if (up === cur) return resolve(p);
      rest.push(cur.slice(up.length).replace(/^[\\/]/, ''));
      cur = up;
    }
  }
}

/**
 * In Restricted Mode a path the lab would read or write (the runs folder, a data directory) must
 * resolve inside the workspace; otherwise a LabError says which setting or field points where.
 */
export async function refuseOutsideWorkspace(path: string, restriction: Restriction, what: string): Promise<void> {
  if (!restriction) return;
  const [real, root] = await Promise.all([realPathOf(path), realPathOf(restriction.workspace)]);
  if (isInside(root, real)) return;
  throw new LabError(
    `${path}: ${what} resolves to ${real}, outside the workspace ${restriction.workspace}; in Restricted Mode MNIST Lab reads and writes only inside the workspace (trust the workspace, or choose a folder inside it)`,
    { file: path, code: 'invalid-input' },
  );
}
