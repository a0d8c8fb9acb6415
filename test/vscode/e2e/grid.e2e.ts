// A hyperparameter grid in the UI (issue 16, item 3): MNIST Lab: Train on a config with a
// "grid" trains every point in the worker, then the lab panel shows the grid's table (sortable,
// the best validation accuracy highlighted) and its parallel coordinates, and opens any point's
// run. The packaged .vsix in code-server, driven through Chromium. Screenshots in
// .test-artifacts/e2e/grid-*.png and the cropped docs picture .test-artifacts/e2e/docs/grid.png.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Frame, Locator, Page } from 'playwright-core';
import { type CodeServer, log, workbenchUrl } from '../harness';
import { SMALL_CONFIG } from '../workspace';
import { frameIn, waitFor } from './waits';
import { type Workbench, closeWorkbench, openWorkbench, paletteCommand } from './workbench';

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const ARTIFACTS = join(process.env.MNIST_LAB_ARTIFACTS || join(ROOT, '.test-artifacts'), 'e2e');
const GRID_CONFIG_NAME = 'grid.mnist.json';
const GRID = { 'training.learningRate': [0.01, 0.05], 'model.hidden': [16, 32] };

interface Record_ {
  status: string;
  keys: string[];
  points: {
    values: Record<string, number>;
    runDir: string | null;
    status: string;
    valAccuracy: number | null;
    testAccuracy: number | null;
  }[];
}

const started: Partial<Workbench> = {};
let ws: string;
let cs: CodeServer;
let page: Page;
let record: Record_;

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `grid-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** The part of the page `part` covers, padded, toasts hidden: .test-artifacts/e2e/docs/NAME.png. */
async function docShot(name: string, part: Locator): Promise<void> {
  const dir = join(ARTIFACTS, 'docs');
  mkdirSync(dir, { recursive: true });
  const style = await page.addStyleTag({ content: '.notifications-toasts, .notifications-center { display: none !important; }' });
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await part.evaluate((e: any) => {
      e.ownerDocument.querySelector('header')?.style.setProperty('position', 'static', 'important');
      e.scrollIntoView({ block: 'start' });
    });
    await page.waitForTimeout(300);
    const box = await part.boundingBox();
    const outer = await page.locator('iframe.webview').first().boundingBox();
    if (!box || !outer) throw new Error('no bounding box');
    const x0 = Math.max(outer.x, box.x - 8);
    const y0 = Math.max(outer.y, box.y - 8);
    const x1 = Math.min(outer.x + outer.width, box.x + box.width + 8);
    const y1 = Math.min(outer.y + outer.height, box.y + box.height + 8);
    const file = join(dir, `${name}.png`);
    await page.screenshot({ path: file, clip: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } });
    log(`doc picture ${file} (${Math.round(x1 - x0)}×${Math.round(y1 - y0)})`);
  } finally {
    await style.evaluate((e: any) => e.remove()).catch(() => undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
  }
}

const gridsDir = () => join(ws, '.mnist-lab', 'runs', 'grids');

/** The table's row test ids, top to bottom. */
const rowOrder = (lab: Frame) =>
  lab.locator('#grid-table tbody tr').evaluateAll((rows: any[]) => rows.map((r) => String(r.dataset.testid))); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('a hyperparameter grid: trained from the palette, its table and parallel coordinates in the lab panel', function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(300_000);
    ({ ws, cs, page } = await openWorkbench(started, {
      root: ROOT,
      label: 'e2e-grid',
      workspace: (dir) =>
        writeFileSync(join(dir, GRID_CONFIG_NAME), `${JSON.stringify({ ...SMALL_CONFIG, name: 'grid', grid: GRID }, null, 2)}\n`),
    }));
  });

  after(async function () {
    this.timeout(60_000);
    await closeWorkbench(started);
  });

  it('MNIST Lab: Train on a grid config trains its 4 points and writes the grid record', async function () {
    this.timeout(420_000);
    await page.goto(workbenchUrl(cs, ws), { timeout: 180_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: GRID_CONFIG_NAME }).first().click();
    const editor = page.locator('.part.editor .editor-group-container.active .editor-instance .monaco-editor').first();
    await editor.locator('.view-lines .view-line').first().waitFor({ state: 'visible', timeout: 30_000 });
    await editor.locator('.view-lines .view-line').last().click();
    await paletteCommand(page, 'MNIST Lab: Train');
    // The notification names the grid while it trains.
    await page.locator('.notifications-toasts', { hasText: 'grid "grid", 4 runs' }).first().waitFor({ timeout: 60_000 });
    await screenshot('training');
    const file = await waitFor(
      'a finished grid record',
      () => {
        if (!existsSync(gridsDir())) return undefined;
        const f = readdirSync(gridsDir()).find((n) => n.endsWith('.json'));
        if (!f) return undefined;
        const r = JSON.parse(readFileSync(join(gridsDir(), f), 'utf8')) as Record_;
        return r.status === 'running' ? undefined : join(gridsDir(), f);
      },
      360_000,
      1000,
    );
    record = JSON.parse(readFileSync(file, 'utf8')) as Record_;
    assert.equal(record.status, 'completed');
    assert.deepEqual(record.keys, Object.keys(GRID));
    assert.deepEqual(
      record.points.map((p) => [p.values['training.learningRate'], p.values['model.hidden'], p.status]),
      [
        [0.01, 16, 'completed'],
        [0.01, 32, 'completed'],
        [0.05, 16, 'completed'],
        [0.05, 32, 'completed'],
      ],
    );
    for (const p of record.points) {
      // Each point is a normal run folder with its own config.
      const config = JSON.parse(readFileSync(join(ws, '.mnist-lab', 'runs', p.runDir!, 'config.json'), 'utf8'));
      assert.equal(config.training.learningRate, p.values['training.learningRate']);
      assert.equal(config.model.hidden, p.values['model.hidden']);
      assert.equal('grid' in config, false);
    }
  });

  it('the panel shows the table (best highlighted, sortable) and the parallel coordinates, on the best run', async function () {
    this.timeout(120_000);
    const lab = await frameIn(page, '#grid-table', 60_000);
    await lab.locator('#grid:not([hidden]) #grid-table tbody tr').nth(3).waitFor({ timeout: 60_000 });
    const best = record.points.reduce((b, p, i) => (p.valAccuracy! > record.points[b]!.valAccuracy! ? i : b), 0);
    // The highlighted row is the best validation accuracy's, and the panel shows its run.
    assert.deepEqual(
      await lab.locator('#grid-table tbody tr.best').evaluateAll((rows: any[]) => rows.map((r) => r.dataset.testid)), // eslint-disable-line @typescript-eslint/no-explicit-any
      [`grid-row-${best}`],
    );
    assert.equal(await lab.locator('#grid-table tbody tr.current').getAttribute('data-testid'), `grid-row-${best}`);
    await lab.locator('#run-name', { hasText: record.points[best]!.runDir! }).waitFor({ timeout: 30_000 });
    // One line per run in the parallel coordinates, the best one marked; one axis label per key and accuracy.
    const svg = lab.locator('[data-testid="grid-parallel"]');
    assert.equal(await svg.locator('polyline').count(), 4);
    assert.equal(await svg.locator('polyline.best').getAttribute('data-testid'), `grid-line-${best}`);
    const labels = await svg.locator('text').allTextContents();
    for (const k of [...Object.keys(GRID), 'validation', 'test']) assert.ok(labels.includes(k), `axis ${k} in ${labels.join(', ')}`);
    await screenshot('panel');
    await docShot('grid', lab.locator('#grid'));

    // Sorting: validation accuracy best first, then (again) worst first.
    const byVal = record.points.map((p, i) => ({ i, v: p.valAccuracy! })).sort((a, b) => b.v - a.v || a.i - b.i);
    await lab.locator('[data-testid="grid-sort-2"]').click();
    assert.deepEqual(
      await rowOrder(lab),
      byVal.map((x) => `grid-row-${x.i}`),
    );
    await lab.locator('[data-testid="grid-sort-2"]').click();
    assert.deepEqual(
      await rowOrder(lab),
      [...byVal].sort((a, b) => a.v - b.v || a.i - b.i).map((x) => `grid-row-${x.i}`),
    );
    // By a key: model.hidden ascending, the grid's order among equals.
    await lab.locator('[data-testid="grid-sort-1"]').click();
    assert.deepEqual(await rowOrder(lab), ['grid-row-0', 'grid-row-2', 'grid-row-1', 'grid-row-3']);
    await screenshot('sorted');
  });

  it('a row opens its run in the panel, the grid staying beside it', async function () {
    this.timeout(120_000);
    const lab = await frameIn(page, '#grid-table');
    const other = record.points.findIndex(
      (p, i) => p.runDir && i !== record.points.reduce((b, q, j) => (q.valAccuracy! > record.points[b]!.valAccuracy! ? j : b), 0),
    );
    await lab.locator(`[data-testid="grid-row-${other}"]`).click();
    const again = await frameIn(page, '#grid-table');
    await again.locator('#run-name', { hasText: basename(record.points[other]!.runDir!) }).waitFor({ timeout: 30_000 });
    await again.locator(`#grid:not([hidden]) [data-testid="grid-row-${other}"].current`).waitFor({ timeout: 30_000 });
    assert.equal(await again.locator('[data-testid="grid-parallel"] polyline.current').getAttribute('data-testid'), `grid-line-${other}`);
    await screenshot('opened');
  });
});
