/**
 * Workbench helpers shared by the UI tests (the e2e/*.e2e.ts files): the command palette,
 * packaging the .vsix, the cropped pictures for the docs, and a test file's code-server and
 * browser, opened in its before() and closed in its after().
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  type Browser,
  type CodeServer,
  type CodeServerOptions,
  ProcessTracker,
  launchBrowser,
  log,
  makeTempRoot,
  startCodeServer,
  workbenchUrl,
} from '../harness';
import { makeWorkspace } from '../workspace';
import { waitFor } from './waits';

/** Runs a command from the palette by its title (retried, every `everyMs`: commands appear once their extension registered them). */
export async function paletteCommand(page: Page, title: string, timeoutMs = 30_000, everyMs = 500): Promise<void> {
  await waitFor(
    `the command "${title}" in the palette`,
    async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: 3000 });
      const label = (await row.getAttribute('aria-label')) ?? (await row.innerText());
      if (!label.includes(title)) return false;
      await page.keyboard.press('Enter');
      return true;
    },
    timeoutMs,
    everyMs,
  );
}

/** Hides the workbench's notification toasts (for a picture); returns the function that shows them again. */
export async function hideToasts(page: Page): Promise<() => Promise<void>> {
  const style = await page.addStyleTag({ content: '.notifications-toasts, .notifications-center { display: none !important; }' });
  return async () => {
    await style.evaluate((e: any) => e.remove()).catch(() => undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

/** The box around `boxes` (their union), padded by `pad`, inside `outer`. */
function unionClip(
  boxes: { x: number; y: number; width: number; height: number }[],
  outer: { x: number; y: number; width: number; height: number },
  pad: number,
): { x: number; y: number; width: number; height: number } {
  const x0 = Math.max(outer.x, Math.min(...boxes.map((b) => b.x)) - pad);
  const y0 = Math.max(outer.y, Math.min(...boxes.map((b) => b.y)) - pad);
  const x1 = Math.min(outer.x + outer.width, Math.max(...boxes.map((b) => b.x + b.width)) + pad);
  const y1 = Math.min(outer.y + outer.height, Math.max(...boxes.map((b) => b.y + b.height)) + pad);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * A picture for the docs: the part of the page that `parts` cover (their union, padded, within
 * `within` — by default the webview), toasts hidden, saved as `file`. With `scroll` (the default)
 * the first part is scrolled to the top of its webview, the panel's sticky header scrolled away
 * with the rest. A failed picture is logged, never a test failure: the tests check the UI, the
 * pictures only show it.
 */
export async function docShot(
  page: Page,
  file: string,
  parts: Locator[],
  opts: { within?: Locator; scroll?: boolean; pad?: number } = {},
): Promise<string | undefined> {
  mkdirSync(dirname(file), { recursive: true });
  const within = opts.within ?? page.locator('iframe.webview').first();
  const scroll = opts.scroll ?? true;
  const show = await hideToasts(page);
  try {
    if (scroll) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await parts[0]!.evaluate((e: any) => {
        const doc = e.ownerDocument;
        // An inline style property (the webview's CSP refuses a <style> element).
        doc.querySelector('header')?.style.setProperty('position', 'static', 'important');
        e.scrollIntoView({ block: 'start' });
        if (doc.scrollingElement) doc.scrollingElement.scrollLeft = 0;
      });
    }
    await page.waitForTimeout(300);
    const boxes = await Promise.all(parts.map((p) => p.boundingBox()));
    const outer = await within.boundingBox();
    if (!outer || boxes.some((b) => !b)) throw new Error('no bounding box');
    const clip = unionClip(
      boxes.map((b) => b!),
      outer,
      opts.pad ?? 8,
    );
    await page.screenshot({ path: file, clip });
    log(`doc picture ${file} (${Math.round(clip.width)}×${Math.round(clip.height)})`);
    return file;
  } catch (e) {
    log(`doc picture ${file} not taken: ${e instanceof Error ? e.message : e}`);
    return undefined;
  } finally {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const unpin = (e: any) => e.ownerDocument.querySelector('header')?.style.removeProperty('position');
    if (scroll) await parts[0]!.evaluate(unpin).catch(() => undefined);
    await show();
  }
}

function newestVsix(root: string, since: number): string {
  const candidates = readdirSync(root)
    .filter((f) => f.endsWith('.vsix'))
    .map((f) => join(root, f))
    .filter((f) => statSync(f).mtimeMs >= since - 2000)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!candidates.length) throw new Error(`npm run package produced no .vsix in ${root}`);
  return candidates[0]!;
}

let packaged: string | undefined;

/**
 * The .vsix the UI tests install: MNIST_LAB_VSIX, or `npm run package -- <tmp>/mnist-lab.vsix`
 * (a private path, so that runs in parallel do not overwrite each other's package).
 */
export function packageVsix(root: string, tmp: string, label = 'e2e'): string {
  if (process.env.MNIST_LAB_VSIX) return process.env.MNIST_LAB_VSIX;
  // The UI test files run in one process (run-e2e.ts): package once, into the layer's temp folder
  // (run.mjs's MNIST_LAB_TEST_TMP, kept until the layer ends), not once per file.
  if (packaged && existsSync(packaged)) return packaged;
  const shared = process.env.MNIST_LAB_TEST_TMP;
  if (shared) tmp = shared;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  if (!pkg.scripts?.package) throw new Error('package.json has no "package" script (issue 3: npm run package builds the .vsix)');
  const t0 = Date.now();
  log(`${label}: npm run package`);
  const out = join(tmp, 'mnist-lab.vsix');
  const r = spawnSync('npm', ['run', 'package', '--', out], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) {
    const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim();
    process.stderr.write(`--- npm run package output ---\n${text}\n---\n`);
    throw new Error(
      `npm run package failed (${r.status ?? r.signal}): ${
        text
          .split('\n')
          .filter((l) => /error/i.test(l))
          .join(' / ')
          .slice(0, 1000) || text.slice(-1000)
      }`,
    );
  }
  const vsix = existsSync(out) ? out : newestVsix(root, t0);
  if (shared) packaged = vsix;
  log(`${label}: packaged ${vsix} (${(statSync(vsix).size / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return vsix;
}

/** What a UI test file's before() starts: code-server with the packaged .vsix on a fresh workspace, and Chromium. */
export interface Workbench {
  tracker: ProcessTracker;
  /** The file's temp folder: the workspace, the .vsix when packaged here (removed by closeWorkbench). */
  tmp: string;
  /** The workspace folder. */
  ws: string;
  cs: CodeServer;
  browser: Browser;
  page: Page;
}

export interface OpenWorkbenchOptions {
  /** The repository, the .vsix is packaged from it. */
  root: string;
  /** Names the process tracker, the temp folders and the code-server instance ('e2e-grid'). */
  label: string;
  /** Adds to the workspace (makeWorkspace's configs and data) before code-server starts: runs, configs. */
  workspace?: (ws: string) => void;
  /** More .vsix files to install after the lab's, made in the temp folder (zh-cn's language pack). */
  moreVsix?: (tmp: string) => string[];
  /** startCodeServer's options beyond the tracker, the label and the .vsix files (env, locale, beforeStart). */
  codeServer?: Omit<CodeServerOptions, 'tracker' | 'label' | 'installVsix'>;
  /** Opens the workbench on the workspace as well: page.goto's timeout, then the workbench's. */
  open?: { gotoMs: number; workbenchMs: number };
}

/**
 * A UI test file's before(): its temp folder and workspace, the .vsix (packageVsix) installed in a
 * fresh code-server, Chromium (page errors on stderr). `started` holds each part as soon as it
 * exists, so that closeWorkbench(started) in after() stops what a failed or timed-out before() left.
 */
export async function openWorkbench(started: Partial<Workbench>, opts: OpenWorkbenchOptions): Promise<Workbench> {
  const tracker = (started.tracker = new ProcessTracker(opts.label));
  const tmp = (started.tmp = makeTempRoot(opts.label));
  tracker.addTempDir(tmp);
  const ws = (started.ws = join(tmp, 'workspace'));
  makeWorkspace(ws);
  opts.workspace?.(ws);
  const installVsix = [packageVsix(opts.root, tmp, opts.label), ...(opts.moreVsix?.(tmp) ?? [])];
  const cs = (started.cs = await startCodeServer({ ...opts.codeServer, tracker, installVsix, label: opts.label }));
  const browser = (started.browser = await launchBrowser(cs.root, tracker));
  const page = (started.page = browser.page);
  page.on('pageerror', (e) => process.stderr.write(`[browser pageerror] ${e.message}\n`));
  if (opts.open) {
    await page.goto(workbenchUrl(cs, ws), { timeout: opts.open.gotoMs });
    await page.locator('.monaco-workbench').waitFor({ timeout: opts.open.workbenchMs });
  }
  return { tracker, tmp, ws, cs, browser, page };
}

/** A UI test file's after(): closes the browser, then stops every process started and removes the temp folders. */
export async function closeWorkbench(started: Partial<Workbench>): Promise<void> {
  await started.browser?.close();
  await started.tracker?.stopAll();
}
