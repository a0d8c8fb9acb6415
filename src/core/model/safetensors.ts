import { LabError } from '../errors';

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

const DTYPE_BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decodes a safetensors file; F64/F16/BF16 tensors are converted to float32. */
export function decodeSafetensors(bytes: Uint8Array, file = '<safetensors>'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new LabError(`${file}: not a valid safetensors file: ${why}`, { file, code: 'invalid-data' });
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.length) fail(`header length ${headerLen} does not fit in ${bytes.length} bytes`);
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    fail(`header is not JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, NamedTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (info ?? {}) as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offs } = (info ?? {}) as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const width = dtype ? DTYPE_BYTES[dtype] : undefined;
    if (!width) fail(`${name}: unsupported dtype ${dtype} (float32, float64, float16 or bfloat16 expected)`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`${name}: bad shape`);
    if (!Array.isArray(offs) || offs.length !== 2) fail(`${name}: bad data_offsets`);
    const n = shape!.reduce((a, b) => a * b, 1);
    const [b, e] = offs!;
    if (e - b !== n * width! || b < 0 || e > dataLen) fail(`${name}: data_offsets [${b}, ${e}] do not match shape [${shape}] (${n} × ${width} bytes) within ${dataLen} bytes of data`);
    // A DataView over exactly this tensor's bytes (not bytes.slice(): on a Node Buffer, such
    // as readFileSync returns, slice is a view and .buffer is the whole underlying memory).
    const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart + b, e - b);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (dtype === 'F32') data[i] = dv.getFloat32(4 * i, true);
      else if (dtype === 'F64') data[i] = dv.getFloat64(8 * i, true);
      else if (dtype === 'F16') data[i] = halfToFloat(dv.getUint16(2 * i, true));
      else data[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0]!;
    }
    tensors[name] = { shape: shape!, data };
  }
  return { tensors, metadata };
}
