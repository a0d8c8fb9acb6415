/**
 * How numbers read in this lab, in one place for the CLI, the extension and the webviews (no
 * node, no DOM): percentages and the original lab's progress line.
 */
import type { ProgressEvent } from './events';

/** A fraction as a percentage, "99.02 %" (panel, notifications); anything but a finite number shows as —. */
export const pct = (v: unknown, digits = 2): string =>
  typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(digits)} %` : '—';

/** The same without the space, "99.02%", as the original lab's printed lines and the CLI write it. */
export const pctTight = (v: unknown, digits = 2): string =>
  typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : '—';

/** A learning rate as people write it: 0.001, 0.00025, 3.2e-7 (4 significant digits). */
export function formatLr(lr: number): string {
  if (lr === 0) return '0';
  return lr >= 1e-4 && lr < 1e4 ? String(Number(lr.toPrecision(4))) : lr.toExponential(3).replace(/\.?0+e/, 'e');
}

/**
 * The original lab's progress line, with the real percentage of the epoch (the original's was a
 * bug); with `showLr` (a run with a schedule) and a recorded rate, the rate in use at the end.
 */
export function formatProgressLine(e: ProgressEvent, epoch: number, showLr = false): string {
  const lr = showLr && e.lr !== undefined ? `\tLR: ${formatLr(e.lr)}` : '';
  return `Epoch: ${epoch} [${e.samples}/${e.trainSize} (${e.percent.toFixed(0)}%)]\tLoss: ${e.loss.toFixed(6)}\tTrain accuracy: ${pctTight(e.trainAccuracy)}\tValidation accuracy: ${pctTight(e.valAccuracy)}${lr}`;
}

/** Steps of a run as a table cell: `9380`, or `188/9380` for one that stopped before its last step. */
export const stepsOfTotal = (steps: number, totalSteps: number): string =>
  totalSteps > 0 && steps !== totalSteps ? `${steps}/${totalSteps}` : String(steps);
