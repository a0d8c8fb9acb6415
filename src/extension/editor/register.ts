/**
 * The editor features of config and model files, wired to VS Code: CodeLens, inlay hints,
 * diagnostics with quick fixes. Each provider is its own module; they share an EditorModel. The
 * logic lives in the vscode-free modules beside these (configDocument, lenses, hints,
 * diagnostics, runHistory).
 */
import * as vscode from 'vscode';
import type { LabContext } from '../ctx';
import { registerDiagnostics } from './diagnosticsProvider';
import { registerHints } from './hintsProvider';
import { registerLenses } from './lensProvider';
import { EditorModel } from './model';

export function registerEditorFeatures(c: LabContext): EditorModel {
  const m = new EditorModel(c);
  registerLenses(c, m);
  registerHints(c, m);
  const diagnoseAll = registerDiagnostics(c, m);
  c.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mnistLab.runsDir')) {
        m.watchRuns();
        m.runsChanged();
      }
      if (e.affectsConfiguration('mnistLab.dataDir')) {
        diagnoseAll();
        m.hintsChanged.fire();
      }
      if (e.affectsConfiguration('mnistLab.hints.enabled')) m.hintsChanged.fire();
    }),
  );
  return m;
}
