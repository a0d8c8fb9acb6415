/** CodeLens on config files (▶ Train, Evaluate, Robustness, Open Lab, Run History, ■ Stop) and on model files. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { LabContext } from '../ctx';
import { isConfigFile } from './configDocument';
import { type LensSpec, configLenses, isModelFile, modelLenses, runDirOfModel } from './lenses';
import { CONFIG_SELECTOR, type EditorModel, MODEL_SELECTOR } from './model';
import { latestFinished } from './runHistory';

const toLens = (l: LensSpec) =>
  new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: l.title, command: l.command, arguments: l.args, tooltip: l.tooltip });

export function registerLenses(c: LabContext, m: EditorModel): void {
  c.push(
    vscode.languages.registerCodeLensProvider(
      [...(CONFIG_SELECTOR as vscode.DocumentFilter[]), ...(MODEL_SELECTOR as vscode.DocumentFilter[])],
      {
        onDidChangeCodeLenses: m.lensesChanged.event,
        async provideCodeLenses(d) {
          try {
            const file = d.uri.fsPath;
            if (isConfigFile(file)) {
              const latest = latestFinished(await m.runsOf(d));
              return configLenses({ file, latest, training: m.isTrainingFile(file) }).map(toLens);
            }
            if (isModelFile(file))
              return modelLenses(
                file,
                runDirOfModel(file, (dir) => existsSync(join(dir, 'summary.json'))),
              ).map(toLens);
          } catch (e) {
            c.output.appendLine(`CodeLens on ${d.uri.fsPath}: ${errorMessage(e)}`);
          }
          return [];
        },
      },
    ),
  );
}
