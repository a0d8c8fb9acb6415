/**
 * Diagnostics of config files with their quick fixes. The data directory is probed
 * asynchronously: no read of a workspace file blocks the host's thread.
 */
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { LabContext } from '../ctx';
import { isConfigFile } from './configDocument';
import { type ConfigDiagnostic, configDiagnostics, documentDataDir, probeDataDir } from './diagnostics';
import { CONFIG_SELECTOR, type EditorModel, SOURCE } from './model';

/** Registers the diagnostics and quick fixes; returns "diagnose every open config again". */
export function registerDiagnostics(c: LabContext, m: EditorModel): () => void {
  // Diagnostics and their quick fixes
  const collection = vscode.languages.createDiagnosticCollection('mnist-lab');
  c.push(collection);
  // The data directory is probed asynchronously first: no read of a workspace file blocks the host's thread.
  const problemsOf = async (d: vscode.TextDocument): Promise<ConfigDiagnostic[]> => {
    const { doc } = m.docs.get(d);
    const ctx = { file: d.uri.fsPath, defaultDataDir: c.dataDir };
    const probe = await probeDataDir(documentDataDir(doc, ctx), c.restriction);
    return configDiagnostics(doc, { ...ctx, probe });
  };
  const toRange = (d: vscode.TextDocument, p: ConfigDiagnostic) =>
    new vscode.Range(d.positionAt(p.span.offset), d.positionAt(p.span.offset + p.span.length));
  const diagnose = async (d: vscode.TextDocument) => {
    if (d.uri.scheme !== 'file' || !isConfigFile(d.uri.fsPath)) return;
    try {
      const { doc } = m.docs.get(d);
      // While the JSON is incomplete the old ranges would be wrong: VS Code's JSON support shows the syntax error.
      if (!doc.valid) {
        collection.delete(d.uri);
        return;
      }
      const version = d.version;
      const problems = await problemsOf(d);
      // Edited (or closed) while the data directory was probed: the newer diagnose speaks.
      if (d.version !== version || d.isClosed) return;
      collection.set(
        d.uri,
        problems.map((p) => {
          const diag = new vscode.Diagnostic(
            toRange(d, p),
            p.message,
            p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
          );
          diag.source = SOURCE;
          diag.code = p.code;
          return diag;
        }),
      );
    } catch (e) {
      c.output.appendLine(`diagnostics of ${d.uri.fsPath}: ${errorMessage(e)}`);
    }
  };
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const diagnoseSoon = (d: vscode.TextDocument) => {
    const key = d.uri.toString();
    clearTimeout(pending.get(key));
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        void diagnose(d);
      }, 200),
    );
  };
  const diagnoseAll = () => vscode.workspace.textDocuments.forEach((d) => void diagnose(d));
  c.push(vscode.workspace.onDidOpenTextDocument((d) => void diagnose(d)));
  c.push(vscode.workspace.onDidChangeTextDocument((e) => diagnoseSoon(e.document)));
  c.push(vscode.workspace.onDidSaveTextDocument((d) => void diagnose(d)));
  c.push(
    vscode.workspace.onDidCloseTextDocument((d) => {
      collection.delete(d.uri);
      m.docs.forget(d);
    }),
  );
  // A data directory can appear or go at any time: check again when the window gets focus.
  c.push(vscode.window.onDidChangeWindowState((s) => s.focused && diagnoseAll()));
  // Restricted Mode lifted: data directories outside the workspace may be read now.
  c.push(vscode.workspace.onDidGrantWorkspaceTrust(diagnoseAll));
  c.push({ dispose: () => pending.forEach((t) => clearTimeout(t)) });
  diagnoseAll();

  c.push(
    vscode.languages.registerCodeActionsProvider(
      CONFIG_SELECTOR,
      {
        async provideCodeActions(d, _range, context) {
          const ours = context.diagnostics.filter((x) => x.source === SOURCE);
          if (!ours.length) return [];
          try {
            const problems = await problemsOf(d);
            const actions: vscode.CodeAction[] = [];
            for (const diag of ours) {
              const p = problems.find((q) => q.message === diag.message && toRange(d, q).isEqual(diag.range));
              if (!p?.fix) continue;
              const action = new vscode.CodeAction(p.fix.title, vscode.CodeActionKind.QuickFix);
              action.edit = new vscode.WorkspaceEdit();
              for (const e of p.fix.edits)
                action.edit.replace(d.uri, new vscode.Range(d.positionAt(e.offset), d.positionAt(e.offset + e.length)), e.content);
              action.diagnostics = [diag];
              action.isPreferred = true;
              actions.push(action);
            }
            return actions;
          } catch (e) {
            c.output.appendLine(`quick fixes on ${d.uri.fsPath}: ${errorMessage(e)}`);
            return [];
          }
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
  );

  return diagnoseAll;
}
