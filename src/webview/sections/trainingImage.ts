/** Training image #100 with its label, as in the seed's notebook. */
import type { TrainingImageResult } from '../../core/analyses';
import { $, h, setText } from '../dom';
import { drawHeatmap } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section } from '../widgets';
import { errorMessage } from '../../core/errors';

const INDEX = 100;

export const trainingImage: SectionFactory = (page) => {
  let last: TrainingImageResult | null = null;

  async function load(): Promise<void> {
    try {
      last = await page.request({ type: 'trainingImage', index: INDEX });
      draw();
    } catch (e) {
      setText('train-label', errorMessage(e));
    }
  }

  function draw(): void {
    if (!last) return;
    const r = last;
    drawHeatmap($<HTMLCanvasElement>('train-image'), r.image.pixels, r.image.size, r.image.size, page.palette(), 'intensity', 1);
    setText('train-label', t('label: {0}', page.cls(r.label)));
  }

  return {
    id: 'train-image-card',
    build: () =>
      section(
        'train-image-card',
        t('Training image #{0}', INDEX),
        h(
          'div',
          { className: 'row' },
          h('figure', { className: 'image' }, h('canvas', { id: 'train-image', testid: 'train-image' })),
          h('div', { id: 'train-label', className: 'big', testid: 'train-label' }),
        ),
      ),
    onState: (_state, { runChanged }) => {
      if (runChanged) void load();
    },
    redraw: draw,
  };
};
