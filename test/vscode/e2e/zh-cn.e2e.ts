// The UI in Simplified Chinese (issue 8, item 9): code-server started with --locale zh-cn and a
// zh-cn language pack installed (see ../languagePack.ts for why it is one of our own), the
// packaged .vsix installed as a user would. The command palette lists MNIST Lab's commands from
// package.nls.zh-cn.json; the lab panel and the side view draw the committed 20-epoch run with the
// strings of l10n/bundle.l10n.zh-cn.json, the bundle VS Code hands the extension (vscode.l10n)
// and the extension hands the webviews. Screenshots in .test-artifacts/e2e/zh-cn-*.png.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Frame, Page } from 'playwright-core';
import { type CodeServer, log, workbenchUrl } from '../harness';
import { makeLanguagePackVsix, registerLanguagePack } from '../languagePack';
import { SMALL_CONFIG_NAME } from '../workspace';
import { frameIn, waitFor } from './waits';
import { docShot, type Workbench, closeWorkbench, openWorkbench } from './workbench';

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const ARTIFACTS = join(process.env.MNIST_LAB_ARTIFACTS || join(ROOT, '.test-artifacts'), 'e2e');
const RUN_ID = '20261128-001011-seed';
const zh = JSON.parse(readFileSync(join(ROOT, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
const nlsZh = JSON.parse(readFileSync(join(ROOT, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
/** The Chinese of a message, placeholders filled as t() fills them. */
const tr = (message: string, ...args: Array<string | number>) => {
  assert.ok(message in zh, `no zh-cn translation of ${JSON.stringify(message)}`);
  return zh[message]!.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
};

const started: Partial<Workbench> = {};
let ws: string;
let cs: CodeServer;
let page: Page;

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `zh-cn-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** The frame (of the nested webview iframes) that holds `selector`. */
const frameWith = (selector: string, timeoutMs?: number): Promise<Frame> => frameIn(page, selector, timeoutMs);

describe('the UI in Simplified Chinese (code-server --locale zh-cn)', function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(300_000);
    // Without a font with Chinese glyphs Chromium draws boxes: the screenshots would show nothing.
    const fonts = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
    if (!fonts.stdout?.trim())
      throw new Error(
        'no font with Chinese glyphs (fc-list :lang=zh is empty): apt-get install fonts-wqy-microhei (scripts/vscode-test/setup.mjs does)',
      );
    ({ ws, cs, page } = await openWorkbench(started, {
      root: ROOT,
      label: 'e2e-zh-cn',
      // A finished run to show: the committed 20-epoch run, as if trained in this workspace.
      workspace: (dir) =>
        cpSync(join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs'), join(dir, '.mnist-lab', 'runs', RUN_ID), { recursive: true }),
      moreVsix: (tmp) => [makeLanguagePackVsix(ROOT, join(tmp, 'language-pack'), 'zh-cn', 'Chinese Simplified', '中文(简体)')],
      codeServer: {
        locale: 'zh-cn',
        beforeStart: ({ userDataDir, extensionsDir }) => registerLanguagePack(userDataDir, extensionsDir, 'zh-cn', '中文(简体)'),
      },
    }));
  });

  after(async function () {
    this.timeout(60_000);
    await closeWorkbench(started);
  });

  it('the workbench runs in zh-cn', async () => {
    await page.goto(workbenchUrl(cs, ws));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const language = await page.evaluate(() => (globalThis as Record<string, unknown>)._VSCODE_NLS_LANGUAGE);
    assert.equal(language, 'zh-cn', 'VS Code did not resolve zh-cn as its display language');
  });

  it('the command palette lists MNIST Lab’s commands in Chinese', async () => {
    const wanted = ['train', 'openLab', 'evaluate', 'robustness', 'newConfig'].map((c) => `MNIST Lab: ${nlsZh[`command.${c}.title`]}`);
    const input = page.locator('.quick-input-widget .quick-input-box input');
    const labels = async () =>
      page
        .locator('.quick-input-list .monaco-list-row')
        .evaluateAll((els: any[]) => els.map((e) => String(e.getAttribute('aria-label') ?? e.innerText))); // eslint-disable-line @typescript-eslint/no-explicit-any
    // The list is virtual (only the rows in view exist): look each command up by its Chinese title.
    let seen: string[] = [];
    for (const w of wanted) {
      try {
        await waitFor(
          `"${w}" in the palette`,
          async () => {
            // A fresh palette each try: an open one keeps the command list it was opened with,
            // which lacks our commands while the extension's contributions are still loading.
            if (await input.isVisible()) await page.keyboard.press('Escape');
            await page.keyboard.press('F1');
            await input.waitFor({ state: 'visible', timeout: 5000 });
            await input.fill(`>${w.replace('MNIST Lab: ', '')}`);
            await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ state: 'visible', timeout: 5000 });
            seen = await labels();
            return seen.some((l) => l.includes(w));
          },
          30_000,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; the palette's last rows: ${seen.join(' | ') || '(none)'}`, { cause: e });
      }
    }
    await input.fill('>MNIST');
    await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ state: 'visible', timeout: 5000 });
    await page.waitForTimeout(300);
    const rows = await labels();
    log(`e2e zh-cn: palette: ${rows.join(' | ')}`);
    assert.ok(
      !rows.some((l) => /MNIST Lab: (Train|Open Lab|Evaluate)\b/.test(l)),
      `English command titles in the palette: ${rows.join(' | ')}`,
    );
    await screenshot('01-command-palette');
  });

  it('the lab panel shows the run in Chinese', async () => {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(`>MNIST Lab: ${nlsZh['command.openLab.title']}`);
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: nlsZh['command.openLab.title']! })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.press('Enter');
    const lab = await frameWith('#run-name', 60_000);
    await lab.locator('#run-status', { hasText: tr('completed') }).waitFor({ timeout: 30_000 });
    const headings = await lab.locator('h2').allInnerTexts();
    for (const h of [
      'Test accuracy',
      'Error rate (the original lab’s record)',
      'Kernels',
      'Feature maps of the test image',
      'Robustness: shift the test image',
      'Confusion matrix and per-class accuracy',
      'Misclassified test images',
      'Draw a digit',
      'Occlusion sensitivity of the test image',
      'Model summary',
    ]) {
      assert.ok(headings.includes(tr(h)), `heading ${JSON.stringify(tr(h))} missing; the panel shows ${JSON.stringify(headings)}`);
    }
    assert.equal(await lab.locator('html').getAttribute('lang'), 'zh-cn');
    // The analyses the worker answers, labelled in Chinese: test image #4, its prediction, the shift.
    await waitFor(
      'the test image caption',
      async () => (await lab.locator('#test-caption').innerText()) === tr('test image #{0}, true label {1}', 4, 4),
      60_000,
    );
    // Seed run: test image #4 is a 4, predicted 4, and still 4 shifted 3 px left (README).
    const [predPre, predPost] = tr('predicted {0} ({1} %) · true {2} {3}', 4, '§', 4, '✓').split('§') as [string, string];
    const prediction = await waitFor(
      'the prediction',
      async () => {
        const t = await lab.locator('#prediction').innerText();
        return t.startsWith(predPre) && t.endsWith(predPost) ? t : undefined;
      },
      60_000,
    );
    const shiftedPre = tr(
      'shifted: predicted {0} ({1} %), true label {2} ✓ still right · mean |Δ| conv1 {3}, conv2 {4}',
      4,
      '§',
      4,
      0,
      0,
    ).split('§')[0]!;
    const shifted = await waitFor(
      'the shifted prediction',
      async () => {
        const t = await lab.locator('#shifted-prediction').innerText();
        return t.startsWith(shiftedPre) ? t : undefined;
      },
      60_000,
    );
    assert.equal(await lab.locator('#shifted-caption').innerText(), tr('shifted dx={0}, dy={1}: predicted {2}', -3, 0, 4));
    const total = await waitFor(
      'the parameter count',
      async () => {
        const t = await lab.locator('#summary-total').innerText();
        return t.includes(tr('{0} trainable parameters', '207,258')) ? t : undefined;
      },
      60_000,
    );
    const progress = await lab.locator('#progress').innerText();
    assert.ok(progress.startsWith(tr('epoch {0}/{1} · step {2}/{3}', 20, 20, 18760, 18760)), `progress line: ${progress}`);
    log(`e2e zh-cn: panel: ${prediction} / ${shifted} / ${total} / ${progress}`);
    await screenshot('02-lab-panel');
    // The docs' picture (docs/screenshots/zh-cn-lab-panel.png): the panel's top, at a width a README page shows legibly.
    await page.setViewportSize({ width: 1150, height: 900 });
    await page.waitForTimeout(1500);
    await docShot(page, join(ARTIFACTS, 'docs', 'zh-cn-lab-panel.png'), [
      lab.locator('header'),
      lab.locator('#accuracy'),
      lab.locator('#curves'),
    ]);
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.waitForTimeout(500);
    await lab.locator('#kernels').evaluate((e: any) => e.scrollIntoView({ block: 'start' })); // eslint-disable-line @typescript-eslint/no-explicit-any
    await page.waitForTimeout(300);
    await screenshot('03-lab-panel-kernels');
    await lab.locator('#robustness').evaluate((e: any) => e.scrollIntoView({ block: 'start' })); // eslint-disable-line @typescript-eslint/no-explicit-any
    await page.waitForTimeout(300);
    await screenshot('04-lab-panel-robustness');
    await lab
      .locator('h2', { hasText: tr('Confusion matrix and per-class accuracy') })
      .evaluate((e: any) => e.scrollIntoView({ block: 'center' })); // eslint-disable-line @typescript-eslint/no-explicit-any
    await page.waitForTimeout(1500);
    await screenshot('04b-lab-panel-confusion');
    await lab.locator('h2', { hasText: tr('Draw a digit') }).evaluate((e: any) => e.scrollIntoView({ block: 'start' })); // eslint-disable-line @typescript-eslint/no-explicit-any
    await page.waitForTimeout(500);
    await screenshot('04c-lab-panel-draw-occlusion');
  });

  it('the side view shows the run in Chinese', async () => {
    const item = page
      .locator('.activitybar .action-item a[aria-label^="MNIST Lab"], .activitybar .action-item[aria-label^="MNIST Lab"]')
      .first();
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    await item.click();
    const side = await frameWith('#side-name', 30_000);
    const name = await waitFor(
      'the side view to name the run',
      async () => {
        const t = await side.locator('#side-name').innerText();
        return t.includes(tr('completed')) ? t : undefined;
      },
      30_000,
    );
    const accuracy = await side.locator('#side-accuracy').innerText();
    assert.equal(accuracy, tr('test {0} (original lab {1})', '99.12 %', '99.06 %'));
    assert.equal((await side.locator('#side-open').innerText()).trim(), tr('Open Lab'));
    const viewTitle = await page.locator('.sidebar .pane-header', { hasText: nlsZh['views.sideView.name']! }).count();
    assert.ok(viewTitle > 0, `the side view's title is not ${nlsZh['views.sideView.name']}`);
    log(`e2e zh-cn: side view: "${name}", "${accuracy}"`);
    await screenshot('05-side-view');
  });

  it('a config’s CodeLens is in Chinese', async () => {
    await page
      .locator('.activitybar .action-item a[aria-label^="Explorer"], .activitybar .action-item[aria-label^="Explorer"]')
      .first()
      .click();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: SMALL_CONFIG_NAME }).first().click();
    const lens = page.locator('.part.editor .editor-instance .codelens-decoration').first();
    const text = await waitFor(
      'the CodeLens',
      async () => {
        const t = await lens.innerText();
        return t.includes(tr('▶ Train')) && t.includes(tr('Run History')) ? t : undefined;
      },
      60_000,
    );
    assert.ok(!/\b(Train|Evaluate|Run History)\b/.test(text), `English in the CodeLens: ${text}`);
    log(`e2e zh-cn: CodeLens: ${text}`);
    await screenshot('06-codelens');
  });

  it('the settings are described in Chinese', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Comma');
    const search = page.locator('.settings-editor .suggest-input-container textarea, .settings-editor .settings-header input').first();
    await search.waitFor({ state: 'visible', timeout: 20_000 });
    await search.fill('mnistLab');
    // A setting of resource scope: code-server's window is remote, and its settings editor lists
    // machine(-overridable) settings (backend, workers, nodePath) only on the remote machine's tab.
    // The descriptions are Markdown: the page shows them without the backquotes.
    const description = nlsZh['configuration.hints.enabled.description']!.replace(/`/g, '');
    await page
      .locator('.settings-editor .setting-item-description', { hasText: description })
      .first()
      .waitFor({ state: 'visible', timeout: 20_000 })
      .catch(async (e: Error) => {
        await screenshot('07-settings-failed');
        const shown = await page
          .locator('.settings-editor .setting-item-description')
          .evaluateAll((els: any[]) => els.map((x) => String(x.innerText))); // eslint-disable-line @typescript-eslint/no-explicit-any
        throw new Error(`${e.message.split('\n')[0]}; the descriptions shown: ${shown.join(' | ') || '(none)'}`);
      });
    await screenshot('07-settings');
  });
});
