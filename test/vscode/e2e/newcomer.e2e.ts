// A newcomer's first minutes (issue 15): the packaged .vsix installed from the Extensions view's
// "Install from VSIX…" in a running code-server, as a user installs it, opens the walkthrough; its
// steps complete by their completion events as the user creates a config, trains from the ▶ in the
// editor title, opens the panel, runs the robustness check and opens the run history from the
// context menus; Train and Evaluate from the explorer's and the editor's context menus; ■ Stop in
// the editor title. It also takes the docs' cropped pictures of a training beside its config, the
// committed 20-epoch run, the light theme with the side view and a killed worker
// (.test-artifacts/e2e/docs/*.png; docs/screenshots/ holds the curated copies).
//
// MNIST_LAB_RECORD_GIF=1 (scripts/record-gif.mjs, not part of npm test): the browser records a
// video (Playwright's recordVideo) and the test writes where the panel is while curve.mnist.json
// trains (.test-artifacts/e2e/gif/segment.json); the script makes docs/media/training.gif of it.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import type { Frame, Locator, Page } from 'playwright-core';
import { type Browser, type CodeServer, ProcessTracker, launchBrowser, log, makeTempRoot, startCodeServer, workbenchUrl } from '../harness';
import { CURVE_CONFIG_NAME, REFUSING_NPM_REGISTRY, SMALL_CONFIG, SMALL_CONFIG_NAME, makeWorkspace } from '../workspace';
import { frameIn, waitFor } from './waits';
import { docShot, hideToasts, packageVsix, paletteCommand } from './workbench';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const ARTIFACTS = join(process.env.MNIST_LAB_ARTIFACTS || join(ROOT, '.test-artifacts'), 'e2e');
const DOCS = join(ARTIFACTS, 'docs');
const RECORD_GIF = process.env.MNIST_LAB_RECORD_GIF === '1';
const GIF_DIR = join(ARTIFACTS, 'gif');
/** A README-sized window: the panel beside a config is about 600 px wide, legible at 100 %. */
const VIEWPORT = { width: 1280, height: 800 };
const SEED_RUN_ID = '20261128-001011-seed';
const LONG_CONFIG_NAME = 'long.mnist.json';
/** The palette, patient: this test runs on machines shared by several UI runs at once. */
const palette = (title: string) => paletteCommand(page, title, 120_000);
const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
const STEPS = ['config', 'train', 'kernels', 'robustness', 'draw', 'history'] as const;

interface Summary {
  name: string;
  runId: string;
  status: string;
  steps: number;
  totalSteps: number;
  testAccuracy: number | null;
  pid?: number;
}

let tracker: ProcessTracker;
let tmp: string;
let ws: string;
let vsix: string;
let cs: CodeServer;
let browser: Browser;
let page: Page;
let shot = 0;
let browserStartedAt = 0;
/** The curve.mnist.json run trained from the editor title's ▶. */
let curveRun: Summary | undefined;

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `newcomer-${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

const runsDir = () => join(ws, '.mnist-lab', 'runs');
function runDirs(): string[] {
  if (!existsSync(runsDir())) return [];
  return readdirSync(runsDir())
    .map((x) => join(runsDir(), x))
    .filter((x) => statSync(x).isDirectory());
}
function summaryOf(dir: string): Summary | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  } catch {
    return undefined;
  }
}
const newRun = (before: Set<string>, what: string) =>
  waitFor(`a new run directory after ${what}`, () => runDirs().find((d) => !before.has(d) && summaryOf(d)), 180_000);
const finished = (dir: string, timeoutMs = 240_000) =>
  waitFor(
    `${basename(dir)} to finish`,
    () => {
      const s = summaryOf(dir);
      return s && s.status !== 'running' ? s : undefined;
    },
    timeoutMs,
    500,
  );

/** The text editor of the active editor group. */
const editor = () => page.locator('.part.editor .editor-group-container.active .editor-instance .monaco-editor').first();
const explorerRow = (name: string) => page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();

async function openConfig(name: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: name }).first();
  if (await tab.count()) await tab.click();
  else {
    // The side bar may hold another view (the MNIST Lab side view): the explorer first.
    if (!(await explorerRow(name).isVisible())) await palette('View: Show Explorer');
    await clearPointer();
    await explorerRow(name).click({ timeout: 30_000 });
  }
  await editor().locator('.view-lines .view-line').first().waitFor({ state: 'visible', timeout: 20_000 });
  const active = await page.locator('.part.editor .editor-group-container.active .tabs-container .tab.active').first().innerText();
  assert.ok(active.includes(name), `the active editor is "${active}", not ${name}`);
}

/** The walkthrough's step element (its id is extension#walkthrough#step). */
const step = (id: string) => page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id$="#${id}"]`).first();

/** Shows the walkthrough (Welcome: Open Walkthrough…, as a user reopens it) and returns which of its steps are checked. */
async function walkthroughDone(): Promise<Record<string, boolean>> {
  await palette('Welcome: Open Walkthrough...');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: nls['walkthrough.title']! }).first();
  await row.waitFor({ state: 'visible', timeout: 60_000 });
  await row.click();
  await step('config').waitFor({ state: 'visible', timeout: 60_000 });
  const done: Record<string, boolean> = {};
  for (const id of STEPS) done[id] = (await step(id).getAttribute('aria-checked')) === 'true';
  log(`e2e newcomer: walkthrough steps checked: ${JSON.stringify(done)}`);
  return done;
}

/** The items of the open context menu (VS Code draws its own, in a shadow root that Playwright's CSS pierces). */
const menuItem = (label: string) =>
  page
    .locator('.context-view .monaco-menu .action-item:not(.disabled) .action-label', { hasText: new RegExp(`^\\s*${label}\\s*$`) })
    .first();

/** Moves the mouse off the workbench's lists and closes menus and hovers (a row's path tooltip covers the rows below it). */
async function clearPointer(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height - 2);
  await page
    .locator('.workbench-hover-container')
    .first()
    .waitFor({ state: 'hidden', timeout: 3000 })
    .catch(() => undefined);
}

/**
 * Right-clicks `target` and clicks `label` in its context menu. The menu closes by itself when the
 * workbench moves the focus meanwhile (a walkthrough step checked, a toast): then it is opened
 * again. The click does not wait after itself, so a menu item is never run twice.
 */
async function contextMenu(target: Locator, label: string, picture?: string, around?: Locator): Promise<void> {
  let tries = 0;
  await waitFor(
    `"${label}" in the context menu`,
    async () => {
      tries++;
      await clearPointer();
      await target.click({ button: 'right', timeout: 10_000 });
      const item = menuItem(label);
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      if (picture) {
        const menu = page.locator('.context-view .monaco-menu').first();
        await item.hover({ timeout: 5000 });
        await docShot(page, join(DOCS, `${picture}.png`), [menu, ...(around ? [around] : [])], {
          within: page.locator('.monaco-workbench'),
          scroll: false,
        });
      }
      await item.click({ timeout: 5000, noWaitAfter: true });
      return true;
    },
    90_000,
    1000,
  );
  if (tries > 1) log(`e2e newcomer: the context menu of ${label} opened ${tries} times`);
}

/** The ▶ / ■ in the active editor group's title (menu editor/title/run). */
const titleAction = (label: string) =>
  page.locator(`.part.editor .editor-group-container.active .title .editor-actions .action-label[aria-label^="${label}"]`).first();

async function labFrame(): Promise<Frame> {
  return frameIn(page, '#error-plot', 180_000);
}

/** Waits until the panel's progress line ("epoch 3/300 · step 512/56400 · …") has passed `steps` steps. */
async function panelSteps(lab: Frame, steps: number): Promise<number> {
  return waitFor(
    `the panel to show step ${steps}`,
    async () => {
      const n = Number((await lab.locator('#progress').innerText({ timeout: 2000 })).match(/step (\d+)\//)?.[1] ?? 0);
      return n >= steps ? n : undefined;
    },
    120_000,
    300,
  );
}

describe('a newcomer: install, walkthrough, editor title and context menus', function () {
  this.timeout(360_000);

  before(async function () {
    this.timeout(300_000);
    tracker = new ProcessTracker('e2e-newcomer');
    tmp = makeTempRoot('e2e-newcomer');
    tracker.addTempDir(tmp);
    ws = join(tmp, 'workspace');
    makeWorkspace(ws);
    // A training long enough to stop or kill it midway: 300 epochs of the workspace's small split,
    // 56,400 steps of the small network (≈ 1 ms each here: minutes, where 20 epochs took seconds and
    // ended before ■ Stop was pressed).
    writeFileSync(
      join(ws, LONG_CONFIG_NAME),
      JSON.stringify({ ...SMALL_CONFIG, name: 'long', training: { ...SMALL_CONFIG.training, epochs: 300, evalEvery: 200 } }, null, 2),
    );
    // For the GIF, a training that lasts long enough to watch the curves grow (30 epochs, 5,640
    // steps: about a minute, of which the panel's first seconds, a webview starting under the
    // video's load, are a small part).
    if (RECORD_GIF)
      writeFileSync(
        join(ws, CURVE_CONFIG_NAME),
        JSON.stringify({ ...SMALL_CONFIG, name: 'curve', training: { ...SMALL_CONFIG.training, epochs: 30, evalEvery: 50 } }, null, 2),
      );
    vsix = packageVsix(ROOT, tmp, 'e2e newcomer');
    // Nothing installed yet: the test installs the .vsix from the workbench, as a user does.
    cs = await startCodeServer({ tracker, label: 'e2e-newcomer', env: { npm_config_registry: REFUSING_NPM_REGISTRY } });
    if (RECORD_GIF) mkdirSync(GIF_DIR, { recursive: true });
    browserStartedAt = Date.now();
    browser = await launchBrowser(cs.root, tracker, VIEWPORT, RECORD_GIF ? { dir: GIF_DIR, size: VIEWPORT } : undefined);
    page = browser.page;
    // A loaded machine (2 cores shared) loads the workbench in more than Playwright's 30 s.
    page.setDefaultNavigationTimeout(120_000);
    page.on('pageerror', (e) => process.stderr.write(`[browser pageerror] ${e.message}\n`));
    page.on('console', (m) => {
      if (/walkthrough|gettingStarted|error/i.test(m.text()))
        process.stderr.write(`[browser console ${m.type()}] ${m.text().slice(0, 300)}\n`);
    });
  });

  after(async function () {
    this.timeout(360_000);
    const video = RECORD_GIF ? page?.video() : null;
    await browser?.close();
    if (video) {
      const path = await video.path().catch(() => undefined);
      log(`e2e newcomer: video ${path}`);
      if (path) writeFileSync(join(GIF_DIR, 'video.json'), JSON.stringify({ video: path }));
    }
    await tracker?.stopAll();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    log(`e2e newcomer: FAILED "${this.currentTest.title}": ${this.currentTest.err?.message}`);
    await screenshot('failed').catch(() => undefined);
  });

  it('the .vsix installed from "Extensions: Install from VSIX…" brings the walkthrough, six steps, none checked', async function () {
    this.timeout(600_000);
    await page.goto(workbenchUrl(cs, ws));
    await page.locator('.monaco-workbench').waitFor({ timeout: 180_000 });
    await explorerRow(SMALL_CONFIG_NAME).waitFor({ timeout: 180_000 });
    const installed = () => readdirSync(cs.extensionsDir).some((d) => d.startsWith('mnist-lab.mnist-lab'));
    assert.equal(installed(), false, 'MNIST Lab is installed before the test installs it');
    await palette('Extensions: Install from VSIX...');
    // code-server's file dialog is a quick input holding a path: once it shows its start folder,
    // type the .vsix's path and press Install (retried: the dialog may still be listing a folder).
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await waitFor(
      'the .vsix installed from the file dialog',
      async () => {
        if (installed()) return true;
        if (await input.isVisible()) {
          if ((await input.inputValue()) !== vsix) {
            await input.fill(vsix);
            await page.waitForTimeout(1500);
            if ((await input.inputValue()) !== vsix) return false;
          }
          await page.keyboard.press('Enter');
        }
        return false;
      },
      180_000,
      3000,
    );
    // VS Code opens the walkthrough of an extension installed in this session
    // (workbench.welcomePage.walkthroughs.openOnInstall); logged here, not asserted: in this
    // headless code-server it did not open in our runs (docs/testing.md).
    const title = page.locator('.gettingStartedContainer .gettingStartedSlideDetails h2', { hasText: nls['walkthrough.title']! }).first();
    const opened = await title.waitFor({ state: 'visible', timeout: 30_000 }).then(
      () => true,
      () => false,
    );
    log(`e2e newcomer: the walkthrough ${opened ? 'opened by itself' : 'did not open by itself'} after the install`);
    const done = await walkthroughDone();
    assert.deepEqual(Object.values(done), [false, false, false, false, false, false], 'steps checked before the user did anything');
    assert.equal(
      await page.locator('.gettingStartedContainer button.getting-started-step').count(),
      STEPS.length,
      'the walkthrough does not have six steps',
    );
    for (const id of STEPS)
      assert.ok(
        (await step(id).innerText()).includes(nls[`walkthrough.${id}.title`]!),
        `step ${id} is not titled as package.nls.json says`,
      );
    await screenshot('walkthrough-opened');
    await docShot(page, join(DOCS, 'walkthrough.png'), [page.locator('.part.editor').first()], {
      within: page.locator('.monaco-workbench'),
      scroll: false,
      pad: 0,
    });
  });

  it('the walkthrough: its "Create a Config" button writes seed.mnist.json and checks the step', async () => {
    await step('config').click();
    const button = page.locator(
      '.gettingStartedContainer .getting-started-step.expanded a, .gettingStartedContainer .getting-started-step.expanded .button-container button',
      {
        hasText: 'Create a Config',
      },
    );
    await button.first().click();
    const created = () => existsSync(join(ws, 'seed.mnist.json'));
    const soon = await waitFor('seed.mnist.json', created, 90_000).then(
      () => true,
      () => false,
    );
    if (!soon) {
      // On a machine loaded by several UI runs the remote extension host can miss its handshake
      // ("the handshake timed out") and never start: restart it, as a user would, and press again.
      log('e2e newcomer: no seed.mnist.json 90 s after the button: restarting the extension host');
      await palette('Developer: Restart Extension Host');
      await page.waitForTimeout(15_000);
      await walkthroughDone();
      await step('config').click();
      await button.first().click();
      await waitFor('seed.mnist.json', created, 120_000);
    }
    await page.locator('.tabs-container .tab', { hasText: 'seed.mnist.json' }).first().waitFor({ timeout: 60_000 });
    const seed = JSON.parse(readFileSync(join(ws, 'seed.mnist.json'), 'utf8')) as { name: string; training: { epochs: number } };
    assert.equal(seed.name, 'seed');
    assert.equal(seed.training.epochs, 20, 'the new config is not the original lab’s (20 epochs)');
    const done = await walkthroughDone();
    assert.deepEqual(done, { config: true, train: false, kernels: false, robustness: false, draw: false, history: false });
  });

  it('▶ in the editor title trains the open config; the panel draws its curves beside it; ■ shows while it trains', async function () {
    this.timeout(420_000);
    await openConfig(CURVE_CONFIG_NAME);
    const play = titleAction('Train');
    await play.waitFor({ state: 'visible', timeout: 90_000 }).catch(async (e: Error) => {
      const labels = await page.locator('.part.editor .editor-group-container.active .title .editor-actions .action-label').evaluateAll(
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        (els: any[]) => els.map((x) => x.getAttribute('aria-label')),
      );
      throw new Error(`no ▶ Train in the editor title (actions there: ${JSON.stringify(labels)}): ${e.message.split('\n')[0]}`);
    });
    // The picture: the title's actions with the ▶'s tooltip.
    await play.hover();
    const hover = page.locator('.workbench-hover-container, .monaco-hover').filter({ hasText: 'Train' }).first();
    const hovered = await hover.waitFor({ state: 'visible', timeout: 5000 }).then(
      () => true,
      () => false,
    );
    const actions = page.locator('.part.editor .editor-group-container.active .title .editor-actions').first();
    await docShot(page, join(DOCS, 'editor-title-train.png'), hovered ? [actions, hover] : [actions], {
      within: page.locator('.monaco-workbench'),
      scroll: false,
      pad: 24,
    });
    if (RECORD_GIF) {
      // The recording shows the whole training: the panel (a webview, slow to start under the
      // video's load) is opened first and moved beside the config, as ▶ would place it; the
      // config then has the focus again for its ▶ (which reveals the panel where it is).
      await palette('MNIST Lab: Open Lab');
      await labFrame();
      await palette('View: Move Editor into Next Group');
      await page.waitForTimeout(2000);
      await openConfig(CURVE_CONFIG_NAME);
      await play.waitFor({ state: 'visible', timeout: 30_000 });
    }
    const before = new Set(runDirs());
    const clickedS = (Date.now() - browserStartedAt) / 1000;
    // The recording shows the panel, not the progress toasts over it.
    const showToasts = RECORD_GIF ? await hideToasts(page) : undefined;
    await play.click();
    const run = await newRun(before, '▶ in the editor title');
    const s0 = summaryOf(run)!;
    assert.equal(s0.name, 'curve', `▶ trained "${s0.name}", not the open config`);
    // While it trains the button is ■ Stop (the same menu, when mnistLab.training).
    await titleAction('Stop').waitFor({ state: 'visible', timeout: 30_000 });
    const lab = await labFrame();
    await lab.locator('#run-name', { hasText: basename(run) }).waitFor({ timeout: 120_000 });
    const panel = page.locator('iframe.webview').first();
    if (RECORD_GIF) {
      const box = await panel.boundingBox();
      writeFileSync(
        join(GIF_DIR, 'segment.json'),
        JSON.stringify({ startS: clickedS, panelShownS: (Date.now() - browserStartedAt) / 1000, panel: box, viewport: VIEWPORT }, null, 2),
      );
    }
    // The curves grow: a few points, then the picture of the training beside its config.
    const points = () =>
      lab
        .locator('#error-plot')
        .getAttribute('data-points')
        .then((p) => Number(p ?? 0));
    await waitFor('5 points on the error-rate plot', async () => (await points()) >= 5, 180_000, 250);
    await lab.locator('#train-label', { hasText: 'label' }).waitFor({ timeout: 30_000 });
    // Not while recording: a screenshot shows in the video as a frame of another size.
    if (!RECORD_GIF) {
      await docShot(page, join(DOCS, 'training.png'), [page.locator('.part.editor').first()], {
        within: page.locator('.monaco-workbench'),
        scroll: false,
        pad: 0,
      });
      await screenshot('training-from-editor-title');
    }
    const s = await finished(run);
    assert.equal(s.status, 'completed', `the run ended ${s.status}`);
    assert.ok((await points()) >= 10, `only ${await points()} points after the run`);
    curveRun = s;
    if (RECORD_GIF) {
      // Under the video's load the panel draws the end a while after the run has finished.
      await lab.locator('#run-status', { hasText: 'completed' }).waitFor({ timeout: 240_000 });
      await page.waitForTimeout(2500);
      const seg = JSON.parse(readFileSync(join(GIF_DIR, 'segment.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(GIF_DIR, 'segment.json'), JSON.stringify({ ...seg, endS: (Date.now() - browserStartedAt) / 1000 }, null, 2));
      await showToasts?.();
    }
    await titleAction('Train').waitFor({ state: 'visible', timeout: 30_000 });
    const done = await walkthroughDone();
    assert.equal(done.train, true, 'the walkthrough step "Train" is not checked after ▶ Train');
  });

  it('Evaluate from the explorer’s context menu gives the run’s test accuracy', async function () {
    this.timeout(360_000);
    assert.ok(curveRun, 'no finished curve run');
    await contextMenu(explorerRow(CURVE_CONFIG_NAME), 'Evaluate', 'explorer-context-menu', explorerRow(CURVE_CONFIG_NAME));
    const expected = (100 * curveRun.testAccuracy!).toFixed(2);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'MNIST Lab: test accuracy' }).first();
    await toast.waitFor({ state: 'visible', timeout: 120_000 });
    const text = await toast.innerText();
    assert.ok(text.includes(`${expected} %`), `Evaluate says "${text}", the run recorded ${expected} %`);
    log(`e2e newcomer: Evaluate (explorer): ${text.replace(/\s+/g, ' ')}`);
    await screenshot('evaluate-from-explorer');
    await palette('Notifications: Clear All Notifications');
  });

  it('Train from the editor’s context menu starts a training; ■ Stop in the editor title stops it', async function () {
    this.timeout(360_000);
    await openConfig(LONG_CONFIG_NAME);
    const before = new Set(runDirs());
    const line = editor().locator('.view-lines .view-line').nth(1);
    await contextMenu(line, 'Train', 'editor-context-menu', line);
    const run = await newRun(before, 'Train in the editor’s context menu');
    assert.equal(summaryOf(run)!.name, 'long', 'the context menu trained another config');
    const lab = await labFrame();
    await lab.locator('#run-name', { hasText: basename(run) }).waitFor({ timeout: 120_000 });
    // summary.json records the steps at the end; while it trains, the panel's progress line does.
    await panelSteps(lab, 1);
    await screenshot('train-from-editor-context-menu');
    await openConfig(LONG_CONFIG_NAME);
    // The title's actions are redrawn as context keys change; on a loaded machine a click can land
    // on one being replaced and do nothing. A user clicks ■ again: so does the test (logged).
    let clicks = 0;
    let lastClick = 0;
    const s = await waitFor(
      `${basename(run)} to stop after ■ Stop`,
      async () => {
        const now = summaryOf(run);
        if (now && now.status !== 'running') return now;
        if (clicks === 0 || Date.now() - lastClick > 20_000) {
          await titleAction('Stop').click({ timeout: 10_000 });
          clicks++;
          lastClick = Date.now();
        }
        return undefined;
      },
      90_000,
      500,
    );
    log(`e2e newcomer: ■ Stop clicked ${clicks} time(s)`);
    assert.notEqual(s.status, 'completed', 'the run completed although ■ Stop was pressed');
    assert.ok(s.steps < s.totalSteps, `the stopped run took all ${s.totalSteps} steps`);
    log(`e2e newcomer: stopped ${s.runId}: ${s.status} after ${s.steps}/${s.totalSteps} steps`);
  });

  it('Train from the explorer’s context menu, then Evaluate from the editor’s', async function () {
    this.timeout(420_000);
    const before = new Set(runDirs());
    await contextMenu(explorerRow(SMALL_CONFIG_NAME), 'Train');
    const run = await newRun(before, 'Train in the explorer’s context menu');
    assert.equal(summaryOf(run)!.name, 'small');
    const s = await finished(run);
    assert.equal(s.status, 'completed');
    await palette('Notifications: Clear All Notifications');
    await openConfig(SMALL_CONFIG_NAME);
    await contextMenu(editor().locator('.view-lines .view-line').nth(1), 'Evaluate');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'MNIST Lab: test accuracy' }).first();
    await toast.waitFor({ state: 'visible', timeout: 120_000 });
    const text = await toast.innerText();
    assert.ok(text.includes(`${(100 * s.testAccuracy!).toFixed(2)} %`), `Evaluate says "${text}", the run recorded ${s.testAccuracy}`);
    await palette('Notifications: Clear All Notifications');
  });

  it('the walkthrough’s remaining steps complete: Open Lab, Robustness Check (its button), Run History (context menu)', async function () {
    this.timeout(360_000);
    await palette('MNIST Lab: Open Lab');
    await labFrame();
    let done = await walkthroughDone();
    assert.equal(done.kernels, true, 'Open Lab did not check "Kernels and feature maps"');
    assert.equal(done.draw, true, 'Open Lab did not check "Draw a digit"');
    assert.equal(done.robustness, false);
    await step('robustness').click();
    await page
      .locator(
        '.gettingStartedContainer .getting-started-step.expanded a, .gettingStartedContainer .getting-started-step.expanded .button-container button',
        {
          hasText: 'Robustness Check',
        },
      )
      .first()
      .click();
    const lab = await labFrame();
    await lab.locator('#shifted-prediction').waitFor({ state: 'visible', timeout: 60_000 });
    await openConfig(SMALL_CONFIG_NAME);
    await contextMenu(editor().locator('.view-lines .view-line').nth(1), 'Run History');
    // Run History lists the config's runs in a quick pick.
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await page.locator('.quick-input-widget .quick-input-title').innerText(), /small\.mnist\.json/);
    assert.equal(await rows.count(), 1, `Run History lists ${await rows.count()} runs of small.mnist.json, trained once`);
    await screenshot('run-history');
    await page.keyboard.press('Escape');
    done = await walkthroughDone();
    assert.deepEqual(done, { config: true, train: true, kernels: true, robustness: true, draw: true, history: true });
    await screenshot('walkthrough-complete');
    await docShot(page, join(DOCS, 'walkthrough-complete.png'), [page.locator('.part.editor').first()], {
      within: page.locator('.monaco-workbench'),
      scroll: false,
      pad: 0,
    });
  });

  it('pictures for the docs: the committed 20-epoch run, the light theme with the side view', async function () {
    this.timeout(360_000);
    cpSync(join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs'), join(runsDir(), SEED_RUN_ID), { recursive: true });
    await palette('View: Close All Editors');
    await palette('MNIST Lab: Open Run…');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: SEED_RUN_ID }).first().click({ timeout: 30_000 });
    let lab = await labFrame();
    await lab.locator('#run-name', { hasText: SEED_RUN_ID }).waitFor({ timeout: 30_000 });
    await lab.locator('#run-status', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    await waitFor(
      'the 20-epoch curve',
      async () => Number((await lab.locator('#error-plot').getAttribute('data-points')) ?? 0) > 100,
      30_000,
    );
    await page.waitForTimeout(1000);
    await docShot(page, join(DOCS, 'seed-run-20-epochs.png'), [
      lab.locator('header'),
      lab.locator('#accuracy'),
      lab.locator('#error-plot'),
    ]);
    // The light theme, through the user settings as the theme picker writes them; then the theme
    // the workbench had before (headless Chromium asks for a light one: code-server may start light).
    const themeClass = async () =>
      (await page.locator('.monaco-workbench').first().getAttribute('class'))?.match(/\b(vs|vs-dark|hc-black|hc-light)\b/)?.[1];
    const themeBefore = await themeClass();
    const settingsFile = join(cs.userDataDir, 'User', 'settings.json');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(settingsFile, JSON.stringify({ ...settings, 'workbench.colorTheme': 'Default Light Modern' }, null, 2));
    await waitFor('the light theme', async () => (await themeClass()) === 'vs', 30_000);
    await palette('MNIST Lab: Robustness Check');
    lab = await labFrame();
    await lab.locator('#shifted-prediction').waitFor({ state: 'visible', timeout: 60_000 });
    const item = page
      .locator('.activitybar .action-item a[aria-label^="MNIST Lab"], .activitybar .action-item[aria-label^="MNIST Lab"]')
      .first();
    await item.click();
    const side = await frameIn(page, '#side-name', 30_000);
    await side.locator('#side-name', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500);
    const robustness = lab.locator('#robustness');
    await robustness.evaluate((e: any) => e.scrollIntoView({ block: 'start' })); // eslint-disable-line @typescript-eslint/no-explicit-any
    await page.waitForTimeout(500);
    await screenshot('light-side-view');
    const sidebar = page.locator('.part.sidebar').first();
    const editorPart = page.locator('.part.editor').first();
    await docShot(page, join(DOCS, 'robustness-light-side-view.png'), [sidebar, editorPart], {
      within: page.locator('.monaco-workbench'),
      scroll: false,
      pad: 0,
    });
    writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
    await waitFor(`the theme before (${themeBefore}) again`, async () => (await themeClass()) === themeBefore, 30_000);
  });

  it('a training worker killed (SIGKILL) is reported in the panel, its run failed', async function () {
    this.timeout(360_000);
    await palette('View: Close All Editors');
    await openConfig(LONG_CONFIG_NAME);
    const before = new Set(runDirs());
    await titleAction('Train').click();
    const run = await newRun(before, '▶ Train');
    const lab = await labFrame();
    await lab.locator('#run-name', { hasText: basename(run) }).waitFor({ timeout: 120_000 });
    await panelSteps(lab, 100);
    const pid = summaryOf(run)?.pid;
    assert.ok(pid, `no pid in ${run}/summary.json while it trains`);
    // The run's pid is its training worker: check that before killing it.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    assert.match(cmdline, /worker\.js/, `pid ${pid} of the run is not a worker: ${cmdline}`);
    process.kill(pid, 'SIGKILL');
    const s = await finished(run, 60_000);
    assert.equal(s.status, 'failed', `a killed worker's run is ${s.status}`);
    // The panel says so (under load, a while after summary.json does).
    const error = lab.locator('#run-error');
    await error.waitFor({ state: 'visible', timeout: 90_000 });
    assert.match(await error.innerText(), /killed \(SIGKILL\)/);
    await lab.locator('#run-status', { hasText: 'failed' }).waitFor({ timeout: 60_000 });
    const show = await hideToasts(page);
    await screenshot('worker-killed');
    await show();
    await docShot(page, join(DOCS, 'worker-killed.png'), [lab.locator('header'), lab.locator('#run-error'), lab.locator('#accuracy')]);
  });
});
