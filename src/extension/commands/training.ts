/** MNIST Lab: Train and Stop Training: one training per workspace, in a worker process. */
import { join, dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { type GridSpec, type LabConfig, SEED_CONFIG, expandGrid, parseConfigTextWithGrid, resolveDataDir } from '../../core/config';
import { LabError, errorMessage } from '../../core/errors';
import { type RunSummary, type TrainingEvent } from '../../core/events';
import { pct } from '../../core/format';
import { MAX_WORKERS } from '../../core/protocol';
import { GridRecordFile } from '../../core/runs/grid';
import { listRunsAsync } from '../../core/runs/store';
import type { LabContext } from '../ctx';
import { bestPoint, gridViewOf, showGridPoint } from '../gridView';
import { LabPanel } from '../labPanel';
import { findRunningTrainingAsync, stopForeignTraining } from '../trainingController';
import { reportError, showError } from './report';

/** A modal "Stop and Train?" question; true when the user chose to stop the running training. */
async function confirmStopAndTrain(question: string): Promise<boolean> {
  const stopAndTrain = vscode.l10n.t('Stop and Train');
  return (await vscode.window.showWarningMessage(question, { modal: true }, stopAndTrain)) === stopAndTrain;
}

/** Train's arguments when called programmatically (tests, CodeLens): all optional. */
export interface TrainArgs {
  /** A *.mnist.json config file (else the active editor's, else the original lab's settings). */
  config?: string;
  maxSteps?: number;
  epochs?: number;
}

function configFromDocument(doc: vscode.TextDocument): { config: LabConfig; grid: GridSpec | null } {
  const file = doc.uri.fsPath;
  const { config, grid } = parseConfigTextWithGrid(doc.getText(), file);
  if (config.data.dir && !isAbsolute(config.data.dir)) config.data.dir = resolve(dirname(file), config.data.dir);
  return { config, grid };
}

async function resolveConfig(c: LabContext, args: TrainArgs): Promise<{ config: LabConfig; grid: GridSpec | null; source?: string }> {
  let doc: vscode.TextDocument | undefined;
  if (args.config)
    doc = await vscode.workspace.openTextDocument(vscode.Uri.file(resolve(c.workspaceFolder?.uri.fsPath ?? '', args.config)));
  else {
    // The active editor's config; with the lab panel focused, a config visible beside it.
    // else the config shown in the active tab group (behind the panel).
    const isConfig = (d?: vscode.TextDocument) => !!d && d.uri.fsPath.endsWith('.mnist.json');
    const active = vscode.window.activeTextEditor?.document;
    doc = isConfig(active) ? active : vscode.window.visibleTextEditors.map((e) => e.document).find(isConfig);
    if (!doc) {
      const tab = vscode.window.tabGroups.all
        .flatMap((g) => (g.activeTab ? [g.activeTab] : []))
        .find((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath.endsWith('.mnist.json'));
      if (tab) doc = await vscode.workspace.openTextDocument((tab.input as vscode.TabInputText).uri);
    }
  }
  const { config, grid } = doc ? configFromDocument(doc) : { config: structuredClone(SEED_CONFIG), grid: null };
  if (!config.data.dir && c.dataDir) config.data.dir = c.dataDir;
  if (args.epochs !== undefined) config.training.epochs = args.epochs;
  return { config, grid, source: doc?.uri.fsPath };
}

function statusText(e: { epoch: number; step: number; totalSteps: number; epochs: number; val: number | null; backend?: string }): string {
  return `$(sync~spin) ${vscode.l10n.t('MNIST epoch {0}/{1} · step {2}/{3} · val {4}', e.epoch, e.epochs, e.step, e.totalSteps, pct(e.val))}${e.backend ? ` · ${e.backend}` : ''}`;
}

export async function train(c: LabContext, status: vscode.StatusBarItem, args: TrainArgs = {}): Promise<RunSummary | undefined> {
  if (c.training.active) {
    if (
      !(await confirmStopAndTrain(vscode.l10n.t('MNIST Lab: "{0}" is training. Stop it and start a new training?', c.training.active.name)))
    )
      return undefined;
    await c.training.stop();
  }
  const foreign = await findRunningTrainingAsync(await listRunsAsync(c.runsDir), c.training.workerPid);
  if (foreign) {
    const question = vscode.l10n.t(
      'MNIST Lab: "{0}" is training in another window (process {1}, {2}). Stop it and start a new training?',
      foreign.name,
      foreign.pid,
      foreign.runDir,
    );
    if (!(await confirmStopAndTrain(question))) return undefined;
    if (!(await stopForeignTraining(foreign))) {
      void showError(c, vscode.l10n.t('the training in process {0} did not stop', foreign.pid));
      return undefined;
    }
  }
  let start;
  try {
    start = await resolveConfig(c, args);
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
  const { config, grid, source } = start;
  const workers = c.workers;
  if (workers > MAX_WORKERS) {
    // Each replica holds its own shared gradient buffers: the setting is bounded (package.json too).
    reportError(
      c,
      new LabError(vscode.l10n.t('mnistLab.workers: {0} data-parallel replicas are more than the {1} allowed', workers, MAX_WORKERS), {
        field: 'mnistLab.workers',
      }),
    );
    return undefined;
  }
  const outDir = c.runsDir;
  c.ensureRunsDir(outDir);
  if (grid) return trainGrid(c, status, { config, grid, source: source!, workers, args });
  // Beside the config, so the file stays in view while the curves grow.
  LabPanel.createOrShow(c, true, vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : undefined);
  c.output.appendLine(
    `MNIST Lab: training "${config.name}"${source ? ` from ${source}` : " with the original lab's settings"} → ${outDir}`,
  );
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
              progress.report({
                increment: pctDone - reported,
                message:
                  val !== null
                    ? vscode.l10n.t('epoch {0}/{1}, step {2}/{3}, validation {4}', epoch, epochs, step, totalSteps, pct(val))
                    : vscode.l10n.t('epoch {0}/{1}, step {2}/{3}', epoch, epochs, step, totalSteps),
              });
              reported = pctDone;
            },
            onStderr: (l) => c.output.appendLine(`[worker] ${l}`),
          },
        );
        c.output.appendLine(
          `status: ${summary.status}${summary.error ? ` (${summary.error})` : ''}; ${summary.steps}/${summary.totalSteps} steps, ${summary.seconds.toFixed(1)} s on ${summary.backend} (${summary.device}); validation ${pct(summary.valAccuracy)}, test ${pct(summary.testAccuracy)}${summary.seedTestAccuracy === null ? '' : ` (the original lab: ${pct(summary.seedTestAccuracy)})`}`,
        );
        if (summary.status === 'failed')
          void showError(
            c,
            vscode.l10n.t('training failed: {0}', summary.error ?? vscode.l10n.t('unknown error')),
            join(summary.runDir, 'summary.json'),
          );
        else
          void vscode.window.showInformationMessage(
            summary.seedTestAccuracy === null
              ? summary.status === 'cancelled' || cancelled
                ? vscode.l10n.t('MNIST Lab: training stopped — test accuracy {0}.', pct(summary.testAccuracy))
                : vscode.l10n.t('MNIST Lab: training finished — test accuracy {0}.', pct(summary.testAccuracy))
              : summary.status === 'cancelled' || cancelled
                ? vscode.l10n.t(
                    'MNIST Lab: training stopped — test accuracy {0} (the original lab: {1}).',
                    pct(summary.testAccuracy),
                    pct(summary.seedTestAccuracy),
                  )
                : vscode.l10n.t(
                    'MNIST Lab: training finished — test accuracy {0} (the original lab: {1}).',
                    pct(summary.testAccuracy),
                    pct(summary.seedTestAccuracy),
                  ),
          );
        return summary;
      },
    );
  } catch (e) {
    c.runView.fail(errorMessage(e));
    reportError(c, e);
    return undefined;
  } finally {
    c.lag.trainingEnded();
    status.hide();
    await vscode.commands.executeCommand('setContext', 'mnistLab.training', false);
    const lag = c.lag.report();
    c.output.appendLine(`extension host event-loop lag during the run: p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms`);
  }
}

/**
 * A config with a grid: every point, one after the other, each a training in the worker as
 * above and a run folder of its own; a grid record in the runs folder names them. Stopping
 * (the notification's Cancel, MNIST: Stop Training) stops the point in progress and the rest.
 */
async function trainGrid(
  c: LabContext,
  status: vscode.StatusBarItem,
  g: { config: LabConfig; grid: GridSpec; source: string; workers: number; args: TrainArgs },
): Promise<RunSummary | undefined> {
  const points = expandGrid(g.config, g.grid).map((p) => {
    const config = resolveDataDir(p.config, g.source);
    if (!config.data.dir && c.dataDir) config.data.dir = c.dataDir;
    if (g.args.epochs !== undefined) config.training.epochs = g.args.epochs;
    return { ...p, config };
  });
  const outDir = c.runsDir;
  let record: GridRecordFile;
  try {
    record = GridRecordFile.create(outDir, {
      name: g.config.name,
      source: g.source,
      keys: g.grid.keys,
      values: points.map((p) => p.values),
    });
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
  const view = () => gridViewOf(record.record, record.file, (n) => join(outDir, n));
  LabPanel.createOrShow(c, true, vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : undefined);
  c.output.appendLine(`MNIST Lab: grid "${g.config.name}" from ${g.source}: ${points.length} runs → ${record.file}`);
  const describe = (values: Record<string, unknown>) =>
    Object.entries(values)
      .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
      .join(', ');
  status.show();
  c.lag.trainingStarted();
  await vscode.commands.executeCommand('setContext', 'mnistLab.training', true);
  let cancelled = false;
  let last: RunSummary | undefined;
  try {
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('MNIST: grid "{0}", {1} runs', g.config.name, points.length),
        cancellable: true,
      },
      async (progress, token) => {
        token.onCancellationRequested(() => {
          cancelled = true;
          void c.training.stop();
        });
        let reported = 0;
        for (const p of points) {
          if (cancelled) break;
          const n = p.index + 1;
          c.output.appendLine(`— grid run ${n}/${points.length}: ${describe(p.values)}`);
          const summary = await c.training.train(
            { config: p.config, outDir, backend: c.backend, maxSteps: g.args.maxSteps, workers: g.workers, source: g.source },
            {
              onEvent: (e: TrainingEvent) => {
                const line = c.runView.apply(e);
                if (line) c.output.appendLine(line);
                if (e.type === 'start') {
                  c.output.appendLine(`run: ${e.runDir}`);
                  record.update(p.index, { runDir: e.runDir, status: 'running', valAccuracy: null, testAccuracy: null });
                }
              },
              onStep: (step, totalSteps, epoch) => {
                c.runView.step(step, totalSteps, epoch);
                status.text = `$(sync~spin) ${vscode.l10n.t('MNIST grid run {0}/{1} · step {2}/{3}', n, points.length, step, totalSteps)}`;
                // The bar: whole runs done, and this one's share.
                const done = (100 * (p.index + step / totalSteps)) / points.length;
                progress.report({
                  increment: done - reported,
                  message: vscode.l10n.t(
                    'run {0}/{1} ({2}): epoch {3}, step {4}/{5}',
                    n,
                    points.length,
                    describe(p.values),
                    epoch,
                    step,
                    totalSteps,
                  ),
                });
                reported = done;
              },
              onStderr: (l) => c.output.appendLine(`[worker] ${l}`),
            },
          );
          last = summary;
          record.update(p.index, summary);
          c.output.appendLine(
            `status: ${summary.status}${summary.error ? ` (${summary.error})` : ''}; validation ${pct(summary.valAccuracy)}, test ${pct(summary.testAccuracy)}`,
          );
          if (summary.status === 'cancelled') cancelled = true;
        }
      },
    );
  } catch (e) {
    c.runView.fail(errorMessage(e));
    reportError(c, e);
  } finally {
    const st = record.record.points.map((p) => p.status);
    record.finish(
      cancelled ? 'cancelled' : st.includes('failed') ? 'failed' : st.every((x) => x === 'completed') ? 'completed' : 'cancelled',
    );
    c.lag.trainingEnded();
    status.hide();
    await vscode.commands.executeCommand('setContext', 'mnistLab.training', false);
  }
  const v = view();
  const best = bestPoint(v);
  c.output.appendLine(`grid ${record.record.status}: ${record.file}`);
  if (best >= 0) {
    await showGridPoint(c, v, best);
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'MNIST Lab: grid "{0}" {1} — best validation accuracy {2} ({3}).',
        g.config.name,
        statusWord(record.record.status),
        pct(v.points[best]!.valAccuracy),
        describe(points[best]!.values),
      ),
    );
  }
  return last;
}

function statusWord(s: string): string {
  return s === 'completed' ? vscode.l10n.t('finished') : s === 'failed' ? vscode.l10n.t('failed') : vscode.l10n.t('stopped');
}

export async function stop(c: LabContext): Promise<boolean> {
  const stopped = await c.training.stop();
  if (!stopped) void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no training is running.'));
  return stopped;
}
