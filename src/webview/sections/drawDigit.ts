/**
 * "Draw a digit": a pad to draw on with a mouse, pen or finger (pointer events), made MNIST-like
 * by the core's preprocessing (bundled here: it is small and pure), then predicted by the worker
 * through the host. Requests are throttled and latest-wins: at most one is in flight, and when it
 * returns only the newest drawing is sent, so a fast hand never queues up stale work.
 */
import { preprocessDrawing } from '../../core/analysis/preprocess';
import type { DrawnPredictionPayload } from '../../core/analyses';
import { make, vsButton } from '../dom';
import { drawFeatureMaps, drawHeatmap } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { probabilityBars } from '../widgets';
import { errorMessage } from '../../core/errors';

/** Pad resolution: 10 raster pixels per MNIST pixel; the pen is about two MNIST pixels wide. */
const PAD = 280;
const PEN = 20;
const THROTTLE_MS = 100;

type Point = [number, number];

export const drawDigit: SectionFactory = (page) => {
  const strokes: Point[][] = [];
  let generation = 0;
  let inFlight = false;
  let dirty = false;
  let lastSent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: { image: Float32Array; result: DrawnPredictionPayload | null } | null = null;
  let requests = 0;

  const pad = make('canvas', 'draw-pad', 'draw-pad');
  pad.width = PAD;
  pad.height = PAD;
  pad.setAttribute('role', 'img');
  pad.setAttribute('aria-label', t('Drawing pad'));
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const undo = vsButton('draw-undo', t('Undo'));
  undo.setAttribute('secondary', '');
  const clear = vsButton('draw-clear', t('Clear'));
  clear.setAttribute('secondary', '');
  const preview = make('canvas', 'draw-preprocessed');
  preview.setAttribute('role', 'img');
  preview.setAttribute('aria-label', t('The drawing preprocessed as MNIST digits were, 28×28'));
  const prediction = make('div', 'draw-prediction', 'big');
  const probabilities = make('div', 'draw-probabilities', 'bars');
  const conv1 = make('div', 'draw-conv1-maps', 'grid');
  const conv2 = make('div', 'draw-conv2-maps', 'grid');

  const padFigure = make('figure', undefined, 'pad');
  const buttons = make('div', undefined, 'actions');
  buttons.append(undo, clear);
  const padCaption = make('figcaption', undefined, undefined, t('draw with the mouse, a pen or a finger'));
  padFigure.append(pad, padCaption, buttons);
  const previewFigure = make('figure', undefined, 'image');
  previewFigure.append(
    preview,
    make('figcaption', 'draw-preprocessed-caption', undefined, t('fitted into 20×20, centre of mass at (14, 14)')),
  );
  const result = make('div');
  result.append(prediction, probabilities);
  const row = make('div', undefined, 'row');
  row.append(padFigure, previewFigure, result);
  const section = make('section', undefined, 'card wide');
  section.id = 'draw-digit';
  section.append(
    make('h2', undefined, undefined, t('Draw a digit')),
    row,
    make('h3', undefined, undefined, t('conv1 feature maps of the drawing')),
    conv1,
    make('h3', undefined, undefined, t('conv2 feature maps of the drawing')),
    conv2,
  );

  function paintStrokes(): void {
    const pal = page.palette();
    ctx.clearRect(0, 0, PAD, PAD);
    ctx.strokeStyle = ctx.fillStyle = `rgb(${pal.foreground.join(',')})`;
    ctx.lineWidth = PEN;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (const s of strokes) {
      if (s.length === 1) {
        ctx.beginPath();
        ctx.arc(s[0]![0], s[0]![1], PEN / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(s[0]![0], s[0]![1]);
      for (const [x, y] of s.slice(1)) ctx.lineTo(x, y);
      ctx.stroke();
    }
  }

  /** The ink: the pad's alpha channel (strokes are opaque on a transparent pad). */
  function raster(): Float32Array {
    const d = ctx.getImageData(0, 0, PAD, PAD).data;
    const r = new Float32Array(PAD * PAD);
    for (let i = 0; i < r.length; i++) r[i] = d[4 * i + 3]! / 255;
    return r;
  }

  function showIdle(text: string): void {
    prediction.textContent = text;
    delete prediction.dataset.predicted;
    probabilities.replaceChildren();
    conv1.replaceChildren();
    conv2.replaceChildren();
  }

  function drawResult(): void {
    const pal = page.palette();
    if (!last) {
      drawHeatmap(preview, new Float32Array(784), 28, 28, pal, 'intensity', 1);
      preview.dataset.drawn = 'false';
      return;
    }
    drawHeatmap(preview, last.image, 28, 28, pal, 'intensity', 1);
    const r = last.result;
    if (!r) return;
    const p = r.prediction;
    prediction.textContent = t('predicted {0} ({1} %)', p.label, (100 * p.probabilities[p.label]!).toFixed(1));
    prediction.dataset.predicted = String(p.label);
    prediction.dataset.requests = String(requests);
    probabilityBars(probabilities, p.probabilities, p.label, (label) => page.cls(label));
    drawFeatureMaps(conv1, r.featureMaps.conv1, 'draw-conv1-map', pal);
    drawFeatureMaps(conv2, r.featureMaps.conv2, 'draw-conv2-map', pal);
  }

  function pump(): void {
    if (inFlight || !dirty) return;
    const wait = lastSent + THROTTLE_MS - Date.now();
    if (wait > 0) {
      timer ??= setTimeout(() => {
        timer = undefined;
        pump();
      }, wait);
      return;
    }
    dirty = false;
    lastSent = Date.now();
    const pre = preprocessDrawing(raster(), PAD, PAD, { normalize: true });
    if (pre.kind === 'empty') {
      page.setDrawing(null);
      last = null;
      drawResult();
      showIdle(t('Nothing drawn yet: draw a digit on the pad.'));
      return;
    }
    const gen = generation;
    last = { image: pre.image, result: last?.result ?? null };
    drawResult();
    const pixels = Array.from(pre.image, (v) => Math.round(v * 1e4) / 1e4);
    page.setDrawing(pixels);
    if (!page.hasModel()) {
      showIdle(t('Predictions need the trained weights (saved when training ends).'));
      return;
    }
    inFlight = true;
    requests++;
    page
      .request({ type: 'predictImage', pixels })
      .then(
        (r) => {
          if (gen !== generation || !last) return;
          last = { image: pre.image, result: r };
          drawResult();
        },
        (e: unknown) => {
          if (gen === generation) showIdle(errorMessage(e));
        },
      )
      .finally(() => {
        inFlight = false;
        pump();
      });
  }

  function changed(): void {
    dirty = true;
    pump();
  }

  const at = (e: PointerEvent): Point => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * PAD) / r.width, ((e.clientY - r.top) * PAD) / r.height];
  };
  let drawing: Point[] | null = null;
  pad.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    pad.setPointerCapture(e.pointerId);
    drawing = [at(e)];
    strokes.push(drawing);
    paintStrokes();
    changed();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const c of events.length ? events : [e]) drawing.push(at(c));
    paintStrokes();
    changed();
  });
  const end = () => {
    if (!drawing) return;
    drawing = null;
    changed();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  undo.addEventListener('click', () => {
    strokes.pop();
    generation++;
    paintStrokes();
    changed();
  });
  clear.addEventListener('click', () => {
    strokes.length = 0;
    generation++;
    paintStrokes();
    changed();
  });

  paintStrokes();
  drawResult();
  showIdle(t('Nothing drawn yet: draw a digit on the pad.'));
  return {
    id: 'draw-digit',
    build: () => section,
    // Another run (other weights), or its training finished: predict the drawing again.
    onState: (_state, { runChanged, finished }) => {
      if ((runChanged || finished) && strokes.length) changed();
    },
    redraw: () => {
      paintStrokes();
      drawResult();
    },
  };
};
