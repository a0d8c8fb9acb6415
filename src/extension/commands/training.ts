/** MNIST Lab: Train and Stop Training: one training per workspace, in a worker process. */
import { join, dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { type LabConfig, SEED_CONFIG, parseConfigText } from '../../core/config';
import { LabError, errorMessage } from '../../core/errors';
import { type RunSummary, type TrainingEvent } from '../../core/events';
import { pct } from '../../core/format';
import { MAX_WORKERS } from '../../core/protocol';
import { listRunsAsync } from '../../core/runs/store';
import type { LabContext } from '../ctx';
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

function configFromDocument(doc: vscode.TextDocument): LabConfig {
  const file = doc.uri.fsPath;
  const config = parseConfigText(doc.getText(), file);
  if (config.data.dir && !isAbsolute(config.data.dir)) config.data.dir = resolve(dirname(file), config.data.dir);
  return config;
}

async function resolveConfig(c: LabContext, args: TrainArgs): Promise<{ config: LabConfig; source?: string }> {
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
  const config = doc ? configFromDocument(doc) : structuredClone(SEED_CONFIG);
  if (!config.data.dir && c.dataDir) config.data.dir = c.dataDir;
  if (args.epochs !== undefined) config.training.epochs = args.epochs;
  return { config, source: doc?.uri.fsPath };
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
  const { config, source } = start;
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

export async function stop(c: LabContext): Promise<boolean> {
  const stopped = await c.training.stop();
  if (!stopped) void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no training is running.'));
  return stopped;
}
