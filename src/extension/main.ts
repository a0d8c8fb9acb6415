/**
 * MNIST Lab's extension host entry. Imports only config/events/protocol types and the run store
 * from the core: TensorFlow.js loads in the worker process, never here (the build checks it).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { type LabConfig, SEED_CONFIG, parseConfigText } from '../core/config';
import { LabError, isLabError } from '../core/errors';
import { pct } from '../core/format';
import { seedAccuracyFor, type RunSummary, type TrainingEvent } from '../core/events';
import { type AnalysisTarget, MAX_WORKERS } from '../core/protocol';
import { listRuns, listRunsAsync, readRun } from '../core/runs/store';
import { installBackendCommand } from './backendInstall';
import { LabContext } from './ctx';
import { LabPanel, registerLabPanelSerializer } from './labPanel';
import { OPENED_RUNS_KEY, rememberOpenedRun } from './panelState';
import { runViewFromStored } from './runView';
import { SideViewProvider } from './sideView';
// Issue 4: CodeLens, inlay hints, diagnostics and run history of config and model files.
import { registerEditorFeatures } from './editor/register';
import { registerRunComparison } from './compareRuns';
import { isWeightsFile, runViewFromWeights } from './editor/weightsView';
import { findRunningTrainingAsync, stopForeignTraining } from './trainingController';
import { MAX_INDEXED_RUNS, readRunRecordAsync } from './editor/runHistory';
import { setTranslator, statusName } from './l10n';
import { runArgsOfConfig, trainArgs } from './menuArgs';

let ctx: LabContext | undefined;


/** An error the user can act on: with "Open File" when it names a file. */
async function showError(message: string, file?: string): Promise<void> {
  const openFile = vscode.l10n.t('Open File');
  const showLog = vscode.l10n.t('Show Log');
  const actions = file && existsSync(file) ? [openFile] : [];
  const choice = await vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: {0}', message), ...actions, showLog);
  if (choice === openFile && file) await vscode.window.showTextDocument(vscode.Uri.file(file));
  if (choice === showLog) ctx?.output.show(true);
}

function reportError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  ctx?.output.appendLine(`error: ${message}`);
  const file = isLabError(e) ? e.file : (e as { info?: { file?: string } })?.info?.file;
  void showError(message, file);
}

/** Train's arguments when called programmatically (tests, CodeLens): all optional. */
interface TrainArgs {
  /** A *.mnist.json config file (else the active editor's, else the seed's settings). */
  config?: string;
  maxSteps?: number;
  epochs?: number;
}

function configFromDocument(doc: vscode.TextDocument): LabConfig {
  const file = doc.uri.fsPath;
  const config = parseConfigText(doc.getText(), file);
  if (config.data.dir && !isAbsolute(config.data.dir)) config.data.dir = resolve(dirname(file), config.data.dir);
  return config;
}

async function resolveConfig(c: LabContext, args: TrainArgs): Promise<{ config: LabConfig; source?: string }> {
  let doc: vscode.TextDocument | undefined;
  if (args.config) doc = await vscode.workspace.openTextDocument(vscode.Uri.file(resolve(c.workspaceFolder?.uri.fsPath ?? '', args.config)));
  else {
    // The active editor's config; with the lab panel focused, a config visible beside it.
    // else the config shown in the active tab group (behind the panel).
    const isConfig = (d?: vscode.TextDocument) => !!d && d.uri.fsPath.endsWith('.mnist.json');
    const active = vscode.window.activeTextEditor?.document;
    doc = isConfig(active) ? active : vscode.window.visibleTextEditors.map((e) => e.document).find(isConfig);
    if (!doc) {
      const tab = vscode.window.tabGroups.all.flatMap((g) => (g.activeTab ? [g.activeTab] : [])).find((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath.endsWith('.mnist.json'));
      if (tab) doc = await vscode.workspace.openTextDocument((tab.input as vscode.TabInputText).uri);
    }
  }
  const config = doc ? configFromDocument(doc) : structuredClone(SEED_CONFIG);
  if (!config.data.dir && c.dataDir) config.data.dir = c.dataDir;
  if (args.epochs !== undefined) config.training.epochs = args.epochs;
  return { config, source: doc?.uri.fsPath };
}

function statusText(e: { epoch: number; step: number; totalSteps: number; epochs: number; val: number | null; backend?: string }): string {
  return `$(sync~spin) ${vscode.l10n.t('MNIST epoch {0}/{1} · step {2}/{3} · val {4}', e.epoch, e.epochs, e.step, e.totalSteps, pct(e.val))}${e.backend ? ` · ${e.backend}` : ''}`;
}

async function train(c: LabContext, status: vscode.StatusBarItem, args: TrainArgs = {}): Promise<RunSummary | undefined> {
  if (c.training.active) {
    const stopAndTrain = vscode.l10n.t('Stop and Train');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('MNIST Lab: "{0}" is training. Stop it and start a new training?', c.training.active.name),
      { modal: true },
      stopAndTrain,
    );
    if (choice !== stopAndTrain) return undefined;
    await c.training.stop();
  }
  const foreign = await findRunningTrainingAsync(await listRunsAsync(c.runsDir), c.training.workerPid);
  if (foreign) {
    const stopAndTrain = vscode.l10n.t('Stop and Train');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('MNIST Lab: "{0}" is training in another window (process {1}, {2}). Stop it and start a new training?', foreign.name, foreign.pid, foreign.runDir),
      { modal: true },
      stopAndTrain,
    );
    if (choice !== stopAndTrain) return undefined;
    if (!(await stopForeignTraining(foreign))) {
      void showError(vscode.l10n.t('the training in process {0} did not stop', foreign.pid));
      return undefined;
    }
  }
  let start;
  try {
    start = await resolveConfig(c, args);
  } catch (e) {
    reportError(e);
    return undefined;
  }
  const { config, source } = start;
  const workers = c.workers;
  if (workers > MAX_WORKERS) {
    // Each replica holds its own shared gradient buffers: the setting is bounded (package.json too).
    reportError(new LabError(vscode.l10n.t('mnistLab.workers: {0} data-parallel replicas are more than the {1} allowed', workers, MAX_WORKERS), { field: 'mnistLab.workers' }));
    return undefined;
  }
  const outDir = c.runsDir;
  c.ensureRunsDir(outDir);
  // Beside the config, so the file stays in view while the curves grow.
  LabPanel.createOrShow(c, true, vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : undefined);
  c.output.appendLine(`MNIST Lab: training "${config.name}"${source ? ` from ${source}` : ' with the seed\'s settings'} → ${outDir}`);
  const epochs = config.training.epochs;
  let val: number | null = null;
  let backend: string | undefined;
  status.text = statusText({ epoch: 1, step: 0, totalSteps: 0, epochs, val });
  status.tooltip = vscode.l10n.t('MNIST Lab: training — click to open the lab panel');
  status.show();
  c.lag.trainingStarted();
  await vscode.commands.executeCommand('setContext', 'mnistLab.training', true);
  let cancelled = false;
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MNIST: training "{0}"', config.name), cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => {
          cancelled = true;
          void c.training.stop();
        });
        let reported = 0;
        const summary = await c.training.train(
          { config, outDir, backend: c.backend, maxSteps: args.maxSteps, workers, source },
          {
            onEvent: (e: TrainingEvent) => {
              const line = c.runView.apply(e);
              if (line) c.output.appendLine(line);
              if (e.type === 'start') {
                // Not toLocaleString: its first call loads ICU data (≈30 ms of a blocked event loop).
                c.output.appendLine(`backend ${e.backend} — ${e.device}; ${e.parameters} parameters; ${e.totalSteps} steps`);
                backend = e.backend;
                status.tooltip = vscode.l10n.t('MNIST Lab: training on {0} — {1}. Click to open the lab panel.', e.backend, e.device);
                c.output.appendLine(`run: ${e.runDir}`);
              } else if (e.type === 'progress') val = e.valAccuracy;
            },
            onStep: (step, totalSteps, epoch) => {
              c.runView.step(step, totalSteps, epoch);
              status.text = statusText({ epoch, step, totalSteps, epochs, val, backend });
              const pctDone = (100 * step) / totalSteps;
              progress.report({ increment: pctDone - reported, message: val !== null ? vscode.l10n.t('epoch {0}/{1}, step {2}/{3}, validation {4}', epoch, epochs, step, totalSteps, pct(val)) : vscode.l10n.t('epoch {0}/{1}, step {2}/{3}', epoch, epochs, step, totalSteps) });
              reported = pctDone;
            },
            onStderr: (l) => c.output.appendLine(`[worker] ${l}`),
          },
        );
        c.output.appendLine(
          `status: ${summary.status}${summary.error ? ` (${summary.error})` : ''}; ${summary.steps}/${summary.totalSteps} steps, ${summary.seconds.toFixed(1)} s on ${summary.backend} (${summary.device}); validation ${pct(summary.valAccuracy)}, test ${pct(summary.testAccuracy)}${summary.seedTestAccuracy === null ? '' : ` (the seed: ${pct(summary.seedTestAccuracy)})`}`,
        );
        if (summary.status === 'failed') void showError(vscode.l10n.t('training failed: {0}', summary.error ?? vscode.l10n.t('unknown error')), join(summary.runDir, 'summary.json'));
        else
          void vscode.window.showInformationMessage(
            summary.seedTestAccuracy === null
              ? summary.status === 'cancelled' || cancelled
                ? vscode.l10n.t('MNIST Lab: training stopped — test accuracy {0}.', pct(summary.testAccuracy))
                : vscode.l10n.t('MNIST Lab: training finished — test accuracy {0}.', pct(summary.testAccuracy))
              : summary.status === 'cancelled' || cancelled
                ? vscode.l10n.t('MNIST Lab: training stopped — test accuracy {0} (the seed: {1}).', pct(summary.testAccuracy), pct(summary.seedTestAccuracy))
                : vscode.l10n.t('MNIST Lab: training finished — test accuracy {0} (the seed: {1}).', pct(summary.testAccuracy), pct(summary.seedTestAccuracy)),
          );
        return summary;
      },
    );
  } catch (e) {
    c.runView.fail(e instanceof Error ? e.message : String(e));
    reportError(e);
    return undefined;
  } finally {
    c.lag.trainingEnded();
    status.hide();
    await vscode.commands.executeCommand('setContext', 'mnistLab.training', false);
    const lag = c.lag.report();
    c.output.appendLine(`extension host event-loop lag during the run: p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms`);
  }
}

/** Shows a stored run (the latest when none is named), unless a training is on show. */
function openRun(c: LabContext, runDir?: string): boolean {
  if (c.training.active) return true;
  // The latest run, or, when it cannot be read (reported), the newest one that can.
  const candidates = runDir ? [runDir] : listRuns(c.runsDir);
  let reported = false;
  for (const dir of candidates) {
    try {
      // A weights file (a model file's Dissect lens) shows as a run of its own.
      c.runView.replace(isWeightsFile(dir) ? runViewFromWeights(dir) : runViewFromStored(readRun(dir)));
      // A run the user opened by name: the panel may reopen it after a reload (labPanel's serializer).
      if (runDir) void c.extension.workspaceState.update(OPENED_RUNS_KEY, rememberOpenedRun(c.extension.workspaceState.get<unknown>(OPENED_RUNS_KEY), dir));
      return true;
    } catch (e) {
      if (!reported) reportError(e);
      reported = true;
    }
  }
  return false;
}

/** The finished run that Evaluate/Robustness act on: the one on show, else the latest with a model. */
function finishedRunTarget(c: LabContext, run?: string): AnalysisTarget | null {
  if (run) {
    const stored = existsSync(join(run, 'config.json')) ? readRun(run) : null;
    return c.targetFor(run, stored?.config);
  }
  const shown = c.analysisTarget();
  if (shown.model) return shown;
  for (const dir of listRuns(c.runsDir)) {
    try {
      const r = readRun(dir);
      if (r.summary.model && r.summary.status !== 'running') return c.targetFor(dir, r.config);
    } catch {
      // a corrupt run is skipped here; opening it directly reports it
    }
  }
  return null;
}

async function evaluateCommand(c: LabContext, args: { run?: string } = {}) {
  const target = finishedRunTarget(c, args.run);
  if (!target) {
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no finished run to evaluate yet. Run MNIST: Train first.'));
    return undefined;
  }
  try {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MNIST: evaluating…') }, () => c.analyzeTarget(target, { type: 'evaluate' }));
    const seed = seedAccuracyFor(target.classNames);
    c.output.appendLine(`evaluate ${r.model}: validation ${pct(r.valAccuracy)} (${r.valCorrect}/${r.valTotal}), test ${pct(r.testAccuracy)} (${r.testCorrect}/${r.testTotal})${seed === null ? '' : `; the seed: ${pct(seed)}`}`);
    void vscode.window.showInformationMessage(
      seed === null
        ? vscode.l10n.t('MNIST Lab: test accuracy {0} ({1}/{2}), validation {3}.', pct(r.testAccuracy), r.testCorrect, r.testTotal, pct(r.valAccuracy))
        : vscode.l10n.t('MNIST Lab: test accuracy {0} ({1}/{2}), validation {3} — the seed: {4}.', pct(r.testAccuracy), r.testCorrect, r.testTotal, pct(r.valAccuracy), pct(seed)),
    );
    return r;
  } catch (e) {
    reportError(e);
    return undefined;
  }
}

async function robustnessCommand(c: LabContext, args: { run?: string; index?: number; dx?: number; dy?: number } = {}) {
  const target = finishedRunTarget(c, args.run);
  if (!target) {
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no finished run to check yet. Run MNIST: Train first.'));
    return undefined;
  }
  const index = args.index ?? 4;
  const dx = args.dx ?? -3;
  const dy = args.dy ?? 0;
  try {
    const r = await c.analyzeTarget(target, { type: 'robustness', index, dx, dy });
    c.output.appendLine(
      `robustness ${target.model}: test image #${index} (label ${r.label}) predicted ${r.original.prediction.label}; shifted by (${dx}, ${dy}) predicted ${r.shifted.prediction.label}; mean |Δ| conv1 ${r.meanAbsDiff.conv1.toFixed(4)}, conv2 ${r.meanAbsDiff.conv2.toFixed(4)}`,
    );
    if (target.model !== c.runView.state.runDir) openRun(c, target.model!);
    LabPanel.createOrShow(c).reveal('robustness');
    void vscode.window.showInformationMessage(
      r.shifted.prediction.label === r.label
        ? vscode.l10n.t('MNIST Lab: test image #{0} (a {1}) shifted by ({2}, {3}) is predicted {4} (still right); before the shift {5}.', index, r.label, dx, dy, r.shifted.prediction.label, r.original.prediction.label)
        : vscode.l10n.t('MNIST Lab: test image #{0} (a {1}) shifted by ({2}, {3}) is predicted {4} (wrong); before the shift {5}.', index, r.label, dx, dy, r.shifted.prediction.label, r.original.prediction.label),
    );
    return r;
  } catch (e) {
    reportError(e);
    return undefined;
  }
}

async function newConfig(c: LabContext): Promise<void> {
  const content = `${JSON.stringify({ ...SEED_CONFIG, name: 'seed' }, null, 2)}\n`;
  const folder = c.workspaceFolder;
  if (!folder) {
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content });
    await vscode.window.showTextDocument(doc);
    return;
  }
  let uri = vscode.Uri.joinPath(folder.uri, 'seed.mnist.json');
  for (let i = 2; existsSync(uri.fsPath); i++) uri = vscode.Uri.joinPath(folder.uri, `seed-${i}.mnist.json`);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(content, 'utf8'));
  await vscode.window.showTextDocument(uri);
}

export function activate(context: vscode.ExtensionContext): void {
  try {
    setTranslator(vscode.l10n.t.bind(vscode.l10n));
    const c = new LabContext(context);
    ctx = c;
    context.subscriptions.push(c);
    const status = vscode.window.createStatusBarItem('mnistLab.training', vscode.StatusBarAlignment.Left, 10);
    status.name = vscode.l10n.t('MNIST Lab training');
    status.command = 'mnistLab.openLab';
    c.push(status);
    let shownOnce = false;
    const showLatestOnce = () => {
      if (!shownOnce && c.runView.state.status === 'idle') openRun(c);
      shownOnce = true;
    };
    const side = new SideViewProvider(c, showLatestOnce);
    c.push(vscode.window.registerWebviewViewProvider(SideViewProvider.viewId, side));
    c.push(side);
    c.push(registerLabPanelSerializer(c, (dir) => openRun(c, dir)));
    const command = (id: string, f: (...args: never[]) => unknown) => c.push(vscode.commands.registerCommand(id, f));
    command('mnistLab.train', (args?: TrainArgs | vscode.Uri) => train(c, status, trainArgs(args) ?? {}));
    command('mnistLab.stop', async () => {
      const stopped = await c.training.stop();
      if (!stopped) void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no training is running.'));
      return stopped;
    });
    command('mnistLab.openLab', (args?: { run?: string }) => {
      showLatestOnce();
      if (args?.run) openRun(c, args.run);
      LabPanel.createOrShow(c);
      return c.runView.state.runDir;
    });
    command('mnistLab.openRun', async () => {
      // Read asynchronously (summaries only, at most MAX_INDEXED_RUNS): the host never waits on a run folder.
      const runs = await listRunsAsync(c.runsDir, MAX_INDEXED_RUNS);
      if (!runs.length) {
        void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no runs in {0} yet.', c.runsDir));
        return;
      }
      const records = await Promise.all(runs.map(readRunRecordAsync));
      const pick = await vscode.window.showQuickPick(
        runs.map((dir, i) => {
          const s = records[i];
          if (s) return { label: dir.split(/[\\/]/).pop()!, description: vscode.l10n.t('{0} · test {1}', statusName(s.status), pct(s.testAccuracy)), dir };
          return { label: dir.split(/[\\/]/).pop()!, description: vscode.l10n.t('unreadable: {0}', join(dir, 'summary.json')), dir };
        }),
        { placeHolder: vscode.l10n.t('Open which run in the lab panel?') },
      );
      if (pick && openRun(c, pick.dir)) LabPanel.createOrShow(c);
    });
    command('mnistLab.evaluate', (args?: { run?: string } | vscode.Uri) => {
      const a = runArgsOfConfig(args, c.runsDir);
      return a === null ? undefined : evaluateCommand(c, a);
    });
    command('mnistLab.robustness', (args?: { run?: string; index?: number; dx?: number; dy?: number }) => robustnessCommand(c, args));
    command('mnistLab.newConfig', () => newConfig(c));
    command('mnistLab.installBackend', (args?: { backend?: string }) => installBackendCommand(c, args));
    registerEditorFeatures(c);
    registerRunComparison(c);
    // Hidden, for tests: the extension host's event-loop lag (see lag.ts) and the worker state.
    command('mnistLab.debug.eventLoopLag', () => c.lag.report());
    command('mnistLab.debug.state', () => ({
      training: c.training.active !== null,
      workerPid: c.training.workerPid ?? null,
      runDir: c.runView.state.runDir,
      status: c.runView.state.status,
      step: c.runView.state.step,
      points: c.runView.state.progress.length,
      runsDir: c.runsDir,
    }));
  } catch (e) {
    // VS Code shows nothing when activation throws: say it ourselves.
    void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab failed to start: {0}', e instanceof Error ? e.message : String(e)));
    throw e;
  }
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  try {
    await c?.shutdown();
  } finally {
    c?.killWorkers();
  }
}
