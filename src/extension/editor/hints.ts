/**
 * What the inline hints of a `*.mnist.json` say: the latest finished run's accuracy next to the
 * top-level object, the live epoch and validation accuracy while the file trains, and
 * "(last run: X)" on each written hyperparameter whose value differs from that run's.
 * No vscode import.
 */
import { SEED_CONFIG, checkConfig } from '../../core/config';
import { type ConfigDocument, writtenLeaves, valueAtPath } from './configDocument';
import { compactJson, effectiveDataDir } from './diagnostics';
import { type RunRecord, duration, percent } from './runHistory';

export interface HintSpec {
  /** Where the hint goes (after this offset). */
  offset: number;
  label: string;
  tooltip: string;
  /** What the hint is about, for tests and styling. */
  kind: 'latest' | 'live' | 'changed';
  path?: string;
}

/** A run of this file in progress, as the host sees it. */
export interface LiveTraining {
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  /** The latest validation accuracy (null before the first evaluation). */
  valAccuracy: number | null;
}

export interface HintInput {
  file: string;
  defaultDataDir: string | null;
  latest: RunRecord | null;
  live: LiveTraining | null;
}

/** Paths that are not hyperparameters: a different name does not make the accuracy stale. */
const NOT_HYPERPARAMETERS = new Set(['$schema', 'name']);

/** VS Code cuts an inlay hint after `editor.inlayHints.maximumLength` characters (43 by default): each label stays within. */
export const HINT_MAX_LENGTH = 43;

/** The latest run, as two hints: the accuracies, then duration and backend. */
export function latestRunLabels(r: RunRecord): [string, string] {
  return [`last run: test ${percent(r.testAccuracy)} · val ${percent(r.valAccuracy)}`, `${duration(r.seconds)} · ${r.backend || '?'}`];
}

/** The training in progress, as two hints: the epoch, then the step and the latest validation accuracy. */
export function liveLabels(t: LiveTraining): [string, string] {
  return [`training: epoch ${Math.max(1, t.epoch)}/${t.epochs}`, `step ${t.step}/${t.totalSteps} · val ${percent(t.valAccuracy)}`];
}

/** The value a run used at a path, comparable with what the file says (data.dir resolved like Train does). */
function sameValue(path: string, written: unknown, used: unknown, input: HintInput): boolean {
  if (path === 'data.dir') return effectiveDataDir(written, { file: input.file, defaultDataDir: input.defaultDataDir }) === (used ?? null);
  return compactJson(written) === compactJson(used);
}

export function configHints(doc: ConfigDocument, input: HintInput): HintSpec[] {
  if (!doc.valid || doc.root?.type !== 'object') return [];
  const out: HintSpec[] = [];
  const top = doc.root.offset + 1;
  if (input.live) {
    const tooltip = 'MNIST Lab: this file is training now (validation accuracy on the whole validation split, updated every evalEvery steps).';
    for (const label of liveLabels(input.live)) out.push({ offset: top, label, tooltip, kind: 'live' });
  }
  const run = input.latest;
  if (!run?.config) {
    if (run) for (const label of latestRunLabels(run)) out.push({ offset: top, label, tooltip: `MNIST Lab: run ${run.runId} (${run.dir})`, kind: 'latest' });
    return out;
  }
  const changed: string[] = [];
  const written = new Set<string>();
  for (const leaf of writtenLeaves(doc)) {
    written.add(leaf.path);
    if (NOT_HYPERPARAMETERS.has(leaf.path)) continue;
    const used = valueAtPath(run.config, leaf.path);
    if (used === undefined || sameValue(leaf.path, leaf.value, used, input)) continue;
    changed.push(`${leaf.path}: ${compactJson(used)} → ${compactJson(leaf.value)}`);
    out.push({
      offset: leaf.span.offset + leaf.span.length,
      label: `(last run: ${compactJson(used)})`,
      tooltip: `MNIST Lab: the accuracy shown at the top is from run ${run.runId}, trained with ${leaf.path} = ${compactJson(used)}.`,
      kind: 'changed',
      path: leaf.path,
    });
  }
  // Fields the file no longer writes take the seed's defaults: said in the tooltip, where there is no value to mark.
  const effective = checkConfig(doc.value).config;
  for (const section of ['model', 'training'] as const) {
    for (const key of Object.keys(SEED_CONFIG[section])) {
      const path = `${section}.${key}`;
      if (written.has(path)) continue;
      const used = valueAtPath(run.config, path);
      const now = valueAtPath(effective, path);
      if (used !== undefined && compactJson(used) !== compactJson(now)) changed.push(`${path}: ${compactJson(used)} → ${compactJson(now)} (default)`);
    }
  }
  const tooltip = [
    `MNIST Lab: the latest finished run of this file, ${run.runId} (${run.dir}): test ${percent(run.testAccuracy)}, validation ${percent(run.valAccuracy)}, ${run.steps} steps in ${duration(run.seconds)} on ${run.backend}.`,
    changed.length ? `Changed since: ${changed.join('; ')}.` : 'The file still has that run’s settings.',
  ].join('\n');
  for (const label of latestRunLabels(run)) out.push({ offset: top, label, tooltip, kind: 'latest' });
  return out;
}
