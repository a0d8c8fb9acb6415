/**
 * The one typed protocol between the three parts of the extension:
 *   extension host ⇄ training/analysis worker (a Node child process, IPC)
 *   extension host ⇄ webviews (the lab panel and the side view, postMessage)
 * Every message is an envelope with a `messageId`; a reply carries `inReplyTo` (as in
 * vscode-hexeditor's protocol). Types only, plus small validators for what crosses a trust
 * boundary: nothing here imports tfjs, node or vscode, so every bundle can use it.
 */
import type { SweepResult } from './analysis/sweep';
import type { LabConfig } from './config';
import type { KernelSnapshot, ProgressEvent, RunSummary, StartEvent, TrainingEvent } from './events';
import type { LayerSummary } from './model/convnet';
import type { RunComparison } from './runs/compare';

// ---------------------------------------------------------------------------------------------
// Shared payloads

/** A grey image, row-major size×size floats in [0, 1] (pictures travel rounded to 1e-4). */
export interface ImagePayload {
  size: number;
  pixels: number[];
}

export interface PredictionPayload {
  label: number;
  probabilities: number[];
}

/** Feature maps of one layer: maps[c] is a size×size row-major map. */
export interface LayerMapsPayload {
  size: number;
  maps: number[][];
}

export interface FeatureMapsPayload {
  conv1: LayerMapsPayload;
  conv2: LayerMapsPayload;
}

/** Which weights and which data an analysis uses. */
export interface AnalysisTarget {
  /** A run directory, a model.json or a .safetensors file. */
  model: string | null;
  /** A directory of MNIST-layout IDX files; null = the embedded MNIST. */
  dataDir: string | null;
  numClasses: number;
  /** The config's class names (absent for MNIST's digits). */
  classNames?: string[];
}

/** An image of the test file (indices as in the seed's notebook), with what the model makes of it. */
export interface SampleResult {
  index: number;
  label: number;
  testCount: number;
  image: ImagePayload;
  /** Null when there is no model yet (a run still training). */
  prediction: PredictionPayload | null;
  featureMaps: FeatureMapsPayload | null;
}

export interface TrainingImageResult {
  index: number;
  label: number;
  image: ImagePayload;
}

export interface RobustnessPayload {
  index: number;
  label: number;
  dx: number;
  dy: number;
  original: { image: ImagePayload; prediction: PredictionPayload; featureMaps: FeatureMapsPayload };
  shifted: { image: ImagePayload; prediction: PredictionPayload; featureMaps: FeatureMapsPayload };
  meanAbsDiff: { conv1: number; conv2: number };
}

/** What the model makes of an image drawn in the panel (already preprocessed to the model's size). */
export interface DrawnPredictionPayload {
  prediction: PredictionPayload;
  featureMaps: FeatureMapsPayload;
}

/** Occlusion sensitivity of a test image (src/core/analysis/occlusion.ts). */
export interface OcclusionPayload {
  index: number;
  label: number;
  image: ImagePayload;
  patch: number;
  stride: number;
  fill: number;
  /** Probability of the true class without a patch. */
  baseline: number;
  rows: number;
  cols: number;
  /** rows×cols: the true class's probability with the patch's top-left corner at (col·stride, row·stride). */
  probability: number[];
  /** rows×cols: the predicted class with the patch there. */
  predicted: number[];
  /** rows×cols: the other class the patch raised most. */
  risen: number[];
  /** size×size: mean drop of the true class's probability over the patches covering each pixel. */
  heatmap: ImagePayload;
}

export interface ModelInfo {
  file: string;
  layers: LayerSummary[];
  parameters: number;
}

export interface EvaluationResult {
  model: string;
  valAccuracy: number;
  testAccuracy: number;
  valCorrect: number;
  valTotal: number;
  testCorrect: number;
  testTotal: number;
}

/** Which half of the test file an analysis uses (the seed's splits, src/core/data/mnist.ts). */
export const ANALYSIS_SPLITS = ['test', 'validation'] as const;
export type AnalysisSplit = (typeof ANALYSIS_SPLITS)[number];

export interface ConfusionPayload {
  split: AnalysisSplit;
  numClasses: number;
  /** counts[true][predicted]. */
  counts: number[][];
  perClass: { correct: number; total: number; accuracy: number | null }[];
  correct: number;
  total: number;
  accuracy: number;
}

/** One image of a split with what the model made of it (pixels as bytes 0–255: thumbnails). */
export interface ExamplePayload {
  /** Index into the test file (as the chosen test image). */
  index: number;
  label: number;
  predicted: number;
  probabilities: number[];
  size: number;
  pixels: number[];
}

export interface ExamplesQuery {
  split: AnalysisSplit;
  /** null: any. */
  trueLabel: number | null;
  predicted: number | null;
  onlyWrong: boolean;
  limit: number;
}

export interface ExamplesPayload extends ExamplesQuery {
  /** How many images match (items holds the first `limit`, most confident first). */
  total: number;
  items: ExamplePayload[];
}

export type SweepPayload = SweepResult & { split: 'test' };

// ---------------------------------------------------------------------------------------------
// Host ⇄ worker

export interface TrainRequest {
  type: 'train';
  config: LabConfig;
  outDir: string;
  backend: string;
  maxSteps?: number;
  /** Data-parallel replicas on worker threads (1: the worker's own thread; 0: one per core). */
  workers?: number;
}

export interface StopRequest {
  type: 'stop';
}

export interface ModelInfoRequest {
  type: 'modelInfo';
  target: AnalysisTarget;
}

export interface SampleRequest {
  type: 'sample';
  target: AnalysisTarget;
  index: number;
}

export interface TrainingImageRequest {
  type: 'trainingImage';
  target: AnalysisTarget;
  index: number;
}

export interface RobustnessRequest {
  type: 'robustness';
  target: AnalysisTarget;
  index: number;
  dx: number;
  dy: number;
}

export interface PredictImageRequest {
  type: 'predictImage';
  target: AnalysisTarget;
  /** size×size grey levels in [0, 1]. */
  pixels: number[];
}

export interface OcclusionRequest {
  type: 'occlusion';
  target: AnalysisTarget;
  index: number;
  patch: number;
  stride: number;
  fill: number;
}

export interface KernelsRequest {
  type: 'kernels';
  runDir: string;
}

export interface EvaluateRequest {
  type: 'evaluate';
  target: AnalysisTarget;
}

export interface ConfusionRequest {
  type: 'confusion';
  target: AnalysisTarget;
  split: AnalysisSplit;
}

export interface ExamplesRequest extends ExamplesQuery {
  type: 'examples';
  target: AnalysisTarget;
}

/** The robustness sweep on the test split; answers 'progress' messages while it runs. */
export interface SweepRequest {
  type: 'sweep';
  target: AnalysisTarget;
  range: number;
}

export interface CancelSweepRequest {
  type: 'cancelSweep';
}

export type WorkerRequest =
  | ConfusionRequest
  | ExamplesRequest
  | SweepRequest
  | CancelSweepRequest
  | TrainRequest
  | StopRequest
  | ModelInfoRequest
  | SampleRequest
  | TrainingImageRequest
  | RobustnessRequest
  | KernelsRequest
  | EvaluateRequest
  | PredictImageRequest
  | OcclusionRequest;

/** What each request answers with. */
export interface WorkerResults {
  train: RunSummary;
  stop: { stopping: boolean };
  modelInfo: ModelInfo;
  sample: SampleResult;
  trainingImage: TrainingImageResult;
  robustness: RobustnessPayload;
  kernels: KernelSnapshot[];
  evaluate: EvaluationResult;
  confusion: ConfusionPayload;
  examples: ExamplesPayload;
  sweep: SweepPayload;
  cancelSweep: { cancelled: boolean };
  predictImage: DrawnPredictionPayload;
  occlusion: OcclusionPayload;
}

export interface WorkerErrorInfo {
  message: string;
  file?: string;
  field?: string;
}

export type ToWorkerMessage = { messageId: number; request: WorkerRequest };

export type FromWorkerMessage =
  | { kind: 'ready'; pid: number; messageId: number }
  /** A training event of src/core/events.ts, forwarded unchanged. */
  | { kind: 'event'; messageId: number; inReplyTo: number; event: TrainingEvent }
  /** A throttled heartbeat between progress events (for the status bar). */
  | { kind: 'step'; messageId: number; inReplyTo: number; step: number; totalSteps: number; epoch: number }
  /** Progress of a long analysis (the sweep): `done` of `total` batches. */
  | { kind: 'progress'; messageId: number; inReplyTo: number; done: number; total: number }
  | { kind: 'result'; messageId: number; inReplyTo: number; result: unknown }
  | { kind: 'error'; messageId: number; inReplyTo: number; error: WorkerErrorInfo };

// ---------------------------------------------------------------------------------------------
// Host ⇄ webview

/** Everything a webview needs to draw a run; the host keeps it and replays it on demand. */
export interface RunView {
  runDir: string | null;
  name: string;
  status: 'idle' | 'running' | RunSummary['status'];
  config: LabConfig | null;
  start: Omit<StartEvent, 'type'> | null;
  progress: ProgressEvent[];
  /** Seed-style progress lines, as the output channel shows them. */
  log: string[];
  snapshots: KernelSnapshot[];
  summary: RunSummary | null;
  step: number;
  totalSteps: number;
  epoch: number;
  /** The latest error of this run (a crashed worker, bad input). */
  error: string | null;
  /** The seed's test accuracy to compare with, null for another dataset (see `seedAccuracyFor`). */
  seedTestAccuracy: number | null;
  /** Other runs' error curves drawn over this run's (the editor's run history compares two runs). */
  overlay?: OverlayCurve[];
  /** While training: the validation confusion matrix at the latest epoch end. */
  valConfusion?: LiveConfusion | null;
  /** The run on show and the runs overlaid: differing config fields, final accuracies, durations. */
  comparison?: RunComparison;
  /** The Python file that loads this run's weights into the seed's PyTorch ConvNet. */
  pytorch?: PytorchSnippetView | null;
}

export interface PytorchSnippetView {
  /** Where it is (or would be) written: load_pytorch.py beside the weights. */
  file: string;
  code: string;
  /** Whether `file` exists (runs trained before the snippet existed have none). */
  written: boolean;
}

export interface LiveConfusion {
  epoch: number;
  /** counts[true][predicted] on the validation split. */
  counts: number[][];
}

/** A run's error-rate curves (the seed's record) to compare with the run on show. */
export interface OverlayCurve {
  runDir: string;
  label: string;
  steps: number[];
  /** Train and validation error rates (%), one per step. */
  trainError: number[];
  valError: number[];
}

export type ToWebviewMessage =
  | { type: 'state'; messageId: number; state: RunView }
  | { type: 'progress'; messageId: number; progress: ProgressEvent; line: string }
  | { type: 'step'; messageId: number; step: number; totalSteps: number; epoch: number }
  | { type: 'snapshot'; messageId: number; snapshot: KernelSnapshot; valConfusion?: LiveConfusion }
  /** Scroll to a section (e.g. MNIST: Robustness Check shows the robustness part). */
  | { type: 'reveal'; messageId: number; section: LabSection }
  /** Progress of the request `inReplyTo` (the robustness sweep). */
  | { type: 'analysisProgress'; messageId: number; inReplyTo: number; done: number; total: number }
  | { type: 'reply'; messageId: number; inReplyTo: number; ok: true; result: unknown }
  | { type: 'reply'; messageId: number; inReplyTo: number; ok: false; error: string };

export const LAB_SECTIONS = ['accuracy', 'curves', 'log', 'train-image-card', 'test-image-card', 'feature-maps', 'kernels', 'robustness', 'model-summary', 'draw-digit', 'occlusion', 'comparison', 'pytorch'] as const;
export type LabSection = (typeof LAB_SECTIONS)[number];

export type FromWebviewRequest =
  | { type: 'ready' }
  | { type: 'sample'; index: number }
  | { type: 'trainingImage'; index: number }
  | { type: 'robustness'; index: number; dx: number; dy: number }
  | { type: 'modelInfo' }
  | { type: 'confusion'; split: AnalysisSplit }
  | ({ type: 'examples' } & ExamplesQuery)
  | { type: 'sweep'; range: number }
  | { type: 'cancelSweep' }
  | { type: 'predictImage'; pixels: number[] }
  | { type: 'occlusion'; index: number; patch: number; stride: number; fill: number }
  | { type: 'command'; command: WebviewCommand };

export const WEBVIEW_COMMANDS = ['train', 'stop', 'openLab', 'evaluate', 'openRun', 'copyPytorchSnippet'] as const;
export type WebviewCommand = (typeof WEBVIEW_COMMANDS)[number];

export type FromWebviewMessage = { messageId: number } & FromWebviewRequest;

/** State a webview panel persists across reloads (vscode.setState / the serializer). */
export interface PersistedPanelState {
  runDir: string | null;
  index: number;
  dx: number;
  dy: number;
}

// ---------------------------------------------------------------------------------------------
// Validation of what comes from a webview (an untrusted page) or a worker (another process)

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;

/** Own (not inherited) property: `{type: "constructor"}` or `{"toString": 1}` never pass as known keys. */
const hasOwnKey = (o: object, k: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, k);
/** A plain object (not null, not an array, not a Map, Date, …): what JSON or a structured clone makes. */
const isObject = (v: unknown): v is Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
/** `o[k]` when `k` is an own property of `o`, else undefined (an inherited `toString` never counts). */
const own = (o: Obj, k: string): unknown => (hasOwnKey(o, k) ? o[k] : undefined);

/** A bounded, never-throwing description of a value for an error message (BigInt, cycles, huge strings). */
export function describeValue(v: unknown, max = 80): string {
  let s: string;
  try {
    if (typeof v === 'bigint') s = `${v}n`;
    else if (typeof v === 'symbol' || typeof v === 'function') s = typeof v;
    else if (typeof v === 'number' && !Number.isFinite(v)) s = String(v);
    else s = JSON.stringify(v) ?? typeof v;
  } catch {
    s = Array.isArray(v) ? 'an array' : typeof v;
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function intIn(m: Obj, key: string, min: number, max: number): string | null {
  const v = own(m, key);
  if (!isInt(v)) return `${key} must be a whole number, got ${describeValue(v)}`;
  if (v < min || v > max) return `${key} must be between ${min} and ${max}, got ${v}`;
  return null;
}

/** Largest image index / shift a webview may ask for; the worker checks against the real data. */
export const MAX_IMAGE_INDEX = 1_000_000;
export const MAX_SHIFT = 64;
/** Largest drawn image a webview may send (pixels); the worker checks it against the model's size. */
export const MAX_DRAWN_PIXELS = 128 * 128;
/** Occlusion patch and stride, pixels. */
export const MAX_PATCH = 28;
/**
 * Most data-parallel replicas (worker threads) a training may ask for (`--workers`,
 * `mnistLab.workers`): the shared gradient buffers grow with it.
 */
export const MAX_WORKERS = 64;
/** Longest path a message may carry (PATH_MAX on Linux). */
export const MAX_PATH_LENGTH = 4096;
/** Most classes and the longest class name (as the config schema: src/core/config.ts). */
export const MAX_CLASSES = 256;
export const MAX_CLASS_NAME_LENGTH = 100;

function pixelsProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_DRAWN_PIXELS) return `pixels must be an array of 1..${MAX_DRAWN_PIXELS} grey levels`;
  for (let i = 0; i < v.length; i++) {
    if (!hasOwnKey(v, i)) return `pixels[${i}] is missing`;
    const x: unknown = v[i];
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) return `pixels[${i}] must be a grey level in [0, 1], got ${describeValue(x)}`;
  }
  return null;
}

function occlusionProblem(m: Obj): string | null {
  const fill = own(m, 'fill');
  return (
    intIn(m, 'index', 0, MAX_IMAGE_INDEX) ??
    intIn(m, 'patch', 1, MAX_PATCH) ??
    intIn(m, 'stride', 1, MAX_PATCH) ??
    (typeof fill === 'number' && fill >= 0 && fill <= 1 ? null : `fill must be a grey level in [0, 1], got ${describeValue(fill)}`)
  );
}

/** The fields of each webview request besides `messageId` and `type` (a Map: no inherited keys). */
const ALLOWED_KEYS: ReadonlyMap<string, readonly string[]> = new Map<FromWebviewRequest['type'], readonly string[]>([
  ['ready', []],
  ['sample', ['index']],
  ['trainingImage', ['index']],
  ['robustness', ['index', 'dx', 'dy']],
  ['modelInfo', []],
  ['confusion', ['split']],
  ['examples', ['split', 'trueLabel', 'predicted', 'onlyWrong', 'limit']],
  ['sweep', ['range']],
  ['cancelSweep', []],
  ['predictImage', ['pixels']],
  ['occlusion', ['index', 'patch', 'stride', 'fill']],
  ['command', ['command']],
]);

/** Most examples one request returns (thumbnails of 784 bytes each). */
export const MAX_EXAMPLES = 500;
/** Largest sweep range a request may ask for (src/core/analysis/sweep.ts MAX_SWEEP_RANGE). */
export const MAX_SWEEP_REQUEST_RANGE = 14;

function splitIn(m: Obj): string | null {
  const split = own(m, 'split');
  return (ANALYSIS_SPLITS as readonly unknown[]).includes(split) ? null : `split must be one of ${ANALYSIS_SPLITS.join(', ')}, got ${describeValue(split)}`;
}

function examplesQueryProblem(m: Obj): string | null {
  for (const k of ['trueLabel', 'predicted'] as const) {
    const v = own(m, k);
    if (v !== null && (!isInt(v) || v < 0 || v > MAX_CLASSES - 1)) return `${k} must be a class 0..${MAX_CLASSES - 1} or null, got ${describeValue(v)}`;
  }
  const onlyWrong = own(m, 'onlyWrong');
  if (typeof onlyWrong !== 'boolean') return `onlyWrong must be true or false, got ${describeValue(onlyWrong)}`;
  return splitIn(m) ?? intIn(m, 'limit', 1, MAX_EXAMPLES);
}

/** The first key of `m` outside `allowed` (own enumerable string keys; `__proto__` included). */
function unexpectedKey(m: Obj, allowed: readonly string[]): string | null {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) return k;
  return null;
}

/** Checks a message from a webview before the host acts on it. Never throws. */
export function validateFromWebview(raw: unknown): Validation<FromWebviewMessage> {
  if (!isObject(raw)) return { ok: false, error: 'message must be an object' };
  const messageId = own(raw, 'messageId');
  if (!isInt(messageId) || messageId < 0) return { ok: false, error: 'messageId must be a whole number ≥ 0' };
  const type = own(raw, 'type');
  const allowed = typeof type === 'string' ? ALLOWED_KEYS.get(type) : undefined;
  if (typeof type !== 'string' || !allowed) return { ok: false, error: `unknown message type ${describeValue(type)}` };
  const extra = unexpectedKey(raw, ['messageId', 'type', ...allowed]);
  if (extra !== null) return { ok: false, error: `${type}: unexpected field ${describeValue(extra)}` };
  let problem: string | null = null;
  switch (type) {
    case 'sample':
    case 'trainingImage':
      problem = intIn(raw, 'index', 0, MAX_IMAGE_INDEX);
      break;
    case 'robustness':
      problem = intIn(raw, 'index', 0, MAX_IMAGE_INDEX) ?? intIn(raw, 'dx', -MAX_SHIFT, MAX_SHIFT) ?? intIn(raw, 'dy', -MAX_SHIFT, MAX_SHIFT);
      break;
    case 'confusion':
      problem = splitIn(raw);
      break;
    case 'examples':
      problem = examplesQueryProblem(raw);
      break;
    case 'sweep':
      problem = intIn(raw, 'range', 0, MAX_SWEEP_REQUEST_RANGE);
      break;
    case 'predictImage':
      problem = pixelsProblem(own(raw, 'pixels'));
      break;
    case 'occlusion':
      problem = occlusionProblem(raw);
      break;
    case 'command': {
      const command = own(raw, 'command');
      if (typeof command !== 'string' || !(WEBVIEW_COMMANDS as readonly string[]).includes(command)) {
        problem = `command must be one of ${WEBVIEW_COMMANDS.join(', ')}, got ${describeValue(command)}`;
      }
      break;
    }
  }
  if (problem) return { ok: false, error: `${type}: ${problem}` };
  return { ok: true, value: raw as unknown as FromWebviewMessage };
}

/** The fields of each worker message (a Map: no inherited keys). */
const WORKER_MESSAGE_KEYS: ReadonlyMap<string, readonly string[]> = new Map<FromWorkerMessage['kind'], readonly string[]>([
  ['ready', ['kind', 'messageId', 'pid']],
  ['event', ['kind', 'messageId', 'inReplyTo', 'event']],
  ['step', ['kind', 'messageId', 'inReplyTo', 'step', 'totalSteps', 'epoch']],
  ['progress', ['kind', 'messageId', 'inReplyTo', 'done', 'total']],
  ['result', ['kind', 'messageId', 'inReplyTo', 'result']],
  ['error', ['kind', 'messageId', 'inReplyTo', 'error']],
]);

/** Checks the envelope of a message from a worker process. Never throws. */
export function validateFromWorker(raw: unknown): Validation<FromWorkerMessage> {
  if (!isObject(raw)) return { ok: false, error: 'worker message must be an object' };
  if (!isInt(own(raw, 'messageId'))) return { ok: false, error: 'worker message without a messageId' };
  const kind = own(raw, 'kind');
  const keys = typeof kind === 'string' ? WORKER_MESSAGE_KEYS.get(kind) : undefined;
  if (typeof kind !== 'string' || !keys) return { ok: false, error: `unknown worker message kind ${describeValue(kind)}` };
  const extra = unexpectedKey(raw, keys);
  if (extra !== null) return { ok: false, error: `${kind}: unexpected field ${describeValue(extra)}` };
  const ints = (...ks: string[]) => ks.every((k) => isInt(own(raw, k)));
  const ok = { ok: true, value: raw as unknown as FromWorkerMessage } as const;
  switch (kind) {
    case 'ready':
      return ints('pid') ? ok : { ok: false, error: 'ready: pid missing' };
    case 'event': {
      const event = own(raw, 'event');
      if (!ints('inReplyTo') || !isObject(event) || typeof own(event, 'type') !== 'string') return { ok: false, error: 'event: malformed' };
      return ok;
    }
    case 'progress':
      return ints('inReplyTo', 'done', 'total') ? ok : { ok: false, error: 'progress: malformed' };
    case 'step':
      return ints('inReplyTo', 'step', 'totalSteps', 'epoch') ? ok : { ok: false, error: 'step: malformed' };
    case 'result':
      // `result` may be absent: IPC drops an undefined value.
      return ints('inReplyTo') ? ok : { ok: false, error: 'result: inReplyTo missing' };
    default: {
      const error = own(raw, 'error');
      if (!ints('inReplyTo') || !isObject(error) || typeof own(error, 'message') !== 'string' || unexpectedKey(error, ['message', 'file', 'field']) !== null) {
        return { ok: false, error: 'error: malformed' };
      }
      for (const k of ['file', 'field']) {
        const v = own(error, k);
        if (v !== undefined && typeof v !== 'string') return { ok: false, error: `error: ${k} must be a string` };
      }
      return ok;
    }
  }
}

/** The fields of each worker request besides `type` (a Map: no inherited keys). */
const REQUEST_KEYS: ReadonlyMap<string, readonly string[]> = new Map<WorkerRequest['type'], readonly string[]>([
  ['train', ['config', 'outDir', 'backend', 'maxSteps', 'workers']],
  ['stop', []],
  ['cancelSweep', []],
  ['confusion', ['target', 'split']],
  ['examples', ['target', 'split', 'trueLabel', 'predicted', 'onlyWrong', 'limit']],
  ['sweep', ['target', 'range']],
  ['modelInfo', ['target']],
  ['evaluate', ['target']],
  ['sample', ['target', 'index']],
  ['trainingImage', ['target', 'index']],
  ['robustness', ['target', 'index', 'dx', 'dy']],
  ['predictImage', ['target', 'pixels']],
  ['occlusion', ['target', 'index', 'patch', 'stride', 'fill']],
  ['kernels', ['runDir']],
]);

function pathOrNull(v: unknown, name: string): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v === '' || v.length > MAX_PATH_LENGTH || v.includes('\0')) return `${name} must be a path (1..${MAX_PATH_LENGTH} characters) or null`;
  return null;
}

function targetProblem(t: unknown): string | null {
  if (!isObject(t)) return 'target missing';
  const extra = unexpectedKey(t, ['model', 'dataDir', 'numClasses', 'classNames']);
  if (extra !== null) return `target: unexpected field ${describeValue(extra)}`;
  const problem = pathOrNull(own(t, 'model'), 'target.model') ?? pathOrNull(own(t, 'dataDir'), 'target.dataDir');
  if (problem) return problem;
  const numClasses = own(t, 'numClasses');
  if (!isInt(numClasses) || numClasses < 2 || numClasses > MAX_CLASSES) return `target.numClasses must be 2..${MAX_CLASSES}`;
  const names = own(t, 'classNames');
  if (names !== undefined) {
    if (!Array.isArray(names) || names.length !== numClasses) return 'target.classNames must be an array of numClasses names';
    for (let i = 0; i < names.length; i++) {
      const n: unknown = hasOwnKey(names, i) ? names[i] : undefined;
      if (typeof n !== 'string' || n.length > MAX_CLASS_NAME_LENGTH) return `target.classNames[${i}] must be a name of at most ${MAX_CLASS_NAME_LENGTH} characters`;
    }
  }
  return null;
}

/** Checks a request arriving in the worker from the host. Never throws. */
export function validateToWorker(raw: unknown): Validation<ToWorkerMessage> {
  if (!isObject(raw) || !isInt(own(raw, 'messageId')) || unexpectedKey(raw, ['messageId', 'request']) !== null) return { ok: false, error: 'request envelope malformed' };
  const r = own(raw, 'request');
  if (!isObject(r)) return { ok: false, error: 'request envelope malformed' };
  const type = own(r, 'type');
  const keys = typeof type === 'string' ? REQUEST_KEYS.get(type) : undefined;
  if (typeof type !== 'string' || !keys) return { ok: false, error: `${describeValue(type)}: unknown request type ${describeValue(type)}` };
  const extra = unexpectedKey(r, ['type', ...keys]);
  let problem: string | null = extra === null ? null : `unexpected field ${describeValue(extra)}`;
  if (!problem) {
    switch (type) {
      case 'train': {
        const maxSteps = own(r, 'maxSteps');
        const workers = own(r, 'workers');
        const outDir = own(r, 'outDir');
        const backend = own(r, 'backend');
        if (!isObject(own(r, 'config'))) problem = 'config missing';
        else if (typeof outDir !== 'string' || outDir === '' || outDir.length > MAX_PATH_LENGTH || outDir.includes('\0')) problem = 'outDir missing';
        else if (typeof backend !== 'string' || backend.length > 100) problem = 'backend missing';
        else if (maxSteps !== undefined && (!isInt(maxSteps) || maxSteps < 1)) problem = 'maxSteps must be ≥ 1';
        else if (workers !== undefined && (!isInt(workers) || workers < 0 || workers > MAX_WORKERS)) problem = `workers must be 0..${MAX_WORKERS}`;
        break;
      }
      case 'stop':
      case 'cancelSweep':
        break;
      case 'confusion':
        problem = targetProblem(own(r, 'target')) ?? splitIn(r);
        break;
      case 'examples':
        problem = targetProblem(own(r, 'target')) ?? examplesQueryProblem(r);
        break;
      case 'sweep':
        problem = targetProblem(own(r, 'target')) ?? intIn(r, 'range', 0, MAX_SWEEP_REQUEST_RANGE);
        break;
      case 'modelInfo':
      case 'evaluate':
        problem = targetProblem(own(r, 'target'));
        break;
      case 'sample':
      case 'trainingImage':
        problem = targetProblem(own(r, 'target')) ?? intIn(r, 'index', 0, MAX_IMAGE_INDEX);
        break;
      case 'robustness':
        problem = targetProblem(own(r, 'target')) ?? intIn(r, 'index', 0, MAX_IMAGE_INDEX) ?? intIn(r, 'dx', -MAX_SHIFT, MAX_SHIFT) ?? intIn(r, 'dy', -MAX_SHIFT, MAX_SHIFT);
        break;
      case 'predictImage':
        problem = targetProblem(own(r, 'target')) ?? pixelsProblem(own(r, 'pixels'));
        break;
      case 'occlusion':
        problem = targetProblem(own(r, 'target')) ?? occlusionProblem(r);
        break;
      default: {
        const runDir = own(r, 'runDir');
        if (typeof runDir !== 'string' || runDir === '' || runDir.length > MAX_PATH_LENGTH || runDir.includes('\0')) problem = 'runDir missing';
      }
    }
  }
  if (problem) return { ok: false, error: `${type}: ${problem}` };
  return { ok: true, value: raw as unknown as ToWorkerMessage };
}

/**
 * Checks the state a lab panel persisted (the page's vscode.setState, handed back by the
 * serializer after a reload): the page is untrusted, so is what it saved. Only the shape is
 * checked here; the host still decides whether `runDir` may be opened. Never throws.
 */
export function validatePersistedPanelState(raw: unknown): Validation<PersistedPanelState> {
  if (!isObject(raw)) return { ok: false, error: 'panel state must be an object' };
  const extra = unexpectedKey(raw, ['runDir', 'index', 'dx', 'dy']);
  if (extra !== null) return { ok: false, error: `panel state: unexpected field ${describeValue(extra)}` };
  const runDir = own(raw, 'runDir');
  const problem =
    pathOrNull(runDir === undefined ? null : runDir, 'runDir') ??
    (hasOwnKey(raw, 'index') ? intIn(raw, 'index', 0, MAX_IMAGE_INDEX) : null) ??
    (hasOwnKey(raw, 'dx') ? intIn(raw, 'dx', -MAX_SHIFT, MAX_SHIFT) : null) ??
    (hasOwnKey(raw, 'dy') ? intIn(raw, 'dy', -MAX_SHIFT, MAX_SHIFT) : null);
  if (problem) return { ok: false, error: `panel state: ${problem}` };
  const num = (k: string, d: number) => (isInt(own(raw, k)) ? (own(raw, k) as number) : d);
  return { ok: true, value: { runDir: typeof runDir === 'string' ? runDir : null, index: num('index', 4), dx: num('dx', -3), dy: num('dy', 0) } };
}
