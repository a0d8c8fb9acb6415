/** Inlay hints on config files: the latest run's accuracies, the live training, values changed since. */
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { LabContext } from '../ctx';
import { configHints } from './hints';
import { CONFIG_SELECTOR, type EditorModel } from './model';
import { latestFinished } from './runHistory';

export function registerHints(c: LabContext, m: EditorModel): void {
  const hintsEnabled = () => vscode.workspace.getConfiguration('mnistLab', c.workspaceFolder?.uri).get<boolean>('hints.enabled', true);
  c.push(
    vscode.languages.registerInlayHintsProvider(CONFIG_SELECTOR, {
      onDidChangeInlayHints: m.hintsChanged.event,
      async provideInlayHints(d, range) {
        if (!hintsEnabled()) return [];
        try {
          const { doc } = m.docs.get(d);
          if (!doc.valid) return [];
          const file = d.uri.fsPath;
          const latest = latestFinished(await m.runsOf(d));
          return configHints(doc, { file, defaultDataDir: c.dataDir, latest, live: m.live(file) })
            .map((h) => {
              const hint = new vscode.InlayHint(d.positionAt(h.offset), h.label);
              hint.paddingLeft = true;
              hint.paddingRight = h.kind !== 'changed';
              hint.tooltip = h.tooltip;
              return hint;
            })
            .filter((h) => range.contains(h.position));
        } catch (e) {
          c.output.appendLine(`inlay hints on ${d.uri.fsPath}: ${errorMessage(e)}`);
          return [];
        }
      },
    }),
  );
}
