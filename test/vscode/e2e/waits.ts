/** Polling helpers shared by the UI tests (ui.e2e.ts, zh-cn.e2e.ts). */
import type { Frame, Page } from 'playwright-core';

/** Polls `fn` until it returns something other than undefined/false; its last error in the timeout message. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The frame of `page` (of the nested webview iframes) that holds `selector`. */
export async function frameIn(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  return waitFor(
    `a webview frame containing ${selector}`,
    async () => {
      for (const f of page.frames()) {
        if (f === page.mainFrame()) continue;
        try {
          if (await f.$(selector)) return f;
        } catch {
          /* detached meanwhile */
        }
      }
      return undefined;
    },
    timeoutMs,
    250,
  );
}
