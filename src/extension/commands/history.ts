/**
 * The commands on runs of the runs folder and on model files: a config's Run History, Compare
 * Runs…, Copy PyTorch Loader, Dissect Weights, and the lenses' explanations.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { listRunsAsync } from '../../core/runs/store';
import { type HistoryShown, MAX_COMPARED_RUNS, showRunsInPanel } from '../compareRuns';
import type { LabContext } from '../ctx';
import { isConfigFile } from '../editor/configDocument';
import { runDirOfModel } from '../editor/lenses';
import type { EditorModel } from '../editor/model';
import { MAX_INDEXED_RUNS, type RunRecord, historyItem, readRunRecordAsync } from '../editor/runHistory';

/** One run opens in the lab panel; more are compared (the first shown, the others drawn over it). */
function showRuns(c: LabContext, chosen: RunRecord[]): Promise<HistoryShown | undefined> {
  return showRunsInPanel(
    c,
    chosen.map((r) => r.dir),
  );
}

/** MNIST Lab: Run History: the runs of a config; one opens in the lab panel, several are compared. */
export async function runHistory(
  c: LabContext,
  editor: EditorModel,
  arg?: string | vscode.Uri | { runs: string[] },
): Promise<HistoryShown | undefined> {
  // Programmatic (tests, other commands): the runs chosen already, one to open or two to compare.
  if (arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && Array.isArray(arg.runs)) {
    const chosen = await Promise.all(
      arg.runs.slice(0, MAX_COMPARED_RUNS + 1).map((dir) => (typeof dir === 'string' ? readRunRecordAsync(dir) : null)),
    );
    if (chosen.length < 1 || chosen.length > MAX_COMPARED_RUNS || chosen.some((r) => r === null)) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t(
          'MNIST Lab: the run history takes 1 to {0} readable runs, got {1}.',
          MAX_COMPARED_RUNS,
          arg.runs.join(', ') || vscode.l10n.t('none'),
        ),
      );
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
  const list = await editor.runsOf(d);
  const fileName = file.split(/[\\/]/).pop();
  if (!list.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: {0} has no runs in {1} yet.', fileName ?? file, c.runsDir));
    return undefined;
  }
  const picks = await vscode.window.showQuickPick(
    list.map((r) => ({ ...historyItem(r), run: r })),
    {
      canPickMany: true,
      title: vscode.l10n.t('Runs of {0}', fileName ?? file),
      placeHolder: vscode.l10n.t('Choose one run to open it in the lab panel, or several (up to {0}) to compare them', MAX_COMPARED_RUNS),
    },
  );
  if (!picks?.length) return undefined;
  if (picks.length > MAX_COMPARED_RUNS) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('MNIST Lab: choose one run, or up to {0} to compare (you chose {1}).', MAX_COMPARED_RUNS, picks.length),
    );
    return undefined;
  }
  return showRuns(
    c,
    picks.map((p) => p.run),
  );
}

/** MNIST Lab: Compare Runs…: 2 to 8 runs of the runs folder. */
export async function compareRunsCommand(c: LabContext, arg?: { runs: string[] }): Promise<HistoryShown | undefined> {
  let dirs: string[];
  if (arg && Array.isArray(arg.runs)) {
    dirs = arg.runs;
  } else {
    const records = (await Promise.all((await listRunsAsync(c.runsDir, MAX_INDEXED_RUNS)).map(readRunRecordAsync))).filter(
      (r): r is RunRecord => r !== null && r.status !== 'running',
    );
    if (records.length < 2) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('MNIST Lab: comparing needs two finished runs in {0}; it has {1}.', c.runsDir, records.length),
      );
      return undefined;
    }
    const picks = await vscode.window.showQuickPick(
      records.map((r) => {
        const item = historyItem(r);
        return { ...item, label: `${r.name} · ${item.label}`, detail: item.detail.replace(' · (matched by name)', ''), run: r };
      }),
      {
        canPickMany: true,
        title: vscode.l10n.t('Compare runs'),
        placeHolder: vscode.l10n.t('Choose 2 to {0} runs: the first is shown, the others drawn over it', MAX_COMPARED_RUNS),
      },
    );
    if (!picks) return undefined;
    dirs = picks.map((p) => p.run.dir);
  }
  if (
    dirs.length < 2 ||
    dirs.length > MAX_COMPARED_RUNS ||
    (await Promise.all(dirs.map((d) => (typeof d === 'string' ? readRunRecordAsync(d) : null)))).some((r) => r === null)
  ) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('MNIST Lab: compare 2 to {0} readable runs (got {1}).', MAX_COMPARED_RUNS, dirs.length),
    );
    return undefined;
  }
  return showRunsInPanel(c, dirs);
}

/** MNIST Lab: Copy PyTorch Loader: the panel's loader of the run on show, to the clipboard. */
export async function copyPytorchSnippet(c: LabContext): Promise<string | undefined> {
  const p = c.runView.state.pytorch;
  if (!p) {
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: this run has no saved weights to load in PyTorch yet.'));
    return undefined;
  }
  await vscode.env.clipboard.writeText(p.code);
  void vscode.window.showInformationMessage(
    p.written
      ? vscode.l10n.t('MNIST Lab: copied the PyTorch loader (also in {0}).', p.file)
      : vscode.l10n.t('MNIST Lab: copied the PyTorch loader.'),
  );
  return p.file;
}

/** MNIST Lab: Dissect Weights: the explorer's way to the model-file lenses (VS Code opens .safetensors as binary, without lenses). */
export async function dissect(arg?: vscode.Uri | string): Promise<string | null | undefined> {
  let file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { Weights: ['safetensors', 'json'] },
      openLabel: 'Dissect',
    });
    file = picked?.[0]?.fsPath;
  }
  if (!file) return undefined;
  const run = runDirOfModel(file, (dir) => existsSync(join(dir, 'summary.json')));
  return vscode.commands.executeCommand<string | null>('mnistLab.openLab', { run: run ?? file });
}
