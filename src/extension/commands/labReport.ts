/**
 * MNIST: Export Lab Report — asks for the run and the folder, has the analysis worker write the
 * report (src/core/report: report.md, report.html, figures, metrics.csv; nothing of it runs on
 * the extension host's thread), then offers to open it.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { pct } from '../../core/format';
import type { ReportWritten } from '../../core/protocol';
import { type ReportLanguage, isReportLanguage } from '../../core/report/languages';
import { listRunsAsync } from '../../core/runs/store';
import type { LabContext } from '../ctx';
import { MAX_INDEXED_RUNS, readRunRecordAsync } from '../editor/runHistory';
import { statusName } from '../l10n';
import { reportError } from './report';
import { finishedRunTarget } from './runs';

export interface ExportReportArgs {
  run?: string;
  outDir?: string;
  lang?: string;
}

/** The report's language: the editor's (Simplified Chinese for any zh-*), else English. */
function editorLanguage(): ReportLanguage {
  return vscode.env.language.toLowerCase().startsWith('zh') ? 'zh-cn' : 'en';
}

async function chooseRun(c: LabContext): Promise<string | undefined> {
  const runs = await listRunsAsync(c.runsDir, MAX_INDEXED_RUNS);
  const records = await Promise.all(runs.map(readRunRecordAsync));
  const items = runs
    .map((dir, i) => ({ dir, s: records[i] }))
    .filter((r) => r.s && r.s.status !== 'running')
    .map(({ dir, s }) => ({
      label: dir.split(/[\\/]/).pop()!,
      description: vscode.l10n.t('{0} · test {1}', statusName(s!.status), pct(s!.testAccuracy)),
      dir,
    }));
  if (!items.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: no finished run to report on yet. Run MNIST: Train first.'));
    return undefined;
  }
  const shown = c.runView.state.runDir;
  items.sort((a, b) => Number(b.dir === shown) - Number(a.dir === shown));
  const pick = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Write the lab report of which run?') });
  return pick?.dir;
}

export async function exportReportCommand(c: LabContext, args: ExportReportArgs = {}): Promise<ReportWritten | undefined> {
  const run = args.run ?? (await chooseRun(c));
  if (!run) return undefined;
  let outDir = args.outDir;
  if (!outDir) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(run),
      openLabel: vscode.l10n.t('Write Report Here'),
      title: vscode.l10n.t('Folder for the lab report (report.md, report.html, figures/, metrics.csv)'),
    });
    outDir = picked?.[0]?.fsPath;
    if (!outDir) return undefined;
  }
  const lang = isReportLanguage(args.lang) ? args.lang : editorLanguage();
  try {
    const target = await finishedRunTarget(c, run);
    const written = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MNIST Lab: writing the lab report…') },
      () => c.writeReport({ runDir: run, outDir: outDir!, lang, dataDir: target?.dataDir ?? null }),
    );
    c.output.appendLine(`report ${run} (${lang}): ${written.markdown}, ${written.html}, ${written.metrics}, ${written.figures} figures`);
    const openReport = vscode.l10n.t('Open Report');
    const openBrowser = vscode.l10n.t('Open in Browser');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('MNIST Lab: lab report written to {0}.', written.dir), openReport, openBrowser)
      .then((choice) => {
        if (choice === openReport) void vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(written.markdown));
        else if (choice === openBrowser) void vscode.env.openExternal(vscode.Uri.file(join(written.dir, 'report.html')));
      });
    return written;
  } catch (e) {
    reportError(c, e);
    return undefined;
  }
}
