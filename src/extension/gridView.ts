/**
 * A hyperparameter grid in the lab panel: its table and parallel coordinates beside the run on
 * show (one of the grid's points). From a grid trained here (commands/training.ts), from MNIST:
 * Open Grid (a record of the runs folder, read as a hostile file), and from the panel's table
 * (the point to show, by index: the webview never names a folder).
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { GridView } from '../core/protocol';
import { type GridRecord, type StoredGrid, listGrids, readGridRecord } from '../core/runs/grid';
import { pct } from '../core/format';
import type { LabContext } from './ctx';
import { openRun } from './commands/runs';
import { reportError } from './commands/report';
import { LabPanel } from './labPanel';

/** A grid record as the panel shows it; `runsDir` makes its folder names absolute (a record being written holds names). */
export function gridViewOf(g: GridRecord, file: string, absolute: (name: string) => string = (n) => n): GridView {
  return {
    file,
    name: g.name,
    status: g.status,
    keys: [...g.keys],
    points: g.points.map((p) => ({
      values: g.keys.map((k) => p.values[k] ?? null),
      runDir: p.runDir === null ? null : absolute(p.runDir),
      status: p.status,
      valAccuracy: p.valAccuracy,
      testAccuracy: p.testAccuracy,
    })),
  };
}

/** The point with the best validation accuracy that has a run folder (else the first that has one). */
export function bestPoint(g: GridView): number {
  let best = -1;
  g.points.forEach((p, i) => {
    if (p.runDir === null) return;
    if (best < 0 || (p.valAccuracy ?? -1) > (g.points[best]!.valAccuracy ?? -1)) best = i;
  });
  return best;
}

/** The panel on point `index` of `grid`, the grid's table beside it. False when the point has no run (yet). */
export async function showGridPoint(c: LabContext, grid: GridView, index: number): Promise<boolean> {
  const runDir = grid.points[index]?.runDir;
  if (!runDir || c.training.active) return false;
  // The run is read first (asynchronously): the grid goes on top of what it shows.
  if (!(await openRun(c, runDir))) return false;
  c.runView.replace({ ...c.runView.state, grid });
  LabPanel.createOrShow(c);
  return true;
}

/** The webview's "open this point": the grid on show, by index. */
export async function openGridPointFromPanel(c: LabContext, index: number): Promise<void> {
  const grid = c.runView.state.grid;
  if (!grid) return;
  if (c.training.active) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('MNIST Lab: the lab panel shows the training in progress; open the grid again when it has ended.'),
    );
    return;
  }
  await showGridPoint(c, grid, index);
}

/** MNIST Lab: Open Grid…: a grid record of the runs folder (`args.grid`, or a quick pick), its best run on show. */
export async function openGridCommand(c: LabContext, args?: { grid?: string }): Promise<GridView | undefined> {
  let file = args?.grid;
  if (!file) {
    const files = await listGrids(c.runsDir);
    if (!files.length) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('MNIST Lab: no grids in {0} yet (a config with a "grid" makes one).', c.runsDir),
      );
      return undefined;
    }
    const records = await Promise.all(files.map((f) => readGridRecord(f, c.runsDir).catch(() => null)));
    const pick = await vscode.window.showQuickPick(
      files.map((f, i) => {
        const g = records[i];
        const best = g ? Math.max(...g.points.map((p) => p.valAccuracy ?? -1)) : -1;
        return {
          label: basename(f, '.json'),
          description: g
            ? vscode.l10n.t('{0} runs · {1} · best validation {2}', g.points.length, g.keys.join(', '), pct(best < 0 ? null : best))
            : vscode.l10n.t('unreadable: {0}', f),
          file: f,
        };
      }),
      { placeHolder: vscode.l10n.t('Open which grid in the lab panel?') },
    );
    if (!pick) return undefined;
    file = pick.file;
  }
  let g: StoredGrid;
  try {
    g = await readGridRecord(file, c.runsDir);
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
  const view = gridViewOf(g, g.file);
  const best = bestPoint(view);
  if (best < 0 || !(await showGridPoint(c, view, best))) {
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: the grid {0} has no finished run to show.', basename(file)));
    return undefined;
  }
  return view;
}
