/** Heatmaps on canvases: images, kernels and feature maps, in the theme's colours. */
import type { LayerMapsPayload } from '../core/analyses';
import { t } from './l10n';
import { canvasSaveBar, fileNameOf } from './save';
import { type Palette, type Rgb } from './theme';

/** The colour `t` of the way from `a` to `b`. */
export const mix = (a: Rgb, b: Rgb, t: number): [number, number, number] => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];

/** The diverging colour of `v` in [−1, 1]: −1 → blue, 0 → background, +1 → red (clamped). */
export function signedColour(v: number, pal: Palette): [number, number, number] {
  return v >= 0 ? mix(pal.background, pal.positive, Math.min(1, v)) : mix(pal.background, pal.negative, Math.min(1, -v));
}

/**
 * Draws a rows×cols grid of values. `mode` 'intensity': 0 → background, max → foreground (images,
 * feature maps); 'signed': negative → blue, 0 → background, positive → red, symmetric scale
 * (kernels, differences). `scale` fixes the value mapped to full colour (shared between maps).
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  pal: Palette,
  mode: 'intensity' | 'signed',
  scale?: number,
): void {
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  let s = scale ?? 0;
  if (!scale) for (let i = 0; i < rows * cols; i++) s = Math.max(s, Math.abs(values[i]!));
  if (s === 0) s = 1;
  for (let i = 0; i < rows * cols; i++) {
    const v = values[i]! / s;
    const c = mode === 'intensity' ? mix(pal.background, pal.foreground, Math.min(1, Math.max(0, v))) : signedColour(v, pal);
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  canvas.dataset.drawn = 'true';
}

/**
 * A size×size map laid over the digit it explains (explanations, occlusion): pixel p in
 * `colour(map[p] / scale, ink[p])`, the ink being the image's value in [0, 1].
 */
export function drawOverlay(
  canvas: HTMLCanvasElement,
  map: ArrayLike<number>,
  ink: ArrayLike<number>,
  size: number,
  scale: number,
  colour: (v: number, ink: number) => Rgb,
): void {
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(size, size);
  for (let p = 0; p < size * size; p++) {
    const c = colour(map[p]! / scale, ink[p]!);
    img.data.set([c[0], c[1], c[2], 255], 4 * p);
  }
  ctx.putImageData(img, 0, 0);
  canvas.dataset.drawn = 'true';
}

/** A labelled canvas in a figure, appended to `parent`. */
export function figure(parent: HTMLElement, caption: string, testId: string, cls = 'map'): HTMLCanvasElement {
  const fig = document.createElement('figure');
  fig.className = cls;
  const canvas = document.createElement('canvas');
  canvas.dataset.testid = testId;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', caption);
  fig.append(canvas);
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(cap, canvasSaveBar(canvas, fileNameOf(testId)));
  parent.append(fig);
  return canvas;
}

export function maxAbs(maps: number[][]): number {
  let m = 0;
  for (const a of maps) for (const v of a) m = Math.max(m, Math.abs(v));
  return m || 1;
}

/** One layer's feature maps as a grid of labelled heatmaps (test ids `{prefix}-{channel}`), on one scale. */
export function drawFeatureMaps(parent: HTMLElement, maps: LayerMapsPayload, prefix: string, pal: Palette, scale?: number): void {
  parent.replaceChildren();
  const s = scale ?? maxAbs(maps.maps);
  maps.maps.forEach((m, c) =>
    drawHeatmap(figure(parent, t('channel {0}', c), `${prefix}-${c}`), m, maps.size, maps.size, pal, 'intensity', s),
  );
}

/** A number for a colour scale's label: 3 significant digits, a true minus sign. */
const scaleLabel = (v: number): string =>
  (v < 0 ? '−' : v > 0 ? '+' : '') +
  Math.abs(v)
    .toPrecision(3)
    .replace(/\.?0+$/, '');

/**
 * A colour-scale bar for signed heatmaps drawn on the scale `scale` (−scale … 0 … +scale), in the
 * same diverging colours as {@link drawHeatmap}; its canvas carries `testId`. Fills `parent`.
 */
export function drawSignedScale(parent: HTMLElement, scale: number, pal: Palette, testId: string): HTMLCanvasElement {
  parent.replaceChildren();
  const canvas = document.createElement('canvas');
  canvas.dataset.testid = testId;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${scaleLabel(-scale)} … 0 … ${scaleLabel(scale)}`);
  const n = 256;
  canvas.width = n;
  canvas.height = 1;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(n, 1);
  for (let i = 0; i < n; i++) {
    const c = signedColour((2 * i) / (n - 1) - 1, pal);
    img.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  canvas.dataset.drawn = 'true';
  const labels = document.createElement('div');
  labels.className = 'scale-labels';
  for (const v of [-scale, 0, scale]) {
    const span = document.createElement('span');
    span.textContent = scaleLabel(v);
    labels.append(span);
  }
  parent.append(canvas, labels);
  return canvas;
}

/**
 * A colour-scale bar for maps that are never negative (0 … scale), from the background to
 * `pal.positive` as {@link signedColour} draws positive values; its canvas carries `testId`.
 */
export function drawPositiveScale(parent: HTMLElement, scale: number, pal: Palette, testId: string): HTMLCanvasElement {
  const canvas = drawSignedScale(parent, scale, pal, testId);
  canvas.setAttribute('aria-label', `0 … ${scaleLabel(scale)}`);
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(canvas.width, 1);
  for (let i = 0; i < canvas.width; i++) {
    const c = signedColour(i / (canvas.width - 1), pal);
    img.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  const labels = parent.querySelectorAll('.scale-labels span');
  labels[0]!.textContent = '0';
  labels[1]!.textContent = scaleLabel(scale / 2);
  return canvas;
}
