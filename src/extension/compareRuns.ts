/**
 * Comparing runs in the lab panel: the first chosen run is shown, the others' error curves are
 * drawn over its curves, and a table lists the config fields in which the runs differ with each
 * run's final accuracies and duration. From the palette (MNIST: Compare Runs, any runs of the runs
 * folder) and from a config's run history. Also the panel's "copy" of the PyTorch loader.
 */
import * as vscode from 'vscode';
import type { OverlayCurve } from '../core/protocol';
import { compareRuns } from '../core/runs/compare';
import { listRunsAsync, readRun } from '../core/runs/store';
import type { LabContext } from './ctx';
import { MAX_INDEXED_RUNS, type RunRecord, historyItem, readRunRecordAsync } from './editor/runHistory';

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
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: the lab panel shows the training in progress; open the run history again when it has ended.'));
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
    const comparison = compareRuns(dirs.map((d) => readRun(d)));
    const overlay: OverlayCurve[] = comparison.runs.slice(1).map((r) => ({ runDir: r.runDir, label: r.label, ...r.curve }));
    c.runView.replace({ ...c.runView.state, overlay, comparison });
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: {0}', e instanceof Error ? e.message : String(e)));
  }
  return shown();
}

export function registerRunComparison(c: LabContext): void {
  c.push(
    vscode.commands.registerCommand('mnistLab.compareRuns', async (arg?: { runs: string[] }) => {
      let dirs: string[];
      if (arg && Array.isArray(arg.runs)) {
        dirs = arg.runs;
      } else {
        const records = (await Promise.all((await listRunsAsync(c.runsDir, MAX_INDEXED_RUNS)).map(readRunRecordAsync))).filter(
          (r): r is RunRecord => r !== null && r.status !== 'running',
        );
        if (records.length < 2) {
          void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: comparing needs two finished runs in {0}; it has {1}.', c.runsDir, records.length));
          return undefined;
        }
        const picks = await vscode.window.showQuickPick(
          records.map((r) => {
            const item = historyItem(r);
            return { ...item, label: `${r.name} · ${item.label}`, detail: item.detail.replace(' · (matched by name)', ''), run: r };
          }),
          { canPickMany: true, title: vscode.l10n.t('Compare runs'), placeHolder: vscode.l10n.t('Choose 2 to {0} runs: the first is shown, the others drawn over it', MAX_COMPARED_RUNS) },
        );
        if (!picks) return undefined;
        dirs = picks.map((p) => p.run.dir);
      }
      if (dirs.length < 2 || dirs.length > MAX_COMPARED_RUNS || (await Promise.all(dirs.map((d) => (typeof d === 'string' ? readRunRecordAsync(d) : null)))).some((r) => r === null)) {
        void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: compare 2 to {0} readable runs (got {1}).', MAX_COMPARED_RUNS, dirs.length));
        return undefined;
      }
      return showRunsInPanel(c, dirs);
    }),
  );
  c.push(
    vscode.commands.registerCommand('mnistLab.copyPytorchSnippet', async () => {
      const p = c.runView.state.pytorch;
      if (!p) {
        void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: this run has no saved weights to load in PyTorch yet.'));
        return undefined;
      }
      await vscode.env.clipboard.writeText(p.code);
      void vscode.window.showInformationMessage(
        p.written ? vscode.l10n.t('MNIST Lab: copied the PyTorch loader (also in {0}).', p.file) : vscode.l10n.t('MNIST Lab: copied the PyTorch loader.'),
      );
      return p.file;
    }),
  );
}
