/**
 * What the inline hints of a `*.mnist.json` say: the latest finished run's accuracy, duration and
 * backend on the top-level object's first and last lines; the live epoch, step and validation
 * accuracy there while the file trains; "(last run: X)" on each written hyperparameter whose
 * value differs from that run's.
 * No vscode import.
 */
import { dirname, isAbsolute, relative } from 'node:path';
import { SEED_CONFIG, checkConfig } from '../../core/config';
import { type ConfigDocument, writtenLeaves, valueAtPath } from './configDocument';
import { compactJson, effectiveDataDir } from './diagnostics';
import { type RunRecord, duration, percent } from './runHistory';
import { t } from '../l10n';

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

/**
 * VS Code cuts the inlay hints of one line after `editor.inlayHints.maximumLength` characters
 * (43 by default), so the run's numbers are split between the object's first line (after `{`)
 * and its last (after `}`), each within the limit.
 */
export const HINT_MAX_LENGTH = 43;

/** The latest finished run: [after `{`, after `}`]. */
export function latestRunLabels(r: RunRecord): [string, string] {
  return [
    t('last run: test {0} · val {1}', percent(r.testAccuracy), percent(r.valAccuracy)),
    t('last run: {0} on {1}', duration(r.seconds), r.backend || '?'),
  ];
}

/** The training in progress: [after `{`, after `}`]; the latest finished run's test accuracy stays in view. */
export function liveLabels(live: LiveTraining, latest: RunRecord | null): [string, string] {
  return [
    t('training: epoch {0}/{1} · val {2}', Math.max(1, live.epoch), live.epochs, percent(live.valAccuracy)),
    latest
      ? t('step {0}/{1} · last run: {2}', live.step, live.totalSteps, percent(latest.testAccuracy))
      : t('step {0}/{1}', live.step, live.totalSteps),
  ];
}

/** The value a run used at a path, comparable with what the file says (data.dir resolved like Train does). */
function sameValue(path: string, written: unknown, used: unknown, input: HintInput): boolean {
  if (path === 'data.dir') return effectiveDataDir(written, { file: input.file, defaultDataDir: input.defaultDataDir }) === (used ?? null);
  return compactJson(written) === compactJson(used);
}

/** How a value of the last run reads in a hint: a data directory inside the config's folder, relative to it. */
function shown(path: string, used: unknown, file: string): string {
  if (path === 'data.dir' && typeof used === 'string' && isAbsolute(used)) {
    const rel = relative(dirname(file), used);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return compactJson(rel);
  }
  return compactJson(used);
}

export function configHints(doc: ConfigDocument, input: HintInput): HintSpec[] {
  if (!doc.valid || doc.root?.type !== 'object') return [];
  const out: HintSpec[] = [];
  const first = doc.root.offset + 1;
  const last = doc.root.offset + doc.root.length;
  const run = input.latest;
  const changed: string[] = [];
  const written = new Set<string>();
  if (run?.config) {
    for (const leaf of writtenLeaves(doc)) {
      written.add(leaf.path);
      if (NOT_HYPERPARAMETERS.has(leaf.path)) continue;
      const used = valueAtPath(run.config, leaf.path);
      if (used === undefined || sameValue(leaf.path, leaf.value, used, input)) continue;
      const old = shown(leaf.path, used, input.file);
      changed.push(`${leaf.path}: ${old} → ${compactJson(leaf.value)}`);
      out.push({
        offset: leaf.span.offset + leaf.span.length,
        label: t('(last run: {0})', old),
        tooltip: t(
          'MNIST Lab: the accuracy shown at the top is from run {0}, trained with {1} = {2}.',
          run.runId,
          leaf.path,
          compactJson(used),
        ),
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
        if (used !== undefined && compactJson(used) !== compactJson(now))
          changed.push(`${path}: ${compactJson(used)} → ${compactJson(now)} ${t('(default)')}`);
      }
    }
  }
  const runTooltip = run
    ? [
        t(
          'MNIST Lab: the latest finished run of this file, {0} ({1}): test {2}, validation {3}, {4} steps in {5} on {6}.',
          run.runId,
          run.dir,
          percent(run.testAccuracy),
          percent(run.valAccuracy),
          run.steps,
          duration(run.seconds),
          run.backend,
        ),
        !run.config ? '' : changed.length ? t('Changed since: {0}.', changed.join('; ')) : t('The file still has that run’s settings.'),
      ]
        .filter(Boolean)
        .join('\n')
    : '';
  const top: HintSpec[] = [];
  if (input.live) {
    const tooltip = `${t('MNIST Lab: this file is training now (validation accuracy on the whole validation split, updated every evalEvery steps).')}${run ? `\n${runTooltip}` : ''}`;
    const [a, b] = liveLabels(input.live, run);
    top.push({ offset: first, label: a, tooltip, kind: 'live' }, { offset: last, label: b, tooltip, kind: 'live' });
  } else if (run) {
    const [a, b] = latestRunLabels(run);
    top.push(
      { offset: first, label: a, tooltip: runTooltip, kind: 'latest' },
      { offset: last, label: b, tooltip: runTooltip, kind: 'latest' },
    );
  }
  return [...top, ...out].sort((x, y) => x.offset - y.offset);
}
