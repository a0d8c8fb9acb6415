/**
 * Comparing runs in the lab panel: the first chosen run is shown, the others' error curves are
 * drawn over its curves, and a table lists the config fields in which the runs differ with each
 * run's final accuracies and duration. From the palette (MNIST: Compare Runs, any runs of the runs
 * folder) and from a config's run history (the commands: src/extension/commands/history.ts).
 */
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { OverlayCurve } from '../core/protocol';
import { compareRuns } from '../core/runs/compare';
import { readRunAsync } from '../core/runs/store';
import type { LabContext } from './ctx';

/** The most runs one comparison draws (two curves each); more would not be readable. */
export const MAX_COMPARED_RUNS = 8;

/** What the lab panel shows after a comparison: the run, and the runs drawn over it. */
export interface HistoryShown {
  runDir: string | null;
  overlay: string[];
  /** The config fields the comparison table lists (empty without a comparison). */
  fields: string[];
}

/** The first run in the lab panel; the others' curves over it and the comparison table. */
export async function showRunsInPanel(c: LabContext, dirs: string[]): Promise<HistoryShown | undefined> {
  if (c.training.active) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('MNIST Lab: the lab panel shows the training in progress; open the run history again when it has ended.'),
    );
    return undefined;
  }
  const [first, ...others] = dirs;
  await vscode.commands.executeCommand('mnistLab.openLab', { run: first });
  const shown = (): HistoryShown => ({
    runDir: c.runView.state.runDir,
    overlay: (c.runView.state.overlay ?? []).map((o) => o.runDir),
    fields: c.runView.state.comparison?.fields ?? [],
  });
  if (c.runView.state.runDir !== first || !others.length) return shown();
  try {
    const comparison = compareRuns(await Promise.all(dirs.map((d) => readRunAsync(d))));
    if (c.runView.state.runDir !== first) return shown(); // another run was opened meanwhile
    const overlay: OverlayCurve[] = comparison.runs.slice(1).map((r) => ({ runDir: r.runDir, label: r.label, ...r.curve }));
    c.runView.replace({ ...c.runView.state, overlay, comparison });
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: {0}', errorMessage(e)));
  }
  return shown();
}
