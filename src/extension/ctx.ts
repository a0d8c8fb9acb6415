/**
 * The extension as one object (after rust-analyzer's Ctx): it owns every disposable, the
 * settings, the output channel, the run on show, the training controller, the analysis worker
 * and the event-loop lag monitor.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { installedBackendDirs } from '../core/backends/install';
import { BACKENDS_DIR_VARIABLE, modulePathsFromEnv } from '../core/backends/packages';
import {
  ANALYSES,
  type AnalysisRequest,
  type AnalysisResult,
  type AnalysisTarget,
  type AnalysisType,
  type WorkerAnalysisRequest,
} from '../core/analyses';
import { dataChoiceFor } from '../core/analysis/service';
import type { ReportRequest, ReportWritten } from '../core/protocol';
import type { LabConfig } from '../core/config';
import { EventLoopLag } from './lag';
import { RunViewModel } from './runView';
import { type Restriction, TrainingController, refuseOutsideWorkspace } from './trainingController';
import { WorkerProcess } from './workerProcess';
import { LabError, errorMessage } from '../core/errors';
import { readRunRecordAsync } from './editor/runHistory';

const ANALYSIS_IDLE_MS = 5 * 60_000;

export class LabContext implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  readonly output: vscode.LogOutputChannel;
  readonly runView = new RunViewModel();
  readonly lag = new EventLoopLag();
  readonly training: TrainingController;
  private analysisWorker: WorkerProcess | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    // A log channel: timestamps and levels, and the user's log level (Developer: Set Log Level).
    this.output = vscode.window.createOutputChannel('MNIST Lab', { log: true });
    this.push(this.output);
    this.training = new TrainingController(
      () => this.workerOptions(),
      () => this.restriction,
    );
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

  /**
   * Creates the runs folder when it does not exist yet, with a `.gitignore` of `*` in it: runs
   * (weights, metrics) stay out of the user's repository unless they add them on purpose.
   */
  ensureRunsDir(dir = this.runsDir): void {
    if (existsSync(dir)) return;
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.gitignore'), '*\n');
    } catch (e) {
      this.output.appendLine(`could not create the runs folder ${dir}: ${errorMessage(e)}`);
    }
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
    return { model, ...dataChoiceFor(config, null, this.dataDir) };
  }

  /**
   * Answers an analysis of the table for the run on show: the request is forwarded with the
   * run's target added (the page never names files); a long one reports its progress.
   */
  analyze<K extends AnalysisType>(
    request: AnalysisRequest<K>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<AnalysisResult<K>> {
    return this.analyzeTarget(this.analysisTarget(), request, onProgress);
  }

  /**
   * The same for run `index` of those drawn over the run on show (a comparison): its saved model
   * and its data, as its own config names them.
   */
  async analyzeOverlay<K extends AnalysisType>(
    index: number,
    request: AnalysisRequest<K>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<AnalysisResult<K>> {
    const o = this.runView.state.overlay?.[index];
    if (!o) throw new LabError(`there is no compared run #${index + 1} in the lab panel`);
    const run = await readRunRecordAsync(o.runDir);
    if (!run?.model || run.status === 'running')
      throw new LabError(`${o.runDir}: the run has no saved model (it has not finished)`, { file: o.runDir });
    return this.analyzeTarget(this.targetFor(o.runDir, run.config), request, onProgress);
  }

  /** The same for a given target (commands on a run that is not on show). */
  async analyzeTarget<K extends AnalysisType>(
    target: AnalysisTarget,
    request: AnalysisRequest<K>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<AnalysisResult<K>> {
    await this.checkDataDir(target.dataDir);
    const forwarded = { ...request, target } as WorkerAnalysisRequest<K>;
    const progress = (ANALYSES[request.type] as { progress?: boolean }).progress ? onProgress : undefined;
    return (await this.analysis().request(forwarded as WorkerAnalysisRequest, { onProgress: progress })) as AnalysisResult<K>;
  }

  /** Writes a run's lab report in the analysis worker (MNIST: Export Lab Report). */
  async writeReport(request: Omit<ReportRequest, 'type'>): Promise<ReportWritten> {
    await this.checkDataDir(request.dataDir);
    return this.analysis().request({ type: 'report', ...request });
  }

  /** Stops a running sweep; only a running analysis worker can have one. */
  async cancelSweep(): Promise<{ cancelled: boolean }> {
    return this.analysisWorker?.alive ? this.analysisWorker.request({ type: 'cancelSweep' }) : { cancelled: false };
  }

  /** Stops a running projection, the same way. */
  async cancelProjection(): Promise<{ cancelled: boolean }> {
    return this.analysisWorker?.alive ? this.analysisWorker.request({ type: 'cancelProjection' }) : { cancelled: false };
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
