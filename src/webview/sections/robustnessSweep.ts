/**
 * The robustness sweep beside the seed's single shifted digit: test-split accuracy for every
 * shift in [−k, k]² (a heatmap), for rotations and for added noise (curves), and the sentence
 * that turns "robust to small translations" into a measurement. Runs in the worker with progress;
 * cancellable.
 */
import type { SweepPayload } from '../../core/analyses';
import { $, h, pct, vscodeButton } from '../dom';
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
  /** The theme changed. */
  redraw(): void;
}

export function robustnessSweep(page: LabPage): RobustnessSweep {
  let result: SweepPayload | null = null;
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
      withSaveBar(h('div', { id: 'sweep-rotation-plot', className: 'plot', testid: 'sweep-rotation-plot' }), 'sweep-rotation'),
      withSaveBar(h('div', { id: 'sweep-noise-plot', className: 'plot', testid: 'sweep-noise-plot' }), 'sweep-noise'),
    ),
  );

  /** A new run on show: its sweep is not this one. */
  function runChanged(): void {
    result = null;
    $('sweep-statement').textContent = '';
    $('sweep-status').textContent = '';
    for (const id of ['sweep-shift-plot', 'sweep-rotation-plot', 'sweep-noise-plot']) $(id).replaceChildren();
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
    try {
      result = await page.request({ type: 'sweep', range: k }, (done, total) => {
        bar.max = total;
        bar.value = done;
        $('sweep-status').textContent = t('{0} of {1} batches of forward passes', done, total);
      });
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
    $('sweep-statement').textContent = sweepStatement(r);
    $('sweep-plots').hidden = false;
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
        ...base(t('accuracy (%) with every test image shifted'), t('dx (px, right +)'), t('dy (px, down +)')),
        xaxis: { ...axis, title: { text: t('dx (px, right +)') }, dtick: 1 },
        yaxis: { ...axis, title: { text: t('dy (px, down +)') }, autorange: 'reversed', dtick: 1 },
      },
      config,
    );
    void Plotly.react(
      $('sweep-rotation-plot'),
      [
        {
          x: r.rotation.angles,
          y: r.rotation.accuracy.map((v) => 100 * v),
          mode: 'lines+markers',
          name: t('rotation'),
          line: { color: pal.validation },
        },
      ],
      {
        ...base(t('accuracy (%) under rotation (bilinear, about the centre)'), t('angle (°, counter-clockwise +)'), '%'),
        yaxis: { ...axis, title: { text: '%' }, range: [0, 100] },
      },
      config,
    );
    void Plotly.react(
      $('sweep-noise-plot'),
      [{ x: r.noise.sigmas, y: r.noise.accuracy.map((v) => 100 * v), mode: 'lines+markers', name: t('noise'), line: { color: pal.loss } }],
      {
        ...base(t('accuracy (%) with added Gaussian noise (clipped to [0, 1])'), t('σ (pixel values 0–1)'), '%'),
        yaxis: { ...axis, title: { text: '%' }, range: [0, 100] },
      },
      config,
    );
    $('robustness-sweep').dataset.done = 'true';
    $('sweep-shift-plot').dataset.cells = String(z.length * z.length);
  }

  return { element, runChanged, redraw: drawSweep };
}
