/**
 * The extension's worker: a plain Node process (forked by the extension host, IPC channel) that
 * runs the core — training and the analyses the lab panel shows — so TensorFlow.js never loads
 * into the extension host and a crash here cannot take the editor down. No vscode import.
 */
import { join } from 'node:path';
import { type AnalysisType, isAnalysisType } from '../core/analyses';
import { LabError, errorMessage, isLabError } from '../core/errors';
import type { TrainingEvent } from '../core/events';
import {
  type FromWorkerMessage,
  type ToWorkerMessage,
  type ReportRequest,
  type TrainRequest,
  type WorkerRequest,
  type WorkerResults,
  validateToWorker,
} from '../core/protocol';
import { readRun } from '../core/runs/store';
import { runTraining } from '../core/session';
import { defaultWorkers } from '../core/train/group';
import { ANALYSIS_HANDLERS, type AnalysisContext } from './analyses';
import { cancelSweep } from './classification';
import { cancelProjection } from './projection';
import { backendOptions, ensureBackend } from './models';
import { prepareExportDir } from '../core/model/interchange';
import { writeReport } from '../core/report/report';
import { type PriorityResult, lowerProcessPriority } from './priority';

let nextId = 1;
function send(m: FromWorkerMessage): void {
  // The host may already be gone (it killed us, or crashed); nothing useful to do then.
  if (process.connected) process.send!(m);
}

let training: AbortController | null = null;
let trainingDone: Promise<unknown> = Promise.resolve();

async function train(messageId: number, r: TrainRequest): Promise<WorkerResults['train']> {
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

/** The lab report, written here (this process has tfjs, the data and the report's renderers). */
async function report(r: ReportRequest): Promise<WorkerResults['report']> {
  await ensureBackend();
  // The folder exists or is made, and is writable, or a LabError names it.
  const outDir = prepareExportDir(r.outDir);
  const written = await writeReport({ runDir: r.runDir, outDir, lang: r.lang, dataDir: r.dataDir, root: join(__dirname, '..') });
  return {
    dir: outDir,
    markdown: join(outDir, 'report.md'),
    html: join(outDir, 'report.html'),
    metrics: join(outDir, 'metrics.csv'),
    figures: written.figures.length,
  };
}

/** Training and its controls here; every analysis through the table's handlers. */
async function handle(messageId: number, r: WorkerRequest): Promise<WorkerResults[WorkerRequest['type']]> {
  if (isAnalysisType(r.type)) {
    const ctx: AnalysisContext = {
      progress: (done, total) => send({ kind: 'progress', messageId: nextId++, inReplyTo: messageId, done, total }),
    };
    const handler = ANALYSIS_HANDLERS[r.type] as (request: WorkerRequest, ctx: AnalysisContext) => unknown;
    return (await handler(r, ctx)) as WorkerResults[AnalysisType];
  }
  switch (r.type) {
    case 'train':
      return train(messageId, r);
    case 'stop': {
      const stopping = training !== null;
      training?.abort();
      return { stopping };
    }
    case 'cancelSweep':
      return cancelSweep();
    case 'cancelProjection':
      return cancelProjection();
    case 'kernels':
      return readRun(r.runDir).snapshots;
    case 'report':
      return report(r);
  }
  throw new LabError(`unknown request type ${JSON.stringify((r as { type: unknown }).type)}`);
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
