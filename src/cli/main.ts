import { type ChildProcess, spawn } from 'node:child_process';
import { type Stats, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, describeAttempts, selectBackend } from '../core/backends';
import {
  type GridPoint,
  type GridSpec,
  type LabConfig,
  SEED_CONFIG,
  expandGrid,
  loadConfigFileWithGrid,
  parseConfig,
  resolveDataDir,
} from '../core/config';
import { classNamesOf, labelText } from '../core/data/classes';
import { loadLabData, imageAt } from '../core/data/mnist';
import { LabError, errorMessage, isLabError } from '../core/errors';
import { evaluate, evaluateSplits } from '../core/analysis/evaluate';
import { checkModelFitsData, dataChoiceFor, maxShift, shiftInRange } from '../core/analysis/service';
import { seedAccuracyFor, type ProgressEvent, type RunSummary, type TrainingEvent } from '../core/events';
import { loadModel, prepareExportDir, saveModel } from '../core/model/interchange';
import { isInside } from '../core/files/untrusted';
import { explain } from '../core/analysis/explain';
import {
  EXPLAIN_METHODS,
  EXPLAIN_SCORES,
  type ExplainMethod,
  type ExplainScore,
  MAX_SMOOTHGRAD_SAMPLES,
  MAX_SMOOTHGRAD_SEED,
  MAX_SMOOTHGRAD_SIGMA,
  SMOOTHGRAD_DEFAULTS,
} from '../core/analysis/explainOptions';
import { DEFAULT_SWEEP_RANGE, MAX_SWEEP_RANGE, type SweepResult, describeShiftSweep, robustnessSweep } from '../core/analysis/sweep';
import { writePytorchSnippet } from '../core/model/pytorchSnippet';
import { compareRuns } from '../core/runs/compare';
import { robustnessCheck, shiftImage } from '../core/analysis/robustness';
import { GRIDS_FOLDER, GridRecordFile, type GridStatus, type StoredGrid, bestGridPoint, gridRecordAtSync } from '../core/runs/grid';
import { readRun } from '../core/runs/store';
import { runTraining } from '../core/session';
import { MAX_WORKERS, defaultWorkers } from '../core/train/group';
import { formatLr, formatProgressLine, pctTight as pct, stepsOfTotal } from '../core/format';
import { hyperAt, scheduled } from '../core/train/schedule';
import { describeOptimizer } from '../core/train/optimizer';
import { ProgressBar, colorsFor, didYouMean, formatSweep, formatSweepComparison, paint, seedNote, supportsUnicode, table } from './output';
import { REPORT_IMAGE, writeReport } from '../core/report/report';
import { REPORT_LANGUAGES, isReportLanguage } from '../core/report/text';
import { checkReadableDir, ensureWritableDir, fsErrorInside, fsLabError } from './paths';

const USAGE = `MNIST Lab — the original lab's ConvNet on MNIST, headless.

Usage:
  mnist-lab train [CONFIG] [--epochs N] [--max-steps N] [--backend NAME] [--seed N]
                  [--workers N] [--data DIR] [--out DIR] [--parallel N] [--point N] [--json]
  mnist-lab evaluate RUN [--data DIR] [--backend NAME] [--json]
  mnist-lab robustness RUN [--index 4] [--dx -3] [--dy 0] [--data DIR] [--backend NAME] [--json]
  mnist-lab robustness RUN --sweep [--range 3] [--compare RUN2] [--data DIR] [--backend NAME] [--json]
  mnist-lab explain RUN [--index 4] [--method gradient] [--class N] [--score logit]
                  [--samples 50] [--sigma 0.15] [--seed 0] [--data DIR] [--backend NAME] [--json]
  mnist-lab export RUN [--out DIR] [--json]
  mnist-lab compare RUN RUN… [--json]
  mnist-lab report RUN|GRID [--lang en|zh-cn] [--out DIR] [--range 3] [--json]
  mnist-lab help [COMMAND] | --help | --version

CONFIG  a lab config (*.mnist.json); without it, the original lab's settings.
RUN     a run directory, or weights: model.json (TensorFlow.js) or .safetensors (PyTorch
        state_dict, e.g. saved from the original lab's notebook).
GRID    a grid's record, RUNS/grids/<time>-<name>.json (a RUNS/grids folder: its newest record).
--backend  ${BACKEND_NAMES.join(' | ')} (default auto)
--workers  data-parallel replicas on worker threads, 1..${MAX_WORKERS} (default: the number of CPU
           cores)
--data     a directory of MNIST-layout IDX files (default: the embedded MNIST)
--parallel train, a config with a "grid": N of its runs at a time, in child processes sharing
           the cores (default 1: one after the other)
--point    train, a config with a "grid": only its N-th run (1 = the first)
--out      train: the folder that receives run directories (default ./runs);
           export: where weights given as a file are written in both formats, with
           load_pytorch.py (the original lab's ConvNet loading them)
--sweep    robustness: test accuracy under every shift (dx, dy) in [-k, k], rotations and
           Gaussian noise: a table on a terminal, one JSON object with --json or when stdout
           is not a terminal (a pipe, a file)
--range    robustness --sweep: k, the largest shift in pixels (default ${DEFAULT_SWEEP_RANGE})
--compare  robustness --sweep: the same sweep of a second RUN beside the first (e.g. trained
           with and without training.augment)
--method   explain: ${EXPLAIN_METHODS.join(' | ')} (default gradient)
compare    two or more run directories: the config fields that differ, final accuracies,
           durations, steps and status
report     the lab report of a run directory: report.md, a self-contained report.html, every
           figure as PNG and SVG (figures/) and metrics.csv, in --out (default RUN/report); a
           grid's run (or a GRID: its best run) also gets the grid's table, and grid.csv
--lang     report: en (default) or zh-cn
--json     one JSON object per line, each with a "type" (progress, epoch, summary, grid, error)
--version  the version of mnist-lab
--verbose  the backends tried before the one used (train), and the stack of an internal error

Per command: mnist-lab COMMAND --help, or mnist-lab help COMMAND (with examples).
`;

const COMMANDS = ['train', 'evaluate', 'robustness', 'explain', 'export', 'compare', 'report', 'help'] as const;

/** `mnist-lab COMMAND --help` and `mnist-lab help COMMAND`: its usage, options and examples. */
const COMMAND_HELP: Record<string, string> = {
  train: `mnist-lab train [CONFIG] [--epochs N] [--max-steps N] [--backend NAME] [--seed N]
                [--workers N] [--data DIR] [--out DIR] [--parallel N] [--point N] [--json] [--verbose]

Trains the ConvNet (the original lab's settings, or CONFIG's) and writes a run directory under --out.
On a terminal a progress bar on stderr shows the epoch's steps, ms/step, loss, accuracy and ETA.
A CONFIG with a "grid" trains every combination of its values, each a run directory, and writes
a grid record in --out/grids/; it ends with a table of the runs (with --json: one "grid" line).

  --epochs N     overrides training.epochs
  --max-steps N  stops after N steps in all (a partial run: quick checks)
  --backend NAME ${BACKEND_NAMES.join(' | ')} (default auto)
  --seed N       overrides training.seed
  --workers N    data-parallel replicas, 1..${MAX_WORKERS} (default: the number of CPU cores)
  --data DIR     MNIST-layout IDX files (default: the embedded MNIST)
  --out DIR      where run directories go (default ./runs)
  --parallel N   a grid: N runs at a time in child processes, each with cores/N replicas
                 (unless --workers); Ctrl-C stops them all
  --point N      a grid: only its N-th run (1-based, in the grid's order)
  --json         one JSON object per line (start, progress, epoch, summary, grid, error)
  --verbose      also the backends tried before the one used

Examples:
  mnist-lab train                          the original lab: 20 epochs
  mnist-lab train --max-steps 200          a quick check
  mnist-lab train my.mnist.json --epochs 5 --json > run.jsonl
  mnist-lab train grid.mnist.json --parallel 2   a grid, two runs at a time
`,
  evaluate: `mnist-lab evaluate RUN [--data DIR] [--backend NAME] [--json]

Validation and test accuracy of a run directory, a model.json or a .safetensors file.

Examples:
  mnist-lab evaluate runs/2026-01-01T12-00-00-seed
  mnist-lab evaluate model.safetensors --data ./fashion --json
`,
  robustness: `mnist-lab robustness RUN [--index 4] [--dx -3] [--dy 0] [--data DIR] [--backend NAME] [--json]
mnist-lab robustness RUN --sweep [--range 3] [--compare RUN2] [--data DIR] [--backend NAME] [--json]

One test image shifted by (dx, dy) (right and down positive), and the whole test split shifted.
--sweep: the accuracy under every shift in [-range, range], rotations and Gaussian noise: a
table on a terminal, one JSON object with --json or when stdout is not a terminal.
--compare RUN2: the same sweep of RUN2 (its own data), side by side with RUN's: the worst
accuracy within each shift radius, rotations and noise, one row per run; in JSON, RUN2's
sweep under "compare".

Examples:
  mnist-lab robustness runs/… --dx -3          the original lab: 3 pixels left
  mnist-lab robustness runs/… --sweep --range 2
  mnist-lab robustness runs/… --sweep --json | jq .shift.byRadius
  mnist-lab robustness runs/…-seed --sweep --compare runs/…-augmented
`,
  explain: `mnist-lab explain RUN [--index 4] [--method gradient] [--class N] [--score logit]
                  [--samples 50] [--sigma 0.15] [--seed 0] [--data DIR] [--backend NAME] [--json]

Why the network decided: a map over test image INDEX of what raises the class's score.

  --method NAME  gradient (saliency), gradientTimesInput, smoothGrad (the mean gradient of noisy
                 copies), gradCam (Grad-CAM on conv2, upsampled to the image); default gradient
  --class N      the class explained (default: the predicted one)
  --score NAME   logit (before the softmax, default) or logProbability
  --samples N    smoothGrad: noisy copies, 1..${MAX_SMOOTHGRAD_SAMPLES} (default ${SMOOTHGRAD_DEFAULTS.samples})
  --sigma F      smoothGrad: the noise's σ as a fraction of the image's range, 0..${MAX_SMOOTHGRAD_SIGMA} (default ${SMOOTHGRAD_DEFAULTS.sigma})
  --seed N       smoothGrad: the noise's seed (default ${SMOOTHGRAD_DEFAULTS.seed})
  --json         one JSON object: the map (28×28 row-major) and what it explains

On a terminal the map is drawn in characters: + : . raise the score (most to least), = - ,
lower it.

Examples:
  mnist-lab explain runs/… --index 4 --method gradCam
  mnist-lab explain runs/… --method smoothGrad --samples 100 --json | jq .map
`,
  export: `mnist-lab export RUN [--out DIR] [--json]

Writes the weights as safetensors (PyTorch state_dict) and TensorFlow.js, with load_pytorch.py.

Examples:
  mnist-lab export runs/…                     into the run's model/ folder
  mnist-lab export model.safetensors --out exported
`,
  compare: `mnist-lab compare RUN RUN… [--json]

The config fields in which the runs differ, then one row per run: those fields, validation and
test accuracy, time, steps and status.

Example:
  mnist-lab compare runs/*
`,
  report: `mnist-lab report RUN|GRID [--lang en|zh-cn] [--out DIR] [--range 3] [--data DIR] [--backend NAME] [--json]

Writes the lab report of a run directory, laid out as the original lab's report: aim, data and
split, the network with its parameters per layer, hyperparameters, error curves, validation and
test accuracy (against the original lab's 99.06 % on MNIST), conv1/conv2 kernels, the feature
maps of test image #4, the digit shifted 3 pixels left, and the robustness sweep.

A run that is one point of a grid (the newest record in RUNS/grids/ that lists it) gets the
grid's table too: each point's values, validation and test accuracy and status, the best
validation accuracy in bold, this run's row marked. GRID, a grid's record
RUNS/grids/<time>-<name>.json (or a RUNS/grids folder: its newest record), writes the report of
the grid's best run (the best validation accuracy) with that table; the record is checked as
any file the lab did not write (a regular file of at most 1 MiB, every field, every run folder
a name inside the runs folder).

  report.md        the report, its figures linked
  report.html      the same, self-contained (figures inline; it loads nothing)
  figures/*.png    every figure, and the same as .svg
  metrics.csv      the run's recorded progress (metrics.jsonl) as a table
  grid.csv         a grid's run: the grid's table (accuracies as fractions; best, thisRun: 1)

  --lang en|zh-cn  the report's language (default en)
  --out DIR        where the report goes (default RUN/report, for a GRID its best run's);
                   existing report files are replaced
  --range N        the sweep's largest shift in pixels (default ${DEFAULT_SWEEP_RANGE})

Examples:
  mnist-lab report runs/2026-01-01T12-00-00-seed
  mnist-lab report runs/… --lang zh-cn --out 实验报告
  mnist-lab report runs/… --range 1 --json      a quicker sweep; one JSON line with the files
  mnist-lab report runs/grids/20260101-120000-lr-width.json   the grid's best run, with its table
`,
  help: `mnist-lab help [COMMAND]

This text, or one command's help with examples (same as mnist-lab COMMAND --help).
`,
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function unknownCommand(command: string): LabError {
  const near = didYouMean(command, COMMANDS);
  const shown = command.length > 40 ? `${command.slice(0, 40)}…` : command;
  return new LabError(
    `unknown command '${shown}'${near ? ` — did you mean ${near}?` : ''} (train, evaluate, robustness, explain, export, compare, report; see mnist-lab --help)`,
  );
}

type Flags = Record<string, string | boolean | undefined>;

function intFlag(flags: Flags, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  const shown = String(v).length > 40 ? `${String(v).slice(0, 40)}…` : String(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new LabError(`--${name}: expected a whole number ≥ ${min}, got '${shown}'`, { field: name });
  }
  if (n > max) throw new LabError(`--${name}: at most ${max}, got ${shown}`, { field: name });
  return n;
}

function strFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

class Output {
  /** stdout is a terminal (a person reads it), and colours are on there. */
  readonly tty = Boolean(process.stdout.isTTY);
  readonly color = colorsFor(process.stdout);
  constructor(
    readonly json: boolean,
    readonly verbose = false,
  ) {}
  event(e: TrainingEvent | Record<string, unknown>): void {
    if (this.json) process.stdout.write(`${JSON.stringify(e)}\n`);
  }
  line(text: string): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }
}

/** The training flags that override a config, and where run folders go. */
interface TrainSettings {
  backend: string;
  maxSteps: number | undefined;
  workers: number;
  outDir: string;
}

/** `--epochs`, `--seed` and `--data` over a config, checked as a config. */
function withFlags(config: LabConfig, flags: Flags, data: string | undefined, file: string): LabConfig {
  const epochs = intFlag(flags, 'epochs', 1);
  const seed = intFlag(flags, 'seed', 0);
  return parseConfig(
    {
      ...config,
      training: { ...config.training, ...(epochs !== undefined && { epochs }), ...(seed !== undefined && { seed }) },
      data: { ...config.data, ...(data !== undefined && { dir: resolve(data) }) },
    },
    file,
  );
}

/** The most grid points `--parallel` trains at once. */
const MAX_PARALLEL = 16;

async function cmdTrain(positionals: string[], flags: Flags, out: Output): Promise<number> {
  if (positionals.length > 1) throw new LabError(`train takes at most one CONFIG, got: ${positionals.join(' ')}`);
  const backend = strFlag(flags, 'backend') ?? 'auto';
  if (!(BACKEND_NAMES as readonly string[]).includes(backend)) {
    throw new LabError(`--backend: unknown backend '${backend}' (choose one of: ${BACKEND_NAMES.join(', ')})`, { field: 'backend' });
  }
  const file = positionals[0] ? resolve(positionals[0]) : undefined;
  const loaded = file ? loadConfigFileWithGrid(file) : { config: structuredClone(SEED_CONFIG), grid: null };
  const maxSteps = intFlag(flags, 'max-steps', 1);
  const workersFlag = intFlag(flags, 'workers', 1, MAX_WORKERS);
  const point = intFlag(flags, 'point', 1);
  const parallel = intFlag(flags, 'parallel', 1, MAX_PARALLEL);
  const dataFlag = strFlag(flags, 'data');
  const data = dataFlag === undefined ? undefined : checkReadableDir(dataFlag, '--data');
  const label = positionals[0] ?? '<command line>';
  const { grid } = loaded;
  if (!grid && (point !== undefined || parallel !== undefined)) {
    throw new LabError(`--${point !== undefined ? 'point' : 'parallel'}: only for a config with a "grid"`, {
      field: point !== undefined ? 'point' : 'parallel',
    });
  }
  if (grid) {
    // A flag that would set what the grid varies would make its runs alike: refused, naming both.
    for (const [flag, key] of [
      ['epochs', 'training.epochs'],
      ['seed', 'training.seed'],
      ['data', 'data.dir'],
    ] as const) {
      if (flags[flag] !== undefined && grid.keys.includes(key))
        throw new LabError(`--${flag}: the grid of ${label} varies ${key}; leave out --${flag} or the grid key`, { field: flag });
    }
  }
  const points = grid
    ? expandGrid(loaded.config, grid).map((p) => ({ ...p, config: withFlags(resolveDataDir(p.config, file!), flags, data, label) }))
    : [];
  if (point !== undefined && point > points.length)
    throw new LabError(`--point: the grid of ${label} has ${points.length} points, got ${point}`, { field: 'point' });
  const single = grid ? null : withFlags(loaded.config, flags, data, label);
  const outDir = ensureWritableDir(strFlag(flags, 'out') ?? 'runs', '--out');
  const settings: TrainSettings = {
    backend,
    maxSteps,
    outDir,
    workers: workersFlag ?? Math.max(1, Math.floor(Math.min(defaultWorkers(), MAX_WORKERS) / (point === undefined ? (parallel ?? 1) : 1))),
  };
  if (grid && point === undefined) {
    if (parallel !== undefined && parallel > 1) {
      // Each child shares the cores: cores / N replicas, unless --workers says otherwise.
      const childWorkers = workersFlag ?? Math.max(1, Math.floor(defaultWorkers() / parallel));
      return trainGridParallel(file!, points, grid, { ...settings, workers: childWorkers }, parallel, flags, out, loaded.config.name);
    }
    return trainGrid(file!, points, grid, settings, out, loaded.config.name);
  }
  const config = point !== undefined ? points[point - 1]!.config : single!;
  const controller = new AbortController();
  const stopSignals = onInterrupt(out, () => controller.abort());
  try {
    const summary = await trainOne(config, settings, controller.signal, out, point !== undefined ? { point } : undefined);
    if (summary.status === 'failed') return 1;
    return summary.status === 'cancelled' ? 130 : 0;
  } finally {
    stopSignals();
  }
}

/**
 * Ctrl-C (and SIGTERM): `stop` once, then a second one quits at once. Returns what removes the
 * handlers.
 */
function onInterrupt(out: Output, stop: () => void, quit: () => void = () => process.exit(130)): () => void {
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) return quit();
    if (!out.json) process.stderr.write('\nStopping after this step (Ctrl-C again to quit at once)…\n');
    stop();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return () => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  };
}

/**
 * One training run as `train` prints it (progress bar, lines, summary); `tag` is added to every
 * JSON line (a grid's `point`).
 */
async function trainOne(
  config: LabConfig,
  settings: TrainSettings,
  signal: AbortSignal,
  out: Output,
  tag?: Record<string, unknown>,
  onStart?: (runDir: string) => void,
): Promise<RunSummary> {
  const { outDir } = settings;
  const bar = !out.json && process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  // What the bar shows besides the step: the epoch's size, the latest loss and accuracy.
  let stepsPerEpoch = 0;
  let latest: ProgressEvent | null = null;
  try {
    const summary = await runTraining({
      config,
      outDir,
      backend: settings.backend,
      maxSteps: settings.maxSteps,
      workers: settings.workers,
      signal,
      onStep: bar
        ? (step, total, epoch) => {
            const done = stepsPerEpoch ? step - (epoch - 1) * stepsPerEpoch : step;
            const size = stepsPerEpoch ? Math.min(stepsPerEpoch, total - (epoch - 1) * stepsPerEpoch) : total;
            bar.update(step, total, `epoch ${epoch}/${config.training.epochs}`, {
              part: { step: done, total: size },
              loss: latest?.loss,
              accuracy: latest?.trainAccuracy,
            });
          }
        : undefined,
      onEvent: (e) => {
        out.event(tag ? { ...e, ...tag } : e);
        if (e.type === 'start') onStart?.(e.runDir);
        if (out.json) return;
        bar?.clear();
        if (e.type === 'start') {
          stepsPerEpoch = e.batchesPerEpoch;
          out.line(
            `MNIST Lab: training "${e.config.name}" on ${e.backend} — ${e.device}${(e.workers ?? 1) > 1 ? `, ${e.workers} data-parallel replicas` : ''}`,
          );
          out.line(
            `data: train ${e.trainSize}, validation ${e.validationSize}, test ${e.testSize}; ${e.parameters.toLocaleString('en')} parameters; ${e.totalSteps} steps`,
          );
          const optimizer = describeOptimizer(e.config.training, formatLr);
          if (optimizer) out.line(`optimizer: ${optimizer}`);
          out.line(`run: ${e.runDir}`);
          // The attempts in full only with --verbose (the start event of --json and events.jsonl
          // always carry them); otherwise one line says that others were tried.
          if (e.attempts && e.attempts.length > 1 && !out.verbose)
            out.line(
              paint(
                'dim',
                `(${e.attempts.length - 1} other backend${e.attempts.length > 2 ? 's' : ''} tried first: --verbose says why)`,
                out.color,
              ),
            );
          else if (e.attempts && e.attempts.length > 1)
            out.line(
              `backends tried:\n${describeAttempts(e.attempts)
                .map((l) => `  ${l}`)
                .join('\n')}`,
            );
        } else if (e.type === 'progress') {
          latest = e;
          out.line(formatProgressLine(e as ProgressEvent, e.epoch, scheduled(config.training)));
        } else if (e.type === 'epoch') {
          out.line(`— epoch ${e.epoch} done at ${e.seconds.toFixed(1)} s`);
        }
      },
    });
    bar?.clear();
    printSummary(summary, out, stepsPerEpoch ? stepsPerEpoch * config.training.epochs : undefined);
    if (!out.json && scheduled(config.training) && stepsPerEpoch && summary.steps > 0)
      out.line(`last learning rate: ${formatLr(hyperAt(config.training, summary.steps - 1, stepsPerEpoch).lr)} (step ${summary.steps})`);
    return summary;
  } catch (e) {
    bar?.clear();
    // The run folder could not be made (a full disk, a folder that went read-only): the user's --out.
    if (fsErrorInside(e, outDir)) throw fsLabError(e, outDir, '--out');
    if (config.data.dir && fsErrorInside(e, config.data.dir)) throw fsLabError(e, config.data.dir, '--data');
    throw e;
  }
}

/** A grid value as a table cell. */
function cell(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The grid's last word: one `grid` JSON line, or a table of its runs. */
function printGrid(record: GridRecordFile, outDir: string, out: Output): void {
  const r = record.record;
  out.event({
    type: 'grid',
    file: record.file,
    status: r.status,
    keys: r.keys,
    runs: r.points.map((p) => ({
      runDir: p.runDir === null ? null : join(outDir, p.runDir),
      values: p.values,
      status: p.status,
      valAccuracy: p.valAccuracy,
      testAccuracy: p.testAccuracy,
    })),
  });
  if (out.json) return;
  const best = r.points.reduce<number>((b, p, i) => ((p.valAccuracy ?? -1) > (r.points[b]?.valAccuracy ?? -1) ? i : b), 0);
  out.line('');
  out.line(`grid: ${r.points.length} runs, ${paint(r.status === 'completed' ? 'green' : 'yellow', r.status, out.color)} — ${record.file}`);
  const rows = [
    ['#', ...r.keys, 'validation', 'test', 'status', 'run'],
    ...r.points.map((p, i) => [
      `${i + 1}${i === best && p.valAccuracy !== null ? '*' : ''}`,
      ...r.keys.map((k) => cell(p.values[k])),
      pct(p.valAccuracy),
      pct(p.testAccuracy),
      p.status,
      p.runDir ?? '—',
    ]),
  ];
  for (const l of table(rows)) out.line(l);
  if (r.points[best]?.valAccuracy != null) out.line(`* best validation accuracy`);
}

function gridHeader(grid: GridSpec, points: GridPoint[], out: Output, parallel?: number): void {
  out.line(
    `grid: ${points.length} runs (${grid.keys.map((k, i) => `${k} × ${grid.values[i]!.length}`).join(', ')})${parallel ? `, ${parallel} at a time` : ', one after the other'}`,
  );
}

function gridStatus(record: GridRecordFile, cancelled: boolean): GridStatus {
  const st = record.record.points.map((p) => p.status);
  if (cancelled) return 'cancelled';
  if (st.some((s) => s === 'failed')) return 'failed';
  return st.every((s) => s === 'completed') ? 'completed' : 'cancelled';
}

/** Every point of a grid, one after the other in this process; Ctrl-C stops the one training and skips the rest. */
async function trainGrid(
  file: string,
  points: GridPoint[],
  grid: GridSpec,
  settings: TrainSettings,
  out: Output,
  name: string,
): Promise<number> {
  const record = GridRecordFile.create(settings.outDir, { name, source: file, keys: grid.keys, values: points.map((p) => p.values) });
  const controller = new AbortController();
  const stopSignals = onInterrupt(out, () => controller.abort());
  gridHeader(grid, points, out);
  try {
    for (const p of points) {
      if (controller.signal.aborted) break;
      out.line('');
      out.line(
        `— grid point ${p.index + 1}/${points.length}: ${Object.entries(p.values)
          .map(([k, v]) => `${k} = ${cell(v)}`)
          .join(', ')}`,
      );
      const summary = await trainOne(p.config, settings, controller.signal, out, { point: p.index + 1 }, (runDir) =>
        record.update(p.index, { runDir, status: 'running', valAccuracy: null, testAccuracy: null }),
      );
      record.update(p.index, summary);
    }
  } finally {
    stopSignals();
    record.finish(gridStatus(record, controller.signal.aborted));
  }
  printGrid(record, settings.outDir, out);
  const status = record.record.status;
  return status === 'completed' ? 0 : status === 'failed' ? 1 : 130;
}

/**
 * The points of a grid in `parallel` child processes (each `mnist-lab train CONFIG --point I
 * --json`), each with its share of the cores. Ctrl-C stops every child (each records its run as
 * cancelled); points not started are left out.
 */
async function trainGridParallel(
  file: string,
  points: GridPoint[],
  grid: GridSpec,
  settings: TrainSettings,
  parallel: number,
  flags: Flags,
  out: Output,
  name: string,
): Promise<number> {
  const record = GridRecordFile.create(settings.outDir, { name, source: file, keys: grid.keys, values: points.map((p) => p.values) });
  const children = new Set<ChildProcess>();
  let cancelled = false;
  const stopAll = (signal: NodeJS.Signals) => {
    for (const c of children) c.kill(signal);
  };
  const stopSignals = onInterrupt(
    out,
    () => {
      cancelled = true;
      stopAll('SIGTERM');
    },
    // A second Ctrl-C: each child quits at once too (its second signal).
    () => stopAll('SIGTERM'),
  );
  // Children are in their own process groups (a terminal's Ctrl-C reaches this process only):
  // should this process end, they end with it.
  const killAll = () => stopAll('SIGKILL');
  process.on('exit', killAll);
  gridHeader(grid, points, out, parallel);
  const forwarded: string[] = ['--out', settings.outDir, '--workers', String(settings.workers), '--backend', settings.backend];
  if (settings.maxSteps !== undefined) forwarded.push('--max-steps', String(settings.maxSteps));
  for (const f of ['epochs', 'seed'] as const) if (typeof flags[f] === 'string') forwarded.push(`--${f}`, flags[f] as string);
  if (typeof flags.data === 'string') forwarded.push('--data', resolve(flags.data));
  const runPoint = (p: GridPoint): Promise<void> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [__filename, 'train', file, '--point', String(p.index + 1), '--json', ...forwarded], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      children.add(child);
      let summary: RunSummary | null = null;
      let error: string | null = null;
      let stderr = '';
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let e: Record<string, unknown>;
        try {
          e = JSON.parse(line) as Record<string, unknown>;
        } catch {
          process.stderr.write(`[point ${p.index + 1}] ${line}\n`);
          return;
        }
        if (out.json) process.stdout.write(`${JSON.stringify({ ...e, point: p.index + 1 })}\n`);
        if (e.type === 'start' && typeof e.runDir === 'string')
          record.update(p.index, { runDir: e.runDir, status: 'running', valAccuracy: null, testAccuracy: null });
        else if (e.type === 'summary') summary = e as unknown as RunSummary;
        else if (e.type === 'error') error = typeof e.message === 'string' ? e.message : 'failed';
      });
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-4000);
      });
      child.on('close', (code) => {
        children.delete(child);
        const s = summary as RunSummary | null;
        if (s) {
          record.update(p.index, s);
          if (!out.json)
            out.line(
              `point ${p.index + 1}/${points.length} ${s.status}: validation ${pct(s.valAccuracy)}, test ${pct(s.testAccuracy)} — ${s.runDir}`,
            );
        } else {
          const why = error ?? (stderr.trim().split('\n').at(-1) || `exit code ${code}`);
          const status = cancelled ? 'cancelled' : 'failed';
          record.ended(p.index, status);
          if (!out.json) process.stderr.write(`point ${p.index + 1}/${points.length} ${status}: ${why}\n`);
          else if (!error) out.event({ type: 'error', message: why, point: p.index + 1 });
        }
        done();
      });
    });
  let next = 0;
  const lane = async () => {
    while (!cancelled && next < points.length) await runPoint(points[next++]!);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, points.length) }, lane));
  } finally {
    stopSignals();
    process.off('exit', killAll);
    record.finish(gridStatus(record, cancelled));
  }
  printGrid(record, settings.outDir, out);
  const status = record.record.status;
  return status === 'completed' ? 0 : status === 'failed' ? 1 : 130;
}

function printSummary(s: RunSummary, out: Output, fullSteps?: number): void {
  if (out.json) return;
  const statusStyle = s.status === 'completed' ? 'green' : s.status === 'failed' ? 'red' : 'yellow';
  out.line(`status: ${paint(statusStyle, s.status, out.color)}${s.error ? ` (${s.error})` : ''}`);
  out.line(
    `steps: ${s.steps}/${s.totalSteps}, epochs completed: ${s.epochsCompleted}/${s.epochs}, ${s.seconds.toFixed(1)} s${s.msPerStep ? ` (${s.msPerStep.toFixed(1)} ms/step)` : ''} on ${s.backend}`,
  );
  out.line(
    `validation accuracy: ${pct(s.valAccuracy)}   test accuracy: ${pct(s.testAccuracy)}${seedNote(s, fullSteps, SEED_CONFIG.training.epochs)}`,
  );
  if (s.model) out.line(`model: ${s.model.safetensors}\n       ${s.model.tfjs}`);
  if (s.classNames) out.line(`classes: ${s.classNames.map((n, i) => `${i} ${n}`).join(', ')}`);
}

/** The data a RUN was trained on: --data, else its config's data.dir, else the embedded MNIST. */
function dataFor(run: string, flags: Flags) {
  const explicit = strFlag(flags, 'data');
  const dir = explicit !== undefined ? checkReadableDir(explicit, '--data') : null;
  let config: LabConfig | null = null;
  if (existsSync(join(run, 'config.json'))) {
    // The run's config as a config file: a null section or a wrong type is named, not a TypeError.
    config = parseConfig(readRun(run).config, join(run, 'config.json'));
  }
  const choice = dataChoiceFor(config, dir);
  return { data: loadLabData(choice.dataDir ?? undefined, choice.numClasses), classNames: classNamesOf(config, choice.numClasses) };
}

async function loadForAnalysis(positionals: string[], flags: Flags, command: string) {
  if (positionals.length !== 1) throw new LabError(`${command} takes exactly one RUN (a run directory, model.json or .safetensors)`);
  const run = resolve(positionals[0]!);
  const backend = await selectBackend(strFlag(flags, 'backend') ?? 'auto', { requireSyncReads: true });
  const { net, file } = loadModel(run);
  const { data, classNames } = dataFor(run, flags);
  checkModelFitsData(net, file, data);
  return { run, net, file, data, backend, classNames };
}

async function cmdEvaluate(positionals: string[], flags: Flags, out: Output): Promise<number> {
  const { net, file, data, backend, classNames } = await loadForAnalysis(positionals, flags, 'evaluate');
  const seed = seedAccuracyFor(classNames);
  try {
    const r = evaluateSplits(net, data);
    out.event({ type: 'summary', command: 'evaluate', model: file, backend: backend.name, ...r, seedTestAccuracy: seed });
    out.line(`model: ${file} (backend ${backend.name})`);
    out.line(`validation accuracy: ${pct(r.valAccuracy)} (${r.valCorrect}/${r.valTotal})`);
    out.line(
      `test accuracy:       ${pct(r.testAccuracy)} (${r.testCorrect}/${r.testTotal})${seed === null ? '' : `; the original lab: ${pct(seed)}`}`,
    );
    return 0;
  } finally {
    net.dispose();
  }
}

async function cmdRobustness(positionals: string[], flags: Flags, out: Output): Promise<number> {
  if (flags.sweep) return cmdSweep(positionals, flags, out);
  if (flags.range !== undefined) throw new LabError('--range: only with --sweep', { field: 'range' });
  if (flags.compare !== undefined) throw new LabError('--compare: only with --sweep', { field: 'compare' });
  const { net, file, data, backend, classNames } = await loadForAnalysis(positionals, flags, 'robustness');
  try {
    const index = intFlag(flags, 'index', 0) ?? 4;
    const dx = Number(strFlag(flags, 'dx') ?? -3);
    const dy = Number(strFlag(flags, 'dy') ?? 0);
    const size = net.spec.imageSize;
    for (const [name, v] of [
      ['dx', dx],
      ['dy', dy],
    ] as const) {
      if (!shiftInRange(size, v))
        throw new LabError(
          `--${name}: expected a whole number of pixels between ${-maxShift(size)} and ${maxShift(size)}, got '${strFlag(flags, name)}'`,
          { field: name },
        );
    }
    if (index >= data.testFile.count)
      throw new LabError(`--index: ${index} is out of range 0..${data.testFile.count - 1} (test images)`, { field: 'index' });
    const image = imageAt(data.testFile, index);
    const label = data.testFile.labels[index]!;
    const r = robustnessCheck(net, image, dx, dy);
    const { valAccuracy, testAccuracy } = evaluateSplits(net, data);
    const shiftedTest = { ...data.test, images: new Uint8Array(data.test.images.length) };
    const px = size * size;
    for (let i = 0; i < data.test.count; i++) {
      const img = Float32Array.from(data.test.images.subarray(i * px, (i + 1) * px));
      const moved = shiftImage(img, size, dx, dy);
      for (let p = 0; p < px; p++) shiftedTest.images[i * px + p] = moved[p]!;
    }
    const shifted = evaluate(net, shiftedTest);
    out.event({
      type: 'summary',
      command: 'robustness',
      model: file,
      backend: backend.name,
      index,
      label,
      dx,
      dy,
      classNames,
      originalPrediction: r.original.prediction.label,
      originalProbabilities: r.original.prediction.probabilities,
      shiftedPrediction: r.shifted.prediction.label,
      shiftedProbabilities: r.shifted.prediction.probabilities,
      featureMapMeanAbsDiff: r.meanAbsDiff,
      valAccuracy,
      testAccuracy,
      shiftedTestAccuracy: shifted.accuracy,
    });
    const p = (v: number[]) => v.map((x) => x.toFixed(3)).join(' ');
    out.line(`model: ${file} (backend ${backend.name})`);
    const name = (l: number) => labelText(classNames, l);
    out.line(`test image #${index}: true label ${name(label)}`);
    out.line(`original:            predicted ${name(r.original.prediction.label)}  p = [${p(r.original.prediction.probabilities)}]`);
    out.line(`shifted (dx ${dx}, dy ${dy}): predicted ${name(r.shifted.prediction.label)}  p = [${p(r.shifted.prediction.probabilities)}]`);
    out.line(`feature maps, mean |original − shifted|: conv1 ${r.meanAbsDiff.conv1.toFixed(4)}, conv2 ${r.meanAbsDiff.conv2.toFixed(4)}`);
    out.line(
      `test accuracy: ${pct(testAccuracy)} as is, ${pct(shifted.accuracy)} with every test image shifted by (${dx}, ${dy}); validation ${pct(valAccuracy)}`,
    );
    return 0;
  } finally {
    net.dispose();
  }
}

/** `--name` one of `values` (or undefined when absent), with a did-you-mean on a typo. */
function choiceFlag<const T extends readonly string[]>(flags: Flags, name: string, values: T): T[number] | undefined {
  const v = strFlag(flags, name);
  if (v === undefined) return undefined;
  if ((values as readonly string[]).includes(v)) return v as T[number];
  const near = didYouMean(v, values);
  const shown = v.length > 40 ? `${v.slice(0, 40)}…` : v;
  throw new LabError(`--${name}: unknown value '${shown}'${near ? ` — did you mean ${near}?` : ''} (one of: ${values.join(', ')})`, {
    field: name,
  });
}

/** A map in characters: + : . (positive, most to least), = - , (negative); blank below a tenth of the largest |value|. */
function mapInCharacters(values: Float32Array, size: number, scale: number, color: boolean): string[] {
  const lines: string[] = [];
  for (let i = 0; i < size; i++) {
    let line = '';
    for (let j = 0; j < size; j++) {
      const v = scale > 0 ? values[i * size + j]! / scale : 0;
      const level = Math.abs(v) < 0.1 ? 0 : Math.abs(v) < 0.3 ? 1 : Math.abs(v) < 0.6 ? 2 : 3;
      const ch = level === 0 ? ' ' : (v > 0 ? ' .:+' : ' ,-=')[level]!;
      line += level === 0 ? '  ' : paint(v > 0 ? 'red' : 'cyan', ch + ch, color);
    }
    lines.push(`|${line}|`);
  }
  return lines;
}

async function cmdExplain(positionals: string[], flags: Flags, out: Output): Promise<number> {
  const method: ExplainMethod = choiceFlag(flags, 'method', EXPLAIN_METHODS) ?? 'gradient';
  const score: ExplainScore = choiceFlag(flags, 'score', EXPLAIN_SCORES) ?? 'logit';
  const samples = intFlag(flags, 'samples', 1, MAX_SMOOTHGRAD_SAMPLES) ?? SMOOTHGRAD_DEFAULTS.samples;
  const seed = intFlag(flags, 'seed', 0, MAX_SMOOTHGRAD_SEED) ?? SMOOTHGRAD_DEFAULTS.seed;
  const sigmaText = strFlag(flags, 'sigma');
  const sigma = sigmaText === undefined ? SMOOTHGRAD_DEFAULTS.sigma : Number(sigmaText);
  if (sigmaText !== undefined && (sigmaText.trim() === '' || !(sigma >= 0 && sigma <= MAX_SMOOTHGRAD_SIGMA)))
    throw new LabError(
      `--sigma: expected a fraction of the image's range in [0, ${MAX_SMOOTHGRAD_SIGMA}], got '${sigmaText.length > 40 ? `${sigmaText.slice(0, 40)}…` : sigmaText}'`,
      { field: 'sigma' },
    );
  if (method !== 'smoothGrad')
    for (const name of ['samples', 'sigma'])
      if (flags[name] !== undefined) throw new LabError(`--${name}: only with --method smoothGrad`, { field: name });
  const { net, file, data, backend, classNames } = await loadForAnalysis(positionals, flags, 'explain');
  try {
    const index = intFlag(flags, 'index', 0) ?? 4;
    if (index >= data.testFile.count)
      throw new LabError(`--index: ${index} is out of range 0..${data.testFile.count - 1} (test images)`, { field: 'index' });
    const classIndex = intFlag(flags, 'class', 0, net.spec.numClasses - 1) ?? null;
    const image = imageAt(data.testFile, index);
    const label = data.testFile.labels[index]!;
    const e = explain(net, image, { method, score, classIndex, samples, sigma, seed });
    let scale = 0;
    for (const v of e.map) scale = Math.max(scale, Math.abs(v));
    out.event({
      type: 'summary',
      command: 'explain',
      model: file,
      backend: backend.name,
      index,
      label,
      classNames,
      method,
      score,
      classIndex: e.classIndex,
      predicted: e.predicted,
      probabilities: e.probabilities,
      scoreValue: e.scoreValue,
      size: e.size,
      signed: e.signed,
      scale,
      map: Array.from(e.map),
      ...(e.smoothGrad && { smoothGrad: e.smoothGrad }),
      ...(e.gradCam && { gradCam: { size: e.gradCam.size, map: Array.from(e.gradCam.map), weights: Array.from(e.gradCam.weights) } }),
    });
    const name = (l: number) => labelText(classNames, l);
    out.line(`model: ${file} (backend ${backend.name})`);
    out.line(`test image #${index}: true label ${name(label)}, predicted ${name(e.predicted)} (${pct(e.probabilities[e.predicted]!)})`);
    out.line(
      `${method} of the ${score === 'logit' ? 'logit' : 'log-probability'} of class ${name(e.classIndex)} (${e.scoreValue.toFixed(3)}); largest |value| ${scale.toPrecision(3)}`,
    );
    if (e.smoothGrad)
      out.line(
        `SmoothGrad: ${e.smoothGrad.samples} noisy copies, σ = ${e.smoothGrad.sigma} of the image's range (${e.smoothGrad.sigmaPixels.toPrecision(3)}), seed ${e.smoothGrad.seed}`,
      );
    if (e.gradCam) out.line(`Grad-CAM: conv2 channel weights α = ${Array.from(e.gradCam.weights, (w) => w.toFixed(4)).join(', ')}`);
    for (const l of mapInCharacters(e.map, e.size, scale, out.color)) out.line(l);
    return 0;
  } finally {
    net.dispose();
  }
}

/**
 * `robustness --sweep`: a table on a terminal; one JSON object on stdout with --json or when
 * stdout is not a terminal (a pipe, a file: what scripts read). A progress bar on a terminal's stderr.
 */
async function cmdSweep(positionals: string[], flags: Flags, out: Output): Promise<number> {
  const raw = flags.range;
  const range = raw === undefined ? DEFAULT_SWEEP_RANGE : Number(raw);
  if (
    typeof raw === 'boolean' ||
    (typeof raw === 'string' && raw.trim() === '') ||
    !Number.isInteger(range) ||
    range < 0 ||
    range > MAX_SWEEP_RANGE
  ) {
    throw new LabError(`--range: expected a whole number of pixels between 0 and ${MAX_SWEEP_RANGE}, got '${String(raw)}'`, {
      field: 'range',
    });
  }
  for (const f of ['index', 'dx', 'dy'] as const)
    if (flags[f] !== undefined) throw new LabError(`--${f}: not used with --sweep (it measures the whole test split)`, { field: f });
  const compare = flags.compare;
  if (compare !== undefined && (typeof compare !== 'string' || compare.trim() === ''))
    throw new LabError('--compare: expected a second RUN (a run directory, model.json or .safetensors)', { field: 'compare' });
  const first = await loadForAnalysis(positionals, flags, 'robustness');
  const runs = [first];
  try {
    if (compare !== undefined) {
      // The second run on its own data (its config's), unless --data names one for both.
      const second = loadModel(resolve(compare));
      runs.push({ ...first, run: resolve(compare), net: second.net, file: second.file, ...dataFor(resolve(compare), flags) });
      checkModelFitsData(second.net, second.file, runs[1]!.data);
    }
    const bar = process.stderr.isTTY ? new ProgressBar(process.stderr) : null;
    const results = [];
    for (const [i, r] of runs.entries()) {
      const label = runs.length > 1 ? `run ${i + 1} of ${runs.length}: batches` : 'batches';
      results.push(await robustnessSweep(r.net, r.data.test, { range, onProgress: (done, total) => bar?.update(done, total, label) }));
    }
    bar?.clear();
    const [r, r2] = results as [SweepResult, SweepResult | undefined];
    const statement = describeShiftSweep(r);
    if (out.json || !out.tty) {
      const other = r2 && { compare: { model: runs[1]!.file, split: 'test', ...r2, statement: describeShiftSweep(r2) } };
      process.stdout.write(
        `${JSON.stringify({ type: 'summary', command: 'robustness', sweep: true, model: first.file, backend: first.backend.name, split: 'test', ...r, statement, ...other })}\n`,
      );
      return 0;
    }
    if (!r2) {
      out.line(`model: ${first.file} (backend ${first.backend.name})`);
      for (const l of formatSweep(r, supportsUnicode())) out.line(l);
      out.line('');
      out.line(paint('bold', statement, out.color));
      return 0;
    }
    out.line(`run 1: ${first.file}`);
    out.line(`run 2: ${runs[1]!.file} (backend ${first.backend.name})`);
    for (const l of formatSweepComparison(r, r2, supportsUnicode())) out.line(l);
    out.line('');
    out.line(paint('bold', `run 1: ${statement}`, out.color));
    out.line(paint('bold', `run 2: ${describeShiftSweep(r2)}`, out.color));
    return 0;
  } finally {
    for (const r of runs) r.net.dispose();
  }
}

async function cmdExport(positionals: string[], flags: Flags, out: Output): Promise<number> {
  if (positionals.length !== 1) throw new LabError('export takes exactly one RUN (a run directory, model.json or .safetensors)');
  const run = resolve(positionals[0]!);
  await selectBackend('auto', { requireSyncReads: true });
  const { net, file } = loadModel(run);
  try {
    const fromRunDir = existsSync(join(run, 'summary.json'));
    const outFlag = strFlag(flags, 'out');
    const dest = fromRunDir && !outFlag ? join(run, 'model') : resolve(outFlag ?? `export-${basename(file).replace(/\.[^.]+$/, '')}`);
    // The folder exists, is a folder and is writable, or the export stops here, naming it.
    prepareExportDir(dest);
    if (fromRunDir && !outFlag && !isInside(realpathSync(run), realpathSync(dest))) {
      throw new LabError(`${dest}: the run's model folder resolves outside the run ${run}; give --out`, {
        file: dest,
        field: 'out',
        code: 'invalid-data',
      });
    }
    const config = fromRunDir ? readRun(run).config : null;
    let paths: { safetensors: string; tfjs: string };
    let snippet: string;
    try {
      // Every file is written to a temporary name and renamed (core/runs/atomic.ts): a failure
      // leaves no half-written file.
      paths =
        fromRunDir && dest === join(run, 'model') && existsSync(join(dest, 'model.safetensors')) && existsSync(join(dest, 'model.json'))
          ? { safetensors: join(dest, 'model.safetensors'), tfjs: join(dest, 'model.json') }
          : await saveModel(net, dest);
      snippet = writePytorchSnippet(paths.safetensors, net.spec, classNamesOf(config, net.spec.numClasses));
    } catch (e) {
      if (isLabError(e)) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new LabError(`${dest}: cannot write the export (${code ?? errorMessage(e)})`, {
        file: dest,
        field: 'out',
        code: 'invalid-input',
      });
    }
    out.event({ type: 'summary', command: 'export', model: file, ...paths, pytorch: snippet });
    out.line(`safetensors (PyTorch state_dict): ${paths.safetensors}`);
    out.line(`TensorFlow.js (layers model):     ${paths.tfjs}`);
    out.line(`PyTorch loader (the original lab's ConvNet): ${snippet}`);
    out.line(`\nRun it: python3 ${snippet}   (torch and numpy; in the notebook: exec(open(...).read()), then use net)`);
    return 0;
  } finally {
    net.dispose();
  }
}

function cmdCompare(positionals: string[], out: Output): number {
  if (positionals.length < 2) throw new LabError(`compare takes two or more run directories, got ${positionals.length}`);
  // readRun checks every file of each run (summary, config, metrics): nothing unchecked reaches compareRuns.
  const c = compareRuns(positionals.map((p) => readRun(resolve(p))));
  out.event({ type: 'summary', command: 'compare', fields: c.fields, runs: c.runs.map(({ curve: _curve, ...r }) => r) });
  const head = ['run', ...c.fields, 'validation', 'test', 'time', 'epochs', 'steps', 'status'];
  const rows = c.runs.map((r) => [
    r.label,
    ...r.values,
    pct(r.valAccuracy),
    pct(r.testAccuracy),
    Number.isFinite(r.seconds) ? `${r.seconds.toFixed(1)} s` : '—',
    `${r.epochsCompleted}/${r.epochs}`,
    stepsOfTotal(r.steps, r.totalSteps),
    r.status,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) =>
    row
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  out.line(c.fields.length ? `configs differ in: ${c.fields.join(', ')}` : 'the configs are identical');
  out.line(fmt(head));
  for (const row of rows) out.line(fmt(row));
  return 0;
}

/**
 * What `report` was given: a run directory, or a grid record (a file, or a grids folder: its
 * newest record) whose best run it reports. The record is read as a hostile file.
 */
function reportTarget(path: string): { run: string; grid: StoredGrid | undefined } {
  const target = resolve(path);
  let st: Stats | null = null;
  try {
    st = statSync(target);
  } catch {
    // Neither a run nor a grid: said below.
  }
  const isDir = st?.isDirectory() ?? false;
  if (isDir && existsSync(join(target, 'summary.json'))) return { run: target, grid: undefined };
  if (!st || (isDir && basename(target) !== GRIDS_FOLDER))
    throw new LabError(
      `${target}: not a run directory (no summary.json) nor a grid record; report needs a run trained by the lab or a grid's record (RUNS/${GRIDS_FOLDER}/<time>-<name>.json)`,
      { file: target },
    );
  const grid = gridRecordAtSync(target);
  const best = bestGridPoint(grid.points);
  if (best < 0)
    throw new LabError(
      `${grid.file}: points: no run of the grid has a validation accuracy (grid ${grid.status}); report writes its best run's report`,
      {
        file: grid.file,
        field: 'points',
      },
    );
  const run = grid.points[best]!.runDir!;
  if (!existsSync(join(run, 'summary.json')))
    throw new LabError(`${grid.file}: points[${best}].runDir: ${run} is not a run directory (no summary.json)`, {
      file: grid.file,
      field: `points[${best}].runDir`,
    });
  return { run, grid };
}

async function cmdReport(positionals: string[], flags: Flags, out: Output): Promise<number> {
  if (positionals.length !== 1) throw new LabError('report takes exactly one RUN (a run directory) or GRID (a grid record)');
  const lang = strFlag(flags, 'lang') ?? 'en';
  if (!isReportLanguage(lang))
    throw new LabError(`--lang: expected one of ${REPORT_LANGUAGES.join(', ')}, got '${lang.slice(0, 40)}'`, { field: 'lang' });
  const range = intFlag(flags, 'range', 0, MAX_SWEEP_RANGE);
  for (const f of ['index', 'dx', 'dy', 'sweep'] as const)
    if (flags[f] !== undefined)
      throw new LabError(`--${f}: not used by report (it shows test image #${REPORT_IMAGE} shifted 3 pixels left)`, { field: f });
  const { run, grid } = reportTarget(positionals[0]!);
  const dataFlag = strFlag(flags, 'data');
  const dataDir = dataFlag === undefined ? null : checkReadableDir(dataFlag, '--data');
  const outDir = ensureWritableDir(strFlag(flags, 'out') ?? join(run, 'report'), '--out');
  const backend = await selectBackend(strFlag(flags, 'backend') ?? 'auto', { requireSyncReads: true });
  const bar = !out.json && process.stderr.isTTY ? new ProgressBar(process.stderr) : null;
  const steps = ['accuracy', 'figures', 'sweep'];
  try {
    const r = await writeReport({
      runDir: run,
      outDir,
      lang,
      root: join(__dirname, '..'),
      sweepRange: range,
      dataDir,
      grid,
      onProgress: (what) => bar?.update(steps.indexOf(what) + 1, steps.length + 1, what),
    });
    bar?.clear();
    const files = {
      markdown: join(outDir, 'report.md'),
      html: join(outDir, 'report.html'),
      metrics: join(outDir, 'metrics.csv'),
      figures: r.figures.map((f) => ({ name: f.name, png: f.png, svg: f.svg })),
      gridTable: r.grid?.csvFile ?? null,
    };
    out.event({
      type: 'summary',
      command: 'report',
      run,
      backend: backend.name,
      lang,
      outDir,
      ...files,
      valAccuracy: r.valAccuracy,
      testAccuracy: r.testAccuracy,
      seedTestAccuracy: r.seedTestAccuracy,
      grid: r.grid ? { record: r.grid.record, point: r.grid.point + 1, best: r.grid.best + 1 } : null,
    });
    out.line(`report of ${run} (${lang}, backend ${backend.name}):`);
    if (r.grid)
      out.line(
        `  point ${r.grid.point + 1} of the grid ${r.grid.record}${r.grid.point === r.grid.best ? ' (the best validation accuracy)' : ''}`,
      );
    out.line(`  ${files.markdown}`);
    out.line(`  ${files.html}`);
    out.line(`  ${files.metrics}`);
    if (files.gridTable) out.line(`  ${files.gridTable}`);
    out.line(`  ${r.figures.length} figures in ${join(outDir, 'figures')} (PNG and SVG)`);
    out.line(
      `validation accuracy: ${pct(r.valAccuracy)}   test accuracy: ${pct(r.testAccuracy)}${r.seedTestAccuracy === null ? '' : `; the seed: ${pct(r.seedTestAccuracy)}`}`,
    );
    return 0;
  } catch (e) {
    bar?.clear();
    if (fsErrorInside(e, outDir)) throw fsLabError(e, outDir, '--out');
    throw e;
  }
}

/** The first line of a message, bounded (an internal error's text is not the user's to read in full). */
function oneLine(message: string): string {
  const first = message.split('\n', 1)[0] ?? '';
  return first.length > 500 ? `${first.slice(0, 500)}…` : first;
}

/** `--dx -3` reads as an option followed by its value, not as an unknown option `-3`. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  const out = new Output(json, verbose);
  try {
    try {
      parsed = parseArgs({
        args: joinNegativeValues(argv),
        allowPositionals: true,
        strict: true,
        options: {
          epochs: { type: 'string' },
          'max-steps': { type: 'string' },
          point: { type: 'string' },
          parallel: { type: 'string' },
          workers: { type: 'string' },
          backend: { type: 'string' },
          seed: { type: 'string' },
          data: { type: 'string' },
          out: { type: 'string' },
          index: { type: 'string' },
          dx: { type: 'string' },
          dy: { type: 'string' },
          sweep: { type: 'boolean' },
          range: { type: 'string' },
          compare: { type: 'string' },
          method: { type: 'string' },
          class: { type: 'string' },
          score: { type: 'string' },
          samples: { type: 'string' },
          sigma: { type: 'string' },
          lang: { type: 'string' },
          json: { type: 'boolean' },
          verbose: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
          version: { type: 'boolean', short: 'V' },
        },
      });
    } catch (e) {
      throw new LabError(`${errorMessage(e).split('. To specify')[0]} (see mnist-lab --help)`);
    }
    const [command, ...rest] = parsed.positionals;
    const flags = parsed.values as Flags;
    if (flags.version) {
      process.stdout.write(`mnist-lab ${version()}\n`);
      return 0;
    }
    if (!command) {
      // A usage error: the usage on stderr, exit 2 (--help alone: stdout, 0).
      (flags.help ? process.stdout : process.stderr).write(USAGE);
      return flags.help ? 0 : 2;
    }
    if (command === 'help' || flags.help) {
      const topic = command === 'help' ? rest[0] : command;
      if (topic === undefined) {
        process.stdout.write(USAGE);
        return 0;
      }
      const text = COMMAND_HELP[topic];
      if (!text) throw unknownCommand(topic);
      process.stdout.write(text);
      return 0;
    }
    switch (command) {
      case 'train':
        return await cmdTrain(rest, flags, out);
      case 'evaluate':
        return await cmdEvaluate(rest, flags, out);
      case 'robustness':
        return await cmdRobustness(rest, flags, out);
      case 'explain':
        return await cmdExplain(rest, flags, out);
      case 'export':
        return await cmdExport(rest, flags, out);
      case 'compare':
        return cmdCompare(rest, out);
      case 'report':
        return await cmdReport(rest, flags, out);
      default:
        throw unknownCommand(command);
    }
  } catch (e) {
    // A LabError is the user's to fix: one line, exit 2. Anything else is a bug of the lab:
    // "internal error", exit 1, and its stack only with --verbose.
    const bad = isLabError(e);
    // One line: a config with several problems lists them separated by semicolons.
    const message = bad ? e.message.split('\n').join('; ') : oneLine(errorMessage(e));
    try {
      if (json)
        out.event({
          type: 'error',
          message,
          ...(bad && e.file && { file: e.file }),
          ...(bad && e.field && { field: e.field }),
          ...(!bad && { internal: true }),
        });
      else
        process.stderr.write(
          `${paint('red', 'mnist-lab:', colorsFor(process.stderr))} ${bad ? '' : 'internal error: '}${message}${bad || verbose ? '' : ' (run again with --verbose for details)'}\n`,
        );
      if (!bad && verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    } catch {
      // stdout/stderr gone (a closed pipe): the exit code still tells
    }
    return bad ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
