/**
 * The learned space: fc1's features (after its ReLU) of the test split laid out in 2-D by PCA or
 * UMAP, one colour per class. Hovering a point shows its digit; a click makes it the chosen test
 * image (as a gallery thumbnail does). Runs in the worker with progress; cancellable.
 */
import { DEFAULT_UMAP_POINTS, type ProjectionMethod, type ProjectionPayload } from '../../core/analyses';
import { errorMessage } from '../../core/errors';
import { $, h, pct, vscodeButton } from '../dom';
import { drawHeatmap } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, wide } from '../widgets';
import { needsModel } from './thumbnails';

interface PlotlyPoint {
  customdata?: unknown;
}
interface PlotlyEvent {
  points: PlotlyPoint[];
  event?: MouseEvent;
}
interface PlotlyElement extends HTMLElement {
  on?(event: 'plotly_hover' | 'plotly_unhover' | 'plotly_click', handler: (ev: PlotlyEvent) => void): void;
}
interface PlotlyApi {
  react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>;
  purge(el: HTMLElement): void;
}
declare const Plotly: PlotlyApi;

/** PCA takes every image of the test split (the worker caps the count at the split's size). */
const PCA_POINTS = 10_000;
/** Ten colours that stay apart in light and dark themes (d3's category10); more classes cycle. */
const CLASS_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const SYMBOLS = ['circle', 'square', 'diamond', 'triangle-up', 'cross'];
const UMAP_SEED = 1;

export const projector: SectionFactory = (page) => {
  let result: ProjectionPayload | null = null;
  let digits: Uint8Array | null = null;
  let hooked = false;

  const tip = h('figure', { id: 'projection-hover', className: 'projection-hover', hidden: true, testid: 'projection-hover' });
  const tipCanvas = h('canvas', { testid: 'projection-hover-canvas' });
  const tipCaption = h('figcaption', { id: 'projection-hover-caption', testid: 'projection-hover-caption' });
  tip.append(tipCanvas, tipCaption);

  const start = (method: ProjectionMethod) => () => {
    if (!page.hasModel()) {
      $('projection-status').textContent = t('The projection needs the trained weights (saved when training ends).');
      return;
    }
    void run(method);
  };
  const pcaButton = vscodeButton('btn-projection-pca', t('PCA (the whole test split)'), start('pca'));
  const umapButton = vscodeButton('btn-projection-umap', t('UMAP ({0} test images)', DEFAULT_UMAP_POINTS), start('umap'), true);
  const cancel = vscodeButton('btn-projection-cancel', t('Cancel'), () => page.send({ type: 'cancelProjection' }), true);
  cancel.setAttribute('disabled', '');

  function reset(): void {
    result = null;
    digits = null;
    $('projection-summary').textContent = '';
    $('projection-status').textContent = '';
    // Purge drops the plot and its event handlers: the next plot hooks them again.
    Plotly.purge($('projection-plot'));
    $('projection-plot').hidden = true;
    tip.hidden = true;
    hooked = false;
    delete $('projector').dataset.done;
  }

  async function run(method: ProjectionMethod): Promise<void> {
    const bar = $('projection-progress') as HTMLProgressElement;
    bar.hidden = false;
    bar.value = 0;
    for (const b of ['btn-projection-pca', 'btn-projection-umap']) $(b).setAttribute('disabled', '');
    $('btn-projection-cancel').removeAttribute('disabled');
    $('projection-status').textContent = t('starting…');
    try {
      const r = await page.request(
        { type: 'projection', method, count: method === 'pca' ? PCA_POINTS : DEFAULT_UMAP_POINTS, seed: UMAP_SEED },
        (done, total) => {
          bar.max = total;
          bar.value = done;
          $('projection-status').textContent = t('{0} of {1} steps', done, total);
        },
      );
      result = r;
      const bytes = atob(r.thumbnails);
      digits = Uint8Array.from(bytes, (c) => c.charCodeAt(0));
      $('projection-status').textContent = t('{0} points in {1} s', r.count, r.seconds.toFixed(1));
      draw();
    } catch (e) {
      $('projection-status').textContent = errorMessage(e);
    } finally {
      bar.hidden = true;
      for (const b of ['btn-projection-pca', 'btn-projection-umap']) $(b).removeAttribute('disabled');
      $('btn-projection-cancel').setAttribute('disabled', '');
    }
  }

  function summary(r: ProjectionPayload): string {
    const how =
      r.method === 'pca' && r.explained
        ? t(
            'PCA: the two axes are the directions of largest variance; they hold {0} and {1} of it.',
            pct(r.explained[0], 1),
            pct(r.explained[1], 1),
          )
        : t('UMAP (seed {0}): near points had near features; distances between clusters mean little.', r.seed ?? UMAP_SEED);
    return t(
      "fc1's {0} features (after its ReLU) of the first {1} test-split images. {2} Of the points, {3} have a 5-nearest-neighbour majority of their own class in this picture. Hover a point for its digit; click it to make it the chosen test image.",
      r.dimensions,
      r.count,
      how,
      pct(r.neighbourAccuracy, 1),
    );
  }

  function draw(): void {
    const r = result;
    if (!r) return;
    const pal = page.palette();
    const el = $('projection-plot') as PlotlyElement;
    el.hidden = false;
    $('projection-summary').textContent = summary(r);
    const classes = Math.max(...r.labels, ...r.predicted) + 1;
    const traces: unknown[] = [];
    for (let c = 0; c < classes; c++) {
      const points = r.labels.map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0);
      if (!points.length) continue;
      traces.push({
        type: 'scatter',
        mode: 'markers',
        name: page.cls(c),
        x: points.map((i) => r.x[i]),
        y: points.map((i) => r.y[i]),
        customdata: points,
        text: points.map((i) => t('#{0}: true {1}, predicted {2}', r.indices[i]!, page.cls(r.labels[i]!), page.cls(r.predicted[i]!))),
        hoverinfo: 'text',
        marker: {
          size: 5,
          opacity: 0.75,
          color: CLASS_COLOURS[c % CLASS_COLOURS.length],
          symbol: SYMBOLS[Math.floor(c / CLASS_COLOURS.length) % SYMBOLS.length],
        },
      });
    }
    const chosen = r.indices.indexOf(page.choice.index);
    traces.push({
      type: 'scatter',
      mode: 'markers',
      name: t('chosen test image'),
      x: chosen >= 0 ? [r.x[chosen]] : [],
      y: chosen >= 0 ? [r.y[chosen]] : [],
      hoverinfo: 'skip',
      marker: { size: 16, color: 'rgba(0,0,0,0)', line: { width: 2.5, color: pal.fg } },
    });
    const axis = { gridcolor: pal.grid, zerolinecolor: pal.grid, linecolor: pal.grid, color: pal.fg };
    const titles =
      r.method === 'pca' && r.explained
        ? [t('principal component 1 ({0})', pct(r.explained[0], 1)), t('principal component 2 ({0})', pct(r.explained[1], 1))]
        : [t('UMAP 1'), t('UMAP 2')];
    void Plotly.react(
      el,
      traces,
      {
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { color: pal.fg, family: pal.font, size: 11 },
        margin: { l: 48, r: 8, t: 8, b: 40 },
        xaxis: { ...axis, title: { text: titles[0] } },
        yaxis: { ...axis, title: { text: titles[1] } },
        legend: { font: { color: pal.fg }, itemsizing: 'constant' },
        hovermode: 'closest',
        uirevision: `${r.method}-${r.count}`,
      },
      { displayModeBar: false, responsive: true },
    ).then(() => hook(el));
    const box = $('projector');
    box.dataset.done = 'true';
    box.dataset.method = r.method;
    box.dataset.count = String(r.count);
    box.dataset.chosen = chosen >= 0 ? String(page.choice.index) : '';
  }

  /** Plotly's events, once per plot element. */
  function hook(el: PlotlyElement): void {
    if (hooked || !el.on) return;
    hooked = true;
    el.on('plotly_hover', (ev) => {
      const i = ev.points[0]?.customdata;
      if (typeof i === 'number') showDigit(i, ev.event);
    });
    el.on('plotly_unhover', () => {
      tip.hidden = true;
    });
    el.on('plotly_click', (ev) => {
      const i = ev.points[0]?.customdata;
      if (typeof i !== 'number' || !result) return;
      page.chooseImage(result.indices[i]!);
    });
  }

  /** The digit of point i beside the pointer. */
  function showDigit(i: number, mouse?: MouseEvent): void {
    const r = result;
    if (!r || !digits) return;
    const px = r.size * r.size;
    const pixels = Array.from(digits.subarray(i * px, (i + 1) * px), (v) => v / 255);
    drawHeatmap(tipCanvas, pixels, r.size, r.size, page.palette(), 'intensity', 1);
    tipCaption.textContent = t('#{0}: true {1}, predicted {2}', r.indices[i]!, page.cls(r.labels[i]!), page.cls(r.predicted[i]!));
    tip.dataset.index = String(r.indices[i]);
    tip.classList.toggle('wrong', r.labels[i] !== r.predicted[i]);
    const host = $('projection-wrap').getBoundingClientRect();
    const x = mouse ? mouse.clientX - host.left : host.width / 2;
    const y = mouse ? mouse.clientY - host.top : host.height / 2;
    // Beside the pointer, on the side with room.
    tip.style.left = `${x > host.width / 2 ? x - 120 : x + 16}px`;
    tip.style.top = `${Math.max(0, y - 50)}px`;
    tip.hidden = false;
  }

  return {
    id: 'projector',
    shows: ['projection'],
    build: () =>
      wide(
        section(
          'projector',
          t('The learned space: fc1 in 2-D'),
          h(
            'p',
            { className: 'muted' },
            t(
              'Each test image becomes a point: the output of fc1 for it (after the ReLU: the hidden features fc2 reads, model.hidden of them, 512 in the original lab) laid out in two dimensions. Images the network treats alike land close together.',
            ),
          ),
          h(
            'div',
            { className: 'row' },
            pcaButton,
            umapButton,
            cancel,
            h('progress', { id: 'projection-progress', value: 0, max: 1, hidden: true, testid: 'projection-progress' }),
            h('span', { id: 'projection-status', className: 'muted', testid: 'projection-status' }),
          ),
          h('p', { id: 'projection-summary', testid: 'projection-summary' }),
          h(
            'div',
            { id: 'projection-wrap', className: 'projection-wrap' },
            h('div', { id: 'projection-plot', className: 'plot projection', hidden: true, testid: 'projection-plot' }),
            tip,
          ),
        ),
      ),
    onState: (_state, { runChanged, finished }) => {
      if (!runChanged && !finished) return;
      reset();
      if (needsModel(page, $('projection-summary'))) return;
    },
    onImageChosen: () => draw(),
    redraw: draw,
  };
};
