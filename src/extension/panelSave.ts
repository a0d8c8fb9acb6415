/**
 * Saving from the lab panel: a webview cannot download (plotly's downloadImage, an <a download>
 * do nothing there), so the page hands the figure or the CSV to the host (a validated saveFile
 * message, bounded in size), which asks where with the save dialog and writes the file (temp + rename).
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SaveFileRequest } from '../core/protocol';
import { writeFileAtomic } from '../core/runs/atomic';
import type { LabContext } from './ctx';

const FILTERS: Record<SaveFileRequest['format'], Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  svg: { 'SVG image': ['svg'] },
  csv: { CSV: ['csv'] },
};

/** The folder a save dialog starts in: beside the run on show, else the runs folder. */
function startFolder(c: LabContext): string {
  return c.runView.state.runDir ?? c.runsDir;
}

export async function saveFromPanel(c: LabContext, m: SaveFileRequest): Promise<{ saved: string | null }> {
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(join(startFolder(c), `${m.name}.${m.format}`)),
    filters: FILTERS[m.format],
    title: vscode.l10n.t('Save {0}', `${m.name}.${m.format}`),
  });
  if (!uri) return { saved: null };
  const bytes = m.format === 'png' ? Buffer.from(m.data, 'base64') : Buffer.from(m.data, 'utf8');
  try {
    writeFileAtomic(uri.fsPath, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: cannot write {0} ({1}).', uri.fsPath, code));
    return { saved: null };
  }
  c.output.appendLine(`saved ${uri.fsPath} (${bytes.length} bytes) from the lab panel`);
  void vscode.window.setStatusBarMessage(vscode.l10n.t('MNIST Lab: saved {0}', uri.fsPath), 5000);
  return { saved: uri.fsPath };
}
