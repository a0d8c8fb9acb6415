/** Colours from the VS Code theme (CSS variables), as RGB for canvases and strings for plotly. */

export type Rgb = [number, number, number];

const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;

/** Any CSS colour → RGB, through a 1-pixel canvas (handles #rgb, rgba(), names). */
export function toRgb(css: string, fallback: Rgb): Rgb {
  if (!css.trim()) return fallback;
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = '#000';
  probe.fillStyle = css.trim();
  probe.fillRect(0, 0, 1, 1);
  const d = probe.getImageData(0, 0, 1, 1).data;
  return [d[0]!, d[1]!, d[2]!];
}

export function cssVar(name: string, fallback = ''): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export interface Palette {
  background: Rgb;
  foreground: Rgb;
  positive: Rgb;
  negative: Rgb;
  /** For plotly. */
  fg: string;
  grid: string;
  train: string;
  validation: string;
  loss: string;
  font: string;
}

export function palette(): Palette {
  const bg = cssVar('--vscode-editor-background', '#1e1e1e');
  const fg = cssVar('--vscode-editor-foreground', '#d4d4d4');
  return {
    background: toRgb(bg, [30, 30, 30]),
    foreground: toRgb(fg, [212, 212, 212]),
    positive: toRgb(cssVar('--vscode-charts-red', '#f14c4c'), [241, 76, 76]),
    negative: toRgb(cssVar('--vscode-charts-blue', '#3794ff'), [55, 148, 255]),
    fg: cssVar('--vscode-foreground', fg),
    grid: cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', '#80808040')),
    train: cssVar('--vscode-charts-blue', '#3794ff'),
    validation: cssVar('--vscode-charts-orange', '#d18616'),
    loss: cssVar('--vscode-charts-purple', '#b180d7'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
  };
}

/** Calls `f` when the user switches theme (VS Code changes the body's class). */
export function onThemeChange(f: () => void): void {
  new MutationObserver(f).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
