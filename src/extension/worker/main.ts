/**
 * The extension's worker: a plain Node process (forked by the extension host, IPC channel) that
 * runs the core — training and the analyses the lab panel shows — so TensorFlow.js never loads
 * into the extension host and a crash here cannot take the editor down. No vscode import.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../core/backends';
import { type LabData, imageAt, loadLabData } from '../../core/data/mnist';
import { LabError, errorMessage, isLabError } from '../../core/errors';
import { evaluate, featureMapsOf, predict, type FeatureMaps } from '../../core/evaluate';
import type { TrainingEvent } from '../../core/events';
import type { ConvNet } from '../../core/model/convnet';
import { loadModel } from '../../core/model/interchange';
import {
  type AnalysisTarget,
  type FeatureMapsPayload,
  type FromWorkerMessage,
  type ImagePayload,
  type ToWorkerMessage,
  type WorkerRequest,
  type WorkerResults,
  validateToWorker,
} from '../../core/protocol';
import { robustnessCheck } from '../../core/robustness';
import { readRun } from '../../core/runs/store';
import { runTraining } from '../../core/session';
import { defaultWorkers } from '../../core/train/group';
import { cancelSweep, confusionOf, examplesOf, sweepOf } from './analyses';
import { type PriorityResult, lowerProcessPriority } from './priority';
import { drawnPrediction, occlusionOfTestImage } from './drawing';

let nextId = 1;
function send(m: FromWorkerMessage): void {
  // The host may already be gone (it killed us, or crashed); nothing useful to do then.
  if (process.connected) process.send!(m);
}

/** The bundled .wasm files lie beside this file in dist/ (setWasmPaths needs the folder). */
const backendOptions = { wasmDir: process.env.MNIST_LAB_WASM_DIR || __dirname };
let backendReady: Promise<unknown> | null = null;
const ensureBackend = () => (backendReady ??= selectBackend(process.env.MNIST_LAB_BACKEND || 'auto', backendOptions));

// Analyses reuse the data and the model between requests (the panel asks many small questions).
const dataCache = new Map<string, LabData>();
function dataFor(target: AnalysisTarget): LabData {
  const key = `${target.dataDir ?? ''}|${target.numClasses}`;
  let d = dataCache.get(key);
  if (!d) {
    d = loadLabData(target.dataDir ?? undefined, target.numClasses);
    dataCache.set(key, d);
  }
  return d;
}

let cachedModel: { key: string; net: ConvNet; file: string } | null = null;
function modelFor(target: AnalysisTarget): { net: ConvNet; file: string } {
  if (!target.model) throw new LabError('no model: this run has not saved its weights yet (they are saved when training ends)', { code: 'not-found' });
  let stamp = '';
  try {
    stamp = String(statSync(target.model).mtimeMs);
  } catch {
    throw new LabError(`${target.model}: no such run directory or weights file`, { file: target.model, code: 'not-found' });
  }
  const key = `${target.model}|${stamp}`;
  if (cachedModel?.key !== key) {
    // A sweep on the old model stops at its next batch, before it would use the disposed weights.
    cancelSweep();
    cachedModel?.net.dispose();
    cachedModel = null;
    const { net, file } = loadModel(target.model);
    cachedModel = { key, net, file };
  }
  return cachedModel;
}

function checkShapes(net: ConvNet, file: string, data: LabData): void {
  if (data.train.height !== net.spec.imageSize) {
    throw new LabError(`${file}: the model takes ${net.spec.imageSize}×${net.spec.imageSize} images, the data has ${data.train.height}×${data.train.width}`, { file });
  }
  if (data.numClasses !== net.spec.numClasses) {
    throw new LabError(`${file}: the model has ${net.spec.numClasses} classes, the data has ${data.numClasses}`, { file, code: 'invalid-data' });
  }
}

/**
 * Pictures travel at display precision (1e-4): the JSON is a third of full float precision, and
 * the extension host, which parses it and forwards it (compressed, with code-server) to the
 * webview, stays free while training.
 */
const display = (v: number) => Math.round(v * 1e4) / 1e4;
const image = (pixels: Float32Array, size: number): ImagePayload => ({ size, pixels: Array.from(pixels, display) });
const maps = (f: FeatureMaps): FeatureMapsPayload => ({
  conv1: { size: f.conv1.size, maps: f.conv1.data.map((m) => Array.from(m, display)) },
  conv2: { size: f.conv2.size, maps: f.conv2.data.map((m) => Array.from(m, display)) },
});

function testIndex(data: LabData, index: number): void {
  if (index >= data.testFile.count) throw new LabError(`test image #${index} does not exist: the test file has images 0..${data.testFile.count - 1}`, { field: 'index' });
}

let training: AbortController | null = null;
let trainingDone: Promise<unknown> = Promise.resolve();

async function handle(messageId: number, r: WorkerRequest): Promise<WorkerResults[WorkerRequest['type']]> {
  switch (r.type) {
    case 'train': {
      if (training) throw new LabError('this worker is already training');
      training = new AbortController();
      let lastBeat = 0;
      try {
        const run = runTraining({
          config: r.config,
          outDir: r.outDir,
          backend: r.backend,
          maxSteps: r.maxSteps,
          signal: training.signal,
          backendOptions,
          workers: r.workers === 0 ? defaultWorkers() : (r.workers ?? 1),
          // Bundled with its dependencies beside this file (scripts/build-extension.mjs).
          replicaScript: join(__dirname, 'worker-replica.js'),
          epochConfusion: true,
          onEvent: (event: TrainingEvent) => send({ kind: 'event', messageId: nextId++, inReplyTo: messageId, event }),
          onStep: (step, totalSteps, epoch) => {
            const now = Date.now();
            if (now - lastBeat < 250 && step < totalSteps) return;
            lastBeat = now;
            send({ kind: 'step', messageId: nextId++, inReplyTo: messageId, step, totalSteps, epoch });
          },
        });
        trainingDone = run.catch(() => undefined);
        return await run;
      } finally {
        training = null;
      }
    }
    case 'stop': {
      const stopping = training !== null;
      training?.abort();
      return { stopping };
    }
    case 'modelInfo': {
      await ensureBackend();
      const { net, file } = modelFor(r.target);
      return { file, layers: net.summary(), parameters: net.parameterCount() };
    }
    case 'sample': {
      const data = dataFor(r.target);
      testIndex(data, r.index);
      const pixels = imageAt(data.testFile, r.index);
      const size = data.testFile.height;
      const base = { index: r.index, label: data.testFile.labels[r.index]!, testCount: data.testFile.count, image: image(pixels, size) };
      if (!r.target.model) return { ...base, prediction: null, featureMaps: null };
      await ensureBackend();
      const { net, file } = modelFor(r.target);
      checkShapes(net, file, data);
      return { ...base, prediction: predict(net, pixels), featureMaps: maps(featureMapsOf(net, pixels)) };
    }
    case 'trainingImage': {
      const data = dataFor(r.target);
      if (r.index >= data.train.count) throw new LabError(`training image #${r.index} does not exist: 0..${data.train.count - 1}`, { field: 'index' });
      return { index: r.index, label: data.train.labels[r.index]!, image: image(imageAt(data.train, r.index), data.train.height) };
    }
    case 'robustness': {
      const data = dataFor(r.target);
      testIndex(data, r.index);
      await ensureBackend();
      const { net, file } = modelFor(r.target);
      checkShapes(net, file, data);
      const size = net.spec.imageSize;
      for (const [name, v] of [['dx', r.dx], ['dy', r.dy]] as const) {
        if (Math.abs(v) >= size) throw new LabError(`${name}: a shift must stay within ${-(size - 1)}..${size - 1} pixels, got ${v}`, { field: name });
      }
      const res = robustnessCheck(net, imageAt(data.testFile, r.index), r.dx, r.dy);
      const view = (v: typeof res.original) => ({ image: image(v.image, size), prediction: v.prediction, featureMaps: maps(v.featureMaps) });
      return { index: r.index, label: data.testFile.labels[r.index]!, dx: r.dx, dy: r.dy, original: view(res.original), shifted: view(res.shifted), meanAbsDiff: res.meanAbsDiff };
    }
    case 'predictImage': {
      await ensureBackend();
      const { net } = modelFor(r.target);
      return drawnPrediction(net, r.pixels);
    }
    case 'occlusion': {
      const data = dataFor(r.target);
      testIndex(data, r.index);
      await ensureBackend();
      const { net, file } = modelFor(r.target);
      checkShapes(net, file, data);
      return occlusionOfTestImage(net, data, r);
    }
    case 'kernels':
      return readRun(r.runDir).snapshots;
    case 'confusion':
    case 'examples':
    case 'sweep': {
      const data = dataFor(r.target);
      await ensureBackend();
      const { net, file } = modelFor(r.target);
      checkShapes(net, file, data);
      if (r.type === 'confusion') return confusionOf(net, data, r.split);
      if (r.type === 'examples') return examplesOf(net, data, r);
      return sweepOf(net, data, r.range, (done, total) => send({ kind: 'progress', messageId: nextId++, inReplyTo: messageId, done, total }));
    }
    case 'cancelSweep':
      return cancelSweep();
    case 'evaluate': {
      const data = dataFor(r.target);
      await ensureBackend();
      const { net, file } = modelFor(r.target);
      checkShapes(net, file, data);
      const val = evaluate(net, data.validation);
      const test = evaluate(net, data.test);
      return { model: file, valAccuracy: val.accuracy, testAccuracy: test.accuracy, valCorrect: val.correct, valTotal: val.total, testCorrect: test.correct, testTotal: test.total };
    }
  }
}

process.on('message', (raw: unknown) => {
  const v = validateToWorker(raw);
  if (!v.ok) {
    const id = typeof (raw as ToWorkerMessage | undefined)?.messageId === 'number' ? (raw as ToWorkerMessage).messageId : -1;
    send({ kind: 'error', messageId: nextId++, inReplyTo: id, error: { message: `bad request: ${v.error}` } });
    return;
  }
  const { messageId, request } = v.value;
  handle(messageId, request).then(
    (result) => send({ kind: 'result', messageId: nextId++, inReplyTo: messageId, result }),
    (e: unknown) => {
      const lab = isLabError(e);
      send({
        kind: 'error',
        messageId: nextId++,
        inReplyTo: messageId,
        error: { message: errorMessage(e), ...(lab && e.file && { file: e.file }), ...(lab && e.field && { field: e.field }) },
      });
      if (!lab) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    },
  );
});

// The host went away (closed, crashed, killed): a worker must not outlive it.
// SIGTERM (another window's "stop it and train", the host's dispose) also stops a run properly.
// The result still reaches this worker's own host, which then ends the worker.
process.on('SIGTERM', () => {
  if (!training) process.exit(0);
  training.abort();
  setTimeout(() => process.exit(0), 5000).unref();
  void trainingDone.then(() => setTimeout(() => process.exit(0), 1000));
});

// A run in progress is stopped properly first, so its directory records it as cancelled.
process.on('disconnect', () => {
  if (!training) process.exit(0);
  training.abort();
  setTimeout(() => process.exit(0), 5000).unref();
  void trainingDone.then(() => process.exit(0));
});

/** What could not be lowered goes to stderr (the output channel), once per kind of failure. */
const priorityReported = new Set<string>();
function reportPriority(p: PriorityResult): void {
  for (const f of p.failed) {
    const kind = f.replace(/\d+/g, 'N');
    if (priorityReported.has(kind)) continue;
    priorityReported.add(kind);
    process.stderr.write(`mnist-lab worker: could not lower the priority: ${f}\n`);
  }
}

// Training takes every cycle it gets; below-normal priority lets the editor (the extension host,
// the renderer) run first when cores are scarce: every thread of this process, and the replica
// threads, which inherit it.
reportPriority(lowerProcessPriority());

if (!process.send) {
  process.stderr.write('mnist-lab worker: run me with child_process.fork (an IPC channel is required)\n');
  process.exit(2);
}
send({ kind: 'ready', pid: process.pid, messageId: nextId++ });
