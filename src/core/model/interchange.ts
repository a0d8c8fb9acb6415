import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LabError } from '../errors';
import { writeFileAtomic } from '../runs/atomic';
import { tf } from '../tf';
import { ConvNet, type ConvNetSpec, PARAM_NAMES, type ParamName, flatSize, pooledSize } from './convnet';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors';

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

interface SpecHints {
  dropout?: number;
  imageSize?: number;
}

/** Infers the architecture from a state_dict's shapes; checks every shape against it. */
export function specFromTorchShapes(t: Record<string, NamedTensor>, file: string, hints: SpecHints = {}): ConvNetSpec {
  const fail = (why: string): never => {
    throw new LabError(`${file}: not weights of the lab's ConvNet: ${why}`, { file, code: 'invalid-data' });
  };
  for (const n of PARAM_NAMES) if (!t[n]) fail(`missing tensor '${n}' (found: ${Object.keys(t).join(', ') || 'none'})`);
  const w1 = t['conv1.weight']!.shape;
  const w2 = t['conv2.weight']!.shape;
  const f1 = t['fc1.weight']!.shape;
  const f2 = t['fc2.weight']!.shape;
  if (w1.length !== 4 || w1[1] !== 1 || w1[2] !== w1[3]) fail(`conv1.weight has shape [${w1}], expected [out, 1, k, k]`);
  const [d0, , k] = w1 as [number, number, number, number];
  if (w2.length !== 4 || w2[1] !== d0 || w2[2] !== k || w2[3] !== k) fail(`conv2.weight has shape [${w2}], expected [out, ${d0}, ${k}, ${k}]`);
  const d1 = w2[0]!;
  if (f1.length !== 2) fail(`fc1.weight has shape [${f1}], expected [hidden, features]`);
  const [hidden, flat] = f1 as [number, number];
  const p = Math.round(Math.sqrt(flat / d1));
  if (p * p * d1 !== flat) fail(`fc1.weight has ${flat} input features, not d1·P·P for d1 = ${d1}`);
  if (f2.length !== 2 || f2[1] !== hidden) fail(`fc2.weight has shape [${f2}], expected [classes, ${hidden}]`);
  const spec: ConvNetSpec = {
    depth: [d0, d1],
    kernelSize: k,
    hidden,
    dropout: hints.dropout ?? 0.5,
    imageSize: hints.imageSize ?? p * 4,
    numClasses: f2[0]!,
  };
  if (pooledSize(spec) !== p) fail(`image size ${spec.imageSize} does not pool to ${p}×${p}`);
  const bias: [string, number][] = [['conv1.bias', d0], ['conv2.bias', d1], ['fc1.bias', hidden], ['fc2.bias', spec.numClasses]];
  for (const [n, len] of bias) if (t[n]!.shape.length !== 1 || t[n]!.shape[0] !== len) fail(`${n} has shape [${t[n]!.shape}], expected [${len}]`);
  return spec;
}

export function fromTorchStateDict(t: Record<string, NamedTensor>, file: string, hints: SpecHints = {}): ConvNet {
  const s = specFromTorchShapes(t, file, hints);
  const k = s.kernelSize;
  const [d0, d1] = s.depth;
  return ConvNet.fromValues(s, {
    'conv1.weight': convFromTorch(t['conv1.weight']!.data, k, 1, d0),
    'conv1.bias': t['conv1.bias']!.data,
    'conv2.weight': convFromTorch(t['conv2.weight']!.data, k, d0, d1),
    'conv2.bias': t['conv2.bias']!.data,
    'fc1.weight': fc1FromTorch(t['fc1.weight']!.data, pooledSize(s), d1, s.hidden),
    'fc1.bias': t['fc1.bias']!.data,
    'fc2.weight': transpose2d(t['fc2.weight']!.data, s.numClasses, s.hidden),
    'fc2.bias': t['fc2.bias']!.data,
  });
}

const META_KEY = 'mnist-lab';

export function encodeModelSafetensors(net: ConvNet): Uint8Array {
  return encodeSafetensors(toTorchStateDict(net), { format: 'pt', [META_KEY]: JSON.stringify(net.spec) });
}

export function decodeModelSafetensors(bytes: Uint8Array, file: string): ConvNet {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  let hints: SpecHints = {};
  if (metadata[META_KEY]) {
    try {
      hints = JSON.parse(metadata[META_KEY]) as SpecHints;
    } catch {
      // Weights without our metadata (e.g. from the seed's notebook) are inferred from shapes.
    }
  }
  return fromTorchStateDict(tensors, file, hints);
}

/** A tf.LayersModel equal to the net (softmax output): the TensorFlow.js format's content. */
export function toLayersModel(net: ConvNet): tf.LayersModel {
  const s = net.spec;
  const model = tf.sequential({
    name: 'mnist_lab_convnet',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [s.imageSize, s.imageSize, 1], filters: s.depth[0], kernelSize: s.kernelSize, padding: 'same', activation: 'relu' }),
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

/** Reads a model.json (layers format, as saved above) back into a ConvNet. */
export function loadTfjsModel(file: string): ConvNet {
  const fail = (why: string): never => {
    throw new LabError(`${file}: ${why}`, { file, code: 'invalid-data' });
  };
  let json: {
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: Record<string, ConvNetSpec>;
  } = {};
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read TensorFlow.js model: ${(e as Error).message}`);
  }
  if (!Array.isArray(json.weightsManifest)) fail('no weightsManifest: not a TensorFlow.js model.json');
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest!) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      try {
        buffers.push(readFileSync(join(dirname(file), p)));
      } catch {
        fail(`weights file ${p} (named in the manifest) cannot be read`);
      }
    }
  }
  const total = buffers.reduce((a, b) => a + b.length, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const b of buffers) {
    joined.set(b, o);
    o += b.length;
  }
  const expected = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * 4, 0);
  if (total !== expected) fail(`weights hold ${total} bytes, the manifest describes ${expected}`);
  const named = tf.io.decodeWeights(joined.buffer, specs);
  const byLayer: Partial<Record<ParamName, tf.Tensor>> = {};
  for (const [name, t] of Object.entries(named)) {
    const m = /^(conv1|conv2|fc1|fc2)(?:_\d+)?\/(kernel|bias)/.exec(name);
    if (m) byLayer[`${m[1]}.${m[2] === 'kernel' ? 'weight' : 'bias'}` as ParamName] = t;
  }
  try {
    for (const n of PARAM_NAMES) if (!byLayer[n]) fail(`no weights for ${n} in the manifest`);
    const shape = (n: ParamName) => byLayer[n]!.shape;
    const [k, , , d0] = shape('conv1.weight') as number[];
    const d1 = shape('conv2.weight')[3]!;
    const [flat, hidden] = shape('fc1.weight') as number[];
    const meta = json.userDefinedMetadata?.[META_KEY];
    const p = Math.round(Math.sqrt(flat! / d1));
    const spec: ConvNetSpec = {
      depth: [d0!, d1],
      kernelSize: k!,
      hidden: hidden!,
      dropout: meta?.dropout ?? 0.5,
      imageSize: meta?.imageSize ?? p * 4,
      numClasses: shape('fc2.weight')[1]!,
    };
    const values = {} as Record<ParamName, Float32Array>;
    for (const n of PARAM_NAMES) values[n] = byLayer[n]!.dataSync() as Float32Array;
    try {
      return ConvNet.fromValues(spec, values);
    } catch (e) {
      return fail(`weights do not fit the lab's ConvNet: ${(e as Error).message}`);
    }
  } finally {
    for (const t of Object.values(named)) t.dispose();
  }
}

/**
 * Loads weights from a run directory (its model/), a model.json or a .safetensors file —
 * including a state_dict saved from the seed's notebook with safetensors.torch.save_file.
 */
export function loadModel(path: string): { net: ConvNet; file: string } {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new LabError(`${path}: no such run directory or weights file`, { file: path, code: 'not-found' });
  }
  if (st.isDirectory()) {
    for (const candidate of [join(path, 'model', 'model.safetensors'), join(path, 'model.safetensors'), join(path, 'model', 'model.json'), join(path, 'model.json')]) {
      try {
        if (statSync(candidate).isFile()) return loadModel(candidate);
      } catch {
        // try the next layout
      }
    }
    throw new LabError(`${path}: no saved model in this run directory (expected model/model.safetensors or model/model.json)`, { file: path, code: 'not-found' });
  }
  if (path.endsWith('.safetensors')) return { net: decodeModelSafetensors(readFileSync(path), path), file: path };
  if (basename(path).endsWith('.json')) return { net: loadTfjsModel(path), file: path };
  throw new LabError(`${path}: unknown weights format (expected a run directory, model.json or .safetensors)`, { file: path, code: 'invalid-input' });
}

/** Saves both formats into `dir`: model.safetensors (PyTorch) and model.json + weights.bin. */
export async function saveModel(net: ConvNet, dir: string): Promise<{ safetensors: string; tfjs: string }> {
  const safetensors = join(dir, 'model.safetensors');
  writeFileAtomic(safetensors, encodeModelSafetensors(net));
  await saveTfjsModel(net, dir);
  return { safetensors, tfjs: join(dir, 'model.json') };
}
