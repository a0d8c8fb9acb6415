import { type BackendOptions, readsSynchronously, selectBackend } from './backends';
import type { LabConfig } from './config';
import { errorMessage } from './errors';
import { type LabData, loadLabData } from './data/mnist';
import { evaluateAsync } from './analysis/evaluate';
import { epochHistograms, histogramProbe } from './analysis/layerStats';
import { seedAccuracyFor, type RunSummary, type TrainingEvent } from './events';
import { ConvNet, specFromConfig } from './model/convnet';
import { saveModel } from './model/interchange';
import { writePytorchSnippet } from './model/pytorchSnippet';
import { classNamesOf } from './data/classes';
import { processStartTime } from './runs/process';
import { RunDirectory } from './runs/store';
import { trainingDevice } from './train/convKernel';
import { train } from './train/trainer';

export interface TrainingRequest {
  config: LabConfig;
  /** The folder that receives run directories. */
  outDir: string;
  backend?: string;
  maxSteps?: number;
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
  onStep?: (step: number, totalSteps: number, epoch: number) => void;
  backendOptions?: BackendOptions;
  /** Data-parallel replicas (worker threads); default 1. */
  workers?: number;
  /** The bundled replica worker script, when not beside this bundle. */
  replicaScript?: string;
  /** Already loaded data (tests, the worker's cache); loaded from config.data.dir otherwise. */
  data?: LabData;
  /** Epoch events carry the validation confusion matrix (the lab panel shows it live). */
  epochConfusion?: boolean;
  /** Record the layer histograms at every epoch end (histograms.jsonl, epoch events); default true. */
  histograms?: boolean;
}

/**
 * A whole training run as the CLI and the extension's worker perform it. Bad input (config,
 * data, backend) throws a LabError before anything is written; once the run directory exists,
 * every outcome (completed, cancelled, failed) is recorded in its summary.json.
 */
export async function runTraining(req: TrainingRequest): Promise<RunSummary> {
  const { config } = req;
  const data = req.data ?? loadLabData(config.data.dir ?? undefined, config.data.classNames?.length ?? 10);
  const backend = await selectBackend(req.backend ?? 'auto', req.backendOptions);
  // GPU backends keep one replica on the device (train/group.ts); replicas are CPU threads.
  const workers = readsSynchronously() ? (req.workers ?? 1) : 1;
  const spec = specFromConfig(config, data.train.height, data.numClasses);
  const device = trainingDevice(backend.name, backend.device, spec);
  const run = RunDirectory.create(req.outDir, config.name);
  const emit = (e: TrainingEvent) => {
    if (e.type !== 'summary') run.appendMetric(e);
    req.onEvent?.(e);
  };
  const startedAt = new Date().toISOString();
  const pidStart = processStartTime(process.pid);
  const batchesPerEpoch = Math.ceil(data.train.count / config.training.batchSize);
  const totalSteps = Math.min(config.training.epochs * batchesPerEpoch, req.maxSteps ?? Infinity);
  const summary: RunSummary = {
    runId: run.id,
    runDir: run.dir,
    name: config.name,
    status: 'running',
    backend: backend.name,
    device,
    workers,
    epochs: config.training.epochs,
    epochsCompleted: 0,
    steps: 0,
    totalSteps,
    valAccuracy: null,
    testAccuracy: null,
    seedTestAccuracy: seedAccuracyFor(config.data.classNames),
    seconds: 0,
    msPerStep: null,
    startedAt,
    finishedAt: null,
    // What identifies this process while it trains: a reader trusts (or signals) the PID only while its start time matches.
    pid: process.pid,
    ...(pidStart !== null && { pidStart }),
    ...(config.data.classNames && { classNames: [...config.data.classNames] }),
  };
  run.writeConfig(config);
  run.writeSummary(summary);
  const net = ConvNet.init(spec, config.training.seed);
  emit({
    type: 'start',
    runDir: run.dir,
    runId: run.id,
    config,
    backend: backend.name,
    device,
    workers,
    attempts: backend.attempts,
    epochs: config.training.epochs,
    batchesPerEpoch,
    totalSteps,
    trainSize: data.train.count,
    validationSize: data.validation.count,
    testSize: data.test.count,
    parameters: net.parameterCount(),
    layers: net.summary(),
    startedAt,
  });
  const t0 = performance.now();
  const probe = req.histograms === false ? null : histogramProbe(data);
  try {
    const result = await train({
      config,
      data,
      net,
      maxSteps: req.maxSteps,
      workers,
      backend: backend.name,
      backendOptions: req.backendOptions,
      replicaScript: req.replicaScript,
      epochConfusion: req.epochConfusion,
      signal: req.signal,
      onStep: req.onStep,
      onProgress: (e) => {
        summary.steps = e.step;
        summary.valAccuracy = e.valAccuracy;
        emit(e);
      },
      ...(probe && { onEpochEnd: async (epoch, n) => ({ histograms: await epochHistograms(n, probe, epoch) }) }),
      onEpoch: (e) => {
        run.writeSnapshot(e.snapshot);
        if (e.histograms) run.appendHistograms(e.histograms);
        summary.epochsCompleted = e.epoch;
        emit(e);
      },
    });
    summary.model = await saveModel(net, run.modelDir);
    writePytorchSnippet(summary.model.safetensors, net.spec, classNamesOf(config, data.numClasses));
    Object.assign(summary, {
      status: result.status,
      steps: result.steps,
      epochsCompleted: result.epochsCompleted,
      valAccuracy: result.valAccuracy,
      testAccuracy: (await evaluateAsync(net, data.test)).accuracy,
      msPerStep: result.steps ? (1000 * result.seconds) / result.steps : null,
    });
  } catch (e) {
    summary.status = 'failed';
    summary.error = errorMessage(e);
    try {
      summary.model = await saveModel(net, run.modelDir);
    } catch {
      // The failure itself is what gets recorded; a model that cannot be saved is not kept.
    }
  } finally {
    probe?.dispose();
    net.dispose();
    summary.seconds = (performance.now() - t0) / 1000;
    summary.finishedAt = new Date().toISOString();
    delete summary.pid;
    delete summary.pidStart;
    run.writeSummary(summary, true);
  }
  req.onEvent?.({ type: 'summary', ...summary });
  return summary;
}
