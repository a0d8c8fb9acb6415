/**
 * The chosen test image (an index field), the model's prediction with its probabilities, and in
 * the next card the image's feature maps: one 'sample' request answers both cards.
 */
import type { SampleResult } from '../../core/analyses';
import { $, h, setText } from '../dom';
import { drawFeatureMaps, drawHeatmap } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { probabilityBars, section } from '../widgets';
import { errorMessage } from '../../core/errors';

export const testImage: SectionFactory = (page) => {
  let last: SampleResult | null = null;

  async function load(): Promise<void> {
    try {
      last = await page.request({ type: 'sample', index: page.choice.index });
      draw();
    } catch (e) {
      setText('prediction', errorMessage(e));
      $('probabilities').replaceChildren();
    }
  }

  function draw(): void {
    const r = last;
    if (!r) return;
    const pal = page.palette();
    const cls = (label: number) => page.cls(label);
    $<HTMLInputElement>('test-index').max = String(r.testCount - 1);
    drawHeatmap($<HTMLCanvasElement>('test-image'), r.image.pixels, r.image.size, r.image.size, pal, 'intensity', 1);
    setText('test-caption', t('test image #{0}, true label {1}', r.index, cls(r.label)));
    if (r.prediction) {
      setText(
        'prediction',
        t(
          'predicted {0} ({1} %) · true {2} {3}',
          cls(r.prediction.label),
          (100 * r.prediction.probabilities[r.prediction.label]!).toFixed(1),
          cls(r.label),
          r.prediction.label === r.label ? '✓' : '✗',
        ),
      );
      $('prediction').dataset.predicted = String(r.prediction.label);
      probabilityBars($('probabilities'), r.prediction.probabilities, r.prediction.label, cls);
    } else {
      setText('prediction', t('No prediction yet: the weights are saved when training ends.'));
      $('probabilities').replaceChildren();
    }
    if (r.featureMaps) {
      drawFeatureMaps($('conv1-maps'), r.featureMaps.conv1, 'conv1-map', pal);
      drawFeatureMaps($('conv2-maps'), r.featureMaps.conv2, 'conv2-map', pal);
    } else {
      $('conv1-maps').replaceChildren(
        h('p', { className: 'muted', textContent: t('Feature maps need the trained weights (saved when training ends).') }),
      );
      $('conv2-maps').replaceChildren();
    }
  }

  function build(): HTMLElement[] {
    const indexField = h('input', {
      id: 'test-index',
      type: 'number',
      min: '0',
      value: String(page.choice.index),
      testid: 'test-index',
      className: 'number',
    });
    indexField.addEventListener('change', () => {
      const v = Number(indexField.value);
      if (!Number.isInteger(v) || v < 0) {
        indexField.value = String(page.choice.index);
        return;
      }
      page.chooseImage(v);
    });
    const card = section(
      'test-image-card',
      t('Test image'),
      h('label', {}, `${t('index')} `, indexField),
      h(
        'div',
        { className: 'row' },
        h(
          'figure',
          { className: 'image' },
          h('canvas', { id: 'test-image', testid: 'test-image' }),
          h('figcaption', { id: 'test-caption' }),
        ),
        h(
          'div',
          {},
          h('div', { id: 'prediction', className: 'big', testid: 'prediction' }),
          h('div', { id: 'probabilities', className: 'bars', testid: 'probabilities' }),
        ),
      ),
    );
    const features = section(
      'feature-maps',
      t('Feature maps of the test image'),
      h('h3', { textContent: t('conv1 (after ReLU), 28×28') }),
      h('div', { id: 'conv1-maps', className: 'grid', testid: 'conv1-maps' }),
      h('h3', { textContent: t('conv2 (after ReLU), 14×14') }),
      h('div', { id: 'conv2-maps', className: 'grid', testid: 'conv2-maps' }),
    );
    return [card, features];
  }

  return {
    id: 'test-image-card',
    build,
    onState: (_state, { runChanged, finished }) => {
      if (runChanged || finished) void load();
    },
    onImageChosen: (index) => {
      const field = $<HTMLInputElement>('test-index');
      if (Number(field.value) !== index) field.value = String(index);
      void load();
    },
    redraw: draw,
  };
};
