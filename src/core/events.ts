import type { EpochHistograms } from './analysis/histograms';
import type { LabConfig } from './config';
import { ownClassName } from './data/classes';
import type { LayerSummary } from './model/convnet';

/**
 * What a training run reports, in order: one `start`, then `progress` every `evalEvery`
 * batches (with the seed's record entry) and `epoch` at each epoch end, then one `summary`.
 * The CLI prints these (--json: one per line), the run store writes them to metrics.jsonl,
 * and the extension's worker forwards them to the host and the webview unchanged.
 */
export interface StartEvent {
  type: 'start';
  runDir: string;
  runId: string;
  config: LabConfig;
  backend: string;
  device: string;
  /** Data-parallel replicas (worker threads); absent in runs made before they existed = 1. */
  workers?: number;
  /** The backends tried to get `backend`, in order, with each failure's reason (absent in older runs). */
  attempts?: { name: string; ok: boolean; reason?: string }[];
  epochs: number;
  batchesPerEpoch: number;
  totalSteps: number;
  trainSize: number;
  validationSize: number;
  testSize: number;
  parameters: number;
  layers: LayerSummary[];
  startedAt: string;
}

export interface ProgressEvent {
  type: 'progress';
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch (the seed reports at batch 0, 100, 200, …). */
  batch: number;
  /** Training steps done so far, over all epochs. */
  step: number;
  totalSteps: number;
  /** Samples of this epoch seen so far, and the real percentage of the epoch. */
  samples: number;
  trainSize: number;
  percent: number;
  /** Loss of the latest batch (as the seed prints). */
  loss: number;
  /** Right answers / samples over this epoch's batches so far (as the seed counts). */
  trainAccuracy: number;
  /** Accuracy on the whole validation split. */
  valAccuracy: number;
  /** The seed's `record` entry: (train error %, validation error %). */
  record: [number, number];
  seconds: number;
  /** The learning rate of the latest step (a schedule's); absent in runs made before it was recorded. */
  lr?: number;
}

/** conv1/conv2 weights and biases, PyTorch layouts ([out, in, k, k]), flattened. */
export interface KernelSnapshot {
  epoch: number;
  conv1: { shape: number[]; weight: number[]; bias: number[] };
  conv2: { shape: number[]; weight: number[]; bias: number[] };
}

export interface EpochEvent {
  type: 'epoch';
  epoch: number;
  seconds: number;
  snapshot: KernelSnapshot;
  /** The validation split's confusion matrix (counts[true][predicted]) at the epoch's end, when asked for. */
  valConfusion?: number[][];
  /** The layers' weights, gradients and outputs summarised at the epoch's end (src/core/analysis/histograms.ts), when recorded. */
  histograms?: EpochHistograms;
}

/**
 * `interrupted`: never written; a summary that says `running` while the process it records
 * (PID and start time) is gone or is another process now is read as interrupted.
 */
export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

export interface RunSummary {
  runId: string;
  runDir: string;
  name: string;
  status: RunStatus;
  backend: string;
  device: string;
  workers?: number;
  epochs: number;
  epochsCompleted: number;
  steps: number;
  totalSteps: number;
  valAccuracy: number | null;
  testAccuracy: number | null;
  /**
   * The seed's reported test accuracy, to compare against; null where the run's data is another
   * dataset (its config names classes of its own, as Fashion-MNIST's does).
   */
  seedTestAccuracy: number | null;
  seconds: number;
  msPerStep: number | null;
  startedAt: string;
  finishedAt: string | null;
  error?: string;
  model?: { safetensors: string; tfjs: string };
  /** The config's class names (absent for the digits 0–9). */
  classNames?: string[];
  /** The training process while it runs (removed at the end), and its start time (Linux: /proc/PID/stat field 22). */
  pid?: number;
  pidStart?: string;
}

export interface SummaryEvent extends RunSummary {
  type: 'summary';
}

export interface ErrorEvent {
  type: 'error';
  message: string;
  file?: string;
  field?: string;
}

export type TrainingEvent = StartEvent | ProgressEvent | EpochEvent | SummaryEvent | ErrorEvent;

export const SEED_TEST_ACCURACY = 0.9906;

/**
 * The seed's test accuracy where a run can be compared with it: on MNIST's ten digits (no class
 * names, or the names "0"–"9"). A config that names classes of its own trains on another dataset,
 * where the seed's 99.06 % says nothing: null.
 */
export function seedAccuracyFor(classNames: readonly string[] | null | undefined): number | null {
  return !classNames || (classNames.length === 10 && classNames.every((_, i) => ownClassName(classNames, i) === null))
    ? SEED_TEST_ACCURACY
    : null;
}
