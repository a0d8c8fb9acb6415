/**
 * Paths the user gives on the command line (--out, --data, CONFIG), checked where they are used:
 * a Node fs error caused by a user path (ENOENT, EACCES, ENOTDIR, EISDIR, EEXIST, EROFS, ENOSPC,
 * …) becomes a LabError naming the path and the flag, never an "internal error" with a stack.
 */
import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { LabError, errorMessage } from '../core/errors';

/** What an fs error code means for a user path, in words. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder',
  EEXIST: 'already exists',
  EROFS: 'is on a read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EINVAL: 'invalid path',
};

/** An fs error's code when it is one a user path can cause, else undefined. */
export function userFsErrorCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(FS_REASONS, code) ? code : undefined;
}

/** A LabError naming `path` (given as `flag`) and what the fs error `e` means. */
export function fsLabError(e: unknown, path: string, flag: string): LabError {
  const code = userFsErrorCode(e) ?? 'EIO';
  const reason = FS_REASONS[code] ?? errorMessage(e);
  const at = (e as NodeJS.ErrnoException).path;
  const where = typeof at === 'string' && at !== path ? ` (${at})` : '';
  return new LabError(`${flag} ${path}: ${reason}${where}`, {
    file: path,
    field: flag.replace(/^--/, ''),
    code: code === 'ENOENT' ? 'not-found' : 'invalid-input',
  });
}

/** Linux's virtual file systems: nothing the lab writes belongs there. */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

function virtualRoot(p: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  return VIRTUAL_ROOTS.find((r) => p === r || p.startsWith(`${r}${sep}`));
}

function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a folder';
}

/**
 * `path` as an absolute folder the lab may create and write into, checked before anything is
 * written (nothing is created here): an existing regular file, a FIFO, a folder under a file, an
 * unwritable or read-only folder, or a place in /proc, /sys or /dev is refused by name.
 */
export function ensureWritableDir(path: string, flag: string): string {
  if (path === '' || path.includes('\0'))
    throw new LabError(`${flag}: expected a folder path, got '${path.replace(/\0/g, '\\0')}'`, { field: flag.replace(/^--/, '') });
  const abs = resolve(path);
  // The nearest part of the path that exists decides: the rest is created by the run.
  let existing = abs;
  let st: Stats | undefined;
  for (;;) {
    try {
      st = statSync(existing);
      break;
    } catch (e) {
      const code = userFsErrorCode(e);
      if (code === 'ENOENT' && dirname(existing) !== existing) {
        existing = dirname(existing);
        continue;
      }
      if (code === 'ENOTDIR')
        throw new LabError(`${flag} ${abs}: a part of the path is a file, not a folder`, {
          file: abs,
          field: flag.replace(/^--/, ''),
          code: 'invalid-input',
        });
      throw fsLabError(e, abs, flag);
    }
  }
  let real = existing;
  try {
    real = realpathSync(existing);
  } catch {
    // stat succeeded; keep the path as given
  }
  const virtual = virtualRoot(abs) ?? virtualRoot(real);
  if (virtual)
    throw new LabError(`${flag} ${abs}: is inside ${virtual}, a virtual file system; choose a folder on disk`, {
      file: abs,
      field: flag.replace(/^--/, ''),
      code: 'invalid-input',
    });
  if (!st.isDirectory()) {
    const what = existing === abs ? `is ${kindOf(st)}, not a folder` : `${existing} is ${kindOf(st)}, not a folder`;
    throw new LabError(`${flag} ${abs}: ${what}`, { file: abs, field: flag.replace(/^--/, ''), code: 'invalid-input' });
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = userFsErrorCode(e);
    const reason = code === 'EROFS' ? 'is on a read-only file system' : 'is not writable (permission denied)';
    throw new LabError(`${flag} ${abs}: ${existing === abs ? '' : `the folder ${existing} `}${reason}`, {
      file: abs,
      field: flag.replace(/^--/, ''),
      code: 'invalid-input',
    });
  }
  return abs;
}

/** True when the fs error `e` is about `root` or a path inside it. */
export function fsErrorInside(e: unknown, root: string): boolean {
  const at = (e as NodeJS.ErrnoException | null)?.path;
  if (typeof at !== 'string' || userFsErrorCode(e) === undefined) return false;
  const p = resolve(at);
  return p === root || p.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * `path` (given as `flag`) as an absolute folder to read from: an existing file, FIFO or device
 * is refused by name. A path that does not exist is returned as is: the reader says what it missed.
 */
export function checkReadableDir(path: string, flag: string): string {
  if (path === '' || path.includes('\0'))
    throw new LabError(`${flag}: expected a folder path, got '${path.replace(/\0/g, '\\0')}'`, { field: flag.replace(/^--/, '') });
  const abs = resolve(path);
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (e) {
    if (userFsErrorCode(e) === 'ENOENT') return abs;
    throw fsLabError(e, abs, flag);
  }
  if (!st.isDirectory())
    throw new LabError(`${flag} ${abs}: is ${kindOf(st)}, not a folder`, {
      file: abs,
      field: flag.replace(/^--/, ''),
      code: 'invalid-input',
    });
  return abs;
}
