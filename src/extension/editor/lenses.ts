/**
 * Which CodeLenses a file gets, and what each runs: config files (`*.mnist.json`) and model
 * files (a run's `model.json`, any `.safetensors`). No vscode import: the provider turns these
 * into vscode.CodeLens objects on line 1.
 */
import { basename, dirname } from 'node:path';
import { isConfigFile } from './configDocument';
import type { RunRecord } from './runHistory';
import { t } from '../l10n';

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
  const noRun = t('MNIST Lab: {0} has no finished run yet. Press ▶ Train first.', name);
  const onLatest = (title: string, command: string, withRun: string, withoutRun: string): LensSpec =>
    s.latest
      ? { title, command, args: [{ run: s.latest.dir }], tooltip: withRun }
      : { title, command: EXPLAIN_COMMAND, args: [noRun], tooltip: withoutRun };
  const runId = s.latest?.runId ?? '';
  const lenses: LensSpec[] = [];
  if (s.training)
    lenses.push({
      title: t('■ Stop'),
      command: 'mnistLab.stop',
      args: [],
      tooltip: t('Stop the training of {0} (the partial run is kept)', name),
    });
  lenses.push(
    { title: t('▶ Train'), command: 'mnistLab.train', args: [{ config: s.file }], tooltip: t('Train the network of {0}', name) },
    onLatest(
      t('Evaluate'),
      'mnistLab.evaluate',
      t('Evaluate the latest finished run of {0} ({1})', name, runId),
      t('Evaluate the latest finished run of {0} (there is none yet)', name),
    ),
    onLatest(
      t('Robustness'),
      'mnistLab.robustness',
      t('Run the robustness check (test image #4 shifted 3 px left) on the latest finished run of {0} ({1})', name, runId),
      t('Run the robustness check (test image #4 shifted 3 px left) on the latest finished run of {0} (there is none yet)', name),
    ),
    {
      title: t('Open Lab'),
      command: 'mnistLab.openLab',
      args: s.latest ? [{ run: s.latest.dir }] : [],
      tooltip: s.latest ? t('Open the lab panel on {0}', s.latest.runId) : t('Open the lab panel'),
    },
    {
      title: t('Run History'),
      command: RUN_HISTORY_COMMAND,
      args: [s.file],
      tooltip: t('The runs of {0}: open one, or overlay two', name),
    },
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
  const what = runDir ? t('run {0}', basename(runDir)) : basename(file);
  return [
    {
      title: t('Evaluate'),
      command: 'mnistLab.evaluate',
      args: [{ run: target }],
      tooltip: t('Validation and test accuracy of {0}', what),
    },
    {
      title: t('Robustness'),
      command: 'mnistLab.robustness',
      args: [{ run: target }],
      tooltip: t("Shift test image #4 by 3 px and compare {0}'s predictions and feature maps", what),
    },
    {
      title: t('Dissect'),
      command: 'mnistLab.openLab',
      args: [{ run: target }],
      tooltip: t('Open the lab panel on {0}: kernels, feature maps, predictions', what),
    },
  ];
}
