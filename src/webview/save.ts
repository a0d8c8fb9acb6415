/**
 * "Save PNG / SVG / CSV" in the panel. The page makes the file's content (plotly's toImage for a
 * plot, the canvas's pixels for a heatmap, the recorded metrics for the CSV) and sends it to the
 * host (rpc.saveFile), which shows the save dialog and writes it: a webview cannot download.
 */
import { metricsCsv } from '../core/report/csv';
import type { ProgressEvent } from '../core/events';
import { h } from './dom';
import { t } from './l10n';
import { saveFile } from './rpc';

interface PlotlyImageApi {
  toImage(el: HTMLElement, opts: { format: 'png' | 'svg'; width?: number; height?: number; scale?: number }): Promise<string>;
}
declare const Plotly: PlotlyImageApi;

/** A file name from a caption or id: what the host's validator accepts (letters, digits, . _ -). */
export function fileNameOf(s: string): string {
  const n = s
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|-+$/g, '')
    .slice(0, 60);
  return n || 'figure';
}

function report(p: Promise<{ saved: string | null }>, button: HTMLElement): void {
  button.dataset.saved = 'pending';
  p.then(
    (r) => (button.dataset.saved = r.saved ? 'yes' : 'cancelled'),
    () => (button.dataset.saved = 'failed'),
  );
}

/** data:image/png;base64,XXXX → XXXX; data:image/svg+xml,… → the SVG text. */
function fromDataUrl(url: string): string {
  const comma = url.indexOf(',');
  const head = url.slice(0, comma);
  const body = url.slice(comma + 1);
  return head.endsWith(';base64') ? (head.startsWith('data:image/png') ? body : atob(body)) : decodeURIComponent(body);
}

function button(label: string, title: string, testid: string, onClick: (b: HTMLButtonElement) => void): HTMLButtonElement {
  const b = h('button', { className: 'save-button', textContent: label, title, testid, type: 'button' });
  b.addEventListener('click', () => onClick(b));
  return b;
}

/** "PNG" and "SVG" buttons that save plot `el` (a plotly div) as `name`. */
export function plotSaveBar(el: HTMLElement, name: string): HTMLElement {
  const save = (format: 'png' | 'svg', b: HTMLElement) =>
    report(
      Plotly.toImage(el, { format, scale: format === 'png' ? 2 : 1 }).then((url) => saveFile({ name, format, data: fromDataUrl(url) })),
      b,
    );
  return h(
    'div',
    { className: 'save-bar' },
    button(t('Save PNG'), t('Save this plot as a PNG image'), `save-png-${name}`, (b) => save('png', b)),
    button(t('Save SVG'), t('Save this plot as an SVG image'), `save-svg-${name}`, (b) => save('svg', b)),
  );
}

/** A plot with its save buttons under it, in one box (a cell of a grid). */
export function withSaveBar(el: HTMLElement, name: string): HTMLElement {
  return h('div', { className: 'plot-box' }, el, plotSaveBar(el, name));
}

/** A heatmap canvas (one canvas pixel per value) as PNG, enlarged with sharp pixels. */
function canvasPng(canvas: HTMLCanvasElement): string {
  const k = Math.max(1, Math.floor(448 / Math.max(canvas.width, canvas.height)));
  const big = document.createElement('canvas');
  big.width = canvas.width * k;
  big.height = canvas.height * k;
  const ctx = big.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0, big.width, big.height);
  return fromDataUrl(big.toDataURL('image/png'));
}

/** The same as SVG: one rect per pixel. */
function canvasSvg(canvas: HTMLCanvasElement): string {
  const { width: w, height: hgt } = canvas;
  const d = canvas.getContext('2d')!.getImageData(0, 0, w, hgt).data;
  const k = Math.max(1, Math.floor(448 / Math.max(w, hgt)));
  const rects: string[] = [];
  for (let y = 0; y < hgt; y++)
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      rects.push(`<rect x="${x}" y="${y}" width="1" height="1" fill="rgb(${d[i]},${d[i + 1]},${d[i + 2]})"/>`);
    }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w * k}" height="${hgt * k}" viewBox="0 0 ${w} ${hgt}" shape-rendering="crispEdges">${rects.join('')}</svg>`;
}

/** Small "PNG" and "SVG" buttons under a heatmap canvas (shown when the figure is hovered or focused). */
export function canvasSaveBar(canvas: HTMLCanvasElement, name: string): HTMLElement {
  const save = (format: 'png' | 'svg', b: HTMLElement) => {
    if (canvas.dataset.drawn !== 'true') return;
    report(saveFile({ name, format, data: format === 'png' ? canvasPng(canvas) : canvasSvg(canvas) }), b);
  };
  return h(
    'span',
    { className: 'save-bar canvas-save' },
    button('PNG', t('Save this picture as a PNG image'), `save-png-${name}`, (b) => save('png', b)),
    button('SVG', t('Save this picture as an SVG image'), `save-svg-${name}`, (b) => save('svg', b)),
  );
}

/** "Save CSV": the recorded metrics, as the report's metrics.csv. */
export function metricsSaveButton(progress: () => readonly ProgressEvent[]): HTMLButtonElement {
  return button(t('Save CSV'), t('Save the recorded metrics as CSV'), 'save-metrics-csv', (b) => {
    const p = progress();
    if (p.length) report(saveFile({ name: 'metrics', format: 'csv', data: metricsCsv(p) }), b);
  });
}
