// The lab panel's "Layers over time" (issue 16, item 5): a run trained by the CLI in the workspace
// (3 epochs of small.mnist.json) shows its recorded histograms in both views; the committed
// 20-epoch run, which recorded none, says so and computes those of its saved weights; with one
// conv2 channel killed in a copy of its weights (weights 0, bias −1: ReLU output 0 for every image)
// the dead-channel table names it and the kernels view crosses its kernels out. The packaged
// .vsix in code-server, as ui.e2e.ts. Pictures: .test-artifacts/e2e/docs/layer-histograms*.png.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import type { Frame, Page } from 'playwright-core';
import { type CodeServer, log, workbenchUrl } from '../harness';
import { REFUSING_NPM_REGISTRY, SMALL_CONFIG_NAME } from '../workspace';
import { frameIn, waitFor } from './waits';
import { docShot, type Workbench, closeWorkbench, openWorkbench } from './workbench';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const ARTIFACTS = join(process.env.MNIST_LAB_ARTIFACTS || join(ROOT, '.test-artifacts'), 'e2e');
const SEED_RUN_ID = '20261128-001011-seed';
/** The conv2 channel killed in the copy of the committed run. */
const KILLED = 3;

const started: Partial<Workbench> = {};
let ws: string;
let cs: CodeServer;
let page: Page;
let trainedRun = '';

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `histograms-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** Sets conv2's output channel `c` to weights 0 and bias −1 in a safetensors file (PyTorch layout [out, in, k, k]). */
function killConv2Channel(file: string, c: number): void {
  const b = readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  const w = header['conv2.weight']!;
  const per = w.shape.slice(1).reduce((a, x) => a * x, 1);
  const start = 8 + n + w.data_offsets[0] + 4 * c * per;
  b.fill(0, start, start + 4 * per);
  b.writeFloatLE(-1, 8 + n + header['conv2.bias']!.data_offsets[0] + 4 * c);
  writeFileSync(file, b);
}

/** Number of plotly traces drawn in the histogram plot, and its data attributes. */
async function plotState(lab: Frame): Promise<{ traces: number; epochs: string | null; kind: string | null; view: string | null }> {
  const plot = lab.locator('#hist-plot');
  return {
    traces: await plot.locator('.scatterlayer .trace').count(),
    epochs: await plot.getAttribute('data-epochs'),
    kind: await plot.getAttribute('data-kind'),
    view: await plot.getAttribute('data-view'),
  };
}

async function palette(command: string, row: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await waitFor(
    `"${command}" in the palette`,
    async () => {
      if (await input.isVisible()) await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${command}`);
      const r = page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first();
      await r.waitFor({ state: 'visible', timeout: 5000 });
      return true;
    },
    60_000,
  );
  await page.keyboard.press('Enter');
}

describe('Layers over time: histograms and dead channels (packaged .vsix)', function () {
  // Generous: the worker's passes (the saved weights' histograms, 5,000 validation images) on a loaded 2-core machine.
  this.timeout(300_000);

  before(async function () {
    this.timeout(420_000);
    ({ ws, cs, page } = await openWorkbench(started, {
      root: ROOT,
      label: 'e2e-histograms',
      workspace: (dir) => {
        const runs = join(dir, '.mnist-lab', 'runs');
        // The committed run, one conv2 channel killed in its weights.
        const seed = join(runs, SEED_RUN_ID);
        cpSync(join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs'), seed, { recursive: true });
        killConv2Channel(join(seed, 'model', 'model.safetensors'), KILLED);
        // A run with histograms, trained by the CLI (newer: MNIST Lab: Open Lab shows it).
        const t0 = Date.now();
        const r = spawnSync(
          process.execPath,
          [join(ROOT, 'dist', 'cli.js'), 'train', SMALL_CONFIG_NAME, '--epochs', '3', '--out', runs, '--backend', 'wasm', '--workers', '1'],
          { cwd: dir, encoding: 'utf8', timeout: 300_000 },
        );
        if (r.status !== 0) throw new Error(`mnist-lab train failed (${r.status ?? r.signal}): ${`${r.stdout}\n${r.stderr}`.slice(-1500)}`);
        trainedRun = readdirSync(runs).find((d) => d !== SEED_RUN_ID)!;
        const lines = readFileSync(join(runs, trainedRun, 'histograms.jsonl'), 'utf8')
          .trim()
          .split('\n');
        assert.equal(lines.length, 3, 'one histograms record per epoch');
        log(`e2e histograms: trained ${trainedRun} (3 epochs) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      },
      codeServer: { env: { npm_config_registry: REFUSING_NPM_REGISTRY } },
    }));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page)
      await screenshot(`failed-${this.currentTest.title.slice(0, 24).replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  after(async function () {
    this.timeout(60_000);
    await closeWorkbench(started);
  });

  it('a run with histograms: the histogram view over its 3 epochs, then the distribution view of another kind', async () => {
    await page.goto(workbenchUrl(cs, ws), { timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await palette('MNIST Lab: Open Lab', 'Open Lab');
    const lab = await frameIn(page, '#hist-plot', 60_000);
    await lab.locator('#run-name', { hasText: 'small' }).waitFor({ timeout: 30_000 });
    const first = await waitFor(
      'the histogram view of conv2 outputs over 3 epochs',
      async () => {
        const s = await plotState(lab);
        return s.epochs === '3' && s.traces === 3 ? s : undefined;
      },
      30_000,
    );
    assert.equal(first.kind, 'activation');
    assert.equal(first.view, 'histogram');
    assert.equal(await lab.locator('#hist-status').innerText(), '3 epochs recorded.');
    const caption = await lab.locator('#hist-caption').innerText();
    assert.match(caption, /ReLU outputs on the first 500 validation images; at the last epoch \d+\.\d % of them are exactly 0\./);
    assert.match(caption, /Recording took \d+ ms per epoch\./);
    assert.match(await lab.locator('#hist-inactive').innerText(), /^At epoch 3, /);
    // The dead-channel table of the run's saved weights: conv1, conv2, fc1.
    await lab.locator('[data-testid="dead-channels-fc1"]').waitFor({ timeout: 150_000 });
    assert.equal(await lab.locator('#dead-channels tbody tr').count(), 3);
    await lab.locator('#layer-histograms').scrollIntoViewIfNeeded();
    await screenshot('01-histogram-view');
    await docShot(page, join(ARTIFACTS, 'docs', 'layer-histograms.png'), [lab.locator('#layer-histograms')]);

    await lab.locator('#hist-layer').selectOption('fc1');
    await lab.locator('#hist-kind').selectOption('weightGrad');
    await lab.locator('#hist-view').selectOption('distribution');
    const dist = await waitFor(
      'the distribution view of fc1 weight gradients',
      async () => {
        const s = await plotState(lab);
        // 4 bands (2 traces each) and the median.
        return s.view === 'distribution' && s.kind === 'weightGrad' && s.traces === 9 ? s : undefined;
      },
      30_000,
    );
    assert.equal(dist.epochs, '3');
    assert.match(await lab.locator('#hist-caption').innerText(), /^Gradients of the mean loss over the first 256 training images/);
    assert.ok(await lab.locator('#hist-hide-zeros-label').isHidden(), 'the zeros box is for outputs only');
    await screenshot('02-distribution-view');
    await docShot(page, join(ARTIFACTS, 'docs', 'layer-histograms-distribution.png'), [lab.locator('#layer-histograms')]);
  });

  it('an old run without histograms says so, computes those of its saved weights, and names and crosses out its dead channel', async () => {
    await palette('MNIST Lab: Open Run', 'Open Run');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: SEED_RUN_ID }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.click();
    const lab = await frameIn(page, '#hist-plot', 60_000);
    await lab.locator('#run-name', { hasText: 'seed' }).waitFor({ timeout: 30_000 });
    await waitFor(
      'the note that the run recorded no histograms',
      async () => (await lab.locator('#hist-status').innerText()).startsWith('This run recorded no histograms (it was trained before'),
      30_000,
    );
    assert.ok(await lab.locator('#hist-plot').isHidden());
    await lab.locator('#hist-compute').click();
    await waitFor(
      'the histograms of the saved weights',
      async () => {
        const s = await plotState(lab);
        // The view chosen before stays: fc1's weight gradients as a distribution (4 bands and the median).
        return s.epochs === '1' && s.view === 'distribution' && s.traces === 9 ? s : undefined;
      },
      150_000,
    );
    assert.match(await lab.locator('#hist-status').innerText(), /shown are those of its saved weights/);
    // The killed channel, found by the worker's pass over the 5,000 validation images.
    const conv2 = lab.locator('[data-testid="dead-channels-conv2"]');
    await conv2.waitFor({ timeout: 150_000 });
    assert.equal(await conv2.getAttribute('data-dead'), String(KILLED));
    assert.equal(await lab.locator('[data-testid="dead-channels-conv1"]').getAttribute('data-dead'), '');
    // The committed run's dead fc1 units (test/unit/histograms.test.ts checks them against PyTorch) are still
    // dead with channel 3's inputs gone (measured: one more, 490, dies with them).
    const fc1 = (await lab.locator('[data-testid="dead-channels-fc1"]').getAttribute('data-dead'))!.split(',');
    for (const u of ['5', '28', '73', '170', '444']) assert.ok(fc1.includes(u), `fc1 unit ${u} in ${fc1.join(',')}`);
    await screenshot('03-old-run-dead-channels');
    await docShot(page, join(ARTIFACTS, 'docs', 'layer-histograms-dead.png'), [
      lab.locator('#dead-channels'),
      lab.locator('#dead-channels-note'),
    ]);
    // The kernels view: conv2's column KILLED crossed out (4 input channels), nothing else.
    await lab.locator('#kernels').scrollIntoViewIfNeeded();
    await waitFor('the crossed-out kernels', async () => (await lab.locator('#conv2-kernels figure.dead').count()) === 4, 30_000);
    assert.equal(await lab.locator('#conv1-kernels figure.dead').count(), 0);
    for (let i = 0; i < 4; i++)
      assert.equal(
        await lab.locator(`#conv2-kernels figure.dead [data-testid="conv2-kernel-${i}-${KILLED}"]`).count(),
        1,
        `kernel ${i}→${KILLED}`,
      );
    assert.match(await lab.locator('#kernels-dead').innerText(), /conv2 3/);
    await screenshot('04-kernels-dead');
    await docShot(page, join(ARTIFACTS, 'docs', 'kernels-dead-channel.png'), [lab.locator('#conv2-kernels'), lab.locator('#kernels-dead')]);
  });
});
