/**
 * The robustness sweep beside the seed's single shifted digit: test-split accuracy for every
 * shift in [−k, k]² (a heatmap), for rotations and for added noise (curves), and the sentence
 * that turns "robust to small translations" into a measurement. Runs in the worker with progress;
 * cancellable. With runs compared in the panel (drawn over this one), the sweep of one of them
 * is drawn in the same plots ("with augmentation" against "without" in one picture): a line per
 * run for the worst accuracy within each shift radius, for rotation and for noise.
 */
import type { SweepPayload } from '../../core/analyses';
import type { RunView } from '../../core/protocol';
import { $, h, pct, vscodeButton } from '../dom';
import { runColour } from '../plots';
import { t } from '../l10n';
import type { LabPage } from '../page';
import { errorMessage } from '../../core/errors';
import { withSaveBar } from '../save';

interface PlotlyApi {
  react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>;
}
declare const Plotly: PlotlyApi;

const DEFAULT_RANGE = 3;

/** "accuracy stays ≥ X % for shifts of ≤ 1 px, ≥ Y % for ≤ 2 px …": the seed's claim, measured. */
export function sweepStatement(r: SweepPayload): string {
  const radii = r.shift.byRadius.filter((b) => b.radius > 0);
  if (!radii.length) return t('Test accuracy unshifted: {0}.', pct(r.accuracy, 1));
  const parts = radii.map((b, i) =>
    i === 0 ? t('≥ {0} for shifts of ≤ {1} px', pct(b.minAccuracy, 1), b.radius) : t('≥ {0} for ≤ {1} px', pct(b.minAccuracy, 1), b.radius),
  );
  return t('Test accuracy stays {0} in any direction (unshifted: {1}).', parts.join(', '), pct(r.accuracy, 1));
}

/** The sweep part of the robustness section: its element, and what the section tells it. */
export interface RobustnessSweep {
  readonly element: HTMLElement;
  /** A new run on show: its sweep is not this one. */
  runChanged(): void;
  /** A new state: the runs compared with this one may have changed. */
  stateChanged(state: RunView): void;
  /** The theme changed. */
  redraw(): void;
}

/** The last part of a run folder's path (`<time>-<name>`). */
const runName = (dir: string | null) => (dir ?? '').split(/[\\/]/).filter(Boolean).pop() ?? '';

export function robustnessSweep(page: LabPage): RobustnessSweep {
  let result: SweepPayload | null = null;
  /** The sweep of a compared run, drawn with this run's. */
  let other: { index: number; label: string; result: SweepPayload } | null = null;
  const compare = h('select', { id: 'sweep-compare', testid: 'sweep-compare' });
  const compareRow = h('label', { id: 'sweep-compare-row', hidden: true }, `${t('compare with')} `, compare);
  const range = h('input', {
    id: 'sweep-range',
    type: 'number',
    min: '0',
    max: '14',
    step: '1',
    value: String(DEFAULT_RANGE),
    className: 'number',
    testid: 'sweep-range',
  });
  const run = vscodeButton('btn-sweep', t('Run sweep'), () => {
    const k = Number(range.value);
    if (!Number.isInteger(k) || k < 0 || k > 14) {
      $('sweep-status').textContent = t('The range k must be a whole number of pixels from 0 to 14.');
      return;
    }
    if (!page.hasModel()) {
      $('sweep-status').textContent = t('The sweep needs the trained weights (saved when training ends).');
      return;
    }
    void runSweep(k);
  });
  const cancel = vscodeButton('btn-sweep-cancel', t('Cancel'), () => page.send({ type: 'cancelSweep' }), true);
  cancel.setAttribute('disabled', '');
  const element = h(
    'div',
    { id: 'robustness-sweep', className: 'sweep', testid: 'robustness-sweep' },
    h('h3', { textContent: t('Sweep: accuracy on the whole test split under shifts, rotations and noise') }),
    h(
      'div',
      { className: 'row' },
      h('label', {}, `${t('shifts up to k =')} `, range, ` ${t('px')}`),
      compareRow,
      run,
      cancel,
      h('progress', { id: 'sweep-progress', value: 0, max: 1, hidden: true, testid: 'sweep-progress' }),
      h('span', { id: 'sweep-status', className: 'muted', testid: 'sweep-status' }),
    ),
    h('p', { id: 'sweep-statement', className: 'big statement', testid: 'sweep-statement' }),
    h(
      'div',
      { id: 'sweep-plots', className: 'sweep-plots', hidden: true },
      withSaveBar(h('div', { id: 'sweep-shift-plot', className: 'plot square', testid: 'sweep-shift-plot' }), 'sweep-shifts'),
      h('div', { id: 'sweep-radius-plot', className: 'plot', testid: 'sweep-radius-plot', hidden: true }),
      withSaveBar(h('div', { id: 'sweep-rotation-plot', className: 'plot', testid: 'sweep-rotation-plot' }), 'sweep-rotation'),
      withSaveBar(h('div', { id: 'sweep-noise-plot', className: 'plot', testid: 'sweep-noise-plot' }), 'sweep-noise'),
    ),
  );

  /** The compared runs (drawn over this one) are the choices besides "no other run". */
  function stateChanged(state: RunView): void {
    const runs = state.overlay ?? [];
    const key = JSON.stringify(runs.map((o) => o.runDir));
    if (compare.dataset.runs === key) return;
    compare.dataset.runs = key;
    const before = compare.value;
    compare.replaceChildren(
      h('option', { value: '', textContent: t('no other run') }),
      ...runs.map((o, i) => h('option', { value: String(i), textContent: o.label })),
    );
    // The first compared run is the natural choice ("with" against "without").
    compare.value = runs.some((_, i) => String(i) === before) ? before : runs.length ? '0' : '';
    compareRow.hidden = runs.length === 0;
    if (other && !runs[other.index]) other = null;
  }

  /** A new run on show: its sweep is not this one. */
  function runChanged(): void {
    result = null;
    other = null;
    $('sweep-statement').textContent = '';
    $('sweep-status').textContent = '';
    for (const id of ['sweep-shift-plot', 'sweep-rotation-plot', 'sweep-noise-plot', 'sweep-radius-plot']) $(id).replaceChildren();
    $('sweep-plots').hidden = true;
    delete $('robustness-sweep').dataset.done;
  }

  async function runSweep(k: number): Promise<void> {
    const bar = $('sweep-progress') as HTMLProgressElement;
    bar.hidden = false;
    bar.value = 0;
    $('btn-sweep').setAttribute('disabled', '');
    $('btn-sweep-cancel').removeAttribute('disabled');
    $('sweep-status').textContent = t('starting…');
    const chosen = compare.value === '' ? null : Number(compare.value);
    const label = chosen === null ? '' : (page.state?.overlay?.[chosen]?.label ?? '');
    const parts = chosen === null ? 1 : 2;
    const progress = (part: number) => (done: number, total: number) => {
      bar.max = total * parts;
      bar.value = total * (part - 1) + done;
      $('sweep-status').textContent =
        parts > 1
          ? t('run {0} of {1}: {2} of {3} batches of forward passes', part, parts, done, total)
          : t('{0} of {1} batches of forward passes', done, total);
    };
    try {
      other = null;
      result = await page.request({ type: 'sweep', range: k }, progress(1));
      if (chosen !== null)
        other = { index: chosen, label, result: await page.request({ type: 'sweep', range: k, overlay: chosen }, progress(2)) };
      $('sweep-status').textContent = t(
        '{0} test images, {1} transformed copies each',
        result.count,
        result.shift.offsets.length ** 2 + result.rotation.angles.length + result.noise.sigmas.length,
      );
      drawSweep();
    } catch (e) {
      $('sweep-status').textContent = errorMessage(e);
    } finally {
      bar.hidden = true;
      $('btn-sweep').removeAttribute('disabled');
      $('btn-sweep-cancel').setAttribute('disabled', '');
    }
  }

  function drawSweep(): void {
    const r = result;
    if (!r) return;
    const pal = page.palette();
    const o = other;
    const mine = runName(page.state?.runDir ?? null);
    // One sentence per run, each on its line.
    if (o)
      $('sweep-statement').replaceChildren(
        h('div', { textContent: `${mine}: ${sweepStatement(r)}` }),
        h('div', { textContent: `${o.label}: ${sweepStatement(o.result)}` }),
      );
    else $('sweep-statement').textContent = sweepStatement(r);
    $('sweep-plots').hidden = false;
    $('sweep-plots').classList.toggle('compared', o !== null);
    $('sweep-radius-plot').hidden = o === null;
    /** This run's line and, when comparing, the other run's (dashed), in the comparison's colours. */
    const lines = (x: (p: SweepPayload) => number[], y: (p: SweepPayload) => number[], colour: string) => [
      {
        x: x(r),
        y: y(r).map((v) => 100 * v),
        mode: 'lines+markers',
        name: o ? mine : '',
        line: { color: o ? runColour(pal, 0) : colour },
      },
      ...(o
        ? [
            {
              x: x(o.result),
              y: y(o.result).map((v) => 100 * v),
              mode: 'lines+markers',
              name: o.label,
              line: { color: runColour(pal, o.index + 1), dash: 'dash' },
            },
          ]
        : []),
    ];
    const legend = o ? { showlegend: true, legend: { orientation: 'h', y: -0.3, font: { color: pal.fg } } } : { showlegend: false };
    const rgb = (c: [number, number, number]) => `rgb(${c.join(',')})`;
    const axis = { gridcolor: pal.grid, zerolinecolor: pal.grid, linecolor: pal.grid, color: pal.fg };
    const base = (title: string, x: string, y: string) => ({
      title: { text: title, font: { size: 12, color: pal.fg } },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color: pal.fg, family: pal.font, size: 11 },
      margin: { l: 52, r: 16, t: 36, b: 44 },
      xaxis: { ...axis, title: { text: x } },
      yaxis: { ...axis, title: { text: y } },
    });
    const config = { displayModeBar: false, responsive: true };
    const z = r.shift.accuracy.map((row) => row.map((v) => 100 * v));
    void Plotly.react(
      $('sweep-shift-plot'),
      [
        {
          type: 'heatmap',
          x: r.shift.offsets,
          y: r.shift.offsets,
          z,
          zmin: Math.min(...z.flat()),
          zmax: 100,
          text: z.map((row) => row.map((v) => v.toFixed(1))),
          texttemplate: r.shift.offsets.length <= 9 ? '%{text}' : '',
          hovertemplate: `dx %{x}, dy %{y}: %{z:.2f} %<extra></extra>`,
          colorscale: [
            [0, rgb(pal.background)],
            [1, pal.train],
          ],
          colorbar: { title: { text: '%' }, tickfont: { color: pal.fg } },
        },
      ],
      {
        ...base(
          o ? `${mine}: ${t('accuracy (%) with every test image shifted')}` : t('accuracy (%) with every test image shifted'),
          t('dx (px, right +)'),
          t('dy (px, down +)'),
        ),
        xaxis: { ...axis, title: { text: t('dx (px, right +)') }, dtick: 1 },
        yaxis: { ...axis, title: { text: t('dy (px, down +)') }, autorange: 'reversed', dtick: 1 },
      },
      config,
    );
    void Plotly.react(
      $('sweep-rotation-plot'),
      lines(
        (p) => p.rotation.angles,
        (p) => p.rotation.accuracy,
        pal.validation,
      ),
      {
        ...base(t('accuracy (%) under rotation (bilinear, about the centre)'), t('angle (°, counter-clockwise +)'), '%'),
        yaxis: { ...axis, title: { text: '%' }, range: [0, 100] },
        ...legend,
      },
      config,
    );
    void Plotly.react(
      $('sweep-noise-plot'),
      lines(
        (p) => p.noise.sigmas,
        (p) => p.noise.accuracy,
        pal.loss,
      ),
      {
        ...base(t('accuracy (%) with added Gaussian noise (clipped to [0, 1])'), t('σ (pixel values 0–1)'), '%'),
        yaxis: { ...axis, title: { text: '%' }, range: [0, 100] },
        ...legend,
      },
      config,
    );
    if (o) {
      void Plotly.react(
        $('sweep-radius-plot'),
        lines(
          (p) => p.shift.byRadius.map((b) => b.radius),
          (p) => p.shift.byRadius.map((b) => b.minAccuracy),
          pal.train,
        ),
        {
          ...base(t('worst accuracy (%) over the shifts within each radius'), t('radius: max(|dx|, |dy|) (px)'), '%'),
          xaxis: { ...axis, title: { text: t('radius: max(|dx|, |dy|) (px)') }, dtick: 1 },
          yaxis: { ...axis, title: { text: '%' }, range: [0, 100] },
          ...legend,
        },
        config,
      );
    }
    $('robustness-sweep').dataset.done = 'true';
    $('robustness-sweep').dataset.compared = o ? 'true' : 'false';
    $('sweep-shift-plot').dataset.cells = String(z.length * z.length);
  }

  return { element, runChanged, stateChanged, redraw: drawSweep };
}
