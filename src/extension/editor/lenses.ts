/**
 * Which CodeLenses a file gets, and what each runs: config files (`*.mnist.json`) and model
 * files (a run's `model.json`, any `.safetensors`). No vscode import: the provider turns these
 * into vscode.CodeLens objects on line 1.
 */
import { basename, dirname } from 'node:path';
import { isConfigFile } from './configDocument';
import type { RunRecord } from './runHistory';

export interface LensSpec {
  title: string;
  command: string;
  args: unknown[];
  tooltip: string;
}

/** Shows a message instead of acting (e.g. Evaluate with no finished run of the file yet). */
export const EXPLAIN_COMMAND = 'mnistLab.editor.explain';
export const RUN_HISTORY_COMMAND = 'mnistLab.runHistory';
/** Opens the lab panel on a weights file (the explorer's context menu; the Dissect lens uses openLab directly). */
export const DISSECT_COMMAND = 'mnistLab.dissect';

export interface ConfigLensState {
  /** The config file. */
  file: string;
  latest: RunRecord | null;
  /** Whether a run of this very file is training now. */
  training: boolean;
}

export function configLenses(s: ConfigLensState): LensSpec[] {
  const name = basename(s.file);
  const noRun = `MNIST Lab: ${name} has no finished run yet. Press ▶ Train first.`;
  const onLatest = (title: string, command: string, what: string): LensSpec =>
    s.latest
      ? { title, command, args: [{ run: s.latest.dir }], tooltip: `${what} the latest finished run of ${name} (${s.latest.runId})` }
      : { title, command: EXPLAIN_COMMAND, args: [noRun], tooltip: `${what} the latest finished run of ${name} (there is none yet)` };
  const lenses: LensSpec[] = [];
  if (s.training) lenses.push({ title: '■ Stop', command: 'mnistLab.stop', args: [], tooltip: `Stop the training of ${name} (the partial run is kept)` });
  lenses.push(
    { title: '▶ Train', command: 'mnistLab.train', args: [{ config: s.file }], tooltip: `Train the network of ${name}` },
    onLatest('Evaluate', 'mnistLab.evaluate', 'Evaluate'),
    onLatest('Robustness', 'mnistLab.robustness', 'Run the robustness check (test image #4 shifted 3 px left) on'),
    { title: 'Open Lab', command: 'mnistLab.openLab', args: s.latest ? [{ run: s.latest.dir }] : [], tooltip: s.latest ? `Open the lab panel on ${s.latest.runId}` : 'Open the lab panel' },
    { title: 'Run History', command: RUN_HISTORY_COMMAND, args: [s.file], tooltip: `The runs of ${name}: open one, or overlay two` },
  );
  return lenses;
}

/** Weights the lab can load: a run's model.json (tfjs) or any .safetensors (also the seed notebook's). */
export function isModelFile(path: string): boolean {
  return /\.safetensors$/i.test(path) || (basename(path) === 'model.json' && !isConfigFile(path));
}

/**
 * The run directory of a model file saved by a run (`<run>/model/model.json`), if it is one: the
 * lab panel then shows that whole run, not only the weights.
 */
export function runDirOfModel(file: string, isRun: (dir: string) => boolean): string | null {
  const folder = dirname(file);
  if (basename(folder) !== 'model') return null;
  const run = dirname(folder);
  return isRun(run) ? run : null;
}

export function modelLenses(file: string, runDir: string | null): LensSpec[] {
  const target = runDir ?? file;
  const what = runDir ? `run ${basename(runDir)}` : basename(file);
  return [
    { title: 'Evaluate', command: 'mnistLab.evaluate', args: [{ run: target }], tooltip: `Validation and test accuracy of ${what}` },
    { title: 'Robustness', command: 'mnistLab.robustness', args: [{ run: target }], tooltip: `Shift test image #4 by 3 px and compare ${what}'s predictions and feature maps` },
    { title: 'Dissect', command: 'mnistLab.openLab', args: [{ run: target }], tooltip: `Open the lab panel on ${what}: kernels, feature maps, predictions` },
  ];
}
