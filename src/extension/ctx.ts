/**
 * The extension as one object (after rust-analyzer's Ctx): it owns every disposable, the
 * settings, the output channel, the run on show, the training controller, the analysis worker
 * and the event-loop lag monitor.
 */
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { installedBackendDirs } from '../core/backends/install';
import { BACKENDS_DIR_VARIABLE, modulePathsFromEnv } from '../core/backends/packages';
import type { FromWebviewRequest, AnalysisTarget, WorkerResults } from '../core/protocol';
import type { LabConfig } from '../core/config';

/** The webview requests the analysis worker answers. */
export type AnalysisRequestType = 'sample' | 'trainingImage' | 'robustness' | 'modelInfo' | 'confusion' | 'examples' | 'sweep' | 'cancelSweep' | 'predictImage' | 'occlusion';
import { EventLoopLag } from './lag';
import { RunViewModel } from './runView';
import { type Restriction, TrainingController, refuseOutsideWorkspace } from './trainingController';
import { WorkerProcess } from './workerProcess';

const ANALYSIS_IDLE_MS = 5 * 60_000;

export class LabContext implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  readonly output: vscode.OutputChannel;
  readonly runView = new RunViewModel();
  readonly lag = new EventLoopLag();
  readonly training: TrainingController;
  private analysisWorker: WorkerProcess | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('MNIST Lab');
    this.push(this.output);
    this.training = new TrainingController(() => this.workerOptions(), () => this.restriction);
    // A new backend or Node executable applies to the next worker; the analysis worker restarts.
    this.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mnistLab.backend') || e.affectsConfiguration('mnistLab.nodePath')) {
          void this.analysisWorker?.dispose();
          this.analysisWorker = null;
        }
      }),
    );
  }

  push(d: vscode.Disposable): void {
    this.disposables.push(d);
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  private get settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('mnistLab', this.workspaceFolder?.uri);
  }

  get workspaceFolder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  get backend(): string {
    return this.settings.get<string>('backend', 'auto') || 'auto';
  }

  /** `mnistLab.workers`: data-parallel replicas (1 leaves the other cores to the editor; 0: all). */
  get workers(): number {
    const n = this.settings.get<number>('workers', 1);
    return Number.isInteger(n) && n >= 0 ? n : 1;
  }

  private resolvePath(p: string): string {
    if (isAbsolute(p)) return p;
    const base = this.workspaceFolder?.uri.fsPath ?? this.extension.globalStorageUri.fsPath;
    return resolve(base, p);
  }

  /** The `mnistLab.dataDir` setting, resolved; null = the MNIST shipped with the extension. */
  get dataDir(): string | null {
    const d = this.settings.get<string>('dataDir', '').trim();
    return d ? this.resolvePath(d) : null;
  }

  /**
   * Restricted Mode (vscode.workspace.isTrusted false): the runs folder and data directories must
   * resolve (real paths) inside the workspace folder: a committed `.mnist-lab` symlink out of it, or
   * an mnistLab.runsDir / mnistLab.dataDir / data.dir pointing elsewhere, is refused by name.
   */
  get restriction(): Restriction {
    if (vscode.workspace.isTrusted) return null;
    const ws = this.workspaceFolder?.uri.fsPath;
    return ws ? { workspace: ws } : null;
  }

  /** Refuses (LabError) a data directory outside the workspace in Restricted Mode. */
  async checkDataDir(dir: string | null | undefined): Promise<void> {
    if (dir) await refuseOutsideWorkspace(dir, this.restriction, 'the data directory (data.dir / mnistLab.dataDir)');
  }

  get runsDir(): string {
    const d = this.settings.get<string>('runsDir', '').trim();
    if (d) return this.resolvePath(d);
    if (this.workspaceFolder) return join(this.workspaceFolder.uri.fsPath, '.mnist-lab', 'runs');
    return join(this.extension.globalStorageUri.fsPath, 'runs');
  }

  workerOptions() {
    const nodePath = this.settings.get<string>('nodePath', '').trim();
    // Backends installed by MNIST: Install Accelerated Backend first, then any the user points at.
    const backendDirs = [...installedBackendDirs(join(this.extension.globalStorageUri.fsPath, 'backends')), ...modulePathsFromEnv()];
    return {
      script: vscode.Uri.joinPath(this.extensionUri, 'dist', 'worker.js').fsPath,
      nodePath: nodePath || undefined,
      env: {
        MNIST_LAB_BACKEND: this.backend,
        MNIST_LAB_WASM_DIR: vscode.Uri.joinPath(this.extensionUri, 'dist').fsPath,
        [BACKENDS_DIR_VARIABLE]: backendDirs.join(delimiter),
      },
    };
  }

  /** The analysis worker ends; the next question starts one with the current settings and backends. */
  restartAnalysisWorker(): void {
    clearTimeout(this.idleTimer);
    void this.analysisWorker?.dispose();
    this.analysisWorker = null;
  }

  /**
   * The worker for analyses (predictions, feature maps, robustness, evaluation): started on the
   * first question, ended after a few idle minutes (it holds the data and a model in memory).
   */
  private analysis(): WorkerProcess {
    if (!this.analysisWorker?.alive) {
      this.analysisWorker = new WorkerProcess({ ...this.workerOptions(), onStderr: (l) => this.output.appendLine(`[worker] ${l}`) });
    }
    clearTimeout(this.idleTimer);
    const w = this.analysisWorker;
    this.idleTimer = setTimeout(() => {
      if (this.analysisWorker === w) this.analysisWorker = null;
      void w.dispose();
    }, ANALYSIS_IDLE_MS);
    return w;
  }

  /** What the run on show is analysed with: its saved model (once there is one) and its data. */
  analysisTarget(): AnalysisTarget {
    const s = this.runView.state;
    const model = s.runDir && s.summary?.model && s.status !== 'running' ? s.runDir : null;
    return this.targetFor(model, s.config);
  }

  /** What a model is analysed with: its run's data (its config's, else the setting's) and classes. */
  targetFor(model: string | null, config: LabConfig | null | undefined): AnalysisTarget {
    const names = config?.data.classNames;
    return { model, dataDir: config?.data.dir ?? this.dataDir, numClasses: names?.length ?? 10, ...(names && { classNames: names }) };
  }

  async analyze(
    m: Extract<FromWebviewRequest, { type: AnalysisRequestType }>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<WorkerResults[typeof m.type]> {
    const target = this.analysisTarget();
    await this.checkDataDir(target.dataDir);
    const w = this.analysis();
    switch (m.type) {
      case 'sample':
        return w.request({ type: 'sample', target, index: m.index });
      case 'trainingImage':
        return w.request({ type: 'trainingImage', target, index: m.index });
      case 'robustness':
        return w.request({ type: 'robustness', target, index: m.index, dx: m.dx, dy: m.dy });
      case 'modelInfo':
        return w.request({ type: 'modelInfo', target });
      case 'confusion':
        return w.request({ type: 'confusion', target, split: m.split });
      case 'examples':
        return w.request({ type: 'examples', target, split: m.split, trueLabel: m.trueLabel, predicted: m.predicted, onlyWrong: m.onlyWrong, limit: m.limit });
      case 'sweep':
        return w.request({ type: 'sweep', target, range: m.range }, { onProgress });
      case 'cancelSweep':
        // Only a running analysis worker can have a sweep to cancel.
        return this.analysisWorker?.alive ? this.analysisWorker.request({ type: 'cancelSweep' }) : { cancelled: false };
      case 'predictImage':
        return w.request({ type: 'predictImage', target, pixels: m.pixels });
      case 'occlusion':
        return w.request({ type: 'occlusion', target, index: m.index, patch: m.patch, stride: m.stride, fill: m.fill });
    }
  }

  async evaluate(target: AnalysisTarget): Promise<WorkerResults['evaluate']> {
    await this.checkDataDir(target.dataDir);
    return this.analysis().request({ type: 'evaluate', target });
  }

  async robustness(target: AnalysisTarget, index: number, dx: number, dy: number): Promise<WorkerResults['robustness']> {
    await this.checkDataDir(target.dataDir);
    return this.analysis().request({ type: 'robustness', target, index, dx, dy });
  }

  /**
   * Deactivation: a training is stopped properly if it can be within 1.5 s (its run is then
   * recorded as cancelled), else killed by PID; the analysis worker is killed at once.
   */
  async shutdown(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.analysisWorker?.killNow();
    await this.training.stop(1500);
  }

  /** Every worker ends now, by PID. */
  killWorkers(): void {
    clearTimeout(this.idleTimer);
    this.training.killNow();
    this.analysisWorker?.killNow();
  }

  dispose(): void {
    this.killWorkers();
    this.lag.dispose();
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // keep disposing the rest
      }
    }
  }
}
