import { gunzipSync } from 'node:zlib';
import { LabError, errorMessage } from '../errors';
import { FILE_LIMITS, readUntrustedSync } from '../files/untrusted';

/** An IDX array of unsigned bytes (type 0x08), as used by MNIST and its relatives. */
export interface IdxArray {
  /** Dimension sizes, outermost first (e.g. [60000, 28, 28] for MNIST training images). */
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** The most data bytes one IDX array may hold, raw or decompressed (MNIST's training images: 47 MB). */
export const MAX_IDX_BYTES = FILE_LIMITS.idx;

const mib = (n: number) => `${Math.round(n / (1 << 20))} MiB`;

/**
 * Parses an IDX file's bytes (raw or gzip-compressed). `expectedRank` is 3 for image files
 * (magic 0x00000803) and 1 for label files (magic 0x00000801). `file` is used in error messages.
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank?: number, maxBytes: number = MAX_IDX_BYTES): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      // A gzip bomb stops at the limit instead of filling the memory.
      buf = gunzipSync(buf, { maxOutputLength: maxBytes + 4 + 4 * 255 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new LabError(`${file}: gzip data decompresses to more than the ${mib(maxBytes)} an IDX file may hold`, {
          file,
          code: 'invalid-data',
        });
      }
      throw new LabError(`${file}: gzip data is corrupt or truncated (${errorMessage(e)})`, { file, code: 'invalid-data' });
    }
  }
  if (buf.length < 4) {
    throw new LabError(`${file}: too short to be an IDX file (${buf.length} bytes)`, { file, code: 'invalid-data' });
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  const zero = magic >>> 16;
  const type = (magic >>> 8) & 0xff;
  const rank = magic & 0xff;
  const magicHex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (zero !== 0 || type !== UBYTE || rank === 0) {
    throw new LabError(`${file}: wrong magic number ${magicHex}; expected an unsigned-byte IDX file (0x000008NN)`, {
      file,
      code: 'invalid-data',
    });
  }
  if (expectedRank !== undefined && rank !== expectedRank) {
    const want = `0x${(0x800 + expectedRank).toString(16).padStart(8, '0')}`;
    throw new LabError(`${file}: wrong magic number ${magicHex}; expected ${want} (${expectedRank === 1 ? 'labels' : 'images'})`, {
      file,
      code: 'invalid-data',
    });
  }
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) {
    throw new LabError(`${file}: truncated header (${buf.length} bytes, need ${headerBytes})`, { file, code: 'invalid-data' });
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new LabError(`${file}: dimension ${i} is 0`, { file, code: 'invalid-data' });
    dims.push(d);
    count *= d;
  }
  // Checked before anything is sized from the header (a header may claim 4G images).
  if (count > maxBytes) {
    throw new LabError(
      `${file}: header says ${dims.join('×')} = ${count} bytes of data, more than the ${mib(maxBytes)} an IDX file may hold`,
      {
        file,
        code: 'invalid-data',
      },
    );
  }
  const expected = headerBytes + count;
  if (buf.length !== expected) {
    const what = buf.length < expected ? 'truncated' : 'has trailing bytes';
    throw new LabError(`${file}: ${what}: header says ${dims.join('×')} = ${count} bytes of data, file holds ${buf.length - headerBytes}`, {
      file,
      code: 'invalid-data',
    });
  }
  return { dims, data: buf.subarray(headerBytes, expected) };
}

/**
 * Reads and parses an IDX file: a regular file only (a FIFO, a device such as /dev/zero, a
 * directory are refused by name, without blocking), at most FILE_LIMITS.idx bytes.
 */
export function readIdxFile(path: string, expectedRank?: number): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readUntrustedSync(path, { kind: 'idx' });
  } catch (e) {
    if (e instanceof LabError && e.code === 'not-found')
      throw new LabError(`${path}: cannot read IDX file: file not found`, { file: path, code: 'not-found' });
    throw e;
  }
  return parseIdx(bytes, path, expectedRank);
}

/** Encodes an IDX unsigned-byte array (used by tests and by tools that write datasets). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
