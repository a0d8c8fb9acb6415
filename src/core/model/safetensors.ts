import { LabError, errorMessage } from '../errors';
import { hasOwn, isPlainObject, readUntrustedParts } from '../files/untrusted';
import { assertFinite } from './spec';

/** One tensor of a safetensors file (float32 only: what PyTorch's state_dict holds here). */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
}

/** Encodes tensors (names in insertion order) as a safetensors file. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`${name}: shape [${t.shape}] needs ${n} values, has ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // The format recommends padding the header with spaces so that the data is 8-byte aligned.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Float dtypes this lab reads (converted to float32). */
const DTYPE_BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
/** Integer and boolean dtypes of the format: never weights. */
const INT_DTYPES = new Set(['I8', 'I16', 'I32', 'I64', 'U8', 'U16', 'U32', 'U64', 'BOOL']);

/** The header's length field may claim at most this (the safetensors crate's own limit is 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
/** At most this many tensors in one file (the lab's weights: 8; the PyTorch fixture: 31). */
export const MAX_TENSORS = 65_536;
const MAX_RANK = 16;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** One tensor as its header describes it, checked: a float dtype, a shape, its bytes in the data. */
export interface TensorEntry {
  dtype: 'F32' | 'F64' | 'F16' | 'BF16';
  shape: number[];
  /** Byte offsets in the data section (after the header). */
  begin: number;
  end: number;
  /** Number of values (the product of the shape). */
  count: number;
}

export interface SafetensorsHeader {
  /** Tensors by name, in the header's order (own properties only). */
  tensors: Record<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'object' ? 'an object' : typeof v;
};

/** The LabError of a file that breaks the format, naming the file (and the tensor or field at fault). */
function invalid(file: string, why: string, field?: string): never {
  throw new LabError(`${file}: not a valid safetensors file: ${why}`, {
    file,
    code: 'invalid-data',
    ...(field !== undefined && { field }),
  });
}

/** The header's length from the file's first 8 bytes (u64 LE), checked: at most MAX_HEADER_BYTES and within the file. */
function headerLength(first: Uint8Array, fileLength: number, file: string): number {
  if (fileLength < 8 || first.length < 8) invalid(file, `${Math.min(fileLength, first.length)} bytes is too short`);
  const claimed = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (claimed === 0n) invalid(file, 'header length is 0');
  if (claimed > BigInt(MAX_HEADER_BYTES)) invalid(file, `header length ${claimed} is more than the ${MAX_HEADER_BYTES} bytes allowed`);
  const headerLen = Number(claimed);
  if (8 + headerLen > fileLength) invalid(file, `header length ${headerLen} does not fit in ${fileLength} bytes`);
  return headerLen;
}

/**
 * Reads and checks a safetensors header without decoding any tensor: the length (u64 LE, at most
 * MAX_HEADER_BYTES and within the file), UTF-8 JSON object, `__metadata__` absent or an object of
 * strings, each tensor {dtype, shape, data_offsets} with a float dtype, whole-number offsets that
 * match the shape, and the tensors, sorted by offset, tiling the data exactly (no gap, no overlap,
 * nothing after), as the safetensors crate requires.
 */
export function readSafetensorsHeader(bytes: Uint8Array, file = '<safetensors>'): SafetensorsHeader {
  const headerLen = headerLength(bytes, bytes.length, file);
  return parseHeader(bytes.subarray(8, 8 + headerLen), bytes.length, file);
}

/** The most header readSafetensorsHeaderFile reads (the lab's weights: 728 bytes; the PyTorch fixture's: 2,664). */
export const MAX_READ_HEADER_BYTES = 1 << 20;

/**
 * The header of a safetensors file on disk, checked as readSafetensorsHeader checks it, without
 * reading the data: the length, then the JSON, refused when longer than `maxHeaderBytes`.
 */
export async function readSafetensorsHeaderFile(file: string, maxHeaderBytes = MAX_READ_HEADER_BYTES): Promise<SafetensorsHeader> {
  return readUntrustedParts(file, { kind: 'weights' }, async ({ size, read }) => {
    const headerLen = headerLength(await read(0, 8), size, file);
    if (headerLen > maxHeaderBytes) {
      throw new LabError(`${file}: the safetensors header is ${headerLen} bytes, more than the ${maxHeaderBytes} read without the data`, {
        file,
        code: 'invalid-data',
      });
    }
    return parseHeader(await read(8, headerLen), size, file);
  });
}

/** The checks of readSafetensorsHeader after the length: `json`, the header's bytes, in a file of `fileLength` bytes. */
function parseHeader(json: Uint8Array, fileLength: number, file: string): SafetensorsHeader {
  const fail = (why: string, field?: string): never => invalid(file, why, field);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    fail('header is not UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not JSON (${errorMessage(e).slice(0, 200)})`);
  }
  if (!isPlainObject(header)) fail(`header is ${describe(header)}, not a JSON object`);
  const h = header as Record<string, unknown>;
  const dataStart = 8 + json.length;
  const dataLen = fileLength - dataStart;
  const entries: [string, TensorEntry][] = [];
  let metadata: [string, string][] = [];
  const names = Object.keys(h);
  if (names.length > MAX_TENSORS + 1) fail(`${names.length} tensors, more than the ${MAX_TENSORS} allowed`);
  for (const name of names) {
    const info = h[name];
    const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
    if (name === '__metadata__') {
      if (!isPlainObject(info)) fail(`__metadata__ is ${describe(info)}, not an object of strings`, '__metadata__');
      metadata = Object.entries(info as Record<string, unknown>).map(([k, v]) => {
        if (typeof v !== 'string') fail(`__metadata__[${JSON.stringify(k.slice(0, 80))}] is ${describe(v)}, not a string`, '__metadata__');
        return [k, v as string];
      });
      continue;
    }
    if (!isPlainObject(info)) fail(`tensor ${shown} is ${describe(info)}, not {dtype, shape, data_offsets}`, name);
    const t = info as Record<string, unknown>;
    const dtype = hasOwn(t, 'dtype') ? t.dtype : undefined;
    if (typeof dtype !== 'string') fail(`tensor ${shown}: dtype is ${describe(dtype)}`, name);
    const d = dtype as string;
    if (INT_DTYPES.has(d)) fail(`tensor ${shown} has dtype ${d}: integers, not float weights`, name);
    if (!hasOwn(DTYPE_BYTES, d))
      fail(`tensor ${shown}: unsupported dtype ${JSON.stringify(d.slice(0, 20))} (F32, F64, F16 or BF16 expected)`, name);
    const width = DTYPE_BYTES[d]!;
    const shape = hasOwn(t, 'shape') ? t.shape : undefined;
    if (!Array.isArray(shape)) fail(`tensor ${shown}: shape is ${describe(shape)}, not a list of sizes`, name);
    const dims = shape as unknown[];
    if (dims.length > MAX_RANK) fail(`tensor ${shown}: shape has ${dims.length} dimensions, more than ${MAX_RANK}`, name);
    for (const dim of dims) {
      if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0)
        fail(`tensor ${shown}: shape [${dims.map(describe).join(', ')}] is not a list of whole numbers ≥ 0`, name);
    }
    // The number of values; Infinity as soon as it exceeds what the data could hold.
    let count = (dims as number[]).includes(0) ? 0 : 1;
    for (const dim of dims as number[]) {
      if (count === 0) break;
      count *= dim;
      if (count * width > dataLen) {
        count = Infinity;
        break;
      }
    }
    const offs = hasOwn(t, 'data_offsets') ? t.data_offsets : undefined;
    if (!Array.isArray(offs) || offs.length !== 2) fail(`tensor ${shown}: data_offsets is ${describe(offs)}, not [begin, end]`, name);
    const [b, e] = offs as unknown[];
    if (typeof b !== 'number' || typeof e !== 'number' || !Number.isSafeInteger(b) || !Number.isSafeInteger(e) || b < 0 || e < b) {
      fail(`tensor ${shown}: data_offsets [${describe(b)}, ${describe(e)}] are not whole numbers 0 ≤ begin ≤ end`, name);
    }
    const [begin, end] = [b as number, e as number];
    if (end > dataLen)
      fail(
        `tensor ${shown}: data_offsets [${begin}, ${end}] do not match the data: they reach beyond its ${dataLen} bytes (file cut short?)`,
        name,
      );
    if (count === Infinity || end - begin !== count * width) {
      fail(
        `tensor ${shown}: data_offsets [${begin}, ${end}] do not match shape [${dims.join(', ')}] (${count === Infinity ? 'more than the data holds' : `${count} × ${width} bytes`}) within ${dataLen} bytes of data`,
        name,
      );
    }
    entries.push([name, { dtype: d as TensorEntry['dtype'], shape: dims as number[], begin, end, count }]);
  }
  // The tensors tile the data: sorted by offset, each begins where the previous ended.
  const sorted = entries.map(([n, t]) => [n, t] as const).sort((x, y) => x[1].begin - y[1].begin || x[1].end - y[1].end);
  let at = 0;
  let prev = '';
  for (const [n, t] of sorted) {
    if (t.begin < at) fail(`tensors ${JSON.stringify(prev)} and ${JSON.stringify(n)} overlap (bytes ${t.begin}..${at})`, n);
    if (t.begin > at) fail(`a gap of ${t.begin - at} bytes before tensor ${JSON.stringify(n)} (data_offsets must be contiguous)`, n);
    at = t.end;
    prev = n;
  }
  if (at !== dataLen) fail(`${dataLen - at} bytes of data after the last tensor (data_offsets must cover the data exactly)`);
  return { tensors: Object.fromEntries(entries), metadata: Object.fromEntries(metadata), dataStart };
}

/** One tensor's values as float32; NaN and ±Infinity are refused, naming the tensor. */
export function decodeTensor(bytes: Uint8Array, header: SafetensorsHeader, name: string, file = '<safetensors>'): Float32Array {
  if (!hasOwn(header.tensors, name)) throw new LabError(`${file}: no tensor '${name}'`, { file, code: 'invalid-data' });
  const { dtype, begin, end, count: n } = header.tensors[name]!;
  // A DataView over exactly this tensor's bytes (not bytes.slice(): on a Node Buffer, such
  // as readFileSync returns, slice is a view and .buffer is the whole underlying memory).
  const dv = new DataView(bytes.buffer, bytes.byteOffset + header.dataStart + begin, end - begin);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'F32') data[i] = dv.getFloat32(4 * i, true);
    else if (dtype === 'F64') data[i] = dv.getFloat64(8 * i, true);
    else if (dtype === 'F16') data[i] = halfToFloat(dv.getUint16(2 * i, true));
    else data[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0]!;
  }
  assertFinite(name, data, file);
  return data;
}

/**
 * Decodes a safetensors file, checked whole first (readSafetensorsHeader); F64/F16/BF16 tensors
 * are converted to float32. `only`: decode just these tensors (the others are checked, not read).
 */
export function decodeSafetensors(bytes: Uint8Array, file = '<safetensors>', only?: readonly string[]): SafetensorsFile {
  const header = readSafetensorsHeader(bytes, file);
  const names = Object.keys(header.tensors).filter((n) => !only || only.includes(n));
  const tensors = Object.fromEntries(
    names.map((n) => [n, { shape: [...header.tensors[n]!.shape], data: decodeTensor(bytes, header, n, file) }]),
  );
  return { tensors, metadata: header.metadata };
}
