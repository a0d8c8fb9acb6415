import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

export interface AtomicOptions {
  /**
   * Flush to disk: the temp file before the rename, the folder after it (a summary that must
   * survive a power cut: the final one). Costs a few milliseconds; off for frequent writes.
   */
  fsync?: boolean;
}

function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder: the rename is what they guarantee.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes to a temporary file beside the target, then renames: readers never see half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicOptions = {}): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${++counter}.tmp`);
  try {
    // 'wx': a fresh file of our own, never through a link someone left at that name.
    const fd = openSync(tmp, 'wx');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      if (opts.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (opts.fsync) fsyncFolder(dir);
}

export function writeJsonAtomic(file: string, value: unknown, opts: AtomicOptions = {}): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, opts);
}
