/**
 * The ConvNet's architecture (no TensorFlow.js here: the extension host and the panel use it too)
 * and the checks that a spec read from a file (weights' shapes, safetensors metadata, model.json's
 * userDefinedMetadata, a run's config) is one this lab can build: the config's limits
 * (CONFIG_SCHEMA: depth 1..256, kernel odd 1..13, hidden 1..8192, dropout [0, 1)), 2..256 classes,
 * square images of 8..256 pixels divisible by 4 (both 2×2 pools, and the PyTorch loader's
 * `image_size // 4 * image_size // 4`, need it).
 */
import { LabError } from '../errors';
import { hasOwn, isPlainObject } from '../files/untrusted';

/** The architecture of the seed's ConvNet, generalised by the config's model section. */
export interface ConvNetSpec {
  depth: [number, number];
  kernelSize: number;
  hidden: number;
  dropout: number;
  imageSize: number;
  numClasses: number;
}

/** Side of the maps after the two 2×2 pools (PyTorch floors, as tfjs 'valid' does). */
export const pooledSize = (s: ConvNetSpec) => Math.floor(Math.floor(s.imageSize / 2) / 2);
export const flatSize = (s: ConvNetSpec) => pooledSize(s) ** 2 * s.depth[1];

/** The limits a spec read from a file must keep (the config's, plus classes and image size). */
export const SPEC_LIMITS = {
  depth: [1, 256],
  kernelSize: [1, 13],
  hidden: [1, 8192],
  numClasses: [2, 256],
  imageSize: [8, 256],
} as const;

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
};

/** Why `v` is not an integer in [min, max], or null. */
function badInt(v: unknown, min: number, max: number): string | null {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `must be a whole number, got ${show(v)}`;
  if (v < min || v > max) return `must be between ${min} and ${max}, got ${v}`;
  return null;
}

/** Every problem of a spec (field → why); empty when the lab can build it. */
export function specProblems(s: unknown): [string, string][] {
  if (!isPlainObject(s)) return [['spec', `must be an object, got ${show(s)}`]];
  const out: [string, string][] = [];
  const field = (k: string) => (hasOwn(s, k) ? s[k] : undefined);
  const depth = field('depth');
  if (!Array.isArray(depth) || depth.length !== 2) out.push(['depth', `must be two channel counts, got ${show(depth)}`]);
  else
    depth.forEach((d, i) => {
      const why = badInt(d, ...SPEC_LIMITS.depth);
      if (why) out.push([`depth[${i}]`, why]);
    });
  const k = field('kernelSize');
  const kWhy =
    badInt(k, ...SPEC_LIMITS.kernelSize) ?? ((k as number) % 2 === 0 ? `must be odd for "same" padding, got ${k as number}` : null);
  if (kWhy) out.push(['kernelSize', kWhy]);
  const hWhy = badInt(field('hidden'), ...SPEC_LIMITS.hidden);
  if (hWhy) out.push(['hidden', hWhy]);
  const p = field('dropout');
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p >= 1) out.push(['dropout', `must be a number in [0, 1), got ${show(p)}`]);
  const size = field('imageSize');
  const sWhy =
    badInt(size, ...SPEC_LIMITS.imageSize) ??
    ((size as number) % 4 ? `must be divisible by 4 (two 2×2 poolings), got ${size as number}` : null);
  if (sWhy) out.push(['imageSize', sWhy]);
  const cWhy = badInt(field('numClasses'), ...SPEC_LIMITS.numClasses);
  if (cWhy) out.push(['numClasses', cWhy]);
  return out;
}

/** Throws a LabError naming `file` and the first bad field unless `s` is a spec the lab can build. */
export function assertValidSpec(s: unknown, file: string, what = 'model'): asserts s is ConvNetSpec {
  const problems = specProblems(s);
  if (problems.length) {
    const [field, why] = problems[0]!;
    throw new LabError(`${file}: ${what} ${field} ${why}`, { file, field, code: 'invalid-data' });
  }
}

/** The parts of a spec that weights' shapes do not determine, as stored beside them. */
export interface SpecHints {
  dropout?: number;
  imageSize?: number;
  /** The other fields, when present: they must agree with the shapes. */
  depth?: [number, number];
  kernelSize?: number;
  hidden?: number;
  numClasses?: number;
}

/**
 * Hints from a file's metadata (safetensors `__metadata__["mnist-lab"]`, parsed; model.json's
 * `userDefinedMetadata["mnist-lab"]`): an object whose known fields each pass the spec's checks.
 * Anything else is refused by name: these values end up in generated code.
 */
export function parseSpecHints(raw: unknown, file: string, where: string): SpecHints {
  const fail = (field: string, why: string): never => {
    throw new LabError(`${file}: ${where}.${field} ${why}`, { file, field: `${where}.${field}`, code: 'invalid-data' });
  };
  if (!isPlainObject(raw)) {
    throw new LabError(`${file}: ${where} must be a JSON object, got ${show(raw)}`, { file, field: where, code: 'invalid-data' });
  }
  // A full spec with defaults filled in, so that each present field is checked by specProblems.
  const probe: Record<string, unknown> = { depth: [1, 1], kernelSize: 1, hidden: 1, dropout: 0, imageSize: 8, numClasses: 2 };
  const hints: SpecHints = {};
  for (const key of ['depth', 'kernelSize', 'hidden', 'dropout', 'imageSize', 'numClasses'] as const) {
    if (hasOwn(raw, key) && raw[key] !== undefined) probe[key] = raw[key];
  }
  const problems = specProblems(probe);
  if (problems.length) fail(problems[0]![0], problems[0]![1]);
  for (const key of ['kernelSize', 'hidden', 'dropout', 'imageSize', 'numClasses'] as const) {
    if (hasOwn(raw, key)) hints[key] = probe[key] as number;
  }
  if (hasOwn(raw, 'depth')) hints.depth = [...(probe.depth as [number, number])];
  return hints;
}

/**
 * The spec that tensors of these shapes (PyTorch layouts: conv [out, in, k, k], fc [out, in])
 * form, with the hints' dropout and image size; every shape is checked against it, and the
 * result against the limits, before any tensor is decoded or allocated.
 */
export function specFromTorchShapes(shapes: Record<string, readonly number[]>, file: string, hints: SpecHints = {}): ConvNetSpec {
  const fail = (why: string): never => {
    throw new LabError(`${file}: not weights of the lab's ConvNet: ${why}`, { file, code: 'invalid-data' });
  };
  const names = ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'];
  for (const n of names)
    if (!hasOwn(shapes, n)) fail(`missing tensor '${n}' (found: ${Object.keys(shapes).slice(0, 20).join(', ') || 'none'})`);
  const w1 = shapes['conv1.weight']!;
  const w2 = shapes['conv2.weight']!;
  const f1 = shapes['fc1.weight']!;
  const f2 = shapes['fc2.weight']!;
  if (w1.length !== 4 || w1[1] !== 1 || w1[2] !== w1[3]) fail(`conv1.weight has shape [${w1}], expected [out, 1, k, k]`);
  const [d0, , k] = w1 as [number, number, number, number];
  if (w2.length !== 4 || w2[1] !== d0 || w2[2] !== k || w2[3] !== k)
    fail(`conv2.weight has shape [${w2}], expected [out, ${d0}, ${k}, ${k}]`);
  const d1 = w2[0]!;
  if (f1.length !== 2) fail(`fc1.weight has shape [${f1}], expected [hidden, features]`);
  const [hidden, flat] = f1 as [number, number];
  const check = (field: string, v: number, [min, max]: readonly [number, number], extra?: string) => {
    if (!(v >= min && v <= max)) fail(`${field} is ${v}, the lab builds ${min}..${max}${extra ?? ''}`);
  };
  check('conv1.weight: depth[0]', d0, SPEC_LIMITS.depth);
  check('conv2.weight: depth[1]', d1, SPEC_LIMITS.depth);
  check('conv1.weight: kernel size', k, SPEC_LIMITS.kernelSize);
  if (k % 2 === 0) fail(`conv1.weight: kernel size ${k} is even; the lab's convolutions need an odd size ("same" padding)`);
  check('fc1.weight: hidden width', hidden, SPEC_LIMITS.hidden);
  const p = Math.round(Math.sqrt(flat / d1));
  if (!(p >= 1) || p * p * d1 !== flat) fail(`fc1.weight has ${flat} input features, not d1·P·P for d1 = ${d1}`);
  if (f2.length !== 2 || f2[1] !== hidden) fail(`fc2.weight has shape [${f2}], expected [classes, ${hidden}]`);
  const numClasses = f2[0]!;
  check('fc2.weight: class count', numClasses, SPEC_LIMITS.numClasses);
  const spec: ConvNetSpec = {
    depth: [d0, d1],
    kernelSize: k,
    hidden,
    dropout: hints.dropout ?? 0.5,
    imageSize: hints.imageSize ?? p * 4,
    numClasses,
  };
  if (pooledSize(spec) !== p || spec.imageSize % 4) fail(`image size ${spec.imageSize} does not pool to ${p}×${p}`);
  const bias: [string, number][] = [
    ['conv1.bias', d0],
    ['conv2.bias', d1],
    ['fc1.bias', hidden],
    ['fc2.bias', numClasses],
  ];
  for (const [n, len] of bias)
    if (shapes[n]!.length !== 1 || shapes[n]![0] !== len) fail(`${n} has shape [${shapes[n]!}], expected [${len}]`);
  const agree = (field: string, stored: unknown, actual: unknown) => {
    if (stored !== undefined && JSON.stringify(stored) !== JSON.stringify(actual)) {
      fail(`its metadata says ${field} ${JSON.stringify(stored)}, the tensors hold ${JSON.stringify(actual)}`);
    }
  };
  agree('depth', hints.depth, spec.depth);
  agree('kernelSize', hints.kernelSize, k);
  agree('hidden', hints.hidden, hidden);
  agree('numClasses', hints.numClasses, numClasses);
  assertValidSpec(spec, file);
  return spec;
}

/** Refuses NaN and ±Infinity, naming the tensor and the first bad index. */
export function assertFinite(name: string, data: Float32Array, file: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      throw new LabError(`${file}: ${name} holds ${what} at index ${i} (diverged training?)`, { file, field: name, code: 'invalid-data' });
    }
  }
}
