/** What a canvas holds, for the UI tests (ui.e2e.ts, explain.e2e.ts); their cropped pictures for the docs: docShot in workbench.ts. */
import type { Locator } from 'playwright-core';

/** Pixel statistics of a canvas: is anything drawn on it? */
export interface CanvasStats {
  width: number;
  height: number;
  distinct: number;
  nonBackground: number;
  hash: string;
}

export async function canvasStats(canvas: Locator): Promise<CanvasStats> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return canvas.evaluate((c: any) => {
    const ctx = c.getContext('2d');
    const { width, height } = c;
    if (!ctx || !width || !height) return { width, height, distinct: 0, nonBackground: 0, hash: '' };
    const d = ctx.getImageData(0, 0, width, height).data as Uint8ClampedArray;
    const colours = new Set<number>();
    let h = 2166136261;
    const bg = [d[0], d[1], d[2], d[3]];
    let nonBackground = 0;
    for (let i = 0; i < d.length; i += 4) {
      colours.add((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!);
      if (d[i] !== bg[0] || d[i + 1] !== bg[1] || d[i + 2] !== bg[2] || d[i + 3] !== bg[3]) nonBackground++;
      h = Math.imul(h ^ d[i]! ^ (d[i + 1]! << 8) ^ (d[i + 2]! << 16), 16777619) >>> 0;
    }
    return { width, height, distinct: colours.size, nonBackground, hash: h.toString(16) };
  });
}
