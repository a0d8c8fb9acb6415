/**
 * Several runs side by side: the config fields in which they differ (and only those), their final
 * accuracies and durations, and their error curves. Used by the CLI (`mnist-lab compare`) and the
 * lab panel's comparison.
 */
import type { LabConfig } from '../config';
import { LabError } from '../errors';
import { isPlainObject } from '../files/untrusted';
import type { ProgressEvent, RunSummary } from '../events';

export interface ComparedRun {
  runDir: string;
  label: string;
  name: string;
  status: RunSummary['status'];
  valAccuracy: number | null;
  testAccuracy: number | null;
  seconds: number;
  steps: number;
  /** Whole epochs done, of the config's epochs (a `--max-steps` run did not finish the first). */
  epochsCompleted: number;
  epochs: number;
  /** The steps the run's config asked for (epochs × batches per epoch, or --max-steps). */
  totalSteps: number;
  /** The value of each differing field, as JSON text (`[4,8]`, `0.001`), in `fields` order. */
  values: string[];
  /** The error curves (%), one point per validation. */
  curve: { steps: number[]; trainError: number[]; valError: number[] };
}

export interface RunComparison {
  /** Dotted config paths whose values are not the same in every run, e.g. `model.depth`. */
  fields: string[];
  runs: ComparedRun[];
}

export interface RunToCompare {
  dir: string;
  config: LabConfig;
  summary: RunSummary;
  progress: ProgressEvent[];
}

/** Leaf values of a config by dotted path; arrays are leaves (`model.depth` = `[4,8]`). */
export function flattenConfig(value: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value ?? null));
  }
  return out;
}

/** The config paths in which not all configs agree (a field one lacks counts as differing), sorted. */
export function differingFields(configs: LabConfig[]): string[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = new Set(flat.flatMap((f) => [...f.keys()]));
  return [...keys].filter((k) => new Set(flat.map((f) => f.get(k) ?? 'undefined')).size > 1).sort();
}

/** Short distinct labels: the run folder's name (`<time>-<name>`). */
const runLabel = (dir: string) => dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;

/** Runs handed over by a caller that did not read them through readRun: each part must be an object. */
function checkRun(r: RunToCompare): void {
  for (const [part, file] of [['summary', 'summary.json'], ['config', 'config.json']] as const) {
    if (!isPlainObject(r[part])) throw new LabError(`${r.dir}/${file}: the ${part} must be a JSON object, got ${r[part] === null ? 'null' : typeof r[part]}`, { file: `${r.dir}/${file}`, field: part, code: 'invalid-data' });
  }
  if (!Array.isArray(r.progress)) throw new LabError(`${r.dir}/metrics.jsonl: no progress events`, { file: `${r.dir}/metrics.jsonl`, code: 'invalid-data' });
}

export function compareRuns(runs: RunToCompare[]): RunComparison {
  runs.forEach(checkRun);
  const fields = differingFields(runs.map((r) => r.config));
  return {
    fields,
    runs: runs.map((r) => {
      const flat = flattenConfig(r.config);
      return {
        runDir: r.dir,
        label: runLabel(r.dir),
        name: r.summary.name ?? r.config.name,
        status: r.summary.status,
        valAccuracy: r.summary.valAccuracy,
        testAccuracy: r.summary.testAccuracy,
        seconds: r.summary.seconds,
        steps: r.summary.steps,
        totalSteps: r.summary.totalSteps,
        epochsCompleted: r.summary.epochsCompleted,
        epochs: r.summary.epochs,
        values: fields.map((f) => flat.get(f) ?? '—'),
        curve: {
          steps: r.progress.map((p) => p.step),
          trainError: r.progress.map((p) => p.record[0]),
          valError: r.progress.map((p) => p.record[1]),
        },
      };
    }),
  };
}
