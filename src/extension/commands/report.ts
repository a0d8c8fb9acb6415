/** Errors the user can act on, shown once: a notification (with "Open File" when it names a file) and a log line. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { errorMessage, isLabError } from '../../core/errors';
import type { LabContext } from '../ctx';

export async function showError(c: LabContext, message: string, file?: string): Promise<void> {
  const openFile = vscode.l10n.t('Open File');
  const showLog = vscode.l10n.t('Show Log');
  const actions = file && existsSync(file) ? [openFile] : [];
  const choice = await vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: {0}', message), ...actions, showLog);
  if (choice === openFile && file) await vscode.window.showTextDocument(vscode.Uri.file(file));
  if (choice === showLog) c.output.show(true);
}

export function reportError(c: LabContext, e: unknown): void {
  const message = errorMessage(e);
  c.output.appendLine(`error: ${message}`);
  const file = isLabError(e) ? e.file : (e as { info?: { file?: string } })?.info?.file;
  void showError(c, message, file);
}
