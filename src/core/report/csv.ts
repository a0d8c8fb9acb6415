/** The recorded metrics as CSV: the report's metrics.csv and the panel's "Save CSV" (no node, no DOM). */
import type { ProgressEvent } from '../events';

const CSV_COLUMNS = [
  'epoch',
  'batch',
  'step',
  'samples',
  'trainSize',
  'percent',
  'loss',
  'trainAccuracy',
  'valAccuracy',
  'seconds',
] as const;

/** metrics.jsonl's progress records as CSV (one row each), with the record's two error rates. */
export function metricsCsv(progress: readonly ProgressEvent[]): string {
  const head = [...CSV_COLUMNS, 'trainErrorPercent', 'valErrorPercent'];
  const rows = progress.map((e) => [...CSV_COLUMNS.map((k) => String(e[k])), String(e.record[0]), String(e.record[1])].join(','));
  return `${[head.join(','), ...rows].join('\n')}\n`;
}
