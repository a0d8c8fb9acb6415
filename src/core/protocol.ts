/**
 * The one typed protocol between the three parts of the extension:
 *   extension host ⇄ training/analysis worker (a Node child process, IPC)
 *   extension host ⇄ webviews (the lab panel and the side view, postMessage)
 * Every message is an envelope with a `messageId`; a reply carries `inReplyTo` (as in
 * vscode-hexeditor's protocol). The analyses (the panel's questions about a model) come from
 * one table, src/core/analyses.ts: their request and result types and their validation. This
 * file adds training, the run's state and the envelopes. Types, plus the validators of what
 * crosses a trust boundary: nothing here imports tfjs, node or vscode, so every bundle can use it.
 */
import {
  type AnalysisRequest,
  type AnalysisResults,
  type AnalysisType,
  type WorkerAnalysisRequest,
  MAX_CLASSES,
  MAX_CLASS_NAME_LENGTH,
  MAX_IMAGE_INDEX,
  MAX_PATH_LENGTH,
  MAX_SHIFT,
  ANALYSES,
  analysisProblem,
  describeValue,
  isAnalysisType,
} from './analyses';
import type { EpochHistograms } from './analysis/histograms';
import type { LabConfig } from './config';
import type { KernelSnapshot, ProgressEvent, RunSummary, StartEvent, TrainingEvent } from './events';
import { REPORT_LANGUAGES, type ReportLanguage, isReportLanguage } from './report/languages';
import type { RunComparison } from './runs/compare';

export type {
  AnalysisSplit,
  AnalysisTarget,
  ConfusionPayload,
  DrawnPredictionPayload,
  EvaluationResult,
  ExamplePayload,
  ExamplesPayload,
  ExamplesQuery,
  FeatureMapsPayload,
  ImagePayload,
  LayerMapsPayload,
  ModelInfo,
  OcclusionPayload,
  PredictionPayload,
  RobustnessPayload,
  SampleResult,
  SweepPayload,
  TrainingImageResult,
} from './analyses';
export {
  ANALYSIS_SPLITS,
  MAX_CLASSES,
  MAX_CLASS_NAME_LENGTH,
  MAX_DRAWN_PIXELS,
  MAX_EXAMPLES,
  MAX_IMAGE_INDEX,
  MAX_PATCH,
  MAX_PATH_LENGTH,
  MAX_SHIFT,
  MAX_SWEEP_REQUEST_RANGE,
  describeValue,
} from './analyses';

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

/** Stops a running robustness sweep (it answers `{ cancelled: false }` when none runs). */
export interface CancelSweepRequest {
  type: 'cancelSweep';
}

/** Stops a running projection (it answers `{ cancelled: false }` when none runs). */
export interface CancelProjectionRequest {
  type: 'cancelProjection';
}

export interface KernelsRequest {
  type: 'kernels';
  runDir: string;
}

/** The lab report of a finished run (MNIST: Export Lab Report), written by the worker into `outDir`. */
export interface ReportRequest {
  type: 'report';
  runDir: string;
  outDir: string;
  lang: ReportLanguage;
  /** The data the run is analysed with (its config's, else the setting's); null = the embedded MNIST. */
  dataDir: string | null;
}

/** What the report wrote (absolute paths). */
export interface ReportWritten {
  dir: string;
  markdown: string;
  html: string;
  metrics: string;
  figures: number;
}

/** Training, its stop, a run's kernels, the sweep's cancel, the report, and every analysis of the table. */
export type WorkerRequest =
  TrainRequest | StopRequest | CancelSweepRequest | CancelProjectionRequest | KernelsRequest | ReportRequest | WorkerAnalysisRequest;

/** What each request answers with. */
export type WorkerResults = {
  train: RunSummary;
  stop: { stopping: boolean };
  cancelSweep: { cancelled: boolean };
  cancelProjection: { cancelled: boolean };
  kernels: KernelSnapshot[];
  report: ReportWritten;
} & AnalysisResults;

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
  /** The layer histograms, one record per epoch (absent or empty: the run recorded none). */
  histograms?: EpochHistograms[];
  /** A hyperparameter grid this run belongs to (its table and parallel coordinates). */
  grid?: GridView | null;
}

/** A grid's runs as the panel shows them (from a grid record, src/core/runs/grid.ts). */
export interface GridView {
  /** The grid record. */
  file: string;
  name: string;
  status: string;
  /** The config paths the grid varies, e.g. `training.learningRate`. */
  keys: string[];
  points: GridPointView[];
}

export interface GridPointView {
  /** One value per key, in the keys' order. */
  values: (number | string | boolean | null | (number | string)[])[];
  runDir: string | null;
  status: string;
  valAccuracy: number | null;
  testAccuracy: number | null;
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

/** A change of the run on show, on top of the last state sent. */
export type RunDeltaMessage =
  | { type: 'progress'; messageId: number; progress: ProgressEvent; line: string }
  | { type: 'step'; messageId: number; step: number; totalSteps: number; epoch: number }
  | { type: 'snapshot'; messageId: number; snapshot: KernelSnapshot; valConfusion?: LiveConfusion; histograms?: EpochHistograms };

export type ToWebviewMessage =
  | { type: 'state'; messageId: number; state: RunView }
  | RunDeltaMessage
  /** Changes that came faster than the host sends them (at most a few messages a second), in order. */
  | { type: 'batch'; messageId: number; messages: RunDeltaMessage[] }
  /** Scroll to the section that shows an analysis (e.g. MNIST: Robustness Check shows the robustness part). */
  | { type: 'reveal'; messageId: number; analysis: AnalysisType }
  /** Progress of the request `inReplyTo` (the robustness sweep). */
  | { type: 'analysisProgress'; messageId: number; inReplyTo: number; done: number; total: number }
  | { type: 'reply'; messageId: number; inReplyTo: number; ok: true; result: unknown }
  | { type: 'reply'; messageId: number; inReplyTo: number; ok: false; error: string };

/** What the panel can save through the host's save dialog (a webview cannot download). */
export const SAVE_FORMATS = ['png', 'svg', 'csv'] as const;
export type SaveFormat = (typeof SAVE_FORMATS)[number];
/** The longest file the panel may hand over (characters: base64 for PNG, text for SVG and CSV). */
export const MAX_SAVE_CHARS = 16 * 1024 * 1024;
/** A suggested file name: letters, digits, dot, dash, underscore; the user picks the folder. */
export const SAVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** A figure (PNG as base64, SVG as text) or the metrics (CSV) to save; answered with the path, or null if cancelled. */
export interface SaveFileRequest {
  type: 'saveFile';
  name: string;
  format: SaveFormat;
  data: string;
}

/**
 * An analysis, of the run on show or, with `overlay`, of one of the runs drawn over it (an index
 * into its `overlay`: the page never names files).
 */
export type OverlayableAnalysisRequest = AnalysisRequest & { overlay?: number };

/** Most runs drawn over the run on show (src/extension/compareRuns.ts MAX_COMPARED_RUNS, less the run itself). */
export const MAX_OVERLAY_RUNS = 8;

export type FromWebviewRequest =
  | { type: 'ready' }
  | { type: 'cancelSweep' }
  | { type: 'cancelProjection' }
  | { type: 'command'; command: WebviewCommand }
  /** Show the run of the grid's point `index` (of the grid on show; the host knows its folders). */
  | { type: 'openGridPoint'; index: number }
  | SaveFileRequest
  | OverlayableAnalysisRequest;

/** The most points a grid has (CONFIG_LIMITS.gridPoints). */
export const MAX_GRID_POINTS = 64;

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
// Validation of what comes from a webview (an untrusted page) or a worker (another process).
// Own keys only: `{type: "constructor"}` or `{"toString": 1}` never pass as known keys. The
// validators never throw.

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;

const hasOwnKey = (o: object, k: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, k);
/** A plain object (not null, not an array, not a Map, Date, …): what JSON or a structured clone makes. */
const isObject = (v: unknown): v is Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
/** `o[k]` when `k` is an own property of `o`, else undefined. */
const own = (o: Obj, k: string): unknown => (hasOwnKey(o, k) ? o[k] : undefined);

function intIn(m: Obj, key: string, min: number, max: number): string | null {
  const v = own(m, key);
  if (!isInt(v)) return `${key} must be a whole number, got ${describeValue(v)}`;
  if (v < min || v > max) return `${key} must be between ${min} and ${max}, got ${v}`;
  return null;
}

/**
 * Most data-parallel replicas (worker threads) a training may ask for (`--workers`,
 * `mnistLab.workers`): the shared gradient buffers grow with it.
 */
export const MAX_WORKERS = 64;

/** The first key of `m` outside `allowed` (own enumerable string keys; `__proto__` included). */
function unexpectedKey(m: Obj, allowed: readonly string[]): string | null {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) return k;
  return null;
}

function saveFileProblem(m: Obj): string | null {
  const extra = unexpectedKey(m, ['messageId', 'type', 'name', 'format', 'data']);
  if (extra !== null) return `unexpected field ${describeValue(extra)}`;
  const name = own(m, 'name');
  const format = own(m, 'format');
  const data = own(m, 'data');
  if (typeof name !== 'string' || !SAVE_NAME.test(name))
    return `name must be a file name (letters, digits, . _ -; at most 80), got ${describeValue(name)}`;
  if (typeof format !== 'string' || !(SAVE_FORMATS as readonly string[]).includes(format))
    return `format must be one of ${SAVE_FORMATS.join(', ')}, got ${describeValue(format)}`;
  if (typeof data !== 'string' || data.length === 0 || data.length > MAX_SAVE_CHARS) return `data must be 1..${MAX_SAVE_CHARS} characters`;
  if (format === 'png' && (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data))) return 'data must be base64 for png';
  if (format === 'svg' && !/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(data)) return 'data must be an SVG document for svg';
  return null;
}

/** Checks a message from a webview before the host acts on it. Never throws. */
export function validateFromWebview(raw: unknown): Validation<FromWebviewMessage> {
  if (!isObject(raw)) return { ok: false, error: 'message must be an object' };
  const messageId = own(raw, 'messageId');
  if (!isInt(messageId) || messageId < 0) return { ok: false, error: 'messageId must be a whole number ≥ 0' };
  const type = own(raw, 'type');
  let problem: string | null;
  if (type === 'ready' || type === 'cancelSweep' || type === 'cancelProjection') {
    const extra = unexpectedKey(raw, ['messageId', 'type']);
    problem = extra === null ? null : `unexpected field ${describeValue(extra)}`;
  } else if (type === 'command') {
    const extra = unexpectedKey(raw, ['messageId', 'type', 'command']);
    const command = own(raw, 'command');
    problem =
      extra !== null
        ? `unexpected field ${describeValue(extra)}`
        : typeof command !== 'string' || !(WEBVIEW_COMMANDS as readonly string[]).includes(command)
          ? `command must be one of ${WEBVIEW_COMMANDS.join(', ')}, got ${describeValue(command)}`
          : null;
  } else if (type === 'openGridPoint') {
    const extra = unexpectedKey(raw, ['messageId', 'type', 'index']);
    problem = extra !== null ? `unexpected field ${describeValue(extra)}` : intIn(raw, 'index', 0, MAX_GRID_POINTS - 1);
  } else if (type === 'saveFile') {
    problem = saveFileProblem(raw);
  } else if (isAnalysisType(type)) {
    const overlay = own(raw, 'overlay');
    problem =
      overlay !== undefined && (!isInt(overlay) || overlay < 0 || overlay >= MAX_OVERLAY_RUNS)
        ? `overlay must be a whole number 0..${MAX_OVERLAY_RUNS - 1}, got ${describeValue(overlay)}`
        : analysisProblem(type, raw, ['messageId', 'type', 'overlay']);
  } else {
    return { ok: false, error: `unknown message type ${describeValue(type)}` };
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
      if (
        !ints('inReplyTo') ||
        !isObject(error) ||
        typeof own(error, 'message') !== 'string' ||
        unexpectedKey(error, ['message', 'file', 'field']) !== null
      ) {
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

function pathOrNull(v: unknown, name: string): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v === '' || v.length > MAX_PATH_LENGTH || v.includes('\0'))
    return `${name} must be a path (1..${MAX_PATH_LENGTH} characters) or null`;
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
      if (typeof n !== 'string' || n.length > MAX_CLASS_NAME_LENGTH)
        return `target.classNames[${i}] must be a name of at most ${MAX_CLASS_NAME_LENGTH} characters`;
    }
  }
  return null;
}

function trainProblem(r: Obj): string | null {
  const extra = unexpectedKey(r, ['type', 'config', 'outDir', 'backend', 'maxSteps', 'workers']);
  if (extra !== null) return `unexpected field ${describeValue(extra)}`;
  const maxSteps = own(r, 'maxSteps');
  const workers = own(r, 'workers');
  const outDir = own(r, 'outDir');
  const backend = own(r, 'backend');
  if (!isObject(own(r, 'config'))) return 'config missing';
  if (typeof outDir !== 'string' || outDir === '' || outDir.length > MAX_PATH_LENGTH || outDir.includes('\0')) return 'outDir missing';
  if (typeof backend !== 'string' || backend.length > 100) return 'backend missing';
  if (maxSteps !== undefined && (!isInt(maxSteps) || maxSteps < 1)) return 'maxSteps must be ≥ 1';
  if (workers !== undefined && (!isInt(workers) || workers < 0 || workers > MAX_WORKERS)) return `workers must be 0..${MAX_WORKERS}`;
  return null;
}

const isPath = (v: unknown): v is string => typeof v === 'string' && v !== '' && v.length <= MAX_PATH_LENGTH && !v.includes('\0');

function reportProblem(r: Obj): string | null {
  const extra = unexpectedKey(r, ['type', 'runDir', 'outDir', 'lang', 'dataDir']);
  if (extra !== null) return `unexpected field ${describeValue(extra)}`;
  if (!isPath(own(r, 'runDir'))) return 'runDir missing';
  if (!isPath(own(r, 'outDir'))) return 'outDir missing';
  if (!isReportLanguage(own(r, 'lang'))) return `lang must be one of ${REPORT_LANGUAGES.join(', ')}, got ${describeValue(own(r, 'lang'))}`;
  return pathOrNull(own(r, 'dataDir'), 'dataDir');
}

/** Checks a request arriving in the worker from the host. Never throws. */
export function validateToWorker(raw: unknown): Validation<ToWorkerMessage> {
  if (!isObject(raw) || !isInt(own(raw, 'messageId')) || unexpectedKey(raw, ['messageId', 'request']) !== null)
    return { ok: false, error: 'request envelope malformed' };
  const r = own(raw, 'request');
  if (!isObject(r)) return { ok: false, error: 'request envelope malformed' };
  const type = own(r, 'type');
  let problem: string | null;
  if (type === 'train') problem = trainProblem(r);
  else if (type === 'report') problem = reportProblem(r);
  else if (type === 'stop' || type === 'cancelSweep' || type === 'cancelProjection')
    problem = unexpectedKey(r, ['type']) === null ? null : `unexpected field ${describeValue(unexpectedKey(r, ['type']))}`;
  else if (type === 'kernels') {
    const extra = unexpectedKey(r, ['type', 'runDir']);
    const runDir = own(r, 'runDir');
    problem =
      extra !== null
        ? `unexpected field ${describeValue(extra)}`
        : typeof runDir !== 'string' || runDir === '' || runDir.length > MAX_PATH_LENGTH || runDir.includes('\0')
          ? 'runDir missing'
          : null;
  } else if (isAnalysisType(type)) {
    const extra = unexpectedKey(r, ['type', 'target', ...Object.keys(ANALYSES[type].fields)]);
    problem =
      extra !== null
        ? `unexpected field ${describeValue(extra)}`
        : (targetProblem(own(r, 'target')) ?? analysisProblem(type, r, ['type', 'target']));
  } else return { ok: false, error: `${describeValue(type)}: unknown request type ${describeValue(type)}` };
  if (problem) return { ok: false, error: `${String(type)}: ${problem}` };
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
  return {
    ok: true,
    value: { runDir: typeof runDir === 'string' ? runDir : null, index: num('index', 4), dx: num('dx', -3), dy: num('dy', 0) },
  };
}
