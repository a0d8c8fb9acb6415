// Why the network decided (issue 16, item 4): the lab panel's saliency and Grad-CAM card on the
// committed 20-epoch run, in code-server with the packaged .vsix. Test image #4 with each method
// (gradient, gradient × input, SmoothGrad, Grad-CAM), another class, and a drawn digit; every
// map is checked to be drawn and to differ from the others, with its colour scale. Screenshots
// in .test-artifacts/e2e/explain-*.png; the cropped docs picture in .test-artifacts/e2e/docs/.
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Frame, Page } from 'playwright-core';
import { type CodeServer, log, workbenchUrl } from '../harness';
import { canvasStats } from './pictures';
import { frameIn, waitFor } from './waits';
import { docShot, type Workbench, closeWorkbench, openWorkbench } from './workbench';

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
  const file = join(ARTIFACTS, `explain-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** Presses Explain and waits for the map of `method` (the summary names it once drawn). */
async function explained(method: string, index: string, classIndex?: number): Promise<string> {
  const summary = lab.locator('#explain-summary');
  // Forget the last map's marks: only a map drawn after this click (or the change before it) counts.
  await summary.evaluate((e: any) => delete e.dataset.method); // eslint-disable-line @typescript-eslint/no-explicit-any
  await lab.locator('#explain-run').click();
  return waitFor(
    `the ${method} map of ${index}`,
    async () => {
      const text = await summary.innerText();
      if ((await summary.getAttribute('data-method')) !== method || (await summary.getAttribute('data-index')) !== index) return undefined;
      if (classIndex !== undefined && (await summary.getAttribute('data-class-index')) !== String(classIndex)) return undefined;
      return /Computing/.test(text) ? undefined : text;
    },
    120_000,
    250,
  );
}

describe('why the network decided: saliency and Grad-CAM in the lab panel', function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(300_000);
    ({ ws, cs, page } = await openWorkbench(started, {
      root: ROOT,
      label: 'e2e-explain',
      // A finished run to explain: the committed 20-epoch run, as if trained in this workspace.
      workspace: (dir) =>
        cpSync(join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs'), join(dir, '.mnist-lab', 'runs', RUN_ID), { recursive: true }),
    }));
  });

  after(async function () {
    this.timeout(60_000);
    await closeWorkbench(started);
  });

  it('opens the lab panel on the committed run', async function () {
    // Generous: on the shared 2-core machine under load the workbench and the worker start slowly.
    this.timeout(420_000);
    await page.goto(workbenchUrl(cs, ws), { timeout: 180_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await screenshot('workbench');
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
      120_000,
      500,
    );
    try {
      lab = await frameIn(page, '#explain-run', 180_000);
      await lab.locator('#run-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    } catch (e) {
      await screenshot('no-panel');
      throw e;
    }
    await lab.locator('#explain').evaluate((e: any) => e.scrollIntoView({ block: 'start' })); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('explains test image #4 with each method: a drawn map with its colour scale, different for each', async function () {
    this.timeout(420_000);
    const hashes = new Map<string, string>();
    for (const method of ['gradient', 'gradientTimesInput', 'smoothGrad', 'gradCam']) {
      await lab.locator('#explain-method').selectOption(method);
      if (method === 'smoothGrad') {
        assert.ok(await lab.locator('#explain-smoothgrad').isVisible(), 'the SmoothGrad settings are hidden');
        await lab.locator('#explain-samples').fill('20');
      } else {
        assert.ok(!(await lab.locator('#explain-smoothgrad').isVisible()), 'the SmoothGrad settings are shown');
      }
      const text = await explained(method, '4');
      // The committed run predicts test image #4 (a 4) as 4 (README); the predicted class is explained.
      assert.match(text, /^test image #4 \(true class 4\): predicted 4 \(\d+\.\d+ %\); explained: class 4, its logit -?\d+\.\d{3}\./);
      const heat = await canvasStats(lab.locator('#explain-heatmap'));
      assert.ok(heat.width === 28 && heat.distinct >= 10, `${method}: the map ${JSON.stringify(heat)}`);
      const bar = await canvasStats(lab.locator('[data-testid="explain-scale-bar"]'));
      assert.ok(bar.width === 256 && bar.distinct >= 50, `${method}: the colour scale ${JSON.stringify(bar)}`);
      const labels = await lab.locator('#explain-scale .scale-labels span').allInnerTexts();
      if (method === 'gradCam') {
        assert.equal(labels[0], '0', `Grad-CAM's scale starts at 0: ${labels.join(' … ')}`);
        assert.match(text, /Grad-CAM: conv2 channel weights α = (-?\d\.\d{4}, ){7}-?\d\.\d{4}\./);
        const coarse = await canvasStats(lab.locator('#explain-coarse'));
        assert.ok(coarse.width === 14 && coarse.distinct >= 5, `the 14×14 map ${JSON.stringify(coarse)}`);
      } else {
        assert.ok(labels[0]!.startsWith('−') && labels[1] === '0' && labels[2]!.startsWith('+'), `a signed scale: ${labels.join(' … ')}`);
        assert.ok(!(await lab.locator('#explain-coarse').isVisible()), 'the 14×14 Grad-CAM map is shown for a gradient');
      }
      if (method === 'smoothGrad')
        assert.match(text, /SmoothGrad: the mean gradient of 20 noisy copies, σ = 15 % of the image’s range \(seed 0\)\./);
      assert.ok(![...hashes.values()].includes(heat.hash), `${method}: the same picture as another method`);
      hashes.set(method, heat.hash);
      log(`e2e explain: ${method}: "${text}" scale ${labels.join(' … ')}`);
      await screenshot(method);
      await docShot(page, join(ARTIFACTS, 'docs', `explain-${method}.png`), [lab.locator('#explain')]);
    }
  });

  it('explains another class and the log-probability; the drawn digit', async function () {
    this.timeout(300_000);
    await lab.locator('#explain-method').selectOption('gradient');
    await lab.locator('#explain-class').selectOption('9');
    const nine = await explained('gradient', '4', 9);
    assert.match(nine, /predicted 4 .*explained: class 9, its logit/);
    await lab.locator('#explain-score').selectOption('logProbability');
    const logp = await explained('gradient', '4', 9);
    assert.match(logp, /explained: class 9, its log-probability -\d+\.\d{3}\./);
    await screenshot('class-9-log-probability');
    await lab.locator('#explain-class').selectOption('');
    await lab.locator('#explain-score').selectOption('logit');

    // A vertical stroke on the pad: a 1.
    const pad = lab.locator('#draw-pad');
    await pad.evaluate((e: any) => e.scrollIntoView({ block: 'center' })); // eslint-disable-line @typescript-eslint/no-explicit-any
    const box = await pad.boundingBox();
    assert.ok(box, 'no drawing pad');
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.15 + (0.7 * i) / 12));
    await page.mouse.up();
    await waitFor(
      'the drawing predicted',
      async () => (await lab.locator('#draw-prediction').getAttribute('data-predicted')) ?? undefined,
      60_000,
    );
    await lab.locator('#explain').evaluate((e: any) => e.scrollIntoView({ block: 'start' })); // eslint-disable-line @typescript-eslint/no-explicit-any
    await lab.locator('#explain-source').selectOption('drawing');
    await lab.locator('#explain-method').selectOption('gradCam');
    const drawn = await explained('gradCam', 'drawing');
    assert.match(drawn, /^the drawn digit: predicted \d/);
    const heat = await canvasStats(lab.locator('#explain-heatmap'));
    assert.ok(heat.distinct >= 5, `the drawing's map ${JSON.stringify(heat)}`);
    log(`e2e explain: drawing: "${drawn}"`);
    await screenshot('drawing-gradcam');
    await docShot(page, join(ARTIFACTS, 'docs', 'explain-drawing.png'), [lab.locator('#explain')]);
  });
});
