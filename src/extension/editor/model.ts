/**
 * What the editor features of config files share: the last complete parse of each open config,
 * the runs of each config (read asynchronously), and the events that refresh lenses and hints
 * when runs start, progress, end or appear in the runs folder. No provider here: those live in
 * lensProvider.ts, hintsProvider.ts and diagnosticsProvider.ts.
 */
import * as vscode from 'vscode';
import { checkConfig } from '../../core/config';
import { errorMessage } from '../../core/errors';
import type { LabContext } from '../ctx';
import { type ConfigDocument, isConfigFile, parseConfigDocument } from './configDocument';
import type { LiveTraining } from './hints';
import { RunIndex, type RunRecord, recordRunSource } from './runHistory';

export const SOURCE = 'MNIST Lab';
export const CONFIG_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.mnist.json' }];
export const MODEL_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.safetensors' },
  { scheme: 'file', pattern: '**/model.json' },
];

/** The last complete parse of each open config (lenses keep their run while the text is half-typed). */
class ConfigDocuments {
  private readonly parsed = new Map<string, { version: number; doc: ConfigDocument; name: string }>();

  get(d: vscode.TextDocument): { doc: ConfigDocument; name: string | null } {
    const key = d.uri.toString();
    const hit = this.parsed.get(key);
    if (hit?.version === d.version) return hit;
    const doc = parseConfigDocument(d.getText());
    if (!doc.valid) return { doc, name: hit?.name ?? null };
    const entry = { version: d.version, doc, name: checkConfig(doc.value).config.name };
    this.parsed.set(key, entry);
    return entry;
  }

  forget(d: vscode.TextDocument): void {
    this.parsed.delete(d.uri.toString());
  }
}

/** Fires at most once per `ms` (the last call always lands). */
function throttled(ms: number, f: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      last = Date.now();
      f();
    }, wait);
  };
}

/** The state the editor's providers share, owned by the context's disposables. */
export class EditorModel {
  readonly runs: RunIndex;
  readonly docs = new ConfigDocuments();
  readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly hintsChanged = new vscode.EventEmitter<void>();
  /** Lenses and hints again, at most every 150 ms. */
  readonly runsChanged = throttled(150, () => {
    this.lensesChanged.fire();
    this.hintsChanged.fire();
  });
  private readonly liveChanged = throttled(1000, () => this.hintsChanged.fire());
  private idlePoll: ReturnType<typeof setInterval> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;

  constructor(private readonly c: LabContext) {
    this.runs = new RunIndex(() => c.runsDir);
    c.push(this.lensesChanged);
    c.push(this.hintsChanged);
    c.push({ dispose: () => clearInterval(this.idlePoll) });
    // Runs starting and ending (and the run on show changing): record which file a run came from, refresh.
    c.push({ dispose: c.runView.onChange((delta) => this.runViewChanged(delta === null ? null : delta.type)) });
    // Runs made elsewhere (the CLI, another window) appear and finish in the runs folder.
    this.watchRuns();
    c.push({ dispose: () => this.watcher?.dispose() });
  }

  /** The runs folder setting changed: watch the new one. */
  watchRuns(): void {
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(this.c.runsDir), '*/summary.json'));
    this.watcher.onDidCreate(this.runsChanged);
    this.watcher.onDidChange(this.runsChanged);
    this.watcher.onDidDelete(this.runsChanged);
  }

  isTrainingFile(file: string): boolean {
    const a = this.c.training.active;
    return !!a?.source && a.source === file;
  }

  /** The runs of a config (every read of the runs folder is asynchronous: the host's thread never waits on a workspace file). */
  async runsOf(d: vscode.TextDocument): Promise<RunRecord[]> {
    const { name } = this.docs.get(d);
    return name === null ? (await this.runs.all()).filter((r) => r.source === d.uri.fsPath) : this.runs.of(d.uri.fsPath, name);
  }

  /** The training of this file as it goes, or null. */
  live(file: string): LiveTraining | null {
    const s = this.c.runView.state;
    const a = this.c.training.active;
    if (!this.isTrainingFile(file) || !a?.runDir || s.runDir !== a.runDir || s.status !== 'running') return null;
    return {
      epoch: s.epoch,
      epochs: s.config?.training.epochs ?? 0,
      step: s.step,
      totalSteps: s.totalSteps,
      valAccuracy: s.progress.at(-1)?.valAccuracy ?? null,
    };
  }

  private runViewChanged(delta: string | null): void {
    if (delta !== null) {
      if (delta === 'progress' || delta === 'step') this.liveChanged();
      return;
    }
    const a = this.c.training.active;
    if (a?.runDir && a.source && isConfigFile(a.source)) {
      try {
        recordRunSource(a.runDir, a.source);
      } catch (e) {
        this.c.output.appendLine(`could not record the config of run ${a.runDir}: ${errorMessage(e)}`);
      }
    }
    this.runsChanged();
    // The run has ended, but the controller lets go of it only after the worker exits: the ■ Stop lens goes then.
    if (a && this.c.runView.state.status !== 'running') this.untilIdle();
  }

  private untilIdle(): void {
    if (this.idlePoll) return;
    const t0 = Date.now();
    this.idlePoll = setInterval(() => {
      if (this.c.training.active && Date.now() - t0 < 15_000) return;
      clearInterval(this.idlePoll);
      this.idlePoll = undefined;
      this.runsChanged();
    }, 100);
  }
}
