/**
 * Heatmaps as plain SVG (one rect per pixel): images, kernels, feature maps and their
 * differences, for the lab report. The colours are the panel's on white paper: intensity from
 * white to black, signed values from blue through white to red on a symmetric scale.
 */

export interface HeatTile {
  title: string;
  rows: number;
  cols: number;
  /** rows×cols, row-major. */
  values: ArrayLike<number>;
  mode: 'intensity' | 'signed';
  /** The value drawn at full colour (shared between the tiles of a layer). */
  scale: number;
  /** Pixels per value. */
  cell: number;
}

export interface HeatRow {
  label?: string;
  tiles: HeatTile[];
}

export const REPORT_FONT = 'DejaVu Sans, WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif';

const NEGATIVE = [31, 119, 180] as const;
const POSITIVE = [214, 39, 40] as const;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const hex = (c: readonly number[]) =>
  `#${c
    .map((v) =>
      Math.round(Math.max(0, Math.min(255, v)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

/** The fill of one value: white → black for intensities, blue → white → red for signed values. */
export function heatColour(v: number, mode: HeatTile['mode'], scale: number): string {
  const s = scale > 0 ? scale : 1;
  if (mode === 'intensity') {
    const g = 255 * (1 - Math.min(1, Math.max(0, v / s)));
    return hex([g, g, g]);
  }
  const x = Math.max(-1, Math.min(1, v / s));
  const to = x >= 0 ? POSITIVE : NEGATIVE;
  const a = Math.abs(x);
  return hex([255 + (to[0] - 255) * a, 255 + (to[1] - 255) * a, 255 + (to[2] - 255) * a]);
}

/** The largest |v| of some value arrays (1 when all are zero: a blank map stays white). */
export function maxAbsOf(arrays: ArrayLike<number>[]): number {
  let m = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m || 1;
}

const GAP = 10;
const TITLE = 16;
const LABEL_W = 90;

/** Rows of labelled tiles as one SVG document. */
export function heatmapSvg(rows: HeatRow[]): string {
  const hasLabels = rows.some((r) => r.label);
  const left = hasLabels ? LABEL_W : 0;
  let y = GAP;
  let width = 0;
  const parts: string[] = [];
  for (const row of rows) {
    const h = Math.max(...row.tiles.map((t) => t.rows * t.cell));
    let x = left + GAP;
    if (row.label) parts.push(`<text x="${GAP}" y="${y + TITLE + h / 2}" font-size="12" fill="#222">${escapeXml(row.label)}</text>`);
    for (const t of row.tiles) {
      const w = t.cols * t.cell;
      parts.push(`<text x="${x + w / 2}" y="${y + 12}" font-size="11" text-anchor="middle" fill="#222">${escapeXml(t.title)}</text>`);
      const top = y + TITLE;
      const cells: string[] = [];
      for (let r = 0; r < t.rows; r++)
        for (let c = 0; c < t.cols; c++) {
          const fill = heatColour(Number(t.values[r * t.cols + c]) || 0, t.mode, t.scale);
          if (fill !== '#ffffff')
            cells.push(`<rect x="${x + c * t.cell}" y="${top + r * t.cell}" width="${t.cell}" height="${t.cell}" fill="${fill}"/>`);
        }
      parts.push(`<g shape-rendering="crispEdges">${cells.join('')}</g>`);
      parts.push(
        `<rect x="${x - 0.5}" y="${top - 0.5}" width="${w + 1}" height="${t.rows * t.cell + 1}" fill="none" stroke="#999" stroke-width="1"/>`,
      );
      x += w + GAP;
    }
    width = Math.max(width, x);
    y += TITLE + h + GAP;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="${REPORT_FONT}">` +
    `<rect width="${width}" height="${y}" fill="white"/>${parts.join('')}</svg>`
  );
}
