/**
 * Robustness: the chosen test image shifted by (dx, dy), the two predictions and the feature maps
 * of both with their difference; below, the sweep over all shifts, rotations and noise.
 */
import type { RobustnessPayload } from '../../core/analyses';
import { $, h, setText } from '../dom';
import { drawHeatmap, figure, maxAbs } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, slider, wide } from '../widgets';
import { robustnessSweep } from './robustnessSweep';
import { errorMessage } from '../../core/errors';

function diff(a: number[][], b: number[][]): number[][] {
  return a.map((m, c) => m.map((v, p) => b[c]![p]! - v));
}

export const robustness: SectionFactory = (page) => {
  const sweep = robustnessSweep(page);
  let last: RobustnessPayload | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;

  function schedule(): void {
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 120);
  }

  async function load(): Promise<void> {
    if (!page.hasModel()) {
      setText(
        'shifted-prediction',
        page.running() ? t('The robustness check needs the trained weights (saved when training ends).') : t('No model in this run.'),
      );
      $('robustness-maps').replaceChildren();
      return;
    }
    const mine = ++seq;
    try {
      const { index, dx, dy } = page.choice;
      const r = await page.request({ type: 'robustness', index, dx, dy });
      if (mine !== seq) return;
      last = r;
      draw();
    } catch (e) {
      setText('shifted-prediction', errorMessage(e));
    }
  }

  function draw(): void {
    const r = last;
    if (!r) return;
    const pal = page.palette();
    const cls = (label: number) => page.cls(label);
    const size = r.original.image.size;
    drawHeatmap($<HTMLCanvasElement>('original-image'), r.original.image.pixels, size, size, pal, 'intensity', 1);
    drawHeatmap($<HTMLCanvasElement>('shifted-image'), r.shifted.image.pixels, size, size, pal, 'intensity', 1);
    setText('original-caption', t('original #{0}: predicted {1}', r.index, cls(r.original.prediction.label)));
    setText('shifted-caption', t('shifted dx={0}, dy={1}: predicted {2}', r.dx, r.dy, cls(r.shifted.prediction.label)));
    const p = r.shifted.prediction;
    const shiftedArgs = [
      cls(p.label),
      (100 * p.probabilities[p.label]!).toFixed(1),
      cls(r.label),
      r.meanAbsDiff.conv1.toFixed(4),
      r.meanAbsDiff.conv2.toFixed(4),
    ] as const;
    setText(
      'shifted-prediction',
      p.label === r.label
        ? t('shifted: predicted {0} ({1} %), true label {2} ✓ still right · mean |Δ| conv1 {3}, conv2 {4}', ...shiftedArgs)
        : t('shifted: predicted {0} ({1} %), true label {2} ✗ wrong · mean |Δ| conv1 {3}, conv2 {4}', ...shiftedArgs),
    );
    $('shifted-prediction').dataset.predicted = String(p.label);
    const host = $('robustness-maps');
    host.replaceChildren();
    for (const layer of ['conv1', 'conv2'] as const) {
      const o = r.original.featureMaps[layer];
      const s = r.shifted.featureMaps[layer];
      const scale = Math.max(maxAbs(o.maps), maxAbs(s.maps));
      const d = diff(o.maps, s.maps);
      const rows = h('div', { className: 'compare' });
      const row = (title: string, maps: number[][], prefix: string, mode: 'intensity' | 'signed', sc: number) => {
        const line = h('div', { className: 'grid' });
        maps.forEach((m, c) => drawHeatmap(figure(line, `${c}`, `${prefix}-${c}`), m, o.size, o.size, pal, mode, sc));
        rows.append(h('div', { className: 'compare-row' }, h('span', { className: 'compare-title', textContent: title }), line));
      };
      row(t('original'), o.maps, `${layer}-original`, 'intensity', scale);
      row(t('shifted'), s.maps, `${layer}-shifted`, 'intensity', scale);
      row(t('shifted − original'), d, `${layer}-diff`, 'signed', scale);
      host.append(h('h3', { textContent: t('{0} feature maps', layer) }), rows);
    }
  }

  return {
    id: 'robustness',
    shows: ['robustness', 'sweep'],
    build: () =>
      wide(
        section(
          'robustness',
          t('Robustness: shift the test image'),
          h(
            'div',
            { className: 'row' },
            slider('shift-dx', 'dx', -10, 10, page.choice.dx, (v) => {
              page.setShift({ dx: v });
              schedule();
            }),
            slider('shift-dy', 'dy', -10, 10, page.choice.dy, (v) => {
              page.setShift({ dy: v });
              schedule();
            }),
          ),
          h(
            'div',
            { className: 'row' },
            h(
              'figure',
              { className: 'image' },
              h('canvas', { id: 'original-image', testid: 'original-image' }),
              h('figcaption', { id: 'original-caption' }),
            ),
            h(
              'figure',
              { className: 'image' },
              h('canvas', { id: 'shifted-image', testid: 'shifted-image' }),
              h('figcaption', { id: 'shifted-caption', testid: 'shifted-caption' }),
            ),
          ),
          h('div', { id: 'shifted-prediction', className: 'big', testid: 'shifted-prediction' }),
          h('div', { id: 'robustness-maps', testid: 'robustness-maps' }),
          sweep.element,
        ),
      ),
    onState: (state, { runChanged, finished }) => {
      if (runChanged) sweep.runChanged();
      sweep.stateChanged(state);
      if (runChanged || finished) void load();
    },
    onImageChosen: () => void load(),
    redraw: () => {
      draw();
      sweep.redraw();
    },
  };
};
