/** The seed's record plot (train/validation error rate vs step) and the loss, with plotly. */
import type { ProgressEvent } from '../core/events';
import type { OverlayCurve } from '../core/protocol';
import { t } from './l10n';
import { type Palette, cssVar } from './theme';

/** Colours of compared runs, in order (run 0 is the run on show, in the train/validation colours). */
export function runColour(pal: Palette, i: number): string {
  if (i === 0) return pal.validation;
  const cycle = [
    cssVar('--vscode-charts-green', '#89d185'),
    cssVar('--vscode-charts-purple', '#b180d7'),
    cssVar('--vscode-charts-red', '#f14c4c'),
    cssVar('--vscode-charts-yellow', '#cca700'),
    cssVar('--vscode-charts-blue', '#3794ff'),
  ];
  return cycle[(i - 1) % cycle.length]!;
}

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
    xaxis: { ...axis, title: compact ? undefined : { text: t('step') } },
    yaxis: { ...axis, title: compact ? undefined : { text: yTitle }, rangemode: 'tozero' },
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { color: pal.fg } },
    showlegend: true,
  };
}

const config = { displayModeBar: false, responsive: true, staticPlot: false };

export function drawErrorPlot(
  el: HTMLElement,
  progress: ProgressEvent[],
  pal: Palette,
  compact = false,
  overlay: OverlayCurve[] = [],
): Promise<unknown> {
  const steps = progress.map((p) => p.step);
  // With runs to compare, this run's traces say they are "this run"; the others are dashed.
  const own = overlay.length ? t(' (this run)') : '';
  return Plotly.react(
    el,
    [
      {
        x: steps,
        y: progress.map((p) => p.record[0]),
        name: `${t('train error %')}${own}`,
        mode: 'lines+markers',
        line: { color: pal.train },
        marker: { size: 4 },
      },
      {
        x: steps,
        y: progress.map((p) => p.record[1]),
        name: `${t('validation error %')}${own}`,
        mode: 'lines+markers',
        line: { color: pal.validation },
        marker: { size: 4 },
      },
      // Each other run in its own colour: validation dashed, train dotted.
      ...overlay.flatMap((o, i) => [
        {
          x: o.steps,
          y: o.trainError,
          name: t('train error % ({0})', o.label),
          mode: 'lines',
          line: { color: runColour(pal, i + 1), dash: 'dot', width: 1.5 },
        },
        {
          x: o.steps,
          y: o.valError,
          name: t('validation error % ({0})', o.label),
          mode: 'lines',
          line: { color: runColour(pal, i + 1), dash: 'dash' },
        },
      ]),
    ],
    layout(pal, t('error rate (%)'), compact),
    config,
  );
}

/** The recorded learning rates, when they change during the run (a schedule); else null (a constant rate is no curve). */
export function learningRates(progress: ProgressEvent[]): { steps: number[]; lr: number[] } | null {
  const points = progress.filter((p) => typeof p.lr === 'number');
  if (points.length < 2 || points.every((p) => p.lr === points[0]!.lr)) return null;
  return { steps: points.map((p) => p.step), lr: points.map((p) => p.lr!) };
}

/** The loss, and on a second axis (right) the learning rate where a schedule changed it. */
export function drawLossPlot(el: HTMLElement, progress: ProgressEvent[], pal: Palette): Promise<unknown> {
  const rates = learningRates(progress);
  const base = layout(pal, t('cross-entropy loss'), false) as Record<string, unknown>;
  const axis = base.yaxis as Record<string, unknown>;
  const withRate = rates
    ? {
        ...base,
        margin: { l: 52, r: 60, t: 30, b: 40 },
        yaxis2: {
          ...axis,
          title: { text: t('learning rate') },
          overlaying: 'y',
          side: 'right',
          showgrid: false,
          exponentformat: 'e',
        },
      }
    : base;
  return Plotly.react(
    el,
    [
      {
        x: progress.map((p) => p.step),
        y: progress.map((p) => p.loss),
        name: t('loss (latest batch)'),
        mode: 'lines+markers',
        line: { color: pal.loss },
        marker: { size: 4 },
      },
      ...(rates
        ? [
            {
              x: rates.steps,
              y: rates.lr,
              name: t('learning rate'),
              mode: 'lines',
              yaxis: 'y2',
              line: { color: cssVar('--vscode-charts-orange', '#d18616'), dash: 'dot', width: 1.5 },
            },
          ]
        : []),
    ],
    withRate,
    config,
  );
}

/** Final validation and test accuracy of compared runs, grouped by run, each run in its colour. */
export function drawFinalAccuracyPlot(
  el: HTMLElement,
  runs: { label: string; valAccuracy: number | null; testAccuracy: number | null }[],
  pal: Palette,
): Promise<unknown> {
  const labels = runs.map((r) => r.label);
  const pctOf = (v: number | null) => (v === null ? null : 100 * v);
  const colours = runs.map((_, i) => runColour(pal, i));
  // Each run has its colour, so a legend entry per series would show one run's colour: a title says it.
  const base = layout(pal, 'accuracy (%)', false) as Record<string, Record<string, unknown>>;
  const values = runs.flatMap((r) => [r.valAccuracy, r.testAccuracy]).filter((v): v is number => v !== null);
  const low = values.length ? Math.max(0, Math.floor(100 * Math.min(...values) - 2)) : 0;
  return Plotly.react(
    el,
    [
      { type: 'bar', x: labels, y: runs.map((r) => pctOf(r.valAccuracy)), name: 'validation', marker: { color: colours, opacity: 0.55 } },
      {
        type: 'bar',
        x: labels,
        y: runs.map((r) => pctOf(r.testAccuracy)),
        name: 'test',
        marker: { color: colours },
        text: runs.map((r) => (r.testAccuracy === null ? '' : `${(100 * r.testAccuracy).toFixed(2)}`)),
        textposition: 'outside',
      },
    ],
    {
      ...base,
      showlegend: false,
      title: { text: 'final accuracy: validation (pale), test (solid)', font: { size: 12, color: pal.fg } },
      barmode: 'group',
      xaxis: { ...base.xaxis, title: undefined, type: 'category' },
      yaxis: { ...base.yaxis, range: [low, 100], rangemode: undefined },
    },
    config,
  );
}
