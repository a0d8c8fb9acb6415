/** The typed protocol's validators: what a webview or a worker sends is checked before use. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SEED_CONFIG } from '../../src/core/config';
import { validateFromWebview, validateFromWorker, validateToWorker } from '../../src/core/protocol';

describe('messages from a webview', () => {
  test('accepts every well-formed request', () => {
    for (const m of [
      { messageId: 1, type: 'ready' },
      { messageId: 2, type: 'sample', index: 4 },
      { messageId: 3, type: 'trainingImage', index: 100 },
      { messageId: 4, type: 'robustness', index: 4, dx: -3, dy: 0 },
      { messageId: 5, type: 'modelInfo' },
      { messageId: 6, type: 'command', command: 'train' },
      { messageId: 7, type: 'confusion', split: 'test' },
      { messageId: 8, type: 'examples', split: 'validation', trueLabel: 3, predicted: null, onlyWrong: true, limit: 60 },
      { messageId: 9, type: 'sweep', range: 3 },
      { messageId: 10, type: 'cancelSweep' },
      { messageId: 11, type: 'predictImage', pixels: Array.from({ length: 784 }, (_, i) => (i % 7) / 6) },
      { messageId: 12, type: 'occlusion', index: 4, patch: 6, stride: 2, fill: 0.5 },
    ]) {
      const v = validateFromWebview(m);
      assert.ok(v.ok, JSON.stringify(m));
      assert.deepEqual(v.value, m);
    }
  });

  test('rejects malformed ones with a message naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /object/],
      ['sample', /object/],
      [{ type: 'ready' }, /messageId/],
      [{ messageId: 1, type: 'eval', code: 'x' }, /unknown message type "eval"/],
      [{ messageId: 1, type: 'sample', index: -1 }, /sample: index must be between 0/],
      [{ messageId: 1, type: 'sample', index: 2.5 }, /index must be a whole number/],
      [{ messageId: 1, type: 'sample', index: '4' }, /index must be a whole number/],
      [{ messageId: 1, type: 'robustness', index: 4, dx: 100, dy: 0 }, /dx must be between -64 and 64/],
      [{ messageId: 1, type: 'robustness', index: 4, dx: 0 }, /dy must be a whole number/],
      [{ messageId: 1, type: 'command', command: 'workbench.action.quit' }, /command must be one of/],
      [{ messageId: 1, type: 'ready', extra: true }, /unexpected field "extra"/],
      [{ messageId: 1, type: 'confusion', split: 'train' }, /confusion: split must be one of test, validation, got "train"/],
      [
        { messageId: 1, type: 'examples', split: 'test', trueLabel: -1, predicted: null, onlyWrong: true, limit: 5 },
        /trueLabel must be a class 0\.\.255 or null/,
      ],
      [
        { messageId: 1, type: 'examples', split: 'test', trueLabel: null, predicted: null, onlyWrong: 'yes', limit: 5 },
        /onlyWrong must be true or false/,
      ],
      [
        { messageId: 1, type: 'examples', split: 'test', trueLabel: null, predicted: null, onlyWrong: true, limit: 100000 },
        /limit must be between 1 and 500/,
      ],
      [{ messageId: 1, type: 'sweep', range: 20 }, /sweep: range must be between 0 and 14, got 20/],
      [{ messageId: 1, type: 'predictImage', pixels: [0, 0.5, 2] }, /predictImage: pixels\[2\] must be a grey level in \[0, 1\], got 2/],
      [{ messageId: 1, type: 'predictImage', pixels: [0, NaN] }, /pixels\[1\] must be a grey level/],
      [{ messageId: 1, type: 'predictImage', pixels: 'abc' }, /pixels must be an array/],
      [{ messageId: 1, type: 'predictImage', pixels: new Array(200_000).fill(0) }, /pixels must be an array of 1\.\.16384/],
      [{ messageId: 1, type: 'occlusion', index: 4, patch: 0, stride: 2, fill: 0 }, /occlusion: patch must be between 1 and 28, got 0/],
      [{ messageId: 1, type: 'occlusion', index: 4, patch: 6, stride: 2, fill: -1 }, /fill must be a grey level in \[0, 1\], got -1/],
      [{ messageId: 1, type: 'occlusion', index: 4, patch: 6, stride: 2 }, /fill must be a grey level/],
    ];
    for (const [m, re] of cases) {
      const v = validateFromWebview(m);
      assert.equal(v.ok, false, JSON.stringify(m));
      if (!v.ok) assert.match(v.error, re);
    }
  });
});

describe('messages between host and worker', () => {
  const target = { model: '/runs/a', dataDir: null, numClasses: 10 };
  test('requests to the worker', () => {
    assert.ok(
      validateToWorker({ messageId: 1, request: { type: 'train', config: SEED_CONFIG, outDir: '/tmp/r', backend: 'auto', maxSteps: 5 } })
        .ok,
    );
    assert.ok(validateToWorker({ messageId: 2, request: { type: 'stop' } }).ok);
    assert.ok(validateToWorker({ messageId: 3, request: { type: 'robustness', target, index: 4, dx: -3, dy: 0 } }).ok);
    assert.ok(validateToWorker({ messageId: 4, request: { type: 'sample', target: { ...target, model: null }, index: 4 } }).ok);
    const bad = validateToWorker({
      messageId: 5,
      request: { type: 'train', config: SEED_CONFIG, outDir: '/tmp/r', backend: 'auto', maxSteps: 0 },
    });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.error, /train: maxSteps must be ≥ 1/);
    const noTarget = validateToWorker({ messageId: 6, request: { type: 'sample', index: 4 } });
    assert.ok(!noTarget.ok && /sample: target missing/.test(noTarget.error));
    assert.ok(validateToWorker({ messageId: 8, request: { type: 'predictImage', target, pixels: [0, 1] } }).ok);
    assert.ok(validateToWorker({ messageId: 9, request: { type: 'occlusion', target, index: 4, patch: 4, stride: 1, fill: 0 } }).ok);
    const badOcc = validateToWorker({ messageId: 10, request: { type: 'occlusion', target, index: 4, patch: 4, stride: 9.5, fill: 0 } });
    assert.ok(!badOcc.ok && /occlusion: stride must be a whole number/.test(badOcc.error));
    const unknown = validateToWorker({ messageId: 7, request: { type: 'rm -rf' } });
    assert.ok(!unknown.ok && /unknown request type/.test(unknown.error));
  });

  test('messages from the worker', () => {
    assert.ok(validateFromWorker({ kind: 'ready', pid: 12, messageId: 1 }).ok);
    assert.ok(validateFromWorker({ kind: 'event', messageId: 2, inReplyTo: 1, event: { type: 'progress' } }).ok);
    assert.ok(validateFromWorker({ kind: 'result', messageId: 3, inReplyTo: 1, result: null }).ok);
    assert.ok(validateFromWorker({ kind: 'error', messageId: 4, inReplyTo: 1, error: { message: 'x' } }).ok);
    assert.equal(validateFromWorker({ kind: 'error', messageId: 4, inReplyTo: 1, error: 'x' }).ok, false);
    assert.equal(validateFromWorker({ kind: 'step', messageId: 5, inReplyTo: 1, step: 'a', totalSteps: 1, epoch: 1 }).ok, false);
    assert.equal(validateFromWorker({ kind: 'hello', messageId: 6 }).ok, false);
  });
});
