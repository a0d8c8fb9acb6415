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

/** One CSV field: quoted where it holds a comma, quote or line break; text a spreadsheet would run as a formula is made plain. */
export function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A grid value as one cell: a string as it is, anything else as JSON (a list: "[4,8]"). */
export function gridCellText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}

/**
 * A grid's table as CSV (the report's grid.csv): one row per point in the grid's order, its
 * values, the accuracies its run recorded (fractions; empty where none), its status and run
 * folder's name, and 1 in `best` (the best validation accuracy) and `thisRun` (the report's run).
 */
export function gridCsv(
  keys: readonly string[],
  points: readonly {
    values: Record<string, unknown>;
    runName: string | null;
    status: string;
    valAccuracy: number | null;
    testAccuracy: number | null;
  }[],
  best: number,
  current: number,
): string {
  const head = ['point', ...keys, 'valAccuracy', 'testAccuracy', 'status', 'run', 'best', 'thisRun'];
  const rows = points.map((p, i) =>
    [
      i + 1,
      ...keys.map((k) => {
        const v = p.values[k] ?? null;
        return typeof v === 'number' || typeof v === 'boolean' || v === null ? v : gridCellText(v);
      }),
      p.valAccuracy,
      p.testAccuracy,
      p.status,
      p.runName,
      i === best ? 1 : 0,
      i === current ? 1 : 0,
    ]
      .map(csvField)
      .join(','),
  );
  return `${[head.map(csvField).join(','), ...rows].join('\n')}\n`;
}
