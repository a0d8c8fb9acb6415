/**
 * The editor features of config and model files, wired to VS Code: CodeLens, inlay hints,
 * diagnostics with quick fixes, the run history. The logic lives in the vscode-free modules
 * beside this one; here only documents, positions, events and commands.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { checkConfig } from '../../core/config';
import { type HistoryShown, MAX_COMPARED_RUNS, showRunsInPanel } from '../compareRuns';
import type { LabContext } from '../ctx';
import { type ConfigDocument, isConfigFile, parseConfigDocument } from './configDocument';
import { type ConfigDiagnostic, configDiagnostics, documentDataDir, probeDataDir } from './diagnostics';
import { type LiveTraining, configHints } from './hints';
import { DISSECT_COMMAND, EXPLAIN_COMMAND, RUN_HISTORY_COMMAND, type LensSpec, configLenses, isModelFile, modelLenses, runDirOfModel } from './lenses';
import { RunIndex, type RunRecord, historyItem, latestFinished, readRunRecordAsync, recordRunSource } from './runHistory';

const SOURCE = 'MNIST Lab';
const CONFIG_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.mnist.json' }];
const MODEL_SELECTOR: vscode.DocumentSelector = [
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

export function registerEditorFeatures(c: LabContext): void {
  const runs = new RunIndex(() => c.runsDir);
  const docs = new ConfigDocuments();
  const lensesChanged = new vscode.EventEmitter<void>();
  const hintsChanged = new vscode.EventEmitter<void>();
  c.push(lensesChanged);
  c.push(hintsChanged);
  const runsChanged = throttled(150, () => {
    lensesChanged.fire();
    hintsChanged.fire();
  });
  const liveChanged = throttled(1000, () => hintsChanged.fire());

  const isTrainingFile = (file: string) => {
    const a = c.training.active;
    return !!a?.source && a.source === file;
  };
  // Every read of the runs folder is asynchronous: the host's thread never waits on a workspace file.
  const runsOf = async (d: vscode.TextDocument): Promise<RunRecord[]> => {
    const { name } = docs.get(d);
    return name === null ? (await runs.all()).filter((r) => r.source === d.uri.fsPath) : runs.of(d.uri.fsPath, name);
  };
  const live = (file: string): LiveTraining | null => {
    const s = c.runView.state;
    const a = c.training.active;
    if (!isTrainingFile(file) || !a?.runDir || s.runDir !== a.runDir || s.status !== 'running') return null;
    return { epoch: s.epoch, epochs: s.config?.training.epochs ?? 0, step: s.step, totalSteps: s.totalSteps, valAccuracy: s.progress.at(-1)?.valAccuracy ?? null };
  };

  let idlePoll: ReturnType<typeof setInterval> | undefined;
  const untilIdle = () => {
    if (idlePoll) return;
    const t0 = Date.now();
    idlePoll = setInterval(() => {
      if (c.training.active && Date.now() - t0 < 15_000) return;
      clearInterval(idlePoll);
      idlePoll = undefined;
      runsChanged();
    }, 100);
  };
  c.push({ dispose: () => clearInterval(idlePoll) });

  // Runs starting and ending (and the run on show changing): record which file a run came from, refresh.
  c.push({
    dispose: c.runView.onChange((delta) => {
      if (delta !== null) {
        if (delta.type === 'progress' || delta.type === 'step') liveChanged();
        return;
      }
      const a = c.training.active;
      if (a?.runDir && a.source && isConfigFile(a.source)) {
        try {
          recordRunSource(a.runDir, a.source);
        } catch (e) {
          c.output.appendLine(`could not record the config of run ${a.runDir}: ${e instanceof Error ? e.message : e}`);
        }
      }
      runsChanged();
      // The run has ended, but the controller lets go of it only after the worker exits: the ■ Stop lens goes then.
      if (a && c.runView.state.status !== 'running') untilIdle();
    }),
  });
  // Runs made elsewhere (the CLI, another window) appear and finish in the runs folder.
  let watcher: vscode.FileSystemWatcher | undefined;
  const watchRuns = () => {
    watcher?.dispose();
    watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(c.runsDir), '*/summary.json'));
    watcher.onDidCreate(runsChanged);
    watcher.onDidChange(runsChanged);
    watcher.onDidDelete(runsChanged);
  };
  watchRuns();
  c.push({ dispose: () => watcher?.dispose() });

  // CodeLens
  const toLens = (l: LensSpec) => new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: l.title, command: l.command, arguments: l.args, tooltip: l.tooltip });
  c.push(
    vscode.languages.registerCodeLensProvider([...(CONFIG_SELECTOR as vscode.DocumentFilter[]), ...(MODEL_SELECTOR as vscode.DocumentFilter[])], {
      onDidChangeCodeLenses: lensesChanged.event,
      async provideCodeLenses(d) {
        try {
          const file = d.uri.fsPath;
          if (isConfigFile(file)) {
            const latest = latestFinished(await runsOf(d));
            return configLenses({ file, latest, training: isTrainingFile(file) }).map(toLens);
          }
          if (isModelFile(file)) return modelLenses(file, runDirOfModel(file, (dir) => existsSync(join(dir, 'summary.json')))).map(toLens);
        } catch (e) {
          c.output.appendLine(`CodeLens on ${d.uri.fsPath}: ${e instanceof Error ? e.message : e}`);
        }
        return [];
      },
    }),
  );
  c.push(vscode.commands.registerCommand(EXPLAIN_COMMAND, (message: string) => vscode.window.showInformationMessage(message)));
  // The explorer's way to the model-file lenses (VS Code opens .safetensors as binary, without lenses).
  c.push(
    vscode.commands.registerCommand(DISSECT_COMMAND, async (arg?: vscode.Uri | string) => {
      let file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
      if (!file) {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Weights: ['safetensors', 'json'] }, openLabel: 'Dissect' });
        file = picked?.[0]?.fsPath;
      }
      if (!file) return undefined;
      const run = runDirOfModel(file, (dir) => existsSync(join(dir, 'summary.json')));
      return vscode.commands.executeCommand<string | null>('mnistLab.openLab', { run: run ?? file });
    }),
  );

  // Inlay hints
  const hintsEnabled = () => vscode.workspace.getConfiguration('mnistLab', c.workspaceFolder?.uri).get<boolean>('hints.enabled', true);
  c.push(
    vscode.languages.registerInlayHintsProvider(CONFIG_SELECTOR, {
      onDidChangeInlayHints: hintsChanged.event,
      async provideInlayHints(d, range) {
        if (!hintsEnabled()) return [];
        try {
          const { doc } = docs.get(d);
          if (!doc.valid) return [];
          const file = d.uri.fsPath;
          const latest = latestFinished(await runsOf(d));
          return configHints(doc, { file, defaultDataDir: c.dataDir, latest, live: live(file) })
            .map((h) => {
              const hint = new vscode.InlayHint(d.positionAt(h.offset), h.label);
              hint.paddingLeft = true;
              hint.paddingRight = h.kind !== 'changed';
              hint.tooltip = h.tooltip;
              return hint;
            })
            .filter((h) => range.contains(h.position));
        } catch (e) {
          c.output.appendLine(`inlay hints on ${d.uri.fsPath}: ${e instanceof Error ? e.message : e}`);
          return [];
        }
      },
    }),
  );

  // Diagnostics and their quick fixes
  const collection = vscode.languages.createDiagnosticCollection('mnist-lab');
  c.push(collection);
  // The data directory is probed asynchronously first: no read of a workspace file blocks the host's thread.
  const problemsOf = async (d: vscode.TextDocument): Promise<ConfigDiagnostic[]> => {
    const { doc } = docs.get(d);
    const ctx = { file: d.uri.fsPath, defaultDataDir: c.dataDir };
    const probe = await probeDataDir(documentDataDir(doc, ctx), c.restriction);
    return configDiagnostics(doc, { ...ctx, probe });
  };
  const toRange = (d: vscode.TextDocument, p: ConfigDiagnostic) => new vscode.Range(d.positionAt(p.span.offset), d.positionAt(p.span.offset + p.span.length));
  const diagnose = async (d: vscode.TextDocument) => {
    if (d.uri.scheme !== 'file' || !isConfigFile(d.uri.fsPath)) return;
    try {
      const { doc } = docs.get(d);
      // While the JSON is incomplete the old ranges would be wrong: VS Code's JSON support shows the syntax error.
      if (!doc.valid) {
        collection.delete(d.uri);
        return;
      }
      const version = d.version;
      const problems = await problemsOf(d);
      // Edited (or closed) while the data directory was probed: the newer diagnose speaks.
      if (d.version !== version || d.isClosed) return;
      collection.set(
        d.uri,
        problems.map((p) => {
          const diag = new vscode.Diagnostic(toRange(d, p), p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
          diag.source = SOURCE;
          diag.code = p.code;
          return diag;
        }),
      );
    } catch (e) {
      c.output.appendLine(`diagnostics of ${d.uri.fsPath}: ${e instanceof Error ? e.message : e}`);
    }
  };
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const diagnoseSoon = (d: vscode.TextDocument) => {
    const key = d.uri.toString();
    clearTimeout(pending.get(key));
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        void diagnose(d);
      }, 200),
    );
  };
  const diagnoseAll = () => vscode.workspace.textDocuments.forEach((d) => void diagnose(d));
  c.push(vscode.workspace.onDidOpenTextDocument((d) => void diagnose(d)));
  c.push(vscode.workspace.onDidChangeTextDocument((e) => diagnoseSoon(e.document)));
  c.push(vscode.workspace.onDidSaveTextDocument((d) => void diagnose(d)));
  c.push(
    vscode.workspace.onDidCloseTextDocument((d) => {
      collection.delete(d.uri);
      docs.forget(d);
    }),
  );
  // A data directory can appear or go at any time: check again when the window gets focus.
  c.push(vscode.window.onDidChangeWindowState((s) => s.focused && diagnoseAll()));
  // Restricted Mode lifted: data directories outside the workspace may be read now.
  c.push(vscode.workspace.onDidGrantWorkspaceTrust(diagnoseAll));
  c.push({ dispose: () => pending.forEach((t) => clearTimeout(t)) });
  diagnoseAll();

  c.push(
    vscode.languages.registerCodeActionsProvider(
      CONFIG_SELECTOR,
      {
        async provideCodeActions(d, _range, context) {
          const ours = context.diagnostics.filter((x) => x.source === SOURCE);
          if (!ours.length) return [];
          try {
            const problems = await problemsOf(d);
            const actions: vscode.CodeAction[] = [];
            for (const diag of ours) {
              const p = problems.find((q) => q.message === diag.message && toRange(d, q).isEqual(diag.range));
              if (!p?.fix) continue;
              const action = new vscode.CodeAction(p.fix.title, vscode.CodeActionKind.QuickFix);
              action.edit = new vscode.WorkspaceEdit();
              for (const e of p.fix.edits) action.edit.replace(d.uri, new vscode.Range(d.positionAt(e.offset), d.positionAt(e.offset + e.length)), e.content);
              action.diagnostics = [diag];
              action.isPreferred = true;
              actions.push(action);
            }
            return actions;
          } catch (e) {
            c.output.appendLine(`quick fixes on ${d.uri.fsPath}: ${e instanceof Error ? e.message : e}`);
            return [];
          }
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
  );

  c.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mnistLab.runsDir')) {
        watchRuns();
        runsChanged();
      }
      if (e.affectsConfiguration('mnistLab.dataDir')) {
        diagnoseAll();
        hintsChanged.fire();
      }
      if (e.affectsConfiguration('mnistLab.hints.enabled')) hintsChanged.fire();
    }),
  );

  // Run history: one run opens in the lab panel; several are compared.
  c.push(
    vscode.commands.registerCommand(RUN_HISTORY_COMMAND, async (arg?: string | vscode.Uri | { runs: string[] }) => {
      // Programmatic (tests, other commands): the runs chosen already, one to open or two to compare.
      if (arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && Array.isArray(arg.runs)) {
        const chosen = await Promise.all(arg.runs.slice(0, MAX_COMPARED_RUNS + 1).map((dir) => (typeof dir === 'string' ? readRunRecordAsync(dir) : null)));
        if (chosen.length < 1 || chosen.length > MAX_COMPARED_RUNS || chosen.some((r) => r === null)) {
          void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: the run history takes 1 to {0} readable runs, got {1}.', MAX_COMPARED_RUNS, arg.runs.join(', ') || vscode.l10n.t('none')));
          return undefined;
        }
        return showRuns(c, chosen as RunRecord[]);
      }
      const file = typeof arg === 'string' ? arg : arg instanceof vscode.Uri ? arg.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
      if (!file || !isConfigFile(file)) {
        void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: open a *.mnist.json config to see its runs.'));
        return undefined;
      }
      const d = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const list = await runsOf(d);
      const fileName = file.split(/[\\/]/).pop();
      if (!list.length) {
        void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: {0} has no runs in {1} yet.', fileName ?? file, c.runsDir));
        return undefined;
      }
      const picks = await vscode.window.showQuickPick(
        list.map((r) => ({ ...historyItem(r), run: r })),
        { canPickMany: true, title: vscode.l10n.t('Runs of {0}', fileName ?? file), placeHolder: vscode.l10n.t('Choose one run to open it in the lab panel, or several (up to {0}) to compare them', MAX_COMPARED_RUNS) },
      );
      if (!picks?.length) return undefined;
      if (picks.length > MAX_COMPARED_RUNS) {
        void vscode.window.showWarningMessage(vscode.l10n.t('MNIST Lab: choose one run, or up to {0} to compare (you chose {1}).', MAX_COMPARED_RUNS, picks.length));
        return undefined;
      }
      return showRuns(c, picks.map((p) => p.run));
    }),
  );
}

export type { HistoryShown };

/** One run opens in the lab panel; more are compared (the first shown, the others drawn over it). */
function showRuns(c: LabContext, chosen: RunRecord[]): Promise<HistoryShown | undefined> {
  return showRunsInPanel(c, chosen.map((r) => r.dir));
}
