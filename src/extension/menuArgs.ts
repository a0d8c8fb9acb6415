/**
 * Commands run from a menu (the editor title's ▶, the explorer's and the editor's context menus)
 * get the file's Uri as their first argument; the commands themselves take `{ config }` /
 * `{ run }` objects (CodeLens, tests). These turn the one into the other.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { parseConfigText } from '../core/config';
import { readUntrustedText } from '../core/files/untrusted';
import { listRunsAsync } from '../core/runs/store';
import { latestFinished, readRunRecordAsync, runsOfConfig, type RunRecord } from './editor/runHistory';

const isConfigUri = (arg: unknown): arg is vscode.Uri => arg instanceof vscode.Uri && arg.fsPath.endsWith('.mnist.json');

/** Train's arguments: a `*.mnist.json` Uri from a menu becomes `{ config }`. */
export function trainArgs<T extends object>(arg: T | vscode.Uri | undefined): T | { config: string } | undefined {
  if (isConfigUri(arg)) return { config: arg.fsPath };
  return arg instanceof vscode.Uri ? undefined : arg;
}

/**
 * Evaluate's arguments: a `*.mnist.json` Uri from a menu becomes `{ run }`, the config's latest
 * finished run (as its CodeLens does); null when it has none (the user has been told).
 */
export async function runArgsOfConfig<T extends object>(
  arg: T | vscode.Uri | undefined,
  runsDir: string,
): Promise<T | { run: string } | undefined | null> {
  if (!isConfigUri(arg)) return arg instanceof vscode.Uri ? undefined : arg;
  const file = arg.fsPath;
  let name = '';
  try {
    // The file the menu names is the user's, not the lab's: a regular file within the config
    // limit, read without blocking the extension host (a FIFO named *.mnist.json is refused).
    name = parseConfigText(await readUntrustedText(file, { kind: 'config' }), file).name;
  } catch {
    // an invalid or unreadable config: only runs recorded with this file as their source belong to it
  }
  const records = (await Promise.all((await listRunsAsync(runsDir)).map(readRunRecordAsync))).filter((r): r is RunRecord => r !== null);
  const latest = latestFinished(runsOfConfig(records, file, name));
  if (latest) return { run: latest.dir };
  void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: {0} has no finished run yet. Press ▶ Train first.', basename(file)));
  return null;
}
