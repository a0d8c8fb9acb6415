/** The seed's record plot (train/validation error rate vs step) and the loss, with plotly. */
import type { ProgressEvent } from '../core/events';
import type { OverlayCurve } from '../core/protocol';
import { type Palette } from './theme';

interface PlotlyApi {
  react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>;
  extendTraces(el: HTMLElement, update: unknown, indices: number[]): Promise<unknown>;
  purge(el: HTMLElement): void;
}
declare const Plotly: PlotlyApi;

function layout(pal: Palette, yTitle: string, compact: boolean): unknown {
  const axis = { gridcolor: pal.grid, zerolinecolor: pal.grid, linecolor: pal.grid, color: pal.fg };
  return {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: pal.fg, family: pal.font, size: compact ? 10 : 12 },
    margin: compact ? { l: 36, r: 8, t: 30, b: 24 } : { l: 52, r: 16, t: 30, b: 40 },
    xaxis: { ...axis, title: compact ? undefined : { text: 'step' } },
    yaxis: { ...axis, title: compact ? undefined : { text: yTitle }, rangemode: 'tozero' },
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { color: pal.fg } },
    showlegend: true,
  };
}

const config = { displayModeBar: false, responsive: true, staticPlot: false };

export function drawErrorPlot(el: HTMLElement, progress: ProgressEvent[], pal: Palette, compact = false, overlay: OverlayCurve[] = []): Promise<unknown> {
  const steps = progress.map((p) => p.step);
  // With runs to compare, this run's traces say they are "this run"; the others are dashed.
  const own = overlay.length ? ' (this run)' : '';
  return Plotly.react(
    el,
    [
      { x: steps, y: progress.map((p) => p.record[0]), name: `train error %${own}`, mode: 'lines+markers', line: { color: pal.train }, marker: { size: 4 } },
      { x: steps, y: progress.map((p) => p.record[1]), name: `validation error %${own}`, mode: 'lines+markers', line: { color: pal.validation }, marker: { size: 4 } },
      ...overlay.flatMap((o) => [
        { x: o.steps, y: o.trainError, name: `train error % (${o.label})`, mode: 'lines', line: { color: pal.train, dash: 'dash' } },
        { x: o.steps, y: o.valError, name: `validation error % (${o.label})`, mode: 'lines', line: { color: pal.validation, dash: 'dash' } },
      ]),
    ],
    layout(pal, 'error rate (%)', compact),
    config,
  );
}

export function drawLossPlot(el: HTMLElement, progress: ProgressEvent[], pal: Palette): Promise<unknown> {
  return Plotly.react(
    el,
    [{ x: progress.map((p) => p.step), y: progress.map((p) => p.loss), name: 'loss (latest batch)', mode: 'lines+markers', line: { color: pal.loss }, marker: { size: 4 } }],
    layout(pal, 'cross-entropy loss', false),
    config,
  );
}
