/** Heatmaps on canvases: images, kernels and feature maps, in the theme's colours. */
import type { LayerMapsPayload } from '../core/analyses';
import { t } from './l10n';
import { type Palette, type Rgb } from './theme';

const mix = (a: Rgb, b: Rgb, t: number): [number, number, number] => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];

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
    const c =
      mode === 'intensity'
        ? mix(pal.background, pal.foreground, Math.min(1, Math.max(0, v)))
        : v >= 0
          ? mix(pal.background, pal.positive, Math.min(1, v))
          : mix(pal.background, pal.negative, Math.min(1, -v));
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
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
  fig.append(cap);
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
