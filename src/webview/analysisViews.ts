/**
 * The lab panel's confusion matrix (with per-class accuracy; a click on a cell shows its images)
 * and the misclassified gallery (a click makes the image the chosen test image). The worker
 * classifies the split once per model; these views only draw what it answers.
 */
import { classLabel, ownClassName } from '../core/data/classes';
import type { AnalysisSplit, ConfusionPayload, ExamplePayload, ExamplesPayload, LiveConfusion } from '../core/protocol';
import { drawHeatmap } from './draw';
import { h, percent } from './dom';
import { t } from './l10n';
import { request } from './rpc';
import type { Palette } from './theme';

export interface AnalysisHost {
  palette(): Palette;
  /** True once the run on show has saved weights. */
  hasModel(): boolean;
  running(): boolean;
  /** Makes test-file image `index` the chosen one (feature maps, robustness). */
  choose(index: number): void;
  /** The config's class names (Fashion-MNIST's); null or undefined where the classes are just digits. */
  classNames(): readonly string[] | null | undefined;
}

const GALLERY_LIMIT = 200;
const CELL_LIMIT = 100;

let host: AnalysisHost;
let split: AnalysisSplit = 'test';
let confusion: ConfusionPayload | null = null;
/** While training: the validation matrix of the latest epoch end (no weights on disk yet). */
let live: { epoch: number; matrix: ConfusionPayload } | null = null;
let cellExamples: ExamplesPayload | null = null;
let gallery: ExamplesPayload | null = null;
let seq = 0;

const $ = (id: string) => document.getElementById(id)!;

function splitLabel(s: AnalysisSplit): string {
  return s === 'test' ? t('test split (second half of the test file)') : t('validation split (first half of the test file)');
}

/** `7`, or `7 Sneaker` where the config names the classes. */
const cls = (label: number): string => classLabel(host.classNames(), label);

/** The shortest readable label: the class name where there is one, else the digit. */
const short = (label: number): string => ownClassName(host.classNames(), label) ?? String(label);

function probabilitiesText(e: ExamplePayload): string {
  return e.probabilities.map((p, c) => `${cls(c)}: ${percent(p)}`).join('\n');
}

/** A thumbnail: the digit, "true → predicted (p)", all probabilities on hover; click chooses it. */
function thumbnail(e: ExamplePayload, testid: string): HTMLElement {
  const canvas = h('canvas', { testid: `${testid}-canvas` });
  const pixels = e.pixels.map((v) => v / 255);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', t('test image #{0}', e.index));
  const caption = h('figcaption', {}, h('span', { textContent: `#${e.index}` }), h('br'), h('span', { textContent: t('{0} → {1} ({2})', short(e.label), short(e.predicted), percent(e.probabilities[e.predicted])) }));
  const fig = h('figure', { className: e.label === e.predicted ? 'thumb' : 'thumb wrong', title: `${t('test image #{0}: true label {1}, predicted {2}', e.index, cls(e.label), cls(e.predicted))}\n${probabilitiesText(e)}`, tabIndex: 0, testid }, canvas, caption);
  fig.dataset.index = String(e.index);
  fig.dataset.label = String(e.label);
  fig.dataset.predicted = String(e.predicted);
  const choose = () => {
    document.querySelectorAll('figure.thumb.chosen').forEach((f) => f.classList.remove('chosen'));
    fig.classList.add('chosen');
    host.choose(e.index);
  };
  fig.addEventListener('click', choose);
  fig.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') choose();
  });
  drawHeatmap(canvas, pixels, e.size, e.size, host.palette(), 'intensity', 1);
  return fig;
}

export function buildConfusionSection(h2: (id: string, title: string, ...c: (Node | string)[]) => HTMLElement, analysisHost: AnalysisHost): HTMLElement {
  host = analysisHost;
  const select = h('select', { id: 'confusion-split', testid: 'confusion-split', className: 'select' }, h('option', { value: 'test', textContent: t('test split') }), h('option', { value: 'validation', textContent: t('validation split') }));
  select.addEventListener('change', () => {
    split = select.value === 'validation' ? 'validation' : 'test';
    void loadConfusion();
  });
  return h2(
    'confusion',
    t('Confusion matrix and per-class accuracy'),
    h('div', { className: 'row' }, h('label', {}, `${t('on the')} `, select), h('span', { id: 'confusion-summary', className: 'muted', testid: 'confusion-summary' })),
    h('div', { className: 'hscroll' }, h('table', { id: 'confusion-table', className: 'confusion', testid: 'confusion-table' })),
    h('p', { className: 'muted', textContent: t('Rows: true label; columns: predicted label. Click a cell to see its images.') }),
    h('div', { id: 'confusion-cell', testid: 'confusion-cell' }),
  );
}

export function buildGallerySection(h2: (id: string, title: string, ...c: (Node | string)[]) => HTMLElement): HTMLElement {
  return h2(
    'misclassified',
    t('Misclassified test images'),
    h('p', { id: 'gallery-summary', className: 'muted', testid: 'gallery-summary' }),
    h('div', { id: 'gallery', className: 'thumbs', testid: 'gallery' }),
  );
}

/** A new run on show, or its training finished: classify again. */
export function analysisRunChanged(): void {
  confusion = null;
  cellExamples = null;
  gallery = null;
  $('confusion-cell').replaceChildren();
  void loadConfusion();
  void loadGallery();
}

/** The validation confusion matrix at an epoch end, while the run trains (null: none yet). */
export function analysisLive(l: LiveConfusion | null | undefined): void {
  live = l ? { epoch: l.epoch, matrix: fromCounts(l.counts, 'validation') } : null;
  if (!host.hasModel() && live) drawConfusion();
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

export function analysisRedraw(): void {
  drawConfusion();
  drawCell();
  drawGallery();
}

function needsModel(target: HTMLElement, table?: HTMLElement): boolean {
  if (host.hasModel()) return false;
  table?.replaceChildren();
  target.textContent = host.running() ? t('Needs the trained weights: shown when training ends.') : t('No model in this run.');
  return true;
}

async function loadConfusion(): Promise<void> {
  if (!host.hasModel() && live && host.running()) {
    drawConfusion();
    return;
  }
  live = null;
  if (needsModel($('confusion-summary'), $('confusion-table'))) return;
  const my = ++seq;
  $('confusion-summary').textContent = t('classifying…');
  try {
    const r = await request({ type: 'confusion', split });
    if (my !== seq) return;
    confusion = r;
    drawConfusion();
  } catch (e) {
    $('confusion-summary').textContent = (e as Error).message;
  }
}

function drawConfusion(): void {
  const liveNow = !host.hasModel() && live !== null;
  const c = liveNow ? live!.matrix : confusion;
  if (!c) return;
  $('confusion-summary').textContent = liveNow
    ? t('live: {0} at the end of epoch {1}: {2} of {3} right ({4}); the chosen split’s matrix, with its images, comes when training ends', splitLabel('validation'), live!.epoch, c.correct, c.total, percent(c.accuracy, 2))
    : t('{0}: {1} of {2} right ({3})', splitLabel(c.split), c.correct, c.total, percent(c.accuracy, 2));
  $('confusion-table').dataset.live = liveNow ? String(live!.epoch) : '';
  const max = Math.max(1, ...c.counts.flatMap((row, i) => row.filter((_, j) => j !== i)));
  const rowMax = c.perClass.map((p) => Math.max(1, p.total));
  const head = h('tr', {}, h('th', { className: 'corner', textContent: t('true ↓ predicted →') }), ...c.counts.map((_, j) => h('th', { className: 'num', textContent: String(j), title: cls(j), testid: `confusion-col-${j}` })), h('th', { className: 'num', textContent: t('accuracy') }), h('th', { className: 'num', textContent: t('n'), title: t('images of this class in the split') }));
  const rows = c.counts.map((row, i) =>
    h(
      'tr',
      {},
      h('th', { textContent: cls(i), testid: `confusion-row-${i}` }),
      ...row.map((n, j) => {
        const td = h('td', { className: `num cell${i === j ? ' diag' : ''}${n && !liveNow ? ' clickable' : ''}`, textContent: String(n), testid: `confusion-cell-${i}-${j}`, title: t('true {0}, predicted {1}: {2} images', cls(i), cls(j), n) });
        // Diagonal: share of the row; off the diagonal: against the largest confusion.
        const share = i === j ? n / rowMax[i]! : n / max;
        td.style.setProperty('--share', `${Math.round(100 * share)}%`);
        if (n && !liveNow) td.addEventListener('click', () => void loadCell(i, j));
        return td;
      }),
      h('td', { className: 'num', textContent: percent(c.perClass[i]!.accuracy), testid: `class-accuracy-${i}` }),
      h('td', { className: 'num muted', textContent: String(c.perClass[i]!.total) }),
    ),
  );
  $('confusion-table').replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
  $('confusion-table').dataset.total = String(c.total);
}

async function loadCell(trueLabel: number, predicted: number): Promise<void> {
  const host2 = $('confusion-cell');
  host2.replaceChildren(h('p', { className: 'muted', textContent: t('loading…') }));
  document.querySelectorAll('#confusion-table td.selected').forEach((td) => td.classList.remove('selected'));
  document.querySelector(`[data-testid="confusion-cell-${trueLabel}-${predicted}"]`)?.classList.add('selected');
  try {
    cellExamples = await request({ type: 'examples', split, trueLabel, predicted, onlyWrong: false, limit: CELL_LIMIT });
    drawCell();
  } catch (e) {
    host2.textContent = (e as Error).message;
  }
}

function drawCell(): void {
  const r = cellExamples;
  if (!r) return;
  const title = t('True {0}, predicted {1}: {2} images{3}', cls(r.trueLabel!), cls(r.predicted!), r.total, r.total > r.items.length ? t(' (the first {0}, most confident first)', r.items.length) : '');
  $('confusion-cell').replaceChildren(h('h3', { textContent: title, testid: 'confusion-cell-title' }), h('div', { className: 'thumbs' }, ...r.items.map((e, k) => thumbnail(e, `cell-thumb-${k}`))));
}

async function loadGallery(): Promise<void> {
  if (needsModel($('gallery-summary'), $('gallery'))) return;
  $('gallery-summary').textContent = t('classifying…');
  try {
    gallery = await request({ type: 'examples', split: 'test', trueLabel: null, predicted: null, onlyWrong: true, limit: GALLERY_LIMIT });
    drawGallery();
  } catch (e) {
    $('gallery-summary').textContent = (e as Error).message;
  }
}

function drawGallery(): void {
  const g = gallery;
  if (!g) return;
  const shown = g.total > g.items.length ? t(' (showing the {0} most confident mistakes)', g.items.length) : '';
  $('gallery-summary').textContent = t('{0} test images are misclassified{1}. Under each: its index, true label → prediction (probability); hover for all ten probabilities; click one to make it the chosen test image.', g.total, shown);
  $('gallery').replaceChildren(...g.items.map((e, k) => thumbnail(e, `gallery-thumb-${k}`)));
  $('gallery').dataset.count = String(g.items.length);
}
