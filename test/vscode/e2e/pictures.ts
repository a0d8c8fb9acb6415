/** Pictures in the UI tests (ui.e2e.ts, explain.e2e.ts): what a canvas holds, and cropped pictures for the docs. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { log } from '../harness';

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

/** Hides the workbench's notification toasts (for a picture); returns the function that shows them again. */
export async function hideToasts(page: Page): Promise<() => Promise<void>> {
  const style = await page.addStyleTag({ content: '.notifications-toasts, .notifications-center { display: none !important; }' });
  return async () => {
    await style.evaluate((e: any) => e.remove()).catch(() => undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

/**
 * A picture for the docs: the part of the page that `parts` cover (their union, padded, within
 * `within` — by default the webview), toasts hidden, saved as `dir`/NAME.png (docs/screenshots/
 * holds the curated copies). A failed picture is logged, never a test failure.
 */
export async function docShot(page: Page, dir: string, name: string, parts: Locator[], within?: Locator): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  const show = await hideToasts(page);
  try {
    // The first part at the top, the panel's sticky header scrolled away with the rest (for the picture).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await parts[0]!.evaluate((e: any) => {
      const doc = e.ownerDocument;
      // An inline style property (the webview's CSP refuses a <style> element).
      doc.querySelector('header')?.style.setProperty('position', 'static', 'important');
      e.scrollIntoView({ block: 'start' });
      if (doc.scrollingElement) doc.scrollingElement.scrollLeft = 0;
    });
    await page.waitForTimeout(300);
    const boxes = await Promise.all(parts.map((p) => p.boundingBox()));
    const outer = await (within ?? page.locator('iframe.webview').first()).boundingBox();
    if (!outer || boxes.some((b) => !b)) throw new Error('no bounding box');
    const pad = 8;
    const x0 = Math.max(outer.x, Math.min(...boxes.map((b) => b!.x)) - pad);
    const y0 = Math.max(outer.y, Math.min(...boxes.map((b) => b!.y)) - pad);
    const x1 = Math.min(outer.x + outer.width, Math.max(...boxes.map((b) => b!.x + b!.width)) + pad);
    const y1 = Math.min(outer.y + outer.height, Math.max(...boxes.map((b) => b!.y + b!.height)) + pad);
    await page.screenshot({ path: file, clip: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } });
    log(`doc picture ${file} (${Math.round(x1 - x0)}×${Math.round(y1 - y0)})`);
  } catch (e) {
    log(`doc picture ${name} not taken: ${e instanceof Error ? e.message : e}`);
  } finally {
    await parts[0]!.evaluate((e: any) => e.ownerDocument.querySelector('header')?.style.removeProperty('position')).catch(() => undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
    await show();
  }
}
