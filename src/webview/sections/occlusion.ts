/**
 * Occlusion sensitivity of the chosen test image: a patch slides over it (size, stride and grey
 * level chosen here) and the worker reports the true class's probability at every position. Shown
 * as a heatmap over the image (red: the probability fell with the patch there) and as the grid of
 * probabilities per patch position.
 */
import type { OcclusionPayload } from '../../core/analyses';
import { make, vsButton } from '../dom';
import { drawHeatmap, drawOverlay, mix } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import type { Palette, Rgb } from '../theme';
import { errorMessage } from '../../core/errors';

/** The image in faint ink, with the drop of probability laid over it (rises in the other colour). */
const overlayColour =
  (pal: Palette) =>
  (h: number, ink: number): Rgb => {
    const base = mix(pal.background, pal.foreground, 0.45 * ink);
    return h >= 0 ? mix(base, pal.positive, Math.min(1, h)) : mix(base, pal.negative, Math.min(1, -h));
  };

export const occlusion: SectionFactory = (page) => {
  const ui = { patch: 6, stride: 2, fill: 0 };
  let last: OcclusionPayload | null = null;
  let seq = 0;
  let shown = false;

  const slider = (id: string, label: string, min: number, max: number, value: number, onInput: (v: number) => void) => {
    const input = make('input', id);
    Object.assign(input, { type: 'range', min: String(min), max: String(max), step: '1', value: String(value) });
    const out = make('output', `${id}-value`, undefined, String(value));
    input.addEventListener('input', () => {
      out.textContent = input.value;
      onInput(Number(input.value));
    });
    const l = make('label', undefined, 'slider');
    l.append(`${label} `, input, out);
    return l;
  };

  const fill = make('select', 'occlusion-fill', 'select');
  for (const [value, text] of [
    ['0', t('background (0)')],
    ['0.5', t('grey (0.5)')],
  ] as const) {
    const o = make('option', undefined, undefined, text);
    o.value = value;
    fill.append(o);
  }
  fill.addEventListener('change', () => {
    ui.fill = Number(fill.value);
    schedule();
  });
  const run = vsButton('occlusion-run', t('Run occlusion'));
  run.addEventListener('click', () => {
    shown = true;
    void load();
  });
  const fillLabel = make('label', undefined, 'slider');
  fillLabel.append(`${t('patch grey level')} `, fill);
  const controls = make('div', undefined, 'row');
  controls.append(
    slider('occlusion-patch', t('patch'), 2, 12, ui.patch, (v) => {
      ui.patch = v;
      schedule();
    }),
    slider('occlusion-stride', t('stride'), 1, 4, ui.stride, (v) => {
      ui.stride = v;
      schedule();
    }),
    fillLabel,
    run,
  );

  const image = make('canvas', 'occlusion-image');
  const overlay = make('canvas', 'occlusion-heatmap');
  const grid = make('canvas', 'occlusion-grid');
  const fig = (c: HTMLCanvasElement, caption: string, id: string) => {
    const f = make('figure', undefined, 'image');
    f.append(c, make('figcaption', id, undefined, caption));
    return f;
  };
  const figures = make('div', undefined, 'row');
  figures.append(
    fig(image, t('test image'), 'occlusion-image-caption'),
    fig(overlay, t('drop of the true class’s probability (red)'), 'occlusion-heatmap-caption'),
    fig(grid, t('the drop per patch position (top-left corner)'), 'occlusion-grid-caption'),
  );
  const summary = make('div', 'occlusion-summary', 'muted', t('Choose the patch and press Run occlusion.'));
  const section = make('section', undefined, 'card wide');
  section.id = 'occlusion';
  section.append(make('h2', undefined, undefined, t('Occlusion sensitivity of the test image')), controls, figures, summary);

  let timer: ReturnType<typeof setTimeout> | undefined;
  function schedule(): void {
    if (!shown) return;
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 150);
  }

  async function load(): Promise<void> {
    if (!page.hasModel()) {
      summary.textContent = t('Occlusion needs the trained weights (saved when training ends).');
      return;
    }
    const mine = ++seq;
    summary.textContent = t('Computing…');
    run.toggleAttribute('disabled', true);
    try {
      const r = await page.request({ type: 'occlusion', index: page.choice.index, patch: ui.patch, stride: ui.stride, fill: ui.fill });
      if (mine !== seq) return;
      last = r;
      draw();
    } catch (e) {
      if (mine === seq) summary.textContent = errorMessage(e);
    } finally {
      if (mine === seq) run.toggleAttribute('disabled', false);
    }
  }

  function draw(): void {
    const r = last;
    if (!r) return;
    const pal = page.palette();
    drawHeatmap(image, r.image.pixels, r.image.size, r.image.size, pal, 'intensity', 1);
    let scale = 0;
    for (const v of r.heatmap.pixels) scale = Math.max(scale, Math.abs(v));
    if (scale === 0) scale = 1;
    drawOverlay(overlay, r.heatmap.pixels, r.image.pixels, r.image.size, scale, overlayColour(pal));
    // The same colours as the heatmap: red where the patch lowers the true class's probability.
    drawHeatmap(
      grid,
      r.probability.map((p) => r.baseline - p),
      r.rows,
      r.cols,
      pal,
      'signed',
    );
    let min = 0;
    for (let p = 1; p < r.probability.length; p++) if (r.probability[p]! < r.probability[min]!) min = p;
    const flipped = r.predicted.filter((c) => c !== r.label).length;
    const x = (min % r.cols) * r.stride;
    const y = Math.floor(min / r.cols) * r.stride;
    summary.textContent = t(
      'test image #{0}, true class {1}: {2} % without a patch; lowest {3} % with the {4}×{4} patch’s top-left corner at ({5}, {6}), where class {7} rises most; the prediction changes at {8} of {9} positions.',
      r.index,
      r.label,
      (100 * r.baseline).toFixed(2),
      (100 * r.probability[min]!).toFixed(2),
      r.patch,
      x,
      y,
      r.risen[min]!,
      flipped,
      r.probability.length,
    );
    summary.dataset.positions = `${r.rows}x${r.cols}`;
    summary.dataset.index = String(r.index);
  }

  /** The chosen image or the model changed: occlude again (once the user has asked for it). */
  const again = () => {
    if (shown) void load();
  };
  return {
    id: 'occlusion',
    build: () => section,
    onState: (_state, { runChanged, finished }) => {
      if (runChanged || finished) again();
    },
    onImageChosen: again,
    redraw: draw,
  };
};
