import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LabError, isLabError, errorMessage } from '../errors';
import { FILE_LIMITS, hasOwn, isPlainObject, parseJsonFile, readUntrustedSync, resolveInsideSync } from '../files/untrusted';
import { writeFileAtomic } from '../runs/atomic';
import { tf } from '../tf';
import { ConvNet, type ConvNetSpec, PARAM_NAMES, type ParamName, flatSize, paramShapes, pooledSize } from './convnet';
import { decodeTensor, encodeSafetensors, readSafetensorsHeader, type NamedTensor } from './safetensors';
import { type SpecHints, assertFinite, parseSpecHints, specFromTorchShapes as specFromShapes } from './spec';

/** Conv weight [kh, kw, in, out] (tfjs) ⇄ [out, in, kh, kw] (PyTorch). */
function convToTorch(v: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * k + y) * k + x] = v[((y * k + x) * cin + i) * cout + o]!;
  return out;
}
function convFromTorch(v: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((y * k + x) * cin + i) * cout + o] = v[((o * cin + i) * k + y) * k + x]!;
  return out;
}

/**
 * fc1: internal [P·P·C (NHWC order), hidden] ⇄ PyTorch [hidden, C·P·P (C×H×W order)], so
 * x.view(-1, 392) in the notebook sees the same features as our NHWC flatten.
 */
function fc1ToTorch(v: Float32Array, p: number, c: number, hidden: number): Float32Array {
  const out = new Float32Array(v.length);
  const flat = p * p * c;
  for (let h = 0; h < p; h++)
    for (let w = 0; w < p; w++)
      for (let ch = 0; ch < c; ch++) {
        const rowIn = (h * p + w) * c + ch;
        const colOut = ch * p * p + h * p + w;
        for (let j = 0; j < hidden; j++) out[j * flat + colOut] = v[rowIn * hidden + j]!;
      }
  return out;
}
function fc1FromTorch(v: Float32Array, p: number, c: number, hidden: number): Float32Array {
  const out = new Float32Array(v.length);
  const flat = p * p * c;
  for (let h = 0; h < p; h++)
    for (let w = 0; w < p; w++)
      for (let ch = 0; ch < c; ch++) {
        const rowIn = (h * p + w) * c + ch;
        const colOut = ch * p * p + h * p + w;
        for (let j = 0; j < hidden; j++) out[rowIn * hidden + j] = v[j * flat + colOut]!;
      }
  return out;
}
function transpose2d(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  return out;
}

/** The net's parameters as a PyTorch state_dict (names, shapes and layouts of the seed). */
export function toTorchStateDict(net: ConvNet): Record<ParamName, NamedTensor> {
  return torchStateDictOf(net.spec, net.values());
}

/** The same, from parameter values in the internal layouts (no tensors needed). */
export function torchStateDictOf(s: ConvNetSpec, v: Record<ParamName, Float32Array>): Record<ParamName, NamedTensor> {
  const k = s.kernelSize;
  const [d0, d1] = s.depth;
  return {
    'conv1.weight': { shape: [d0, 1, k, k], data: convToTorch(v['conv1.weight'], k, 1, d0) },
    'conv1.bias': { shape: [d0], data: v['conv1.bias'] },
    'conv2.weight': { shape: [d1, d0, k, k], data: convToTorch(v['conv2.weight'], k, d0, d1) },
    'conv2.bias': { shape: [d1], data: v['conv2.bias'] },
    'fc1.weight': { shape: [s.hidden, flatSize(s)], data: fc1ToTorch(v['fc1.weight'], pooledSize(s), d1, s.hidden) },
    'fc1.bias': { shape: [s.hidden], data: v['fc1.bias'] },
    'fc2.weight': { shape: [s.numClasses, s.hidden], data: transpose2d(v['fc2.weight'], s.hidden, s.numClasses) },
    'fc2.bias': { shape: [s.numClasses], data: v['fc2.bias'] },
  };
}

export type { SpecHints } from './spec';

/**
 * Infers the architecture from a state_dict's shapes; checks every shape against it and the
 * result against the lab's limits (core/model/spec.ts).
 */
export function specFromTorchShapes(t: Record<string, NamedTensor>, file: string, hints: SpecHints = {}): ConvNetSpec {
  const shapes: Record<string, readonly number[]> = {};
  for (const n of PARAM_NAMES) if (hasOwn(t, n)) shapes[n] = t[n]!.shape;
  return specFromShapes(shapes, file, hints);
}

/** The net from PyTorch-layout values already checked against `s` (shapes, lengths, finite). */
function fromTorchValues(s: ConvNetSpec, t: Record<ParamName, Float32Array>, file: string): ConvNet {
  const k = s.kernelSize;
  const [d0, d1] = s.depth;
  try {
    return ConvNet.fromValues(s, {
      'conv1.weight': convFromTorch(t['conv1.weight'], k, 1, d0),
      'conv1.bias': t['conv1.bias'],
      'conv2.weight': convFromTorch(t['conv2.weight'], k, d0, d1),
      'conv2.bias': t['conv2.bias'],
      'fc1.weight': fc1FromTorch(t['fc1.weight'], pooledSize(s), d1, s.hidden),
      'fc1.bias': t['fc1.bias'],
      'fc2.weight': transpose2d(t['fc2.weight'], s.numClasses, s.hidden),
      'fc2.bias': t['fc2.bias'],
    });
  } catch (e) {
    throw new LabError(`${file}: weights do not fit the lab's ConvNet: ${errorMessage(e)}`, { file, code: 'invalid-data' });
  }
}

export function fromTorchStateDict(t: Record<string, NamedTensor>, file: string, hints: SpecHints = {}): ConvNet {
  const s = specFromTorchShapes(t, file, hints);
  const values = {} as Record<ParamName, Float32Array>;
  for (const n of PARAM_NAMES) {
    const { shape, data } = t[n]!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count)
      throw new LabError(`${file}: ${n} has shape [${shape}] (${count} values) but holds ${data.length}`, {
        file,
        field: n,
        code: 'invalid-data',
      });
    assertFinite(n, data, file);
    values[n] = data;
  }
  return fromTorchValues(s, values, file);
}

const META_KEY = 'mnist-lab';

export function encodeModelSafetensors(net: ConvNet): Uint8Array {
  return encodeSafetensors(toTorchStateDict(net), { format: 'pt', [META_KEY]: JSON.stringify(net.spec) });
}

/** The spec hints of a safetensors file's metadata (ours: `"mnist-lab"`, the spec as JSON), checked. */
function hintsOfMetadata(metadata: Record<string, string>, file: string): SpecHints {
  if (!hasOwn(metadata, META_KEY)) return {}; // weights from elsewhere (the seed's notebook): shapes only
  const where = `__metadata__[${JSON.stringify(META_KEY)}]`;
  let raw: unknown;
  try {
    raw = JSON.parse(metadata[META_KEY]!);
  } catch {
    throw new LabError(`${file}: ${where} is not JSON`, { file, field: where, code: 'invalid-data' });
  }
  return parseSpecHints(raw, file, where);
}

/**
 * The spec of a safetensors file, from its header and metadata alone (nothing decoded): every
 * check of decodeModelSafetensors but the values'.
 */
export function specOfSafetensorsBytes(bytes: Uint8Array, file: string): ConvNetSpec {
  const header = readSafetensorsHeader(bytes, file);
  const shapes = Object.fromEntries(Object.entries(header.tensors).map(([n, t]) => [n, t.shape]));
  return specFromShapes(shapes, file, hintsOfMetadata(header.metadata, file));
}

/**
 * A ConvNet from a safetensors file, checked whole before any tensor is allocated: the header
 * (core/model/safetensors.ts), the metadata, the shapes against the lab's limits; then the
 * values, which must be finite.
 */
export function decodeModelSafetensors(bytes: Uint8Array, file: string): ConvNet {
  const header = readSafetensorsHeader(bytes, file);
  const shapes = Object.fromEntries(Object.entries(header.tensors).map(([n, t]) => [n, t.shape]));
  const spec = specFromShapes(shapes, file, hintsOfMetadata(header.metadata, file));
  const values = {} as Record<ParamName, Float32Array>;
  for (const n of PARAM_NAMES) values[n] = decodeTensor(bytes, header, n, file);
  return fromTorchValues(spec, values, file);
}

/** A tf.LayersModel equal to the net (softmax output): the TensorFlow.js format's content. */
export function toLayersModel(net: ConvNet): tf.LayersModel {
  const s = net.spec;
  const model = tf.sequential({
    name: 'mnist_lab_convnet',
    layers: [
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [s.imageSize, s.imageSize, 1],
        filters: s.depth[0],
        kernelSize: s.kernelSize,
        padding: 'same',
        activation: 'relu',
      }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: s.depth[1], kernelSize: s.kernelSize, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: s.hidden, activation: 'relu' }),
      tf.layers.dropout({ name: 'dropout', rate: s.dropout }),
      tf.layers.dense({ name: 'fc2', units: s.numClasses, activation: 'softmax' }),
    ],
  });
  model.setWeights(PARAM_NAMES.map((n) => net.params[n]));
  return model;
}

/** Writes model.json + weights.bin (TensorFlow.js layers format) into `dir`, atomically. */
export async function saveTfjsModel(net: ConvNet, dir: string): Promise<void> {
  const model = toLayersModel(net);
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
        writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(weightData));
        const modelJson = {
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
          userDefinedMetadata: { [META_KEY]: net.spec },
        };
        writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  } finally {
    model.dispose();
  }
}

/** Manifest limits: far above what saveTfjsModel writes (1 group, 1 path, 8 weights). */
const MAX_GROUPS = 64;
const MAX_PATHS = 1024;
const MAX_ENTRIES = 4096;
const MAX_RANK = 8;

/** Internal (tfjs) layout shapes → PyTorch layout shapes, for the one spec check. */
function torchShapeOf(n: ParamName, s: number[]): number[] {
  if (n.endsWith('.bias')) return s;
  if (n.startsWith('conv')) return s.length === 4 ? [s[3]!, s[2]!, s[0]!, s[1]!] : s;
  return s.length === 2 ? [s[1]!, s[0]!] : s;
}

/**
 * Reads a model.json (layers format, as saved above) back into a ConvNet. Everything is checked
 * before a weight is decoded: the manifest's schema (groups of relative paths and float32
 * entries with bounded shapes), each shard's path (inside the model.json's folder, real path),
 * the shards' total size against the manifest, the shapes against the lab's limits; then the
 * values, which must be finite. `inside`: the model.json itself must lie in this folder.
 */
export function loadTfjsModel(file: string, inside?: string): ConvNet {
  const fail = (why: string, field?: string): never => {
    throw new LabError(`${file}: ${why}`, { file, code: 'invalid-data', ...(field && { field }) });
  };
  const json = parseJsonFile(readUntrustedSync(file, { kind: 'modelJson', ...(inside && { inside }) }).toString('utf8'), file);
  if (!isPlainObject(json)) return fail('not a TensorFlow.js model.json (not a JSON object)');
  const manifest = hasOwn(json, 'weightsManifest') ? json.weightsManifest : undefined;
  if (!Array.isArray(manifest)) return fail('no weightsManifest: not a TensorFlow.js model.json', 'weightsManifest');
  if (manifest.length === 0 || manifest.length > MAX_GROUPS)
    fail(`weightsManifest has ${manifest.length} groups (1..${MAX_GROUPS} expected)`, 'weightsManifest');
  const folder = dirname(file);
  const entries: { name: string; shape: number[]; count: number; field: string }[] = [];
  const paths: { rel: string; field: string }[] = [];
  let expected = 0;
  manifest.forEach((group: unknown, g) => {
    const at = `weightsManifest[${g}]`;
    if (!isPlainObject(group)) fail(`${at} is not an object with paths and weights`, at);
    const gp = hasOwn(group as object, 'paths') ? (group as Record<string, unknown>).paths : undefined;
    const gw = hasOwn(group as object, 'weights') ? (group as Record<string, unknown>).weights : undefined;
    if (!Array.isArray(gp) || gp.length > MAX_PATHS) fail(`${at}.paths must be a list of at most ${MAX_PATHS} file names`, `${at}.paths`);
    if (!Array.isArray(gw) || gw.length > MAX_ENTRIES)
      fail(`${at}.weights must be a list of at most ${MAX_ENTRIES} entries`, `${at}.weights`);
    (gp as unknown[]).forEach((p, j) => {
      if (typeof p !== 'string') fail(`${at}.paths[${j}] is not a string`, `${at}.paths[${j}]`);
      paths.push({ rel: p as string, field: `${at}.paths[${j}]` });
    });
    if (paths.length > MAX_PATHS) fail(`the manifest names more than ${MAX_PATHS} weights files`, at);
    (gw as unknown[]).forEach((w, j) => {
      const field = `${at}.weights[${j}]`;
      if (!isPlainObject(w)) return fail(`${field} is not an object {name, shape, dtype}`, field);
      const name = hasOwn(w, 'name') ? w.name : undefined;
      const shape = hasOwn(w, 'shape') ? w.shape : undefined;
      const dtype = hasOwn(w, 'dtype') ? w.dtype : undefined;
      if (typeof name !== 'string' || name.length === 0 || name.length > 256)
        fail(`${field}.name must be a non-empty string`, `${field}.name`);
      if (dtype !== 'float32')
        fail(
          `${field} (${JSON.stringify(name)}) has dtype ${JSON.stringify(dtype) ?? 'none'}: only float32 weights are read`,
          `${field}.dtype`,
        );
      if (hasOwn(w, 'quantization') && w.quantization != null)
        fail(`${field} (${JSON.stringify(name)}) is quantized: only float32 weights are read`, `${field}.quantization`);
      if (
        !Array.isArray(shape) ||
        shape.length > MAX_RANK ||
        !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
      ) {
        fail(`${field}.shape must be a list of at most ${MAX_RANK} whole numbers ≥ 0`, `${field}.shape`);
      }
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      expected += count * 4;
      if (!(expected <= FILE_LIMITS.weights))
        fail(`the manifest describes more than the ${FILE_LIMITS.weights} bytes of weights allowed (at ${field})`, `${field}.shape`);
      entries.push({ name: name as string, shape: shape as number[], count, field });
    });
  });
  if (paths.length === 0) fail('the manifest names no weights files', 'weightsManifest');
  // Which entries are the ConvNet's parameters (tfjs names them conv1/kernel, conv1_1/kernel, …).
  const byParam: Partial<Record<ParamName, (typeof entries)[number]>> = {};
  for (const e of entries) {
    const m = /^(conv1|conv2|fc1|fc2)(?:_\d+)?\/(kernel|bias)/.exec(e.name);
    if (!m) continue;
    const n = `${m[1]}.${m[2] === 'kernel' ? 'weight' : 'bias'}` as ParamName;
    if (byParam[n])
      fail(`the manifest has two entries for ${n} (${JSON.stringify(byParam[n]!.name)} and ${JSON.stringify(e.name)})`, e.field);
    byParam[n] = e;
  }
  for (const n of PARAM_NAMES) if (!byParam[n]) fail(`no weights for ${n} in the manifest`, 'weightsManifest');
  const meta =
    isPlainObject(json.userDefinedMetadata) && hasOwn(json.userDefinedMetadata, META_KEY) ? json.userDefinedMetadata[META_KEY] : undefined;
  const hints = meta === undefined ? {} : parseSpecHints(meta, file, `userDefinedMetadata[${JSON.stringify(META_KEY)}]`);
  const torchShapes = Object.fromEntries(PARAM_NAMES.map((n) => [n, torchShapeOf(n, byParam[n]!.shape)]));
  const spec = specFromShapes(torchShapes, file, hints);
  const want = paramShapes(spec);
  for (const n of PARAM_NAMES) {
    if (byParam[n]!.shape.join(',') !== want[n].join(','))
      fail(`${n} has shape [${byParam[n]!.shape}], expected [${want[n]}]`, byParam[n]!.field);
  }
  // The shards: each a regular file inside this folder (real path), read within the total.
  const buffers: Buffer[] = [];
  let total = 0;
  for (const { rel, field } of paths) {
    let buf: Buffer;
    try {
      const path = resolveInsideSync(folder, rel, field);
      buf = readUntrustedSync(path, { kind: 'weights', inside: folder, maxBytes: Math.max(0, FILE_LIMITS.weights - total) });
    } catch (e) {
      if (isLabError(e))
        throw new LabError(`${file}: ${field} ${JSON.stringify(rel.slice(0, 200))}: ${e.message}`, { file, field, code: e.code });
      throw e;
    }
    total += buf.length;
    buffers.push(buf);
  }
  if (total !== expected) fail(`weights hold ${total} bytes, the manifest describes ${expected}`);
  const joined = Buffer.concat(buffers, total);
  const offsets = new Map<(typeof entries)[number], number>();
  let o = 0;
  for (const e of entries) {
    offsets.set(e, o);
    o += e.count * 4;
  }
  const values = {} as Record<ParamName, Float32Array>;
  for (const n of PARAM_NAMES) {
    const e = byParam[n]!;
    const dv = new DataView(joined.buffer, joined.byteOffset + offsets.get(e)!, e.count * 4);
    const v = new Float32Array(e.count);
    for (let i = 0; i < e.count; i++) v[i] = dv.getFloat32(4 * i, true);
    assertFinite(n, v, file);
    values[n] = v;
  }
  try {
    return ConvNet.fromValues(spec, values);
  } catch (e) {
    return fail(`weights do not fit the lab's ConvNet: ${errorMessage(e)}`);
  }
}

/**
 * Loads weights from a run directory (its model/), a model.json or a .safetensors file —
 * including a state_dict saved from the seed's notebook with safetensors.torch.save_file.
 * A weights file found in a run directory must lie (real path) inside it.
 */
export function loadModel(path: string): { net: ConvNet; file: string } {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new LabError(`${path}: no such run directory or weights file`, { file: path, code: 'not-found' });
  }
  if (st.isDirectory()) {
    for (const candidate of [
      join(path, 'model', 'model.safetensors'),
      join(path, 'model.safetensors'),
      join(path, 'model', 'model.json'),
      join(path, 'model.json'),
    ]) {
      let exists = false;
      try {
        statSync(candidate);
        exists = true;
      } catch {
        // try the next layout
      }
      if (exists) return loadModelFile(candidate, path);
    }
    throw new LabError(`${path}: no saved model in this run directory (expected model/model.safetensors or model/model.json)`, {
      file: path,
      code: 'not-found',
    });
  }
  return loadModelFile(path);
}

function loadModelFile(path: string, inside?: string): { net: ConvNet; file: string } {
  if (path.endsWith('.safetensors'))
    return { net: decodeModelSafetensors(readUntrustedSync(path, { kind: 'weights', ...(inside && { inside }) }), path), file: path };
  if (basename(path).endsWith('.json')) return { net: loadTfjsModel(path, inside), file: path };
  throw new LabError(`${path}: unknown weights format (expected a run directory, model.json or .safetensors)`, {
    file: path,
    code: 'invalid-input',
  });
}

/** Saves both formats into `dir`: model.safetensors (PyTorch) and model.json + weights.bin. */
export async function saveModel(net: ConvNet, dir: string): Promise<{ safetensors: string; tfjs: string }> {
  const safetensors = join(dir, 'model.safetensors');
  writeFileAtomic(safetensors, encodeModelSafetensors(net));
  await saveTfjsModel(net, dir);
  return { safetensors, tfjs: join(dir, 'model.json') };
}

/**
 * Makes the folder an export writes into, or refuses it with a LabError naming the path: an
 * existing non-folder (a regular file, a device) on the way, a place that cannot be created (no
 * recursive mkdir: on procfs, e.g. /proc/self/x, Node's recursive mkdir retries forever), or a
 * folder this process cannot write to. Bounded: at most 64 missing levels.
 */
export function prepareExportDir(dir: string): string {
  const target = resolve(dir);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw new LabError(`${target}: cannot use ${at} as the export folder (${code ?? errorMessage(e)})`, {
          file: target,
          field: 'out',
          code: 'invalid-input',
        });
      missing.unshift(at);
      if (missing.length > 64)
        throw new LabError(`${target}: more than 64 missing folders on the way`, { file: target, field: 'out', code: 'invalid-input' });
      const up = dirname(at);
      if (up === at) break;
      at = up;
      continue;
    }
    if (!st.isDirectory()) {
      const what = st.isFile() ? 'an existing file' : 'not a folder';
      throw new LabError(`${target}: the export folder ${at === target ? 'is' : `lies under ${at}, which is`} ${what}`, {
        file: target,
        field: 'out',
        code: 'invalid-input',
      });
    }
    break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw new LabError(`${target}: cannot create the export folder ${d} (${code ?? errorMessage(e)})`, {
        file: target,
        field: 'out',
        code: 'invalid-input',
      });
    }
  }
  try {
    accessSync(target, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new LabError(`${target}: the export folder is not writable (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, {
      file: target,
      field: 'out',
      code: 'invalid-input',
    });
  }
  return target;
}
