/**
 * The table of analyses: the questions the lab panel asks about a model and its data. One entry
 * per analysis names its request fields with their rules and binds its result type (as
 * rust-analyzer's `RequestType<Params, Result>` does). From this table come:
 *   - the TypeScript types of every request and result (webview → host → worker),
 *   - the runtime validators of what the webview and the host send (own keys only),
 *   - the host's forwarding (no switch: an analysis is forwarded with the run's target added),
 *   - the worker's dispatch (`AnalysisHandlers` must have one handler per entry).
 * Adding an analysis: one entry here, one handler in src/worker/analyses, one section in
 * src/webview/sections (see docs/architecture.md). No tfjs, node or vscode import.
 */
import type { ChannelActivityPayload, EpochHistograms } from './analysis/histograms';
import {
  EXPLAIN_METHODS,
  EXPLAIN_SCORES,
  type ExplainMethod,
  type ExplainScore,
  MAX_SMOOTHGRAD_SAMPLES,
  MAX_SMOOTHGRAD_SEED,
  MAX_SMOOTHGRAD_SIGMA,
} from './analysis/explainOptions';
import type { SweepResult } from './analysis/sweep';
import type { LayerSummary } from './model/convnet';

// ---------------------------------------------------------------------------------------------
// Payloads (what the analyses answer)

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

/** An image of the test file (indices as in the original lab's notebook), with what the model makes of it. */
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

/**
 * Why the network decided (src/core/analysis/explain.ts): a map over the image for one class.
 * Maps travel at 5 significant digits (gradients can be far below display precision).
 */
export interface ExplainPayload {
  /** The test image explained, or null for a drawn image. */
  index: number | null;
  /** Its true label (null for a drawing). */
  label: number | null;
  image: ImagePayload;
  method: ExplainMethod;
  score: ExplainScore;
  /** The class explained (the predicted one unless the request named another). */
  classIndex: number;
  predicted: number;
  probabilities: number[];
  /** The explained class's logit or log-probability. */
  scoreValue: number;
  /** size×size, row-major. */
  map: { size: number; values: number[] };
  /** Gradients have both signs; Grad-CAM's map is ≥ 0. */
  signed: boolean;
  /** max |value| of the map (the colour scale's end; 0 when the map is all zero). */
  scale: number;
  smoothGrad?: { samples: number; sigma: number; sigmaPixels: number; seed: number };
  /** Grad-CAM: the map at conv2's resolution and the channel weights α_k. */
  gradCam?: { size: number; values: number[]; weights: number[] };
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

/** Which half of the test file an analysis uses (the original lab's splits, src/core/data/mnist.ts). */
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

/** How the projector lays out fc1's features in 2-D (src/core/analysis/projection.ts). */
export const PROJECTION_METHODS = ['pca', 'umap'] as const;
export type ProjectionMethod = (typeof PROJECTION_METHODS)[number];

/** The learned space (src/core/analysis/projection.ts): fc1's features of test-split images laid out in 2-D. */
export interface ProjectionPayload {
  method: ProjectionMethod;
  split: 'test';
  /** The layer whose output is projected ('fc1', after its ReLU) and its width (the config's model.hidden). */
  layer: 'fc1';
  dimensions: number;
  /** The first `count` images of the test split. */
  count: number;
  /** Per point: its index in the test file (as the chosen test image), true label, prediction, coordinates. */
  indices: number[];
  labels: number[];
  predicted: number[];
  x: number[];
  y: number[];
  /** PCA: the share of the variance along each axis; null for UMAP. */
  explained: [number, number] | null;
  /** UMAP's seed; null for PCA (deterministic). */
  seed: number | null;
  /** Share of points whose 5 nearest neighbours in the layout mostly carry their own label. */
  neighbourAccuracy: number;
  /** Seconds the layout took (features, then PCA or UMAP). */
  seconds: number;
  /** The digits, for the hover picture: base64 of count×size×size bytes (0–255). */
  size: number;
  thumbnails: string;
}

// ---------------------------------------------------------------------------------------------
// Field rules: each checks one value and carries its TypeScript type.

export interface Rule<T> {
  /** null when `v` is a valid value, else what is wrong with it (without the field's name). */
  readonly check: (v: unknown) => string | null;
  /** Type only: the value's type once checked. */
  readonly _type?: T;
}

const rule = <T>(check: (v: unknown) => string | null): Rule<T> => ({ check });

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
const shown = (v: unknown): string => describeValue(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export const wholeNumber = (min: number, max: number): Rule<number> =>
  rule((v) =>
    !isInt(v) ? `must be a whole number, got ${shown(v)}` : v < min || v > max ? `must be between ${min} and ${max}, got ${v}` : null,
  );

export const greyLevel: Rule<number> = rule((v) =>
  typeof v === 'number' && v >= 0 && v <= 1 ? null : `must be a grey level in [0, 1], got ${shown(v)}`,
);

export const flag: Rule<boolean> = rule((v) => (typeof v === 'boolean' ? null : `must be true or false, got ${shown(v)}`));

export const oneOf = <const T extends readonly string[]>(values: T): Rule<T[number]> =>
  rule((v) => ((values as readonly unknown[]).includes(v) ? null : `must be one of ${values.join(', ')}, got ${shown(v)}`));

export const nullable = <T>(r: Rule<T>): Rule<T | null> => rule((v) => (v === null ? null : r.check(v)));

/** A finite number in [min, max]. */
export const numberIn = (min: number, max: number): Rule<number> =>
  rule((v) => (typeof v === 'number' && v >= min && v <= max ? null : `must be a number in [${min}, ${max}], got ${shown(v)}`));

export const greyImage = (maxPixels: number): Rule<number[]> =>
  rule((v) => {
    if (!Array.isArray(v) || v.length === 0 || v.length > maxPixels) return `must be an array of 1..${maxPixels} grey levels`;
    for (let i = 0; i < v.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(v, i)) return `[${i}] is missing`;
      const x: unknown = v[i];
      if (typeof x !== 'number' || !(x >= 0 && x <= 1)) return `[${i}] must be a grey level in [0, 1], got ${shown(x)}`;
    }
    return null;
  });

// ---------------------------------------------------------------------------------------------
// Bounds a request may ask for; the worker checks them against the real data and model.

/** Largest image index a webview may ask for. */
export const MAX_IMAGE_INDEX = 1_000_000;
/** Largest shift (pixels) a webview may ask for. */
export const MAX_SHIFT = 64;
/** Largest drawn image a webview may send (pixels); the worker checks it against the model's size. */
export const MAX_DRAWN_PIXELS = 128 * 128;
/** Occlusion patch and stride, pixels. */
export const MAX_PATCH = 28;
/** Most examples one request returns (thumbnails of 784 bytes each). */
export const MAX_EXAMPLES = 500;
/** Largest sweep range a request may ask for (src/core/analysis/sweep.ts MAX_SWEEP_RANGE). */
export const MAX_SWEEP_REQUEST_RANGE = 14;
/** Longest path a message may carry (PATH_MAX on Linux). */
export const MAX_PATH_LENGTH = 4096;
/** Most classes and the longest class name (as the config schema: src/core/config.ts). */
export const MAX_CLASSES = 256;
export const MAX_CLASS_NAME_LENGTH = 100;
/** Most points a projection lays out; UMAP's time grows faster with the count, so it has a lower bound. */
export const MAX_PROJECTION_POINTS = 10_000;
export const MAX_UMAP_POINTS = 5000;
/** The panel's UMAP: the first 2,000 test-split images (about a minute on two busy cores: docs/extension.md). */
export const DEFAULT_UMAP_POINTS = 2000;

const imageIndex = wholeNumber(0, MAX_IMAGE_INDEX);
const shift = wholeNumber(-MAX_SHIFT, MAX_SHIFT);
const split = oneOf(ANALYSIS_SPLITS);
/** A class label, or null for any. */
const classOrAny: Rule<number | null> = rule((v) =>
  v === null || (isInt(v) && v >= 0 && v < MAX_CLASSES) ? null : `must be a class 0..${MAX_CLASSES - 1} or null, got ${shown(v)}`,
);
const patch = wholeNumber(1, MAX_PATCH);

// ---------------------------------------------------------------------------------------------
// The table

type Fields = Record<string, Rule<unknown>>;

export interface AnalysisSpec<F extends Fields, R> {
  readonly fields: F;
  /** It answers 'progress' messages while it runs (a long analysis). */
  readonly progress?: boolean;
  /** Type only: the result. */
  readonly _result?: R;
}

/** `analysis<Result>()(fields, options)`: binds a result type to the request's fields. */
const analysis =
  <R>() =>
  <F extends Fields>(fields: F, options: Omit<AnalysisSpec<F, R>, 'fields' | '_result'> = {}): AnalysisSpec<F, R> => ({
    fields,
    ...options,
  });

export const ANALYSES = {
  modelInfo: analysis<ModelInfo>()({}),
  evaluate: analysis<EvaluationResult>()({}),
  sample: analysis<SampleResult>()({ index: imageIndex }),
  trainingImage: analysis<TrainingImageResult>()({ index: imageIndex }),
  robustness: analysis<RobustnessPayload>()({ index: imageIndex, dx: shift, dy: shift }),
  predictImage: analysis<DrawnPredictionPayload>()({ pixels: greyImage(MAX_DRAWN_PIXELS) }),
  occlusion: analysis<OcclusionPayload>()({ index: imageIndex, patch, stride: patch, fill: greyLevel }),
  confusion: analysis<ConfusionPayload>()({ split }),
  examples: analysis<ExamplesPayload>()({
    split,
    trueLabel: classOrAny,
    predicted: classOrAny,
    onlyWrong: flag,
    limit: wholeNumber(1, MAX_EXAMPLES),
  }),
  /** `index` (a test image) or `pixels` (a drawing at the model's size): exactly one is non-null. */
  explain: analysis<ExplainPayload>()({
    index: nullable(imageIndex),
    pixels: nullable(greyImage(MAX_DRAWN_PIXELS)),
    method: oneOf(EXPLAIN_METHODS),
    score: oneOf(EXPLAIN_SCORES),
    classIndex: classOrAny,
    samples: wholeNumber(1, MAX_SMOOTHGRAD_SAMPLES),
    sigma: numberIn(0, MAX_SMOOTHGRAD_SIGMA),
    seed: wholeNumber(0, MAX_SMOOTHGRAD_SEED),
  }),
  sweep: analysis<SweepPayload>()({ range: wholeNumber(0, MAX_SWEEP_REQUEST_RANGE) }, { progress: true }),
  projection: analysis<ProjectionPayload>()(
    { method: oneOf(PROJECTION_METHODS), count: wholeNumber(2, MAX_PROJECTION_POINTS), seed: wholeNumber(0, 0x7fffffff) },
    { progress: true },
  ),
  /** conv1/conv2/fc1 channels that never activate on a split (ReLU output 0 for every image). */
  deadChannels: analysis<ChannelActivityPayload>()({ split }),
  /** The histograms of the saved weights (epoch = the epochs completed; for runs trained before histograms were recorded). */
  finalHistograms: analysis<EpochHistograms>()({}),
} as const;

export type AnalysisTable = typeof ANALYSES;
export type AnalysisType = keyof AnalysisTable;

type ValueOf<R> = R extends Rule<infer T> ? T : never;
/** The request fields of analysis K, typed by their rules. */
export type AnalysisParams<K extends AnalysisType> = {
  -readonly [F in keyof AnalysisTable[K]['fields']]: ValueOf<AnalysisTable[K]['fields'][F]>;
};
/** What analysis K answers. */
export type AnalysisResult<K extends AnalysisType> = AnalysisTable[K] extends AnalysisSpec<Fields, infer R> ? R : never;

/** Which weights and which data an analysis uses (the host adds it: the page never names files). */
export interface AnalysisTarget {
  /** A run directory, a model.json or a .safetensors file. */
  model: string | null;
  /** A directory of MNIST-layout IDX files; null = the embedded MNIST. */
  dataDir: string | null;
  numClasses: number;
  /** The config's class names (absent for MNIST's digits). */
  classNames?: string[];
}

/** An analysis as the webview asks it. */
export type AnalysisRequest<K extends AnalysisType = AnalysisType> = { [P in K]: { type: P } & AnalysisParams<P> }[K];
/** The same as the worker receives it: with the host's target. */
export type WorkerAnalysisRequest<K extends AnalysisType = AnalysisType> = {
  [P in K]: { type: P; target: AnalysisTarget } & AnalysisParams<P>;
}[K];
/** Every result by type (the worker's replies). */
export type AnalysisResults = { [K in AnalysisType]: AnalysisResult<K> };

export function isAnalysisType(t: unknown): t is AnalysisType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(ANALYSES, t);
}

/**
 * What is wrong with the fields of analysis `type` in `m` (own keys only: a key of
 * Object.prototype is never a field), or null. `envelope` lists the other keys `m` may carry.
 */
export function analysisProblem(type: AnalysisType, m: Record<string, unknown>, envelope: readonly string[]): string | null {
  const fields = ANALYSES[type].fields as Fields;
  for (const k of Object.keys(m)) {
    if (!envelope.includes(k) && !Object.prototype.hasOwnProperty.call(fields, k)) return `unexpected field ${shown(k)}`;
  }
  for (const [name, r] of Object.entries(fields)) {
    const problem = r.check(Object.prototype.hasOwnProperty.call(m, name) ? m[name] : undefined);
    if (problem) return `${name}${problem.startsWith('[') ? '' : ' '}${problem}`;
  }
  return null;
}

/**
 * The worker's side of the table: one handler per analysis, each typed by its entry. A missing
 * entry or a wrong result type is a compile error.
 */
export type AnalysisHandlers<Ctx> = {
  [K in AnalysisType]: (request: WorkerAnalysisRequest<K>, ctx: Ctx) => AnalysisResult<K> | Promise<AnalysisResult<K>>;
};
