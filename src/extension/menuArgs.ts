/**
 * Commands run from a menu (the editor title's ▶, the explorer's and the editor's context menus)
 * get the file's Uri as their first argument; the commands themselves take `{ config }` /
 * `{ run }` objects (CodeLens, tests). These turn the one into the other.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { parseConfigText } from '../core/config';
import { listRuns } from '../core/runs/store';
import { latestFinished, readRunRecord, runsOfConfig, type RunRecord } from './editor/runHistory';

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
export function runArgsOfConfig<T extends object>(
  arg: T | vscode.Uri | undefined,
  runsDir: string,
): T | { run: string } | undefined | null {
  if (!isConfigUri(arg)) return arg instanceof vscode.Uri ? undefined : arg;
  const file = arg.fsPath;
  let name = '';
  try {
    name = parseConfigText(readFileSync(file, 'utf8'), file).name;
  } catch {
    // an invalid config: only runs recorded with this file as their source belong to it
  }
  const records = listRuns(runsDir)
    .map(readRunRecord)
    .filter((r): r is RunRecord => r !== null);
  const latest = latestFinished(runsOfConfig(records, file, name));
  if (latest) return { run: latest.dir };
  void vscode.window.showInformationMessage(vscode.l10n.t('MNIST Lab: {0} has no finished run yet. Press ▶ Train first.', basename(file)));
  return null;
}
