import * as util from 'node:util';
import type { SweepResult } from '../core/analysis/sweep';
import type { RunSummary } from '../core/events';
import { pctTight as pct } from '../core/format';

/** What the CLI's terminal output needs of a stream (process.stderr, or a fake one in tests). */
export interface TermStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

type Env = Record<string, string | undefined>;

/**
 * Unicode blocks only where the terminal can show them: not under TERM=dumb, and only with a
 * UTF-8 locale (LC_ALL, else LC_CTYPE, else LANG; LANG=C means ASCII). Windows terminals without
 * a locale are UTF-8.
 */
export function supportsUnicode(env: Env = process.env, platform: string = process.platform): boolean {
  if (env.TERM === 'dumb') return false;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  if (!locale) return platform === 'win32';
  return /utf-?8/i.test(locale);
}

type StyleText = (format: string | string[], text: string, options?: { validateStream?: boolean }) => string;
const styleText = (util as unknown as { styleText?: StyleText }).styleText;

/** Colours on a TTY only, never with NO_COLOR (any non-empty value) or TERM=dumb, and only where node:util has styleText. */
export function colorsFor(stream: TermStream, env: Env = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb' && typeof styleText === 'function';
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/** `text` in `style` where `on`, else as is. */
export function paint(style: Style, text: string, on: boolean): string {
  // validateStream: false: whether colours are on is decided here, for the stream written to
  // (styleText alone would look at stdout's TTY-ness and the colour variables).
  return on && typeof styleText === 'function' ? styleText(style, text, { validateStream: false }) : text;
}

/** Seconds as m:ss, or h:mm:ss from an hour on. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A bar of `width` cells filled to `fraction`: eighth blocks (as tqdm) or `#` and `.`. */
export function drawBar(fraction: number, width: number, unicode: boolean): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  if (!unicode) {
    const done = Math.round(f * width);
    return `[${'#'.repeat(done)}${'.'.repeat(width - done)}]`;
  }
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const partial = part ? ' ▏▎▍▌▋▊▉'[part]! : '';
  return `│${'█'.repeat(full)}${partial}${' '.repeat(width - full - (part ? 1 : 0))}│`;
}

export interface ProgressState {
  /** Before the bar: "epoch 3/20", "batches". */
  label: string;
  /** Steps done and in all, of the part the bar shows (this epoch). */
  step: number;
  total: number;
  /** Milliseconds per step so far; null before the first. */
  msPerStep: number | null;
  /** Seconds left (of the whole run); null when unknown. */
  eta: number | null;
  loss?: number | null;
  accuracy?: number | null;
}

/**
 * One line, at most `columns − 1` characters (no wrap in the last column): the label, the bar,
 * the step count, ms/step, loss, accuracy and the ETA, as Keras and tqdm show them. Where the
 * terminal is narrow, the loss and accuracy go first, then ms/step, then the bar.
 */
export function renderProgress(s: ProgressState, columns: number, unicode: boolean): string {
  const max = Math.max(10, columns - 1);
  const count = `${s.step}/${s.total}`;
  const rate = s.msPerStep === null ? '' : `${s.msPerStep < 10 ? s.msPerStep.toFixed(1) : s.msPerStep.toFixed(0)} ms/step`;
  const metrics = [
    typeof s.loss === 'number' && Number.isFinite(s.loss) ? `loss ${s.loss.toFixed(4)}` : '',
    typeof s.accuracy === 'number' && Number.isFinite(s.accuracy) ? `acc ${(100 * s.accuracy).toFixed(2)}%` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const eta = s.eta === null ? '' : `ETA ${clock(s.eta)}`;
  const fraction = s.total ? s.step / s.total : 0;
  const tries = [
    [count, rate, metrics, eta],
    [count, rate, eta],
    [count, eta],
  ];
  for (const parts of tries) {
    const tail = parts.filter(Boolean).join('  ');
    const room = max - s.label.length - tail.length - 4; // spaces and the bar's two ends
    if (room >= 10) return `${s.label} ${drawBar(fraction, Math.min(room, 40), unicode)} ${tail}`.slice(0, max);
  }
  for (const short of [`${s.label} ${count}${eta ? ` ${eta}` : ''}`, `${s.label} ${count}`, count]) if (short.length <= max) return short;
  return count.slice(0, max);
}

export interface ProgressBarOptions {
  unicode?: boolean;
  color?: boolean;
  now?: () => number;
}

/** A one-line bar on a TTY, redrawn at most 10 times a second, fitted to the stream's width. */
export class ProgressBar {
  private last = -Infinity;
  private shown = false;
  private readonly now: () => number;
  private first: { step: number; time: number } | undefined;
  private readonly unicode: boolean;
  private readonly color: boolean;
  constructor(
    private readonly stream: TermStream,
    opts: ProgressBarOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.unicode = opts.unicode ?? supportsUnicode();
    this.color = opts.color ?? colorsFor(stream);
  }
  /**
   * `step` of `total` (the whole run); `part` the step and size of what the bar shows (an epoch),
   * the whole run without it.
   */
  update(
    step: number,
    total: number,
    label: string,
    extra: { part?: { step: number; total: number }; loss?: number | null; accuracy?: number | null } = {},
  ): void {
    const now = this.now();
    if (now - this.last < 100 && step < total) return;
    this.last = now;
    // Timed from the first step seen (not from the bar's making: loading the backend and the data).
    this.first ??= { step, time: now };
    const steps = step - this.first.step;
    const msPerStep = steps > 0 ? (now - this.first.time) / steps : null;
    const line = renderProgress(
      {
        label,
        step: extra.part?.step ?? step,
        total: extra.part?.total ?? total,
        msPerStep,
        eta: msPerStep === null ? null : (msPerStep * (total - step)) / 1000,
        loss: extra.loss,
        accuracy: extra.accuracy,
      },
      this.stream.columns || 80,
      this.unicode,
    );
    this.stream.write(`\r${paint('cyan', line, this.color)}\x1b[K`);
    this.shown = true;
  }
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/** Levenshtein distance (few and short strings: the commands). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest of `choices` to a mistyped `word`, if it is close (≤ 2 edits, and fewer than half its letters). */
export function didYouMean(word: string, choices: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== null && bestD <= 2 && bestD < Math.max(2, Math.ceil(word.length / 2)) ? best : null;
}

/**
 * After a training's test accuracy: the original lab's 99.06 % for a full run; a partial run (fewer
 * steps than its epochs hold: --max-steps, or stopped) says so instead of inviting the comparison.
 * `fullSteps`: the steps of all its epochs; `seedEpochs`: the epochs the original lab's accuracy took.
 */
export function seedNote(
  s: Pick<RunSummary, 'steps' | 'totalSteps' | 'seedTestAccuracy'>,
  fullSteps: number = s.totalSteps,
  seedEpochs = 20,
): string {
  if (s.steps < fullSteps || s.steps < s.totalSteps) {
    const seed = s.seedTestAccuracy === null ? '' : `; the original lab's ${pct(s.seedTestAccuracy)} is for ${seedEpochs} full epochs`;
    return ` (partial run: ${s.steps} of ${Math.max(fullSteps, s.totalSteps)} steps${seed})`;
  }
  return s.seedTestAccuracy === null ? '' : ` (the original lab: ${pct(s.seedTestAccuracy)})`;
}

/** Rows of cells as columns two spaces apart (the first left-aligned, the others right-aligned). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) =>
    row
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * `robustness --sweep` for a person: the shift grid (rows dy, columns dx, right and down
 * positive), the worst accuracy by radius, then the rotation and noise rows.
 */
export function formatSweep(r: SweepResult, unicode: boolean): string[] {
  const a = (v: number) => (100 * v).toFixed(1);
  const sign = (v: number) => (v > 0 ? `+${v}` : String(v));
  const lines = [`test split: ${r.count} images, accuracy ${pct(r.accuracy)} as is (accuracies in %)`, ''];
  lines.push(`shifted by (dx, dy) pixels, right and down positive:`);
  lines.push(
    ...table([['dy \\ dx', ...r.shift.offsets.map(sign)], ...r.shift.accuracy.map((row, i) => [sign(r.shift.offsets[i]!), ...row.map(a)])]),
  );
  lines.push('');
  lines.push(
    ...table([
      ['worst within radius', ...r.shift.byRadius.map((b) => `${b.radius} px`)],
      ['', ...r.shift.byRadius.map((b) => a(b.minAccuracy))],
    ]),
  );
  lines.push('');
  const deg = unicode ? '°' : ' deg';
  const sigma = unicode ? 'σ' : 'sigma';
  lines.push(
    ...table([
      ['rotated', ...r.rotation.angles.map((x) => `${sign(x)}${deg}`)],
      ['', ...r.rotation.accuracy.map(a)],
    ]),
    '',
    ...table([
      [`noise (seed ${r.noise.seed})`, ...r.noise.sigmas.map((x) => `${sigma} ${x}`)],
      ['', ...r.noise.accuracy.map(a)],
    ]),
  );
  return lines;
}

/**
 * `robustness --sweep --compare`: two runs' sweeps, one row per run: the worst accuracy within
 * each shift radius, each rotation, each noise level (both sweeps measure the same transforms).
 */
export function formatSweepComparison(r1: SweepResult, r2: SweepResult, unicode: boolean): string[] {
  const a = (v: number) => (100 * v).toFixed(1);
  const sign = (v: number) => (v > 0 ? `+${v}` : String(v));
  const deg = unicode ? '°' : ' deg';
  const sigma = unicode ? 'σ' : 'sigma';
  return [
    `test split: ${r1.count} and ${r2.count} images (accuracies in %)`,
    '',
    ...table([
      ['worst within radius', ...r1.shift.byRadius.map((b) => `${b.radius} px`)],
      ['run 1', ...r1.shift.byRadius.map((b) => a(b.minAccuracy))],
      ['run 2', ...r2.shift.byRadius.map((b) => a(b.minAccuracy))],
    ]),
    '',
    ...table([
      ['rotated', ...r1.rotation.angles.map((x) => `${sign(x)}${deg}`)],
      ['run 1', ...r1.rotation.accuracy.map(a)],
      ['run 2', ...r2.rotation.accuracy.map(a)],
    ]),
    '',
    ...table([
      [`noise (seed ${r1.noise.seed})`, ...r1.noise.sigmas.map((x) => `${sigma} ${x}`)],
      ['run 1', ...r1.noise.accuracy.map(a)],
      ['run 2', ...r2.noise.accuracy.map(a)],
    ]),
  ];
}
