/** The misclassified test images, most confident mistakes first (a click makes one the chosen test image). */
import type { ExamplesPayload } from '../../core/analyses';
import { $, h } from '../dom';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, wide } from '../widgets';
import { needsModel, thumbnail } from './thumbnails';
import { errorMessage } from '../../core/errors';

const GALLERY_LIMIT = 200;

export const gallery: SectionFactory = (page) => {
  let last: ExamplesPayload | null = null;

  async function load(): Promise<void> {
    if (needsModel(page, $('gallery-summary'), $('gallery'))) return;
    $('gallery-summary').textContent = t('classifying…');
    try {
      last = await page.request({
        type: 'examples',
        split: 'test',
        trueLabel: null,
        predicted: null,
        onlyWrong: true,
        limit: GALLERY_LIMIT,
      });
      draw();
    } catch (e) {
      $('gallery-summary').textContent = errorMessage(e);
    }
  }

  function draw(): void {
    const g = last;
    if (!g) return;
    const shown = g.total > g.items.length ? t(' (showing the {0} most confident mistakes)', g.items.length) : '';
    $('gallery-summary').textContent = t(
      '{0} test images are misclassified{1}. Under each: its index, true label → prediction (probability); hover for all ten probabilities; click one to make it the chosen test image.',
      g.total,
      shown,
    );
    $('gallery').replaceChildren(...g.items.map((e, k) => thumbnail(page, e, `gallery-thumb-${k}`)));
    $('gallery').dataset.count = String(g.items.length);
  }

  return {
    id: 'misclassified',
    build: () =>
      wide(
        section(
          'misclassified',
          t('Misclassified test images'),
          h('p', { id: 'gallery-summary', className: 'muted', testid: 'gallery-summary' }),
          h('div', { id: 'gallery', className: 'thumbs', testid: 'gallery' }),
        ),
      ),
    // A new run on show, or its training finished: classify again.
    onState: (_state, { runChanged, finished }) => {
      if (!runChanged && !finished) return;
      last = null;
      void load();
    },
    redraw: draw,
  };
};
