/**
 * The layer histograms over epochs, drawn as TensorBoard draws them: the histogram view (one
 * curve per epoch, offset upwards, newest on top) and the distribution view (quantile bands over
 * the epochs, the median as a line).
 */
import { type ValueHistogram, binEdge } from '../core/analysis/histograms';
import { t } from './l10n';
import type { Palette } from './theme';

interface PlotlyApi {
  react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>;
}
declare const Plotly: PlotlyApi;

/** One epoch's histogram to draw (`label`: its epoch, or another name such as "saved weights"). */
export interface HistogramRow {
  epoch: number;
  label: string;
  h: ValueHistogram;
}

const config = { displayModeBar: false, responsive: true, staticPlot: false };

function baseLayout(pal: Palette, xTitle: string, yTitle: string): Record<string, unknown> {
  const axis = { gridcolor: pal.grid, zerolinecolor: pal.grid, linecolor: pal.grid, color: pal.fg };
  return {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: pal.fg, family: pal.font, size: 12 },
    margin: { l: 56, r: 16, t: 16, b: 44 },
    xaxis: { ...axis, title: { text: xTitle } },
    yaxis: { ...axis, title: { text: yTitle } },
    showlegend: false,
  };
}

/** `colour` (#rrggbb or rgb()) at opacity `a`; other CSS colours as they are. */
function withAlpha(colour: string, a: number): string {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(colour.trim());
  if (hex) return `rgba(${parseInt(hex[1]!, 16)}, ${parseInt(hex[2]!, 16)}, ${parseInt(hex[3]!, 16)}, ${a})`;
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(colour.trim());
  return rgb ? `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${a})` : colour;
}

/**
 * Bin counts to draw: without the exact zeros (a ReLU's "off", which would dwarf the rest) when
 * `hideZeros`; they sit in the bin that holds 0.
 */
export function drawnCounts(h: ValueHistogram, hideZeros: boolean): number[] {
  const counts = [...h.counts];
  if (hideZeros && h.zeros && h.min <= 0 && h.max >= 0) {
    const bins = counts.length;
    let i = h.max > h.min ? Math.min(bins - 1, Math.floor(((0 - h.min) / (h.max - h.min)) * bins)) : 0;
    while (i < bins - 1 && 0 >= binEdge(h.min, h.max, bins, i + 1)) i++;
    while (i > 0 && 0 < binEdge(h.min, h.max, bins, i)) i--;
    counts[i] = Math.max(0, counts[i]! - h.zeros);
  }
  return counts;
}

/** The histogram view: each epoch's bins as a filled curve at height `epoch`, scaled to its own highest bin. */
export function drawOffsetHistograms(
  el: HTMLElement,
  rows: HistogramRow[],
  pal: Palette,
  xTitle: string,
  hideZeros: boolean,
): Promise<unknown> {
  const n = rows.length;
  const traces = rows.map((r, k) => {
    const counts = drawnCounts(r.h, hideZeros);
    const bins = counts.length;
    const top = Math.max(1, ...counts);
    const xs = [binEdge(r.h.min, r.h.max, bins, 0)];
    const ys = [r.epoch];
    counts.forEach((c, i) => {
      xs.push((binEdge(r.h.min, r.h.max, bins, i) + binEdge(r.h.min, r.h.max, bins, i + 1)) / 2);
      ys.push(r.epoch + (0.9 * c) / top);
    });
    xs.push(binEdge(r.h.min, r.h.max, bins, bins));
    ys.push(r.epoch);
    // Older epochs pale, the newest strong.
    const strength = n > 1 ? 0.3 + (0.7 * k) / (n - 1) : 1;
    return {
      type: 'scatter',
      mode: 'lines',
      x: xs,
      y: ys,
      fill: 'toself',
      fillcolor: withAlpha(pal.validation, 0.25 * strength),
      line: { color: withAlpha(pal.validation, strength), width: 1.2, shape: 'spline', smoothing: 0.3 },
      name: r.label,
      hovertemplate: `${r.label}<br>%{x:.4g}<extra></extra>`,
    };
  });
  const layout = baseLayout(pal, xTitle, t('epoch'));
  const y = layout.yaxis as Record<string, unknown>;
  y.range = [Math.min(...rows.map((r) => r.epoch)) - 0.2, Math.max(...rows.map((r) => r.epoch)) + 1.1];
  if (n <= 30) {
    y.tickvals = rows.map((r) => r.epoch);
    y.ticktext = rows.map((r) => r.label);
  }
  return Plotly.react(el, traces, layout, config);
}

/** The distribution view: bands between the quantiles (0–100 %, 7–93 %, 16–84 %, 31–69 %) and the median. */
export function drawDistribution(el: HTMLElement, rows: HistogramRow[], pal: Palette, yTitle: string): Promise<unknown> {
  const x = rows.map((r) => r.epoch);
  const q = (i: number) => rows.map((r) => r.h.quantiles[i]!);
  const traces: unknown[] = [];
  const bands: [number, number, number][] = [
    [0, 8, 0.15],
    [1, 7, 0.25],
    [2, 6, 0.35],
    [3, 5, 0.45],
  ];
  for (const [lo, hi, a] of bands) {
    traces.push({ type: 'scatter', mode: 'lines', x, y: q(lo), line: { width: 0, color: pal.validation }, hoverinfo: 'skip' });
    traces.push({
      type: 'scatter',
      mode: 'lines',
      x,
      y: q(hi),
      fill: 'tonexty',
      fillcolor: withAlpha(pal.validation, a),
      line: { width: 0, color: pal.validation },
      hoverinfo: 'skip',
    });
  }
  traces.push({
    type: 'scatter',
    mode: rows.length > 1 ? 'lines+markers' : 'markers',
    x,
    y: q(4),
    name: t('median'),
    line: { color: pal.validation, width: 2 },
    marker: { size: 4 },
    customdata: rows.map((r) => [r.h.quantiles[0], r.h.quantiles[8]]),
    hovertemplate: `${t('median')} %{y:.4g} (%{customdata[0]:.4g} … %{customdata[1]:.4g})<extra></extra>`,
  });
  const layout = baseLayout(pal, t('epoch'), yTitle);
  (layout.xaxis as Record<string, unknown>).dtick = rows.length <= 30 ? 1 : undefined;
  return Plotly.react(el, traces, layout, config);
}
