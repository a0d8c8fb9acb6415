/**
 * Every command of the extension in one table: command id → a factory that takes what commands
 * share and returns the handler (as rust-analyzer's `createCommands()`). The implementations live
 * with their feature (training.ts, runs.ts, history.ts, ../backendInstall.ts); package.json
 * contributes the user-facing ones; `mnistLab.debug.*` are for tests only and not contributed.
 */
import * as vscode from 'vscode';
import { installBackendCommand } from '../backendInstall';
import { openGridCommand } from '../gridView';
import type { LabContext } from '../ctx';
import { DISSECT_COMMAND, EXPLAIN_COMMAND, RUN_HISTORY_COMMAND } from '../editor/lenses';
import type { EditorModel } from '../editor/model';
import { runArgsOfConfig, trainArgs } from '../menuArgs';
import { type ExportReportArgs, exportReportCommand } from './labReport';
import { compareRunsCommand, copyPytorchSnippet, dissect, runHistory } from './history';
import { evaluateCommand, newConfig, openLab, pickRun, robustnessCommand } from './runs';
import { type TrainArgs, stop, train } from './training';

/** What every command may use. */
export interface CommandContext {
  c: LabContext;
  /** The status-bar item that shows a training's progress. */
  status: vscode.StatusBarItem;
  editor: EditorModel;
  /** Shows the latest run in the panel the first time a view opens with nothing on show. */
  showLatestOnce(): Promise<void>;
}

type Handler = (...args: never[]) => unknown;
type CommandFactory = (x: CommandContext) => Handler;

export function createCommands(): Record<string, CommandFactory> {
  return {
    'mnistLab.train':
      ({ c, status }) =>
      (args?: TrainArgs | vscode.Uri) =>
        train(c, status, trainArgs(args) ?? {}),
    'mnistLab.stop':
      ({ c }) =>
      () =>
        stop(c),
    'mnistLab.openLab':
      ({ c, showLatestOnce }) =>
      (args?: { run?: string }) =>
        openLab(c, showLatestOnce, args),
    'mnistLab.openRun':
      ({ c }) =>
      () =>
        pickRun(c),
    'mnistLab.evaluate':
      ({ c }) =>
      async (args?: { run?: string } | vscode.Uri) => {
        const a = await runArgsOfConfig(args, c.runsDir);
        return a === null ? undefined : evaluateCommand(c, a);
      },
    'mnistLab.robustness':
      ({ c }) =>
      (args?: { run?: string; index?: number; dx?: number; dy?: number }) =>
        robustnessCommand(c, args),
    'mnistLab.newConfig':
      ({ c }) =>
      () =>
        newConfig(c),
    'mnistLab.installBackend':
      ({ c }) =>
      (args?: { backend?: string }) =>
        installBackendCommand(c, args),
    'mnistLab.openGrid':
      ({ c }) =>
      (args?: { grid?: string }) =>
        openGridCommand(c, args),
    'mnistLab.compareRuns':
      ({ c }) =>
      (arg?: { runs: string[] }) =>
        compareRunsCommand(c, arg),
    'mnistLab.exportReport':
      ({ c }) =>
      (args?: ExportReportArgs) =>
        exportReportCommand(c, args),
    'mnistLab.copyPytorchSnippet':
      ({ c }) =>
      () =>
        copyPytorchSnippet(c),
    [RUN_HISTORY_COMMAND]:
      ({ c, editor }) =>
      (arg?: string | vscode.Uri | { runs: string[] }) =>
        runHistory(c, editor, arg),
    [DISSECT_COMMAND]: () => (arg?: vscode.Uri | string) => dissect(arg),
    [EXPLAIN_COMMAND]: () => (message: string) => vscode.window.showInformationMessage(message),
    // For tests: the extension host's event-loop lag (see lag.ts) and the worker state.
    'mnistLab.debug.eventLoopLag':
      ({ c }) =>
      () =>
        c.lag.report(),
    'mnistLab.debug.state':
      ({ c }) =>
      () => ({
        training: c.training.active !== null,
        workerPid: c.training.workerPid ?? null,
        runDir: c.runView.state.runDir,
        status: c.runView.state.status,
        step: c.runView.state.step,
        points: c.runView.state.progress.length,
        runsDir: c.runsDir,
      }),
  };
}

export function registerCommands(x: CommandContext): void {
  for (const [id, factory] of Object.entries(createCommands())) x.c.push(vscode.commands.registerCommand(id, factory(x)));
}
