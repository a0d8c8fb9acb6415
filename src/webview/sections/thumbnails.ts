/** Thumbnails of test images (the confusion matrix's cells, the misclassified gallery): a click chooses one. */
import { ownClassName } from '../../core/data/classes';
import type { ExamplePayload } from '../../core/analyses';
import { h, pct } from '../dom';
import { drawHeatmap } from '../draw';
import { t } from '../l10n';
import type { LabPage } from '../page';

/** A thumbnail: the digit, "true → predicted (p)", all probabilities on hover; a click makes it the chosen test image. */
export function thumbnail(page: LabPage, e: ExamplePayload, testid: string): HTMLElement {
  const cls = (label: number) => page.cls(label);
  /** The shortest readable label: the class name where there is one, else the digit. */
  const short = (label: number): string => ownClassName(page.classNames(), label) ?? String(label);
  const canvas = h('canvas', { testid: `${testid}-canvas` });
  const pixels = e.pixels.map((v) => v / 255);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', t('test image #{0}', e.index));
  const caption = h(
    'figcaption',
    {},
    h('span', { textContent: `#${e.index}` }),
    h('br'),
    h('span', { textContent: t('{0} → {1} ({2})', short(e.label), short(e.predicted), pct(e.probabilities[e.predicted], 1)) }),
  );
  const probabilities = e.probabilities.map((p, c) => `${cls(c)}: ${pct(p, 1)}`).join('\n');
  const fig = h(
    'figure',
    {
      className: e.label === e.predicted ? 'thumb' : 'thumb wrong',
      title: `${t('test image #{0}: true label {1}, predicted {2}', e.index, cls(e.label), cls(e.predicted))}\n${probabilities}`,
      tabIndex: 0,
      testid,
    },
    canvas,
    caption,
  );
  fig.dataset.index = String(e.index);
  fig.dataset.label = String(e.label);
  fig.dataset.predicted = String(e.predicted);
  const choose = () => {
    document.querySelectorAll('figure.thumb.chosen').forEach((f) => f.classList.remove('chosen'));
    fig.classList.add('chosen');
    page.chooseImage(e.index);
    page.reveal('test-image-card');
  };
  fig.addEventListener('click', choose);
  fig.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') choose();
  });
  drawHeatmap(canvas, pixels, e.size, e.size, page.palette(), 'intensity', 1);
  return fig;
}

/** Says why `target` is empty when the run on show has no weights yet; true then. */
export function needsModel(page: LabPage, target: HTMLElement, table?: HTMLElement): boolean {
  if (page.hasModel()) return false;
  table?.replaceChildren();
  target.textContent = page.running() ? t('Needs the trained weights: shown when training ends.') : t('No model in this run.');
  return true;
}
