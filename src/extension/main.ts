/**
 * MNIST Lab's extension host entry: the context, the views, the editor features and the command
 * table. Imports only config/events/protocol types and the run store from the core: TensorFlow.js
 * loads in the worker process, never here (the build checks it).
 */
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { registerCommands } from './commands';
import { openRun } from './commands/runs';
import { LabContext } from './ctx';
import { registerEditorFeatures } from './editor/register';
import { setTranslator } from './l10n';
import { registerLabPanelSerializer } from './labPanel';
import { SideViewProvider } from './sideView';

let ctx: LabContext | undefined;

export function activate(context: vscode.ExtensionContext): void {
  try {
    setTranslator(vscode.l10n.t.bind(vscode.l10n));
    const c = new LabContext(context);
    ctx = c;
    context.subscriptions.push(c);
    const status = vscode.window.createStatusBarItem('mnistLab.training', vscode.StatusBarAlignment.Left, 10);
    status.name = vscode.l10n.t('MNIST Lab training');
    status.command = 'mnistLab.openLab';
    c.push(status);
    let shownOnce = false;
    const showLatestOnce = async () => {
      const first = !shownOnce;
      shownOnce = true;
      if (first && c.runView.state.status === 'idle') await openRun(c);
    };
    const side = new SideViewProvider(c, showLatestOnce);
    c.push(vscode.window.registerWebviewViewProvider(SideViewProvider.viewId, side));
    c.push(side);
    c.push(registerLabPanelSerializer(c, (dir) => openRun(c, dir)));
    const editor = registerEditorFeatures(c);
    registerCommands({ c, status, editor, showLatestOnce });
  } catch (e) {
    // VS Code shows nothing when activation throws: say it ourselves.
    void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab failed to start: {0}', errorMessage(e)));
    throw e;
  }
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  try {
    await c?.shutdown();
  } finally {
    c?.killWorkers();
  }
}
