/**
 * The extension's worker for real: dist/worker.js forked as the extension host forks it, on a
 * small real MNIST subset. Training, stop (partial run kept), a killed worker (reported, no
 * orphan, the next run works), the analyses the lab panel asks for, and the host's event loop.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { SEED_CONFIG, type LabConfig } from '../../src/core/config';
import { loadLabData } from '../../src/core/data/mnist';
import type { RunSummary, TrainingEvent } from '../../src/core/events';
import { listRuns, readRun } from '../../src/core/runs/store';
import { EventLoopLag } from '../../src/extension/lag';
import { type ForeignTraining, TrainingController, findRunningTraining, stopForeignTraining } from '../../src/extension/trainingController';
import { WorkerProcess } from '../../src/extension/workerProcess';
import { WORKER_PRIORITY } from '../../src/worker/priority';
import { head, writeIdxDir } from '../helpers/dataset';
import { tempDir } from '../helpers/tmp';

/** The threads of a process with their names and nice values, from /proc (Linux). */
function threadsOf(pid: number): { tid: string; name: string; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name in parentheses: state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { tid, name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), nice: Number(fields[16]) };
  });
}

const WORKER = resolve(__dirname, '..', '..', '..', 'dist', 'worker.js');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let dataDir = '';
let outDir = '';
let trainLabels: Uint8Array;
let testLabels: Uint8Array;
const config = (epochs: number): LabConfig => ({
  ...SEED_CONFIG,
  name: 'worker-test',
  training: { ...SEED_CONFIG.training, epochs, evalEvery: 5 },
  data: { dir: dataDir, classNames: null },
});

const root = tempDir('mnist-lab-worker-');
before(() => {
  const full = loadLabData();
  // Real digits: 1280 training images (20 batches), 400 test images (200 validation, 200 test).
  dataDir = writeIdxDir(join(root, 'data'), head(full.train, 1280), head(full.testFile, 400), true);
  trainLabels = full.train.labels.slice(0, 1280);
  testLabels = full.testFile.labels.slice(0, 400);
  outDir = join(root, 'runs');
});

describe('training worker', { timeout: 120_000 }, () => {
  let completed: RunSummary;

  test('trains a short run in a separate process and writes the run directory; the host loop stays free', async () => {
    const lag = new EventLoopLag();
    const c = new TrainingController(() => ({ script: WORKER }));
    const events: TrainingEvent['type'][] = [];
    const confusions: number[][][] = [];
    let steps = 0;
    lag.trainingStarted();
    completed = await c.train(
      { config: config(2), outDir, backend: 'wasm' },
      {
        onEvent: (e) => {
          events.push(e.type);
          if (e.type === 'epoch' && e.valConfusion) confusions.push(e.valConfusion);
        },
        onStep: () => steps++,
      },
    );
    lag.trainingEnded();
    const report = lag.report();
    lag.dispose();
    assert.equal(completed.status, 'completed', completed.error);
    assert.equal(completed.steps, 40);
    assert.equal(events[0], 'start');
    assert.equal(events.at(-1), 'summary');
    assert.equal(events.filter((e) => e === 'progress').length, 8);
    assert.equal(events.filter((e) => e === 'epoch').length, 2);
    // Every epoch end carries the validation confusion matrix (the panel's live view); after the
    // last epoch the weights are the final ones, so its diagonal is the final validation accuracy.
    assert.equal(confusions.length, 2);
    for (const c of confusions)
      assert.equal(
        c.flat().reduce((a, b) => a + b, 0),
        200,
      );
    const last = confusions.at(-1)!;
    assert.equal(last.reduce((a, row, i) => a + row[i]!, 0) / 200, completed.valAccuracy);
    assert.ok(steps >= 1);
    assert.notEqual(completed.pid, process.pid);
    const stored = readRun(completed.runDir);
    assert.equal(stored.summary.status, 'completed');
    assert.equal(stored.snapshots.length, 2);
    assert.ok(existsSync(join(completed.runDir, 'model', 'model.safetensors')));
    assert.equal(c.active, null);
    assert.ok(report.p99Ms < 50, `event-loop lag p99 ${report.p99Ms} ms`);
  });

  test('stop ends the run within a second and keeps the partial run', async () => {
    const c = new TrainingController(() => ({ script: WORKER }));
    let stopAt = 0;
    let pid = 0;
    let summaryAt = 0;
    const done = c.train(
      { config: config(100), outDir, backend: 'wasm' },
      {
        onEvent: (e) => {
          if (e.type === 'progress' && e.step > 5 && !stopAt) {
            stopAt = Date.now();
            pid = c.workerPid!;
            void c.stop();
          }
          if (e.type === 'summary') summaryAt = Date.now();
        },
      },
    );
    const s = await done;
    assert.equal(s.status, 'cancelled');
    assert.ok(s.steps < 2000 && s.steps > 5);
    assert.ok(summaryAt - stopAt < 1000, `stopped after ${summaryAt - stopAt} ms`);
    assert.equal(readRun(s.runDir).summary.status, 'cancelled');
    assert.ok(existsSync(join(s.runDir, 'model', 'model.safetensors')), 'the partial model is saved');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(pid), false, 'the worker has exited');
  });

  test('a killed worker is reported with how it ended, leaves no process, and the next run works', async () => {
    const c = new TrainingController(() => ({ script: WORKER }));
    let pid = 0;
    const p = c.train(
      { config: config(100), outDir, backend: 'wasm' },
      {
        onEvent: (e) => {
          if (e.type === 'progress' && !pid) {
            pid = c.workerPid!;
            process.kill(pid, 'SIGKILL');
          }
        },
      },
    );
    await assert.rejects(p, /training worker was killed \(SIGKILL\)/);
    assert.equal(alive(pid), false);
    assert.equal(c.active, null);
    const runs = readdirRuns();
    const failed = runs.map((d) => readRun(d).summary).find((s) => s.status === 'failed');
    assert.ok(failed, 'the killed run is recorded as failed');
    assert.match(failed!.error!, /SIGKILL/);
    const next = await c.train({ config: config(1), outDir, backend: 'wasm', maxSteps: 3 });
    assert.equal(next.status, 'completed');
    assert.equal(next.steps, 3);
  });

  test('one training per workspace across windows: another window finds the running worker and stops it properly', async () => {
    const a = new TrainingController(() => ({ script: WORKER }));
    const found: { t: ForeignTraining | null } = { t: null };
    let stopped: Promise<boolean> | null = null;
    const run = a.train(
      { config: config(100), outDir, backend: 'wasm' },
      {
        onEvent: (e) => {
          if (e.type === 'progress' && !stopped) {
            found.t = findRunningTraining(listRuns(outDir));
            if (found.t) stopped = stopForeignTraining(found.t);
          }
        },
      },
    );
    const s = await run;
    assert.ok(found.t, 'the running training was not found from its run directory');
    assert.equal(found.t.runDir, s.runDir);
    assert.equal(await stopped, true);
    assert.equal(s.status, 'cancelled', 'SIGTERM cancels the run properly: its own host still gets the summary');
    assert.equal(findRunningTraining(listRuns(outDir)), null);
  });

  test('data-parallel replicas (mnistLab.workers) run inside the worker from the bundled replica script, every thread below normal priority', async () => {
    const c = new TrainingController(() => ({ script: WORKER }));
    // Linux: the nice value of every thread of the worker (V8's own threads included) while it trains.
    let threads: ReturnType<typeof threadsOf> = [];
    const s = await c.train(
      { config: config(1), outDir, backend: 'wasm', workers: 2 },
      { onStep: (step) => void (step >= 2 && threads.length === 0 && process.platform === 'linux' && (threads = threadsOf(c.workerPid!))) },
    );
    assert.equal(s.status, 'completed', s.error);
    if (process.platform === 'linux') {
      assert.ok(threads.length >= 3, `the worker's threads were not read (${threads.length})`);
      const normal = threads.filter((t) => t.nice < WORKER_PRIORITY);
      assert.deepEqual(
        normal,
        [],
        `threads of the training worker above below-normal priority (nice ${WORKER_PRIORITY}): ${JSON.stringify(normal)}`,
      );
    }
    assert.equal(s.steps, 20);
    assert.equal((s as RunSummary & { workers?: number }).workers, 2);
    assert.equal(typeof s.testAccuracy, 'number');
  });

  test('bad input comes back as a clear error, and the worker goes', async () => {
    const c = new TrainingController(() => ({ script: WORKER }));
    const missing = join(outDir, 'no-such-data');
    await assert.rejects(
      c.train({ config: { ...config(1), data: { dir: missing, classNames: null } }, outDir, backend: 'wasm' }),
      new RegExp(`${missing}: data directory does not exist`),
    );
    await assert.rejects(c.train({ config: config(1), outDir, backend: 'tpu' }), /unknown backend 'tpu'/);
    const wrongNode = new TrainingController(() => ({ script: WORKER, nodePath: '/nonexistent/node' }));
    await assert.rejects(
      wrongNode.train({ config: config(1), outDir, backend: 'wasm' }),
      /cannot start the worker with \/nonexistent\/node|ENOENT/,
    );
  });

  test('analyses of a finished run: prediction, feature maps, robustness, summary, kernels', async () => {
    const w = new WorkerProcess({ script: WORKER, env: { MNIST_LAB_BACKEND: 'wasm' } });
    const pid = await w.ready;
    try {
      const target = { model: completed.runDir, dataDir, numClasses: 10 };
      const s = await w.request({ type: 'sample', target, index: 4 });
      assert.equal(s.label, testLabels[4]);
      assert.equal(s.testCount, 400);
      assert.equal(s.image.pixels.length, 784);
      assert.ok(s.prediction);
      assert.equal(s.prediction!.probabilities.length, 10);
      assert.ok(Math.abs(s.prediction!.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
      assert.equal(s.featureMaps!.conv1.maps.length, 4);
      assert.equal(s.featureMaps!.conv1.maps[0]!.length, 28 * 28);
      assert.equal(s.featureMaps!.conv2.maps.length, 8);
      assert.equal(s.featureMaps!.conv2.size, 14);

      const noModel = await w.request({ type: 'sample', target: { ...target, model: null }, index: 4 });
      assert.equal(noModel.prediction, null);
      assert.deepEqual(noModel.image, s.image);

      const t = await w.request({ type: 'trainingImage', target, index: 100 });
      assert.equal(t.label, trainLabels[100]);

      const r = await w.request({ type: 'robustness', target, index: 4, dx: -3, dy: 0 });
      assert.deepEqual(r.original.image, s.image);
      for (let i = 0; i < 28; i++)
        for (let j = 0; j < 25; j++) assert.equal(r.shifted.image.pixels[i * 28 + j], s.image.pixels[i * 28 + j + 3]);
      assert.ok(r.meanAbsDiff.conv1 > 0);
      assert.deepEqual(r.original.prediction, s.prediction);

      const info = await w.request({ type: 'modelInfo', target });
      assert.equal(info.parameters, 207258);
      assert.equal(info.layers[0]!.name, 'conv1');

      const kernels = await w.request({ type: 'kernels', runDir: completed.runDir });
      assert.equal(kernels.length, 2);
      assert.deepEqual(kernels[0]!.conv2.shape, [8, 4, 5, 5]);

      const ev = await w.request({ type: 'evaluate', target });
      assert.equal(ev.testTotal, 200);
      assert.equal(ev.testAccuracy, completed.testAccuracy);

      // A drawn digit (here: test image #4 itself) is predicted as the sample is.
      const drawn = await w.request({ type: 'predictImage', target, pixels: s.image.pixels });
      assert.equal(drawn.prediction.label, s.prediction!.label);
      for (let c = 0; c < 10; c++) assert.ok(Math.abs(drawn.prediction.probabilities[c]! - s.prediction!.probabilities[c]!) < 1e-3);
      // (The image travelled rounded to 1e-4, so the maps agree to about that.)
      for (const layer of ['conv1', 'conv2'] as const) {
        assert.equal(drawn.featureMaps[layer].maps.length, s.featureMaps![layer].maps.length);
        drawn.featureMaps[layer].maps.forEach((m, c) =>
          m.forEach((v, p) => assert.ok(Math.abs(v - s.featureMaps![layer].maps[c]![p]!) < 2e-3, `${layer}[${c}][${p}]`)),
        );
      }
      await assert.rejects(
        w.request({ type: 'predictImage', target, pixels: [0, 1, 0] }),
        /pixels: the model takes 28×28 = 784 grey levels, got 3/,
      );

      const occ = await w.request({ type: 'occlusion', target, index: 4, patch: 6, stride: 2, fill: 0 });
      assert.equal(occ.label, testLabels[4]);
      assert.equal(occ.rows * occ.cols, 12 * 12);
      assert.equal(occ.probability.length, 144);
      assert.equal(occ.heatmap.pixels.length, 784);
      assert.ok(Math.abs(occ.baseline - s.prediction!.probabilities[testLabels[4]!]!) < 1e-5);
      assert.ok(occ.probability.every((p) => p >= 0 && p <= 1));
      await assert.rejects(
        w.request({ type: 'occlusion', target, index: 4, patch: 6, stride: 2, fill: 2 }),
        /occlusion: fill must be a grey level/,
      );

      await assert.rejects(
        w.request({ type: 'sample', target, index: 400 }),
        /test image #400 does not exist: the test file has images 0\.\.399/,
      );
      await assert.rejects(w.request({ type: 'robustness', target, index: 4, dx: 30, dy: 0 }), /dx: a shift must stay within -27\.\.27/);
      await assert.rejects(
        w.request({ type: 'sample', target: { ...target, model: join(outDir, 'nope') }, index: 4 }),
        /no such run directory or weights file/,
      );
      assert.ok(w.alive, 'errors do not end the worker');
    } finally {
      await w.dispose();
    }
    assert.equal(alive(pid), false);
  });

  test('analysis views of a finished run: confusion matrix, examples of a cell, misclassified gallery, robustness sweep with progress and cancel', async () => {
    const w = new WorkerProcess({ script: WORKER, env: { MNIST_LAB_BACKEND: 'wasm' } });
    try {
      const target = { model: completed.runDir, dataDir, numClasses: 10 };
      const cm = await w.request({ type: 'confusion', target, split: 'test' });
      assert.equal(cm.total, 200);
      assert.equal(
        cm.counts.flat().reduce((a, b) => a + b, 0),
        200,
      );
      const ev = await w.request({ type: 'evaluate', target });
      assert.equal(cm.correct, ev.testCorrect);
      const wrong = await w.request({
        type: 'examples',
        target,
        split: 'test',
        trueLabel: null,
        predicted: null,
        onlyWrong: true,
        limit: 500,
      });
      assert.equal(wrong.total, 200 - cm.correct);
      for (const e of wrong.items) {
        assert.ok(e.index >= 200 && e.index < 400, 'indices into the test file: the test split is its second half');
        assert.equal(e.label, testLabels[e.index]);
        assert.notEqual(e.predicted, e.label);
        assert.equal(e.pixels.length, 784);
        const s = await w.request({ type: 'sample', target, index: e.index });
        assert.equal(s.prediction!.label, e.predicted, 'the chosen image shows the same prediction');
      }
      const cell = await w.request({ type: 'examples', target, split: 'test', trueLabel: 1, predicted: 1, onlyWrong: false, limit: 3 });
      assert.equal(cell.total, cm.counts[1]![1]);
      assert.equal(cell.items.length, Math.min(3, cell.total));
      const progress: number[] = [];
      const sweep = await w.request({ type: 'sweep', target, range: 1 }, { onProgress: (done, total) => progress.push(done / total) });
      assert.equal(sweep.shift.accuracy[1]![1], ev.testAccuracy);
      assert.equal(progress.at(-1), 1);
      // Cancel: the sweep stops between batches and says so; the worker stays.
      const running = w.request({ type: 'sweep', target, range: 6 });
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await w.request({ type: 'cancelSweep' }), { cancelled: true });
      await assert.rejects(running, /the robustness sweep was cancelled/);
      assert.ok(w.alive);
    } finally {
      await w.dispose();
    }
  });

  test('a corrupt run directory is named in the error', async () => {
    const w = new WorkerProcess({ script: WORKER });
    try {
      const bad = join(outDir, 'corrupt');
      const { mkdirSync, writeFileSync } = await import('node:fs');
      mkdirSync(join(bad, 'model'), { recursive: true });
      writeFileSync(join(bad, 'model', 'model.safetensors'), 'not safetensors');
      await assert.rejects(
        w.request({ type: 'sample', target: { model: bad, dataDir, numClasses: 10 }, index: 4 }),
        new RegExp(bad.replace(/[/.]/g, '\\$&')),
      );
    } finally {
      await w.dispose();
    }
  });
});

function readdirRuns(): string[] {
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  return readdirSync(outDir)
    .map((d) => join(outDir, d))
    .filter((d) => existsSync(join(d, 'summary.json')) && JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')).name === 'worker-test');
}
