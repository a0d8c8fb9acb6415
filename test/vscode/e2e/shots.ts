/**
 * Pictures of the UI tests, shared by the e2e files that take them: the same crop as ui.e2e.ts's
 * docShot (the part of the page that some elements cover, padded, toasts hidden), with the page
 * and the folder as arguments.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { log } from '../harness';

/** Hides the workbench's notification toasts (for a picture); returns the function that shows them again. */
export async function hideToasts(page: Page): Promise<() => Promise<void>> {
  const style = await page.addStyleTag({ content: '.notifications-toasts, .notifications-center { display: none !important; }' });
  return async () => {
    await style.evaluate((e: any) => e.remove()).catch(() => undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

/**
 * A picture for the docs: the union of `parts` (padded, within `within`: by default the webview),
 * the panel's sticky header out of the way, saved as DIR/docs/NAME.png. Returns the file, or null
 * when it could not be taken (logged; never a test failure).
 */
export async function docShot(page: Page, dir: string, name: string, parts: Locator[], within?: Locator): Promise<string | null> {
  const out = join(dir, 'docs');
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}.png`);
  const show = await hideToasts(page);
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await parts[0]!.evaluate((e: any) => {
      const doc = e.ownerDocument;
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
    return file;
  } catch (e) {
    log(`doc picture ${name} not taken: ${e instanceof Error ? e.message : e}`);
    return null;
  } finally {
    await parts[0]!.evaluate((e: any) => e.ownerDocument.querySelector('header')?.style.removeProperty('position')).catch(() => undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
    await show();
  }
}
