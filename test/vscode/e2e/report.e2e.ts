// The lab report and saving from the panel (issue 16, item 7), in code-server with the packaged
// .vsix: MNIST: Export Lab Report on the committed 20-epoch run (run picked in the quick pick,
// folder typed into the folder dialog) writes report.md, report.html, figures and metrics.csv
// from the extension's worker; the lab panel's "Save PNG" under the error-rate plot hands the
// image to the host, whose save dialog writes it. Screenshots in .test-artifacts/e2e/report-*.png.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Page } from 'playwright-core';
import { type Browser, type CodeServer, ProcessTracker, launchBrowser, log, makeTempRoot, startCodeServer, workbenchUrl } from '../harness';
import { makeWorkspace } from '../workspace';
import { frameIn, waitFor } from './waits';
import { paletteCommand as paletteCommandIn } from './workbench';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const ARTIFACTS = join(process.env.MNIST_LAB_ARTIFACTS || join(ROOT, '.test-artifacts'), 'e2e');
const RUN_ID = '20261128-001011-seed';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let tracker: ProcessTracker;
let tmp: string;
let ws: string;
let cs: CodeServer;
let browser: Browser;
let page: Page;

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `report-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

const paletteCommand = (title: string): Promise<void> => paletteCommandIn(page, title);

/**
 * Answers VS Code's own (simple) file dialog, as code-server shows it, whose title is `title`: waits
 * for that dialog (not the quick pick or palette it follows) and for the start path it fills in by
 * itself, types `path`, and presses Enter until the dialog has closed. Under load the dialog can
 * still be listing its folder when Enter comes, and ignores it; so it is pressed again.
 */
async function answerFileDialog(title: string, path: string): Promise<void> {
  const dialog = page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: title }) });
  const input = dialog.locator('.quick-input-box input');
  await waitFor(
    `the file dialog "${title}" with its start path`,
    async () => (await input.inputValue({ timeout: 2000 })).length > 0,
    60_000,
  );
  await waitFor(
    `the file dialog "${title}" to accept ${path}`,
    async () => {
      if (!(await dialog.isVisible())) return true;
      await input.fill(path, { timeout: 5000 });
      await page.waitForTimeout(700);
      if ((await input.inputValue({ timeout: 2000 })) !== path) return false;
      await page.keyboard.press('Enter');
      await page.waitForTimeout(1500);
      return !(await dialog.isVisible());
    },
    60_000,
    500,
  );
}

describe('the lab report and saving from the panel (code-server, packaged .vsix)', function () {
  this.timeout(300_000);

  before(async function () {
    this.timeout(400_000);
    tracker = new ProcessTracker('e2e-report');
    tmp = makeTempRoot('e2e-report');
    tracker.addTempDir(tmp);
    ws = join(tmp, 'workspace');
    makeWorkspace(ws);
    cpSync(join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs'), join(ws, '.mnist-lab', 'runs', RUN_ID), { recursive: true });
    let vsix = process.env.MNIST_LAB_VSIX;
    if (!vsix) {
      const out = join(tmp, 'mnist-lab.vsix');
      const r = spawnSync('npm', ['run', 'package', '--', out], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
      if (r.status !== 0 || !existsSync(out))
        throw new Error(`npm run package failed (${r.status ?? r.signal}): ${`${r.stdout}\n${r.stderr}`.slice(-1500)}`);
      vsix = out;
    }
    cs = await startCodeServer({ tracker, installVsix: vsix, label: 'e2e-report' });
    browser = await launchBrowser(cs.root, tracker);
    page = browser.page;
    page.on('pageerror', (e) => process.stderr.write(`[browser pageerror] ${e.message}\n`));
    await page.goto(workbenchUrl(cs, ws), { timeout: 120_000, waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await tracker?.stopAll();
  });

  it('MNIST: Export Lab Report writes the report of the chosen run into the chosen folder and offers to open it', async () => {
    const out = join(ws, 'lab-report');
    mkdirSync(out);
    await paletteCommand('MNIST Lab: Export Lab Report');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: RUN_ID }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    await answerFileDialog('Folder for the lab report', out);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'lab report written to' });
    await toast.waitFor({ state: 'visible', timeout: 240_000 });
    await screenshot('export-done');
    for (const f of ['report.md', 'report.html', 'metrics.csv']) assert.ok(existsSync(join(out, f)), `${f} written`);
    const figures = readdirSync(join(out, 'figures'));
    assert.equal(figures.filter((f) => f.endsWith('.png')).length, 8, figures.join(' '));
    assert.equal(figures.filter((f) => f.endsWith('.svg')).length, 8);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) assert.ok(existsSync(join(out, m[1]!)), `${m[1]} exists`);
    assert.ok(toast.getByRole('button', { name: 'Open Report' }), 'the toast offers Open Report');
    log(`e2e: report written, ${figures.length} figure files`);
  });

  it('the lab panel saves the error-rate plot as PNG through the save dialog', async () => {
    await page.keyboard.press('Escape');
    await paletteCommand('MNIST Lab: Open Lab');
    const frame = await frameIn(page, '[data-testid="save-png-error-rate"]', 60_000);
    await waitFor('the error plot drawn', async () => Number(await frame.locator('#error-plot').getAttribute('data-points')) > 0, 60_000);
    await frame.locator('[data-testid="save-png-error-rate"]').scrollIntoViewIfNeeded();
    await frame.locator('[data-testid="save-png-error-rate"]').click();
    const target = join(ws, 'error-rate-saved.png');
    await answerFileDialog('Save error-rate.png', target);
    await waitFor('the saved PNG', () => existsSync(target), 30_000);
    const b = readFileSync(target);
    assert.deepEqual([...b.subarray(0, 8)], PNG_SIGNATURE);
    assert.ok(b.readUInt32BE(16) > 100 && b.readUInt32BE(20) > 100, 'a real image');
    await waitFor(
      'the button says saved',
      async () => (await frame.locator('[data-testid="save-png-error-rate"]').getAttribute('data-saved')) === 'yes',
      10_000,
    );
    await screenshot('panel-saved');
  });
});
