/** The host's run state: built from live events or a stored run, replayed to webviews. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SEED_CONFIG } from '../../src/core/config';
import type { ProgressEvent, TrainingEvent } from '../../src/core/events';
import { SNIPPET_FILE } from '../../src/core/model/pytorchSnippet';
import { RunViewModel, runViewFromStored } from '../../src/extension/runView';
import { tempDir } from '../helpers/tmp';

const progress = (step: number, val: number): ProgressEvent => ({
  type: 'progress',
  epoch: 1,
  batch: step - 1,
  step,
  totalSteps: 200,
  samples: step * 64,
  trainSize: 60000,
  percent: (100 * step * 64) / 60000,
  loss: 2.3 - step / 100,
  trainAccuracy: 0.1 + step / 1000,
  valAccuracy: val,
  record: [100 - 10 - step / 10, 100 - 100 * val],
  seconds: step / 10,
});

describe('RunViewModel', () => {
  test('a live run: start replaces, progress and snapshots are deltas, summary replaces', () => {
    const m = new RunViewModel();
    const seen: (string | null)[] = [];
    const deltas: unknown[] = [];
    m.onChange((d) => {
      seen.push(d ? d.type : null);
      deltas.push(d);
    });
    const start: TrainingEvent = {
      type: 'start',
      runDir: '/runs/r1',
      runId: 'r1',
      config: SEED_CONFIG,
      backend: 'wasm',
      device: 'cpu',
      epochs: 20,
      batchesPerEpoch: 938,
      totalSteps: 200,
      trainSize: 60000,
      validationSize: 5000,
      testSize: 5000,
      parameters: 206922,
      layers: [],
      startedAt: 'now',
    };
    assert.equal(m.apply(start), null);
    assert.equal(m.state.status, 'running');
    const line = m.apply(progress(1, 0.1));
    assert.match(line!, /^Epoch: 1 \[64\/60000 \(0%\)\]\tLoss: 2\.290000\tTrain accuracy: 10\.10%\tValidation accuracy: 10\.00%$/);
    m.apply(progress(101, 0.85));
    m.step(150, 200, 1);
    const snapshot = {
      epoch: 1,
      conv1: { shape: [4, 1, 5, 5], weight: new Array(100).fill(0.1), bias: [0, 0, 0, 0] },
      conv2: { shape: [8, 4, 5, 5], weight: new Array(800).fill(0), bias: new Array(8).fill(0) },
    };
    const counts = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 40 : 1)));
    m.apply({ type: 'epoch', epoch: 1, seconds: 30, snapshot, valConfusion: counts });
    // The live validation matrix travels with the snapshot delta and stays in the state for replays.
    assert.deepEqual(m.state.valConfusion, { epoch: 1, counts });
    assert.deepEqual((deltas.at(-1) as { valConfusion?: unknown }).valConfusion, { epoch: 1, counts });
    m.apply({
      type: 'summary',
      runId: 'r1',
      runDir: '/runs/r1',
      name: 'seed',
      status: 'cancelled',
      backend: 'wasm',
      device: 'cpu',
      epochs: 20,
      epochsCompleted: 1,
      steps: 160,
      totalSteps: 200,
      valAccuracy: 0.86,
      testAccuracy: 0.87,
      seedTestAccuracy: 0.9906,
      seconds: 40,
      msPerStep: 30,
      startedAt: 'a',
      finishedAt: 'b',
      model: { safetensors: 'm', tfjs: 'j' },
    });
    assert.deepEqual(seen, [null, 'progress', 'progress', 'step', 'snapshot', null]);
    assert.equal(m.state.status, 'cancelled');
    assert.equal(m.state.progress.length, 2);
    assert.equal(m.state.log.length, 2);
    assert.equal(m.state.snapshots.length, 1);
    assert.equal(m.state.step, 160);
    assert.equal(m.state.summary?.testAccuracy, 0.87);
  });

  test('a live run: the loader written beside its model joins the view once read (not after another run started)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, SNIPPET_FILE), '# written\n');
    const summaryOf = (runId: string): TrainingEvent => ({
      type: 'summary',
      runId,
      runDir: dir,
      name: 'seed',
      status: 'completed',
      backend: 'wasm',
      device: 'cpu',
      epochs: 1,
      epochsCompleted: 1,
      steps: 10,
      totalSteps: 10,
      valAccuracy: 0.5,
      testAccuracy: 0.5,
      seedTestAccuracy: 0.9906,
      seconds: 1,
      msPerStep: 1,
      startedAt: 'a',
      finishedAt: 'b',
      model: { safetensors: join(dir, 'model.safetensors'), tfjs: join(dir, 'model.json') },
    });
    const start = { type: 'start', runDir: dir, config: SEED_CONFIG, totalSteps: 10 } as TrainingEvent;
    const m = new RunViewModel();
    let fired = 0;
    m.onChange(() => fired++);
    m.apply(start);
    m.apply(summaryOf('r1'));
    assert.equal(m.state.pytorch, null);
    const before = fired;
    for (let i = 0; i < 100 && !m.state.pytorch; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(m.state.pytorch, { file: join(dir, SNIPPET_FILE), code: '# written\n', written: true });
    assert.equal(fired, before + 1, 'the state is sent again with the loader');
    // Another run on show before the loader is read: it stays out of that run's view.
    m.apply(summaryOf('r2'));
    m.apply(start);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(m.state.pytorch, undefined);
  });

  test('a crashed worker marks the run failed with its error', () => {
    const m = new RunViewModel();
    m.fail('the training worker was killed (SIGKILL)');
    assert.equal(m.state.status, 'failed');
    assert.match(m.state.error!, /SIGKILL/);
  });

  test('a stored run becomes the same view', async () => {
    const v = await runViewFromStored({
      dir: '/runs/r2',
      config: SEED_CONFIG,
      summary: {
        runId: 'r2',
        runDir: '/runs/r2',
        name: 'seed',
        status: 'completed',
        backend: 'wasm',
        device: 'cpu',
        epochs: 1,
        epochsCompleted: 1,
        steps: 938,
        totalSteps: 938,
        valAccuracy: 0.95,
        testAccuracy: 0.96,
        seedTestAccuracy: 0.9906,
        seconds: 40,
        msPerStep: 30,
        startedAt: 'a',
        finishedAt: 'b',
      },
      progress: [progress(1, 0.1), progress(101, 0.8)],
      snapshots: [],
    });
    assert.equal(v.status, 'completed');
    assert.equal(v.log.length, 2);
    assert.equal(v.step, 938);
    assert.equal(v.runDir, '/runs/r2');
  });
});
