/**
 * The confusion matrix with per-class accuracy, on the test or the validation split; a click on a
 * cell shows its images. While a run trains without saved weights, the validation matrix of the
 * latest epoch end (live). The worker classifies the split once per model; this only draws what
 * it answers.
 */
import type { AnalysisSplit, ConfusionPayload, ExamplesPayload } from '../../core/analyses';
import type { LiveConfusion } from '../../core/protocol';
import { $, h, pct } from '../dom';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, wide } from '../widgets';
import { needsModel, thumbnail } from './thumbnails';
import { errorMessage } from '../../core/errors';

const CELL_LIMIT = 100;

function splitLabel(s: AnalysisSplit): string {
  return s === 'test' ? t('test split (second half of the test file)') : t('validation split (first half of the test file)');
}

function fromCounts(counts: number[][], s: AnalysisSplit): ConfusionPayload {
  const perClass = counts.map((row, k) => {
    const total = row.reduce((a, b) => a + b, 0);
    return { correct: row[k]!, total, accuracy: total ? row[k]! / total : null };
  });
  const correct = perClass.reduce((a, p) => a + p.correct, 0);
  const total = perClass.reduce((a, p) => a + p.total, 0);
  return { split: s, numClasses: counts.length, counts, perClass, correct, total, accuracy: total ? correct / total : 0 };
}

export const confusion: SectionFactory = (page) => {
  let split: AnalysisSplit = 'test';
  let matrix: ConfusionPayload | null = null;
  /** While training: the validation matrix of the latest epoch end (no weights on disk yet). */
  let live: { epoch: number; matrix: ConfusionPayload } | null = null;
  let cellExamples: ExamplesPayload | null = null;
  let seq = 0;
  const cls = (label: number) => page.cls(label);

  /** The validation confusion matrix at an epoch end, while the run trains (null: none yet). */
  function setLive(l: LiveConfusion | null | undefined): void {
    live = l ? { epoch: l.epoch, matrix: fromCounts(l.counts, 'validation') } : null;
    if (!page.hasModel() && live) draw();
  }

  async function load(): Promise<void> {
    if (!page.hasModel() && live && page.running()) {
      draw();
      return;
    }
    live = null;
    if (needsModel(page, $('confusion-summary'), $('confusion-table'))) return;
    const my = ++seq;
    $('confusion-summary').textContent = t('classifying…');
    try {
      const r = await page.request({ type: 'confusion', split });
      if (my !== seq) return;
      matrix = r;
      draw();
    } catch (e) {
      $('confusion-summary').textContent = errorMessage(e);
    }
  }

  function draw(): void {
    const liveNow = !page.hasModel() && live !== null;
    const c = liveNow ? live!.matrix : matrix;
    if (!c) return;
    $('confusion-summary').textContent = liveNow
      ? t(
          'live: {0} at the end of epoch {1}: {2} of {3} right ({4}); the chosen split’s matrix, with its images, comes when training ends',
          splitLabel('validation'),
          live!.epoch,
          c.correct,
          c.total,
          pct(c.accuracy, 2),
        )
      : t('{0}: {1} of {2} right ({3})', splitLabel(c.split), c.correct, c.total, pct(c.accuracy, 2));
    $('confusion-table').dataset.live = liveNow ? String(live!.epoch) : '';
    const max = Math.max(1, ...c.counts.flatMap((row, i) => row.filter((_, j) => j !== i)));
    const rowMax = c.perClass.map((p) => Math.max(1, p.total));
    const head = h(
      'tr',
      {},
      h('th', { className: 'corner', textContent: t('true ↓ predicted →') }),
      ...c.counts.map((_, j) => h('th', { className: 'num', textContent: String(j), title: cls(j), testid: `confusion-col-${j}` })),
      h('th', { className: 'num', textContent: t('accuracy') }),
      h('th', { className: 'num', textContent: t('n'), title: t('images of this class in the split') }),
    );
    const rows = c.counts.map((row, i) =>
      h(
        'tr',
        {},
        h('th', { textContent: cls(i), testid: `confusion-row-${i}` }),
        ...row.map((n, j) => {
          const td = h('td', {
            className: `num cell${i === j ? ' diag' : ''}${n && !liveNow ? ' clickable' : ''}`,
            textContent: String(n),
            testid: `confusion-cell-${i}-${j}`,
            title: t('true {0}, predicted {1}: {2} images', cls(i), cls(j), n),
          });
          // Diagonal: share of the row; off the diagonal: against the largest confusion.
          const share = i === j ? n / rowMax[i]! : n / max;
          td.style.setProperty('--share', `${Math.round(100 * share)}%`);
          if (n && !liveNow) td.addEventListener('click', () => void loadCell(i, j));
          return td;
        }),
        h('td', { className: 'num', textContent: pct(c.perClass[i]!.accuracy, 1), testid: `class-accuracy-${i}` }),
        h('td', { className: 'num muted', textContent: String(c.perClass[i]!.total) }),
      ),
    );
    $('confusion-table').replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
    $('confusion-table').dataset.total = String(c.total);
  }

  async function loadCell(trueLabel: number, predicted: number): Promise<void> {
    const target = $('confusion-cell');
    target.replaceChildren(h('p', { className: 'muted', textContent: t('loading…') }));
    document.querySelectorAll('#confusion-table td.selected').forEach((td) => td.classList.remove('selected'));
    document.querySelector(`[data-testid="confusion-cell-${trueLabel}-${predicted}"]`)?.classList.add('selected');
    try {
      cellExamples = await page.request({ type: 'examples', split, trueLabel, predicted, onlyWrong: false, limit: CELL_LIMIT });
      drawCell();
    } catch (e) {
      target.textContent = errorMessage(e);
    }
  }

  function drawCell(): void {
    const r = cellExamples;
    if (!r) return;
    const title = t(
      'True {0}, predicted {1}: {2} images{3}',
      cls(r.trueLabel!),
      cls(r.predicted!),
      r.total,
      r.total > r.items.length ? t(' (the first {0}, most confident first)', r.items.length) : '',
    );
    $('confusion-cell').replaceChildren(
      h('h3', { textContent: title, testid: 'confusion-cell-title' }),
      h('div', { className: 'thumbs' }, ...r.items.map((e, k) => thumbnail(page, e, `cell-thumb-${k}`))),
    );
  }

  function build(): HTMLElement {
    const select = h(
      'select',
      { id: 'confusion-split', testid: 'confusion-split', className: 'select' },
      h('option', { value: 'test', textContent: t('test split') }),
      h('option', { value: 'validation', textContent: t('validation split') }),
    );
    select.addEventListener('change', () => {
      split = select.value === 'validation' ? 'validation' : 'test';
      void load();
    });
    return wide(
      section(
        'confusion',
        t('Confusion matrix and per-class accuracy'),
        h(
          'div',
          { className: 'row' },
          h('label', {}, `${t('on the')} `, select),
          h('span', { id: 'confusion-summary', className: 'muted', testid: 'confusion-summary' }),
        ),
        h('div', { className: 'hscroll' }, h('table', { id: 'confusion-table', className: 'confusion', testid: 'confusion-table' })),
        h('p', { className: 'muted', textContent: t('Rows: true label; columns: predicted label. Click a cell to see its images.') }),
        h('div', { id: 'confusion-cell', testid: 'confusion-cell' }),
      ),
    );
  }

  return {
    id: 'confusion',
    build,
    // A new run on show, or its training finished: classify again.
    onState: (state, { runChanged, finished }) => {
      if (!runChanged && !finished) return;
      setLive(state.valConfusion);
      matrix = null;
      cellExamples = null;
      $('confusion-cell').replaceChildren();
      void load();
    },
    onSnapshot: (_snapshot, valConfusion) => {
      if (valConfusion) setLive(valConfusion);
    },
    redraw: () => {
      draw();
      drawCell();
    },
  };
};
