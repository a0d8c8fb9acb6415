/**
 * The lab panel: everything the seed's notebook shows, for the run the host is showing (live or
 * finished). The host owns the state; this page draws it and asks the worker (through the host)
 * for the analyses of the chosen image.
 */
import { classLabel } from '../core/data/classes';
import type { KernelSnapshot, ProgressEvent } from '../core/events';
import type {
  FeatureMapsPayload,
  ModelInfo,
  RobustnessPayload,
  RunView,
  SampleResult,
  TrainingImageResult,
  WebviewCommand,
} from '../core/protocol';
import { analysisLive, analysisRedraw, analysisRunChanged, buildConfusionSection, buildGallerySection } from './analysisViews';
import { drawHeatmap, figure, maxAbs } from './draw';
import { h as el } from './dom';
import { buildDrawDigit } from './drawDigit';
import { buildOcclusion } from './occlusionView';
import { comparisonSection, pytorchSection, renderComparison, renderPytorch } from './interop';
import { drawErrorPlot, drawLossPlot } from './plots';
import { onHostMessage, request, savedState, saveState, send } from './rpc';
import { buildSweepPart, drawSweep, sweepRunChanged } from './sweepView';
import { locale, pageBundle, setL10nBundle, statusName, t } from './l10n';
import { onThemeChange, palette } from './theme';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
/** The config's class names (null or undefined for MNIST's digits). */
const classNames = () => state?.config?.data.classNames;
/** A label as the config names it: `7`, or `7 Sneaker` for a dataset with class names. */
const cls = (label: number) => classLabel(classNames(), label);
const pct = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(d)} %`);

let state: RunView | null = null;
const saved = savedState();
const ui = { index: saved.index ?? 4, dx: saved.dx ?? -3, dy: saved.dy ?? 0, epoch: -1 };
let pal = palette();
let lastSample: SampleResult | null = null;
let lastRobustness: RobustnessPayload | null = null;
let lastTrainImage: TrainingImageResult | null = null;
let modelInfoFor: string | null = null;

function persist(): void {
  saveState({ runDir: state?.runDir ?? null, index: ui.index, dx: ui.dx, dy: ui.dy });
}

function section(id: string, title: string, ...children: (Node | string)[]): HTMLElement {
  return el('section', { id, className: 'card' }, el('h2', { textContent: title }), ...children);
}

function button(id: string, label: string, command: WebviewCommand, secondary = false): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.dataset.testid = id;
  b.textContent = label;
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', () => send({ type: 'command', command }));
  return b;
}

function slider(id: string, label: string, min: number, max: number, value: number, onInput: (v: number) => void): HTMLElement {
  const out = el('output', { id: `${id}-value`, textContent: String(value) });
  const input = el('input', { id, type: 'range', min: String(min), max: String(max), step: '1', value: String(value), testid: id });
  input.addEventListener('input', () => {
    out.textContent = input.value;
    onInput(Number(input.value));
  });
  return el('label', { className: 'slider' }, `${label} `, input, out);
}

function build(): void {
  const app = $('app');
  const header = el(
    'header',
    {},
    el('div', { className: 'title' }, el('h1', { textContent: 'MNIST Lab' }), el('span', { id: 'run-name', testid: 'run-name' }), el('span', { id: 'run-status', className: 'badge', testid: 'run-status' })),
    el('div', { className: 'actions' }, button('btn-train', t('▶ Train'), 'train'), button('btn-stop', t('■ Stop'), 'stop', true), button('btn-evaluate', t('Evaluate'), 'evaluate', true), button('btn-open-run', t('Open Run…'), 'openRun', true)),
  );
  const progress = el('div', { id: 'progress', testid: 'progress' });
  const error = el('div', { id: 'run-error', className: 'error', testid: 'run-error', hidden: true });

  const accuracy = section('accuracy', t('Test accuracy'), el('div', { id: 'accuracy-value', className: 'big', testid: 'accuracy-value' }), el('div', { id: 'accuracy-detail', className: 'muted' }));
  const curves = section(
    'curves',
    t('Error rate (the seed’s record)'),
    el('div', { id: 'error-plot', className: 'plot', testid: 'error-plot' }),
    el('h3', { textContent: t('Loss') }),
    el('div', { id: 'loss-plot', className: 'plot small', testid: 'loss-plot' }),
  );
  const log = section('log', t('Progress log'), el('div', { className: 'scroll' }, el('table', { id: 'log-table', testid: 'log-table' }, el('thead', {}, el('tr', {}, ...[t('epoch'), t('samples'), '%', t('loss'), t('train acc'), t('val acc')].map((h) => el('th', { textContent: h })))), el('tbody', { id: 'log-body' }))));

  const trainImg = section(
    'train-image-card',
    t('Training image #{0}', 100),
    el('div', { className: 'row' }, el('figure', { className: 'image' }, el('canvas', { id: 'train-image', testid: 'train-image' })), el('div', { id: 'train-label', className: 'big', testid: 'train-label' })),
  );

  const indexField = el('input', { id: 'test-index', type: 'number', min: '0', value: String(ui.index), testid: 'test-index', className: 'number' });
  indexField.addEventListener('change', () => {
    const v = Number(indexField.value);
    if (!Number.isInteger(v) || v < 0) {
      indexField.value = String(ui.index);
      return;
    }
    ui.index = v;
    persist();
    void loadSample();
    void loadRobustness();
    occlusion.imageChanged();
  });
  const testImg = section(
    'test-image-card',
    t('Test image'),
    el('label', {}, `${t('index')} `, indexField),
    el('div', { className: 'row' }, el('figure', { className: 'image' }, el('canvas', { id: 'test-image', testid: 'test-image' }), el('figcaption', { id: 'test-caption' })), el('div', {}, el('div', { id: 'prediction', className: 'big', testid: 'prediction' }), el('div', { id: 'probabilities', className: 'bars', testid: 'probabilities' }))),
  );

  const kernels = section(
    'kernels',
    t('Kernels'),
    el('div', { id: 'epoch-slider-wrap' }),
    el('h3', { textContent: t('conv1: 4 kernels, 5×5') }),
    el('div', { id: 'conv1-kernels', className: 'grid', testid: 'conv1-kernels' }),
    el('h3', { textContent: t('conv2: input channel (row) × output channel (column), 5×5 each') }),
    el('div', { id: 'conv2-kernels', className: 'grid conv2', testid: 'conv2-kernels' }),
  );
  const features = section(
    'feature-maps',
    t('Feature maps of the test image'),
    el('h3', { textContent: t('conv1 (after ReLU), 28×28') }),
    el('div', { id: 'conv1-maps', className: 'grid', testid: 'conv1-maps' }),
    el('h3', { textContent: t('conv2 (after ReLU), 14×14') }),
    el('div', { id: 'conv2-maps', className: 'grid', testid: 'conv2-maps' }),
  );
  const robustness = section(
    'robustness',
    t('Robustness: shift the test image'),
    el(
      'div',
      { className: 'row' },
      slider('shift-dx', 'dx', -10, 10, ui.dx, (v) => {
        ui.dx = v;
        persist();
        scheduleRobustness();
      }),
      slider('shift-dy', 'dy', -10, 10, ui.dy, (v) => {
        ui.dy = v;
        persist();
        scheduleRobustness();
      }),
    ),
    el('div', { className: 'row' }, el('figure', { className: 'image' }, el('canvas', { id: 'original-image', testid: 'original-image' }), el('figcaption', { id: 'original-caption' })), el('figure', { className: 'image' }, el('canvas', { id: 'shifted-image', testid: 'shifted-image' }), el('figcaption', { id: 'shifted-caption', testid: 'shifted-caption' }))),
    el('div', { id: 'shifted-prediction', className: 'big', testid: 'shifted-prediction' }),
    el('div', { id: 'robustness-maps', testid: 'robustness-maps' }),
    buildSweepPart(() => pal, modelTarget),
  );
  const analysisHost = { palette: () => pal, hasModel: modelTarget, running: () => state?.status === 'running', choose: chooseTestImage, classNames };
  const confusion = buildConfusionSection(section, analysisHost);
  const gallery = buildGallerySection(section);
  const summary = section('model-summary', t('Model summary'), el('div', { className: 'hscroll' }, el('table', { id: 'summary-table', testid: 'summary-table' })), el('div', { id: 'summary-total', className: 'muted' }));
  for (const wide of [curves, log, kernels, robustness, confusion, gallery, summary]) wide.classList.add('wide');
  app.append(header, progress, error, el('div', { className: 'columns' }, accuracy, trainImg, curves, comparisonSection(), log, testImg, features, kernels, robustness, confusion, gallery, occlusion.section, drawDigit.section, summary, pytorchSection()));
}

/** The gallery or a confusion cell chose a test image: it drives the feature maps and robustness. */
function chooseTestImage(index: number): void {
  ui.index = index;
  (document.getElementById('test-index') as HTMLInputElement).value = String(index);
  persist();
  void loadSample();
  void loadRobustness();
  occlusion.imageChanged();
  $('test-image-card').scrollIntoView({ block: 'start' });
}

function setText(id: string, text: string): void {
  $(id).textContent = text;
}

function renderHeader(): void {
  const s = state!;
  setText('run-name', s.runDir ? `${s.name} — ${s.runDir.split(/[\\/]/).pop()}` : t('no run yet: press ▶ Train (or MNIST: Train)'));
  setText('run-status', statusName(s.status));
  $('run-status').dataset.status = s.status;
  $('btn-stop').toggleAttribute('disabled', s.status !== 'running');
  $('btn-train').toggleAttribute('disabled', s.status === 'running');
  const backend = s.start ? `${s.start.backend} — ${s.start.device}` : s.summary ? `${s.summary.backend}${s.summary.device ? ` — ${s.summary.device}` : ''}` : '';
  const epochs = s.config?.training.epochs ?? s.summary?.epochs ?? 0;
  setText('progress', s.totalSteps ? `${t('epoch {0}/{1} · step {2}/{3}', Math.max(1, s.epoch), epochs, s.step, s.totalSteps)}${backend ? ` · ${backend}` : ''}${s.summary?.seconds ? ` · ${s.summary.seconds.toFixed(1)} s` : ''}` : '');
  const err = $('run-error');
  err.hidden = !s.error;
  err.textContent = s.error ? t('Error: {0}', s.error) : '';
}

function renderAccuracy(): void {
  const s = state!;
  const seed = s.seedTestAccuracy;
  const test = s.summary?.testAccuracy ?? null;
  setText('accuracy-value', test === null ? (s.status === 'running' ? t('training…') : '—') : pct(test));
  const lastVal = s.progress.at(-1)?.valAccuracy ?? null;
  setText(
    'accuracy-detail',
    seed === null
      ? test === null
        ? t('latest validation accuracy {0}', pct(lastVal))
        : t('validation {0} · {1}/{2} epochs, {3} steps', pct(s.summary?.valAccuracy), s.summary?.epochsCompleted ?? 0, s.summary?.epochs ?? 0, s.summary?.steps ?? 0)
      : test === null
      ? t('the seed reached {0}; latest validation accuracy {1}', pct(seed), pct(lastVal))
      : t('the seed: {0} ({1} points) · validation {2} · {3}/{4} epochs, {5} steps', pct(seed), `${test >= seed ? '+' : ''}${(100 * (test - seed)).toFixed(2)}`, pct(s.summary?.valAccuracy), s.summary?.epochsCompleted ?? 0, s.summary?.epochs ?? 0, s.summary?.steps ?? 0),
  );
}

function logRow(p: ProgressEvent): HTMLTableRowElement {
  return el('tr', {}, ...[String(p.epoch), `${p.samples}/${p.trainSize}`, `${p.percent.toFixed(0)} %`, p.loss.toFixed(6), pct(p.trainAccuracy), pct(p.valAccuracy)].map((t) => el('td', { textContent: t })));
}

function renderLog(): void {
  const body = $('log-body');
  body.replaceChildren(...state!.progress.map(logRow));
  body.parentElement!.parentElement!.scrollTop = 1e9;
}

function renderPlots(): void {
  void drawErrorPlot($('error-plot'), state!.progress, pal, false, state!.overlay ?? []);
  $('error-plot').dataset.overlays = String(state!.overlay?.length ?? 0);
  void drawLossPlot($('loss-plot'), state!.progress, pal);
  $('error-plot').dataset.points = String(state!.progress.length);
}

function renderKernels(): void {
  const snaps = state!.snapshots;
  const wrap = $('epoch-slider-wrap');
  if (!snaps.length) {
    wrap.textContent = state!.status === 'running' ? t('Kernels appear at the end of each epoch.') : t('This run has no kernel snapshots (no epoch finished).');
    $('conv1-kernels').replaceChildren();
    $('conv2-kernels').replaceChildren();
    return;
  }
  if (ui.epoch < 0 || ui.epoch >= snaps.length) ui.epoch = snaps.length - 1;
  wrap.replaceChildren(
    slider('epoch-slider', t('epoch'), 1, snaps.length, ui.epoch + 1, (v) => {
      ui.epoch = v - 1;
      drawKernels(snaps[ui.epoch]!);
    }),
  );
  (document.getElementById('epoch-slider-value') as HTMLOutputElement).textContent = t('{0} of {1}', snaps[ui.epoch]!.epoch, snaps.at(-1)!.epoch);
  drawKernels(snaps[ui.epoch]!);
}

function drawKernels(s: KernelSnapshot): void {
  const out = document.getElementById('epoch-slider-value');
  if (out) out.textContent = t('{0} of {1}', s.epoch, state!.snapshots.at(-1)!.epoch);
  const [o1, , k1] = s.conv1.shape as [number, number, number, number];
  const c1 = $('conv1-kernels');
  c1.replaceChildren();
  const per1 = k1 * k1;
  const s1 = maxAbs([s.conv1.weight]);
  for (let o = 0; o < o1; o++) drawHeatmap(figure(c1, t('kernel {0}', o), `conv1-kernel-${o}`, 'kernel'), s.conv1.weight.slice(o * per1, (o + 1) * per1), k1, k1, pal, 'signed', s1);
  const [o2, i2, k2] = s.conv2.shape as [number, number, number, number];
  const c2 = $('conv2-kernels');
  c2.replaceChildren();
  c2.style.setProperty('--cols', String(o2));
  const per2 = k2 * k2;
  const s2 = maxAbs([s.conv2.weight]);
  for (let i = 0; i < i2; i++)
    for (let o = 0; o < o2; o++) {
      const start = (o * i2 + i) * per2;
      drawHeatmap(figure(c2, `${i}→${o}`, `conv2-kernel-${i}-${o}`, 'kernel'), s.conv2.weight.slice(start, start + per2), k2, k2, pal, 'signed', s2);
    }
}

function drawMaps(parent: HTMLElement, maps: FeatureMapsPayload['conv1'], prefix: string, scale?: number): void {
  parent.replaceChildren();
  const s = scale ?? maxAbs(maps.maps);
  maps.maps.forEach((m, c) => drawHeatmap(figure(parent, t('channel {0}', c), `${prefix}-${c}`), m, maps.size, maps.size, pal, 'intensity', s));
}

function renderProbabilities(parent: HTMLElement, probs: number[], predicted: number): void {
  parent.replaceChildren(
    ...probs.map((p, c) => {
      const bar = el('span', { className: 'bar' });
      bar.style.width = `${Math.max(0.5, 100 * p)}%`;
      return el('div', { className: c === predicted ? 'prob top' : 'prob' }, el('span', { className: 'cls', textContent: cls(c) }), el('span', { className: 'track' }, bar), el('span', { className: 'val', textContent: `${(100 * p).toFixed(1)} %` }));
    }),
  );
}

function modelTarget(): boolean {
  return !!state?.summary?.model;
}

async function loadTrainImage(): Promise<void> {
  try {
    lastTrainImage = await request({ type: 'trainingImage', index: 100 });
    drawTrainImage();
  } catch (e) {
    setText('train-label', (e as Error).message);
  }
}

function drawTrainImage(): void {
  if (!lastTrainImage) return;
  const r = lastTrainImage;
  drawHeatmap($<HTMLCanvasElement>('train-image'), r.image.pixels, r.image.size, r.image.size, pal, 'intensity', 1);
  setText('train-label', t('label: {0}', cls(r.label)));
}

async function loadSample(): Promise<void> {
  try {
    lastSample = await request({ type: 'sample', index: ui.index });
    drawSample();
  } catch (e) {
    setText('prediction', (e as Error).message);
    $('probabilities').replaceChildren();
  }
}

function drawSample(): void {
  const r = lastSample;
  if (!r) return;
  (document.getElementById('test-index') as HTMLInputElement).max = String(r.testCount - 1);
  drawHeatmap($<HTMLCanvasElement>('test-image'), r.image.pixels, r.image.size, r.image.size, pal, 'intensity', 1);
  setText('test-caption', t('test image #{0}, true label {1}', r.index, cls(r.label)));
  if (r.prediction) {
    setText('prediction', t('predicted {0} ({1} %) · true {2} {3}', cls(r.prediction.label), (100 * r.prediction.probabilities[r.prediction.label]!).toFixed(1), cls(r.label), r.prediction.label === r.label ? '✓' : '✗'));
    $('prediction').dataset.predicted = String(r.prediction.label);
    renderProbabilities($('probabilities'), r.prediction.probabilities, r.prediction.label);
  } else {
    setText('prediction', t('No prediction yet: the weights are saved when training ends.'));
    $('probabilities').replaceChildren();
  }
  if (r.featureMaps) {
    drawMaps($('conv1-maps'), r.featureMaps.conv1, 'conv1-map');
    drawMaps($('conv2-maps'), r.featureMaps.conv2, 'conv2-map');
  } else {
    $('conv1-maps').replaceChildren(el('p', { className: 'muted', textContent: t('Feature maps need the trained weights (saved when training ends).') }));
    $('conv2-maps').replaceChildren();
  }
}

let robustTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleRobustness(): void {
  clearTimeout(robustTimer);
  robustTimer = setTimeout(() => void loadRobustness(), 120);
}

let robustSeq = 0;
async function loadRobustness(): Promise<void> {
  if (!modelTarget()) {
    setText('shifted-prediction', state?.status === 'running' ? t('The robustness check needs the trained weights (saved when training ends).') : t('No model in this run.'));
    $('robustness-maps').replaceChildren();
    return;
  }
  const seq = ++robustSeq;
  try {
    const r = await request({ type: 'robustness', index: ui.index, dx: ui.dx, dy: ui.dy });
    if (seq !== robustSeq) return;
    lastRobustness = r;
    drawRobustness();
  } catch (e) {
    setText('shifted-prediction', (e as Error).message);
  }
}

function diff(a: number[][], b: number[][]): number[][] {
  return a.map((m, c) => m.map((v, p) => b[c]![p]! - v));
}

function drawRobustness(): void {
  const r = lastRobustness;
  if (!r) return;
  const size = r.original.image.size;
  drawHeatmap($<HTMLCanvasElement>('original-image'), r.original.image.pixels, size, size, pal, 'intensity', 1);
  drawHeatmap($<HTMLCanvasElement>('shifted-image'), r.shifted.image.pixels, size, size, pal, 'intensity', 1);
  setText('original-caption', t('original #{0}: predicted {1}', r.index, cls(r.original.prediction.label)));
  setText('shifted-caption', t('shifted dx={0}, dy={1}: predicted {2}', r.dx, r.dy, cls(r.shifted.prediction.label)));
  const p = r.shifted.prediction;
  const shiftedArgs = [cls(p.label), (100 * p.probabilities[p.label]!).toFixed(1), cls(r.label), r.meanAbsDiff.conv1.toFixed(4), r.meanAbsDiff.conv2.toFixed(4)] as const;
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
    const rows = el('div', { className: 'compare' });
    const row = (title: string, maps: number[][], prefix: string, mode: 'intensity' | 'signed', sc: number) => {
      const line = el('div', { className: 'grid' });
      maps.forEach((m, c) => drawHeatmap(figure(line, `${c}`, `${prefix}-${c}`), m, o.size, o.size, pal, mode, sc));
      rows.append(el('div', { className: 'compare-row' }, el('span', { className: 'compare-title', textContent: title }), line));
    };
    row(t('original'), o.maps, `${layer}-original`, 'intensity', scale);
    row(t('shifted'), s.maps, `${layer}-shifted`, 'intensity', scale);
    row(t('shifted − original'), d, `${layer}-diff`, 'signed', scale);
    host.append(el('h3', { textContent: t('{0} feature maps', layer) }), rows);
  }
}

async function renderSummary(): Promise<void> {
  const s = state!;
  let info: ModelInfo | null = null;
  if (s.start) info = { file: '', layers: s.start.layers, parameters: s.start.parameters };
  else if (modelTarget() && modelInfoFor !== s.runDir) {
    try {
      info = await request({ type: 'modelInfo' });
      modelInfoFor = s.runDir;
    } catch (e) {
      setText('summary-total', (e as Error).message);
    }
  }
  if (!info) {
    if (!modelTarget()) {
      $('summary-table').replaceChildren();
      setText('summary-total', s.runDir ? t('No model saved in this run.') : '');
    }
    return;
  }
  $('summary-table').replaceChildren(
    el('thead', {}, el('tr', {}, ...[t('layer'), t('module'), t('output shape'), t('parameters')].map((h) => el('th', { textContent: h })))),
    el('tbody', {}, ...info.layers.map((l) => el('tr', {}, ...[l.name, l.layer, l.outputShape.join(' × '), l.params.toLocaleString(locale())].map((t) => el('td', { textContent: t }))))),
  );
  setText('summary-total', t('{0} trainable parameters', info.parameters.toLocaleString(locale())));
}

let lastStatus: string | null = null;
let lastRunDir: string | null | undefined;
function onState(next: RunView): void {
  const runChanged = next.runDir !== lastRunDir;
  const finished = lastStatus === 'running' && next.status !== 'running';
  state = next;
  lastStatus = next.status;
  lastRunDir = next.runDir;
  if (runChanged) {
    ui.epoch = -1;
    modelInfoFor = null;
  }
  persist();
  renderHeader();
  renderAccuracy();
  renderLog();
  renderPlots();
  renderKernels();
  void renderSummary();
  renderComparison(next, pal);
  renderPytorch(next);
  if (runChanged || finished) {
    if (runChanged) void loadTrainImage();
    if (runChanged) sweepRunChanged();
    analysisLive(next.valConfusion);
    void loadSample();
    void loadRobustness();
    analysisRunChanged();
    drawDigit.modelChanged();
    occlusion.imageChanged();
  }
}

function redrawAll(): void {
  pal = palette();
  if (!state) return;
  renderPlots();
  renderKernels();
  renderComparison(state, pal);
  drawTrainImage();
  drawSample();
  drawRobustness();
  analysisRedraw();
  drawSweep();
  drawDigit.redraw();
  occlusion.redraw();
}

setL10nBundle(pageBundle());
const drawDigit = buildDrawDigit({ palette: () => pal, hasModel: modelTarget, renderProbabilities, drawMaps });
const occlusion = buildOcclusion({ palette: () => pal, hasModel: modelTarget, index: () => ui.index });
build();
onThemeChange(redrawAll);
onHostMessage((m) => {
  switch (m.type) {
    case 'state':
      onState(m.state);
      break;
    case 'progress':
      if (!state) return;
      state.progress.push(m.progress);
      state.log.push(m.line);
      state.step = m.progress.step;
      state.epoch = m.progress.epoch;
      $('log-body').append(logRow(m.progress));
      $('log-body').parentElement!.parentElement!.scrollTop = 1e9;
      renderHeader();
      renderAccuracy();
      renderPlots();
      break;
    case 'step':
      if (!state) return;
      state.step = m.step;
      state.totalSteps = m.totalSteps;
      state.epoch = m.epoch;
      renderHeader();
      break;
    case 'reveal':
      document.getElementById(m.section)?.scrollIntoView({ block: 'start' });
      break;
    case 'snapshot':
      if (!state) return;
      state.snapshots.push(m.snapshot);
      if (m.valConfusion) {
        state.valConfusion = m.valConfusion;
        analysisLive(m.valConfusion);
      }
      ui.epoch = state.snapshots.length - 1;
      renderKernels();
      break;
  }
});
send({ type: 'ready' });
