// The learned space (issue 16, item 6): the lab panel on the committed 20-epoch run, as if trained
// in the workspace, with the packaged .vsix installed in code-server. PCA of fc1's features of the
// test split, then UMAP (progress, cancel, then a whole layout); hovering a point shows its digit,
// clicking it makes it the chosen test image. Cropped pictures in .test-artifacts/e2e/docs/.
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Frame, Locator, Page } from 'playwright-core';
import { type CodeServer, log, workbenchUrl } from '../harness';
import { REFUSING_NPM_REGISTRY } from '../workspace';
import { frameIn, waitFor } from './waits';
import { type Workbench, closeWorkbench, openWorkbench } from './workbench';

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const ARTIFACTS = join(process.env.MNIST_LAB_ARTIFACTS || join(ROOT, '.test-artifacts'), 'e2e');
const RUN_ID = '20261128-001011-seed';

const started: Partial<Workbench> = {};
let ws: string;
let cs: CodeServer;
let page: Page;
let lab: Frame;

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `projector-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** A picture for the docs: the part of the page that `part` covers (clipped to the webview), .test-artifacts/e2e/docs/NAME.png. */
async function docShot(name: string, part: Locator): Promise<void> {
  const dir = join(ARTIFACTS, 'docs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  const box = await part.boundingBox();
  const outer = await page.locator('iframe.webview').first().boundingBox();
  if (!box || !outer) throw new Error(`no bounding box for the picture ${name}`);
  const x0 = Math.max(outer.x, box.x - 8);
  const y0 = Math.max(outer.y, box.y - 8);
  const x1 = Math.min(outer.x + outer.width, box.x + box.width + 8);
  const y1 = Math.min(outer.y + outer.height, box.y + box.height + 8);
  await page.screenshot({ path: file, clip: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } });
  log(`doc picture ${file} (${Math.round(x1 - x0)}×${Math.round(y1 - y0)})`);
}

/** Distinct grey levels drawn on a canvas (a drawn digit has many; a blank canvas one). */
async function distinctLevels(canvas: Locator): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return canvas.evaluate((c: any) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]);
    return seen.size;
  });
}

/** Scrolls the projector to the top of the panel, under the sticky header. */
async function showProjector(): Promise<void> {
  await lab.locator('#projector').evaluate((e: any) => e.scrollIntoView({ block: 'start' })); // eslint-disable-line @typescript-eslint/no-explicit-any
  await page.waitForTimeout(300);
}

/** Moves the mouse onto point `k` of class trace `trace` of the scatter; returns where. */
async function pointerOn(trace: number, k: number): Promise<{ x: number; y: number }> {
  const point = lab.locator('#projection-plot .scatterlayer .trace').nth(trace).locator('path.point').nth(k);
  const box = await point.boundingBox();
  if (!box) throw new Error(`no point ${k} of trace ${trace}`);
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await page.mouse.move(at.x - 30, at.y - 30);
  await page.mouse.move(at.x, at.y, { steps: 5 });
  return at;
}

/** The point's pixel position in the plot whose coordinates are extreme (an outlying point, few neighbours to mistake it for). */
async function outlier(trace: number): Promise<number> {
  return (
    lab
      .locator('#projection-plot .scatterlayer .trace')
      .nth(trace)
      .locator('path.point')
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      .evaluateAll((els: any[]) => {
        let best = 0;
        let bestX = -Infinity;
        els.forEach((e, i) => {
          const x = e.getBoundingClientRect().x;
          if (x > bestX) {
            bestX = x;
            best = i;
          }
        });
        return best;
      })
  );
}

describe('the learned space: fc1 projected to 2-D (PCA, UMAP), hover and click', function () {
  this.timeout(180_000);

  before(async function () {
    this.timeout(300_000);
    ({ ws, cs, page } = await openWorkbench(started, {
      root: ROOT,
      label: 'e2e-projector',
      // A finished run to show: the committed 20-epoch run, as if trained in this workspace.
      workspace: (dir) =>
        cpSync(join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs'), join(dir, '.mnist-lab', 'runs', RUN_ID), { recursive: true }),
      codeServer: { env: { npm_config_registry: REFUSING_NPM_REGISTRY } },
    }));
  });

  after(async function () {
    this.timeout(60_000);
    await closeWorkbench(started);
  });

  it('the lab panel opens on the committed run', async () => {
    // The machine may be busy (the tests share two cores): the workbench gets two minutes to load.
    await page.goto(workbenchUrl(cs, ws), { timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await waitFor(
      'MNIST Lab: Open Lab in the palette',
      async () => {
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await input.fill('>MNIST Lab: Open Lab');
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'MNIST Lab: Open Lab' }).first();
        await row.waitFor({ state: 'visible', timeout: 3000 });
        await page.keyboard.press('Enter');
        return true;
      },
      60_000,
      500,
    );
    lab = await frameIn(page, '#projector', 60_000);
    await lab.locator('#run-status', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    assert.equal(await lab.locator('#projector h2').innerText(), 'The learned space: fc1 in 2-D');
  });

  it('PCA: every test-split image, coloured by class with a legend of the classes; hover shows the digit, click chooses it', async function () {
    this.timeout(300_000);
    await showProjector();
    await lab.locator('#btn-projection-pca').click();
    await waitFor('the PCA layout', async () => (await lab.locator('#projector').getAttribute('data-method')) === 'pca', 240_000, 250);
    assert.equal(await lab.locator('#projector').getAttribute('data-count'), '5000');
    const summary = await lab.locator('#projection-summary').innerText();
    assert.match(summary, /fc1's 512 features \(after its ReLU\) of the first 5000 test-split images/);
    assert.match(summary, /they hold \d+\.\d % and \d+\.\d % of it/);
    // Ten class traces (and the chosen image's ring, drawn only when it is among the points), a legend entry per class.
    const traces = await lab.locator('#projection-plot .scatterlayer .trace').count();
    assert.ok(traces === 10 || traces === 11, `${traces} traces`);
    const legend = await lab.locator('#projection-plot .legend .traces .legendtext').allTextContents();
    assert.deepEqual(legend.slice(0, 10), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const points = await lab.locator('#projection-plot .scatterlayer .trace path.point').count();
    assert.equal(points, 5000);
    await showProjector();
    // Hover an outlying point (of the first trace drawn): its digit appears beside the pointer.
    const k = await outlier(0);
    const at = await pointerOn(0, k);
    const tip = lab.locator('#projection-hover');
    await waitFor('the hovered digit', async () => !(await tip.getAttribute('hidden')) && (await tip.isVisible()), 15_000);
    const index = Number(await tip.getAttribute('data-index'));
    assert.ok(index >= 5000 && index < 10000, `hovered test-file index ${index}`);
    const caption = await lab.locator('#projection-hover-caption').innerText();
    assert.match(caption, new RegExp(`^#${index}: true \\d, predicted \\d$`));
    assert.ok((await distinctLevels(lab.locator('#projection-hover canvas'))) > 5, 'the hovered digit is not drawn');
    await docShot('projector-pca-hover', lab.locator('#projector'));
    await screenshot('pca-hover');
    // A click makes it the chosen test image: the test image card and the robustness check show it.
    await page.mouse.click(at.x, at.y);
    const label = caption.match(/true (\d)/)![1]!;
    await waitFor(
      `test image #${index} chosen`,
      async () => (await lab.locator('#test-caption').innerText()).includes(`#${index}, true label ${label}`),
      30_000,
    );
    assert.equal(await lab.locator('#test-index').inputValue(), String(index));
    await waitFor(
      'the chosen point ringed',
      async () => (await lab.locator('#projector').getAttribute('data-chosen')) === String(index),
      10_000,
    );
    log(`e2e projector: PCA "${summary.split('.')[1]?.trim()}"; hovered and chose #${index} (${caption})`);
    await screenshot('pca-chosen');
  });

  it('UMAP: progress and cancel, then a seeded layout of 2,000 images that separates the classes; hover and click', async function () {
    // UMAP of 2,000 points: 7 s of CPU, minutes of wall time on two busy cores (the worker runs at nice 10).
    this.timeout(600_000);
    await showProjector();
    await lab.locator('#btn-projection-umap').click();
    await waitFor('UMAP progress', async () => /of \d+ steps/.test(await lab.locator('#projection-status').innerText()), 60_000, 100);
    await lab.locator('#btn-projection-cancel').click();
    await waitFor('UMAP cancelled', async () => /cancelled/.test(await lab.locator('#projection-status').innerText()), 60_000);
    assert.equal(await lab.locator('#projector').getAttribute('data-method'), 'pca', 'the PCA layout stays after a cancel');
    await lab.locator('#btn-projection-umap').click();
    await waitFor('the UMAP layout', async () => (await lab.locator('#projector').getAttribute('data-method')) === 'umap', 540_000, 500);
    assert.equal(await lab.locator('#projector').getAttribute('data-count'), '2000');
    const summary = await lab.locator('#projection-summary').innerText();
    const knn = Number(summary.match(/Of the points, (\d+\.\d) %/)![1]);
    assert.ok(knn > 90, `5-NN agreement in the UMAP layout ${knn} %`);
    assert.match(summary, /UMAP \(seed 1\)/);
    await showProjector();
    const k = await outlier(7);
    const at = await pointerOn(7, k);
    const tip = lab.locator('#projection-hover');
    await waitFor('the hovered digit', async () => tip.isVisible(), 15_000);
    const index = Number(await tip.getAttribute('data-index'));
    assert.ok(index >= 5000 && index < 7000, `hovered test-file index ${index}`);
    await docShot('projector-umap-hover', lab.locator('#projector'));
    await page.mouse.click(at.x, at.y);
    await waitFor(
      `test image #${index} chosen`,
      async () => (await lab.locator('#test-caption').innerText()).includes(`#${index},`),
      30_000,
    );
    log(`e2e projector: UMAP ${await lab.locator('#projection-status').innerText()}, 5-NN ${knn} %; chose #${index}`);
    await screenshot('umap-chosen');
  });
});
