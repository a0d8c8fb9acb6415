/**
 * What the host knows about the run on show: built from live training events or read back from a
 * run directory, and replayed whole to a webview that (re)appears. No vscode import.
 */
import { formatProgressLine } from '../core/format';
import { scheduled } from '../core/train/schedule';
import { SEED_TEST_ACCURACY, seedAccuracyFor, type KernelSnapshot, type ProgressEvent, type TrainingEvent } from '../core/events';
import type { RunView, ToWebviewMessage } from '../core/protocol';
import type { StoredRun } from '../core/runs/store';
import { pytorchSnippetFor } from './pytorchView';

/**
 * Kernels as the webviews draw them: rounded to 1e-5 (a third of the JSON, which the host sends
 * whole on every replay). The run directory keeps full precision.
 */
export function displaySnapshot(s: KernelSnapshot): KernelSnapshot {
  const r = (v: number) => Math.round(v * 1e5) / 1e5;
  const layer = (l: KernelSnapshot['conv1']) => ({ shape: l.shape, weight: l.weight.map(r), bias: l.bias.map(r) });
  return { epoch: s.epoch, conv1: layer(s.conv1), conv2: layer(s.conv2) };
}

export function emptyRunView(): RunView {
  return {
    runDir: null,
    name: '',
    status: 'idle',
    config: null,
    start: null,
    progress: [],
    log: [],
    snapshots: [],
    summary: null,
    step: 0,
    totalSteps: 0,
    epoch: 0,
    error: null,
    seedTestAccuracy: SEED_TEST_ACCURACY,
  };
}

export async function runViewFromStored(run: StoredRun): Promise<RunView> {
  const v = emptyRunView();
  v.runDir = run.dir;
  v.name = run.summary.name ?? run.config.name;
  v.status = run.summary.status;
  v.config = run.config;
  v.progress = run.progress;
  const showLr = run.config ? scheduled(run.config.training) : false;
  v.log = run.progress.map((p) => formatProgressLine(p, p.epoch, showLr));
  v.snapshots = run.snapshots.map(displaySnapshot);
  v.histograms = run.histograms ?? [];
  v.summary = run.summary;
  v.step = run.summary.steps;
  v.totalSteps = run.summary.totalSteps;
  v.epoch = run.summary.epochsCompleted;
  v.error = run.summary.error ?? null;
  v.pytorch = await pytorchSnippetFor(run.summary, run.config);
  v.seedTestAccuracy = seedAccuracyFor(run.config.data.classNames);
  return v;
}

type Delta =
  Exclude<ToWebviewMessage, { type: 'reply' } | { type: 'state' } | { type: 'reveal' }> extends infer D
    ? D extends { messageId: number }
      ? Omit<D, 'messageId'>
      : never
    : never;

/** Holds one RunView and tells listeners what changed (a delta, or "replace everything"). */
export class RunViewModel {
  private view: RunView = emptyRunView();
  private readonly listeners = new Set<(d: Delta | null) => void>();

  get state(): RunView {
    return this.view;
  }

  /** `d` null = the whole state changed; send it again. */
  onChange(listener: (d: Delta | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fire(d: Delta | null): void {
    for (const l of this.listeners) l(d);
  }

  replace(view: RunView): void {
    this.view = view;
    this.fire(null);
  }

  /** Applies a training event; returns the seed-style log line it produced, if any. */
  apply(e: TrainingEvent): string | null {
    const v = this.view;
    switch (e.type) {
      case 'start': {
        const { type: _type, ...start } = e;
        this.view = {
          ...emptyRunView(),
          runDir: e.runDir,
          name: e.config.name,
          status: 'running',
          config: e.config,
          start,
          totalSteps: e.totalSteps,
          epoch: 1,
          seedTestAccuracy: seedAccuracyFor(e.config.data.classNames),
        };
        this.fire(null);
        return null;
      }
      case 'progress': {
        const line = formatProgressLine(e, e.epoch, v.config ? scheduled(v.config.training) : false);
        v.progress.push(e);
        v.log.push(line);
        v.step = e.step;
        v.epoch = e.epoch;
        this.fire({ type: 'progress', progress: e, line });
        return line;
      }
      case 'epoch': {
        const snapshot = displaySnapshot(e.snapshot);
        v.snapshots.push(snapshot);
        if (e.valConfusion) v.valConfusion = { epoch: e.epoch, counts: e.valConfusion };
        if (e.histograms) (v.histograms ??= []).push(e.histograms);
        this.fire({
          type: 'snapshot',
          snapshot,
          ...(e.valConfusion && { valConfusion: { epoch: e.epoch, counts: e.valConfusion } }),
          ...(e.histograms && { histograms: e.histograms }),
        });
        return `— epoch ${e.epoch} done at ${e.seconds.toFixed(1)} s`;
      }
      case 'summary': {
        const { type: _type, ...summary } = e;
        v.summary = summary;
        v.status = summary.status;
        v.step = summary.steps;
        v.error = summary.error ?? null;
        v.pytorch = null;
        this.fire(null);
        void this.showPytorchSnippet(v);
        return null;
      }
      case 'error':
        v.error = e.message;
        if (v.status === 'running') v.status = 'failed';
        this.fire(null);
        return null;
    }
  }

  /**
   * The finished run's PyTorch loader, read without blocking the extension host: it joins the
   * view once read, unless another run is on show by then.
   */
  private async showPytorchSnippet(v: RunView): Promise<void> {
    const snippet = await pytorchSnippetFor(v.summary, v.config);
    if (!snippet || this.view !== v) return;
    v.pytorch = snippet;
    this.fire(null);
  }

  step(step: number, totalSteps: number, epoch: number): void {
    this.view.step = step;
    this.view.totalSteps = totalSteps;
    this.view.epoch = epoch;
    this.fire({ type: 'step', step, totalSteps, epoch });
  }

  fail(message: string): void {
    this.view.error = message;
    if (this.view.status === 'running' || this.view.status === 'idle') this.view.status = 'failed';
    this.fire(null);
  }
}

export type { Delta as RunViewDelta, KernelSnapshot, ProgressEvent };
