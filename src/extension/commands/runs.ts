/** The commands that show runs: Open Lab, Open Run…, Evaluate, Robustness Check, New Config. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { SEED_CONFIG } from '../../core/config';
import { seedAccuracyFor } from '../../core/events';
import { pct } from '../../core/format';
import type { AnalysisTarget } from '../../core/protocol';
import { listRunsAsync, readRunAsync, readRunConfigAsync } from '../../core/runs/store';
import type { LabContext } from '../ctx';
import { MAX_INDEXED_RUNS, readRunRecordAsync } from '../editor/runHistory';
import { isWeightsFile, runViewFromWeights } from '../editor/weightsView';
import { statusName } from '../l10n';
import { LabPanel } from '../labPanel';
import { OPENED_RUNS_KEY, rememberOpenedRun } from '../panelState';
import { runViewFromStored } from '../runView';
import { reportError } from './report';

/**
 * Shows a stored run (the latest when none is named), unless a training is on show. Every file is
 * read asynchronously: the extension host never waits on a run folder (metrics up to 64 MiB,
 * kernel snapshots, weights up to 512 MiB).
 */
export async function openRun(c: LabContext, runDir?: string): Promise<boolean> {
  if (c.training.active) return true;
  // The latest run, or, when it cannot be read (reported), the newest one that can.
  const candidates = runDir ? [runDir] : await listRunsAsync(c.runsDir);
  let reported = false;
  for (const dir of candidates) {
    try {
      // A weights file (a model file's Dissect lens) shows as a run of its own.
      const view = (await isWeightsFile(dir)) ? await runViewFromWeights(dir) : await runViewFromStored(await readRunAsync(dir));
      // A training started while the files were read takes the panel.
      if (c.training.active) return true;
      c.runView.replace(view);
      // A run the user opened by name: the panel may reopen it after a reload (labPanel's serializer).
      if (runDir)
        void c.extension.workspaceState.update(
          OPENED_RUNS_KEY,
          rememberOpenedRun(c.extension.workspaceState.get<unknown>(OPENED_RUNS_KEY), dir),
        );
      return true;
    } catch (e) {
      if (!reported) reportError(c, e);
      reported = true;
    }
  }
  return false;
}

/**
 * The finished run that Evaluate/Robustness act on: the one on show, else the latest with a model.
 * Reads only summaries and configs (run records), asynchronously.
 */
export async function finishedRunTarget(c: LabContext, run?: string): Promise<AnalysisTarget | null> {
  if (run) {
    // A named run with a config.json: the config must be a valid one (a LabError naming it otherwise).
    const stored = (await isWeightsFile(run)) ? null : await readRunConfigAsync(run);
    return c.targetFor(run, stored ?? undefined);
  }
  const shown = c.analysisTarget();
  if (shown.model) return shown;
  for (const dir of await listRunsAsync(c.runsDir)) {
    // a corrupt run is skipped here; opening it directly reports it
    const r = await readRunRecordAsync(dir);
    if (r?.model && r.config && r.status !== 'running') return c.targetFor(dir, r.config);
  }
  return null;
}

export async function evaluateCommand(c: LabContext, args: { run?: string } = {}) {
  let target: AnalysisTarget | null;
  try {
    target = await finishedRunTarget(c, args.run);
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
  if (!target) {
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no finished run to evaluate yet. Run MNIST: Train first.'));
    return undefined;
  }
  try {
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MNIST: evaluating…') },
      () => c.analyzeTarget(target, { type: 'evaluate' }),
    );
    const seed = seedAccuracyFor(target.classNames);
    c.output.appendLine(
      `evaluate ${r.model}: validation ${pct(r.valAccuracy)} (${r.valCorrect}/${r.valTotal}), test ${pct(r.testAccuracy)} (${r.testCorrect}/${r.testTotal})${seed === null ? '' : `; the original lab: ${pct(seed)}`}`,
    );
    void vscode.window.showInformationMessage(
      seed === null
        ? vscode.l10n.t(
            'MNIST Lab: test accuracy {0} ({1}/{2}), validation {3}.',
            pct(r.testAccuracy),
            r.testCorrect,
            r.testTotal,
            pct(r.valAccuracy),
          )
        : vscode.l10n.t(
            'MNIST Lab: test accuracy {0} ({1}/{2}), validation {3} — the original lab: {4}.',
            pct(r.testAccuracy),
            r.testCorrect,
            r.testTotal,
            pct(r.valAccuracy),
            pct(seed),
          ),
    );
    return r;
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
}

export async function robustnessCommand(c: LabContext, args: { run?: string; index?: number; dx?: number; dy?: number } = {}) {
  let target: AnalysisTarget | null;
  try {
    target = await finishedRunTarget(c, args.run);
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
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
    if (target.model !== c.runView.state.runDir) await openRun(c, target.model!);
    LabPanel.createOrShow(c).reveal('robustness');
    void vscode.window.showInformationMessage(
      r.shifted.prediction.label === r.label
        ? vscode.l10n.t(
            'MNIST Lab: test image #{0} (a {1}) shifted by ({2}, {3}) is predicted {4} (still right); before the shift {5}.',
            index,
            r.label,
            dx,
            dy,
            r.shifted.prediction.label,
            r.original.prediction.label,
          )
        : vscode.l10n.t(
            'MNIST Lab: test image #{0} (a {1}) shifted by ({2}, {3}) is predicted {4} (wrong); before the shift {5}.',
            index,
            r.label,
            dx,
            dy,
            r.shifted.prediction.label,
            r.original.prediction.label,
          ),
    );
    return r;
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
}

export async function newConfig(c: LabContext): Promise<void> {
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

/** MNIST Lab: Open Lab: the panel on the run on show (or a named run, or the latest run). */
export async function openLab(c: LabContext, showLatestOnce: () => Promise<void>, args?: { run?: string }): Promise<string | null> {
  await showLatestOnce();
  if (args?.run) await openRun(c, args.run);
  LabPanel.createOrShow(c);
  return c.runView.state.runDir;
}

/** MNIST Lab: Open Run…: a quick pick of the runs folder. */
export async function pickRun(c: LabContext): Promise<void> {
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
      if (s)
        return {
          label: dir.split(/[\\/]/).pop()!,
          description: vscode.l10n.t('{0} · test {1}', statusName(s.status), pct(s.testAccuracy)),
          dir,
        };
      return { label: dir.split(/[\\/]/).pop()!, description: vscode.l10n.t('unreadable: {0}', join(dir, 'summary.json')), dir };
    }),
    { placeHolder: vscode.l10n.t('Open which run in the lab panel?') },
  );
  if (pick && (await openRun(c, pick.dir))) LabPanel.createOrShow(c);
}
