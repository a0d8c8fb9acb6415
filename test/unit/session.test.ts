import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SEED_CONFIG, parseConfig } from '../../src/core/config';
import { loadLabData } from '../../src/core/data/mnist';
import type { TrainingEvent } from '../../src/core/events';
import { loadModel } from '../../src/core/model/interchange';
import { readRun, listRuns } from '../../src/core/runs/store';
import { runTraining } from '../../src/core/session';
import { head, writeIdxDir } from '../helpers/dataset';
import { tempDir } from '../helpers/tmp';

const full = loadLabData();
const root = tempDir();
/** A real-MNIST directory small enough for quick runs: 640 training, 400 test images. */
const dataDir = writeIdxDir(join(root, 'data'), head(full.train, 640), head(full.testFile, 400), true);

test('a run directory holds config, metrics, kernel snapshots, both model formats and the summary', async () => {
  const out = join(root, 'runs-ok');
  const config = parseConfig({ name: 'small test', training: { epochs: 2, evalEvery: 4 }, data: { dir: dataDir } });
  const events: TrainingEvent[] = [];
  const summary = await runTraining({ config, outDir: out, backend: 'wasm', onEvent: (e) => events.push(e) });
  assert.equal(summary.status, 'completed');
  assert.equal(summary.steps, 20);
  assert.equal(summary.epochsCompleted, 2);
  assert.equal(summary.backend, 'wasm');
  // The seed's shape on wasm trains on the WebAssembly kernels (the relaxed-SIMD build here):
  // the run says so, not the backend's words for tfjs's XNNPACK kernels.
  assert.equal(summary.device, 'CPU (WebAssembly SIMD kernels, fused multiply-add)');
  assert.equal((events[0] as { device: string }).device, summary.device);
  assert.ok(summary.testAccuracy !== null && summary.testAccuracy >= 0);
  assert.equal(summary.seedTestAccuracy, 0.9906);
  assert.equal(events[0]!.type, 'start');
  assert.equal(events.at(-1)!.type, 'summary');
  assert.deepEqual(
    events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch),
    [1, 2],
  );
  const dir = summary.runDir;
  assert.deepEqual(listRuns(out), [dir]);
  assert.match(dir, /[\\/]\d{8}-\d{6}-small_test$/);
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'histograms.jsonl', 'kernels', 'metrics.jsonl', 'model', 'summary.json']);
  assert.deepEqual(readdirSync(join(dir, 'kernels')), ['epoch-001.json', 'epoch-002.json']);
  assert.deepEqual(readdirSync(join(dir, 'model')).sort(), ['load_pytorch.py', 'model.json', 'model.safetensors', 'weights.bin']);
  assert.ok(!readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.tmp')), 'no temporary files left');
  const stored = readRun(dir);
  assert.deepEqual(stored.config, config);
  assert.equal(stored.summary.status, 'completed');
  assert.equal(stored.progress.length, 6);
  assert.deepEqual(stored.progress[0]!.record, [
    100 - 100 * stored.progress[0]!.trainAccuracy,
    100 - 100 * stored.progress[0]!.valAccuracy,
  ]);
  assert.deepEqual(stored.snapshots[1]!.conv1.shape, [4, 1, 5, 5]);
  assert.equal(stored.snapshots[1]!.conv2.weight.length, 8 * 4 * 25);
  // The last snapshot is the final conv weights of the saved model.
  const { net } = loadModel(dir);
  const conv1 = net.values()['conv1.weight'];
  assert.ok(Math.abs(stored.snapshots[1]!.conv1.weight[0]! - conv1[0]!) < 1e-7);
  net.dispose();
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual([...new Set(lines.map((l) => l.type))], ['start', 'progress', 'epoch']);
});

test('a cancelled run keeps its partial metrics and its last model', async () => {
  const out = join(root, 'runs-cancel');
  const ac = new AbortController();
  const config = parseConfig({ training: { epochs: 5, evalEvery: 1 }, data: { dir: dataDir } });
  const summary = await runTraining({
    config,
    outDir: out,
    backend: 'wasm',
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'progress' && e.step === 13) ac.abort();
    },
  });
  assert.equal(summary.status, 'cancelled');
  assert.equal(summary.steps, 13);
  assert.equal(summary.epochsCompleted, 1);
  const stored = readRun(summary.runDir);
  assert.equal(stored.summary.status, 'cancelled');
  assert.equal(stored.progress.length, 13);
  assert.ok(existsSync(join(summary.runDir, 'model', 'model.safetensors')));
});

test('a run that fails is recorded as failed with the reason, and keeps what it had', async () => {
  const out = join(root, 'runs-fail');
  const base = parseConfig({ training: { epochs: 1, evalEvery: 1 }, data: { dir: dataDir } });
  const config = { ...base, training: { ...base.training, learningRate: 1e30 } };
  const summary = await runTraining({ config, outDir: out, backend: 'wasm' });
  assert.equal(summary.status, 'failed');
  assert.match(summary.error!, /training diverged: loss is/);
  const stored = readRun(summary.runDir);
  assert.equal(stored.summary.status, 'failed');
  assert.equal(stored.summary.error, summary.error);
  assert.ok(stored.progress.length >= 1);
});

test('bad input writes nothing: missing data, unknown backend', async () => {
  const out = join(root, 'runs-bad');
  await assert.rejects(
    runTraining({ config: parseConfig({ data: { dir: join(root, 'missing') } }), outDir: out }),
    /missing: data directory does not exist/,
  );
  await assert.rejects(
    runTraining({ config: SEED_CONFIG, outDir: out, backend: 'quantum', data: full }),
    /unknown backend 'quantum' \(choose one of: auto, .*wasm, cpu\)/,
  );
  assert.equal(existsSync(out), false);
});
