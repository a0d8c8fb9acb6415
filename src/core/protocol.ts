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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function intIn(m: Record<string, unknown>, key: string, min: number, max: number): string | null {
  const v = m[key];
  if (!isInt(v)) return `${key} must be a whole number, got ${JSON.stringify(v)}`;
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

function pixelsProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_DRAWN_PIXELS) return `pixels must be an array of 1..${MAX_DRAWN_PIXELS} grey levels`;
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) return `pixels[${i}] must be a grey level in [0, 1], got ${JSON.stringify(x)}`;
  }
  return null;
}

function occlusionProblem(m: Record<string, unknown>): string | null {
  const fill = m.fill;
  return (
    intIn(m, 'index', 0, MAX_IMAGE_INDEX) ??
    intIn(m, 'patch', 1, MAX_PATCH) ??
    intIn(m, 'stride', 1, MAX_PATCH) ??
    (typeof fill === 'number' && fill >= 0 && fill <= 1 ? null : `fill must be a grey level in [0, 1], got ${JSON.stringify(fill)}`)
  );
}

const ALLOWED_KEYS: Record<FromWebviewRequest['type'], string[]> = {
  ready: [],
  sample: ['index'],
  trainingImage: ['index'],
  robustness: ['index', 'dx', 'dy'],
  modelInfo: [],
  confusion: ['split'],
  examples: ['split', 'trueLabel', 'predicted', 'onlyWrong', 'limit'],
  sweep: ['range'],
  cancelSweep: [],
  predictImage: ['pixels'],
  occlusion: ['index', 'patch', 'stride', 'fill'],
  command: ['command'],
};

/** Most examples one request returns (thumbnails of 784 bytes each). */
export const MAX_EXAMPLES = 500;
/** Largest sweep range a request may ask for (src/core/analysis/sweep.ts MAX_SWEEP_RANGE). */
export const MAX_SWEEP_REQUEST_RANGE = 14;

function splitIn(m: Record<string, unknown>): string | null {
  return (ANALYSIS_SPLITS as readonly unknown[]).includes(m.split) ? null : `split must be one of ${ANALYSIS_SPLITS.join(', ')}, got ${JSON.stringify(m.split)}`;
}

function examplesQueryProblem(m: Record<string, unknown>): string | null {
  for (const k of ['trueLabel', 'predicted'] as const) {
    if (m[k] !== null && (!isInt(m[k]) || (m[k] as number) < 0 || (m[k] as number) > 255)) return `${k} must be a class 0..255 or null, got ${JSON.stringify(m[k])}`;
  }
  if (typeof m.onlyWrong !== 'boolean') return `onlyWrong must be true or false, got ${JSON.stringify(m.onlyWrong)}`;
  return splitIn(m) ?? intIn(m, 'limit', 1, MAX_EXAMPLES);
}

/** Checks a message from a webview before the host acts on it. */
export function validateFromWebview(raw: unknown): Validation<FromWebviewMessage> {
  if (!isObject(raw)) return { ok: false, error: 'message must be an object' };
  if (!isInt(raw.messageId) || raw.messageId < 0) return { ok: false, error: 'messageId must be a whole number ≥ 0' };
  const type = raw.type;
  if (typeof type !== 'string' || !(type in ALLOWED_KEYS)) return { ok: false, error: `unknown message type ${JSON.stringify(type)}` };
  const allowed = ALLOWED_KEYS[type as FromWebviewRequest['type']];
  for (const k of Object.keys(raw)) {
    if (k !== 'messageId' && k !== 'type' && !allowed.includes(k)) return { ok: false, error: `${type}: unexpected field ${JSON.stringify(k)}` };
  }
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
      problem = pixelsProblem(raw.pixels);
      break;
    case 'occlusion':
      problem = occlusionProblem(raw);
      break;
    case 'command':
      if (typeof raw.command !== 'string' || !(WEBVIEW_COMMANDS as readonly string[]).includes(raw.command)) {
        problem = `command must be one of ${WEBVIEW_COMMANDS.join(', ')}, got ${JSON.stringify(raw.command)}`;
      }
      break;
  }
  if (problem) return { ok: false, error: `${type}: ${problem}` };
  return { ok: true, value: raw as unknown as FromWebviewMessage };
}

/** Checks the envelope of a message from a worker process. */
export function validateFromWorker(raw: unknown): Validation<FromWorkerMessage> {
  if (!isObject(raw)) return { ok: false, error: 'worker message must be an object' };
  if (!isInt(raw.messageId)) return { ok: false, error: 'worker message without a messageId' };
  switch (raw.kind) {
    case 'ready':
      return isInt(raw.pid) ? { ok: true, value: raw as unknown as FromWorkerMessage } : { ok: false, error: 'ready: pid missing' };
    case 'event':
      if (!isInt(raw.inReplyTo) || !isObject(raw.event) || typeof raw.event.type !== 'string') return { ok: false, error: 'event: malformed' };
      return { ok: true, value: raw as unknown as FromWorkerMessage };
    case 'progress':
      if (!isInt(raw.inReplyTo) || !isInt(raw.done) || !isInt(raw.total)) return { ok: false, error: 'progress: malformed' };
      return { ok: true, value: raw as unknown as FromWorkerMessage };
    case 'step':
      if (!isInt(raw.inReplyTo) || !isInt(raw.step) || !isInt(raw.totalSteps) || !isInt(raw.epoch)) return { ok: false, error: 'step: malformed' };
      return { ok: true, value: raw as unknown as FromWorkerMessage };
    case 'result':
      if (!isInt(raw.inReplyTo)) return { ok: false, error: 'result: inReplyTo missing' };
      return { ok: true, value: raw as unknown as FromWorkerMessage };
    case 'error':
      if (!isInt(raw.inReplyTo) || !isObject(raw.error) || typeof raw.error.message !== 'string') return { ok: false, error: 'error: malformed' };
      return { ok: true, value: raw as unknown as FromWorkerMessage };
    default:
      return { ok: false, error: `unknown worker message kind ${JSON.stringify(raw.kind)}` };
  }
}

/** Checks a request arriving in the worker from the host. */
export function validateToWorker(raw: unknown): Validation<ToWorkerMessage> {
  if (!isObject(raw) || !isInt(raw.messageId) || !isObject(raw.request)) return { ok: false, error: 'request envelope malformed' };
  const r = raw.request;
  const target = (t: unknown): string | null => {
    if (!isObject(t)) return 'target missing';
    if (t.model !== null && typeof t.model !== 'string') return 'target.model must be a path or null';
    if (t.dataDir !== null && typeof t.dataDir !== 'string') return 'target.dataDir must be a path or null';
    if (!isInt(t.numClasses) || t.numClasses < 2) return 'target.numClasses must be ≥ 2';
    return null;
  };
  let problem: string | null = null;
  switch (r.type) {
    case 'train':
      if (!isObject(r.config)) problem = 'config missing';
      else if (typeof r.outDir !== 'string') problem = 'outDir missing';
      else if (typeof r.backend !== 'string') problem = 'backend missing';
      else if (r.maxSteps !== undefined && (!isInt(r.maxSteps) || r.maxSteps < 1)) problem = 'maxSteps must be ≥ 1';
      else if (r.workers !== undefined && (!isInt(r.workers) || r.workers < 0 || r.workers > 256)) problem = 'workers must be 0..256';
      break;
    case 'stop':
    case 'cancelSweep':
      break;
    case 'confusion':
      problem = target(r.target) ?? splitIn(r);
      break;
    case 'examples':
      problem = target(r.target) ?? examplesQueryProblem(r);
      break;
    case 'sweep':
      problem = target(r.target) ?? intIn(r, 'range', 0, MAX_SWEEP_REQUEST_RANGE);
      break;
    case 'modelInfo':
    case 'evaluate':
      problem = target(r.target);
      break;
    case 'sample':
    case 'trainingImage':
      problem = target(r.target) ?? intIn(r, 'index', 0, MAX_IMAGE_INDEX);
      break;
    case 'robustness':
      problem = target(r.target) ?? intIn(r, 'index', 0, MAX_IMAGE_INDEX) ?? intIn(r, 'dx', -MAX_SHIFT, MAX_SHIFT) ?? intIn(r, 'dy', -MAX_SHIFT, MAX_SHIFT);
      break;
    case 'predictImage':
      problem = target(r.target) ?? pixelsProblem(r.pixels);
      break;
    case 'occlusion':
      problem = target(r.target) ?? occlusionProblem(r);
      break;
    case 'kernels':
      if (typeof r.runDir !== 'string') problem = 'runDir missing';
      break;
    default:
      problem = `unknown request type ${JSON.stringify(r.type)}`;
  }
  if (problem) return { ok: false, error: `${String(r.type)}: ${problem}` };
  return { ok: true, value: raw as unknown as ToWorkerMessage };
}
