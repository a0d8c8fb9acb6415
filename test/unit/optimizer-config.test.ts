/** The optimizer and schedule fields of a config: defaults, bad values named by field, the webgpu refusal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LabError } from '../../src/core/errors';
import { SEED_CONFIG, parseConfig } from '../../src/core/config';
import { refuseOnDevice } from '../../src/core/train/deviceGroup';
import { describeOptimizer, isPlainSgd, weightDecayOf } from '../../src/core/train/optimizer';
import { parseMetrics } from '../../src/core/runs/store';
import { formatLr, formatProgressLine } from '../../src/core/format';
import { hyperAt } from '../../src/core/train/schedule';
import { type AdamScalars, Arena, SgdKernel, adamElement } from '../../src/core/train/sgdKernel';

test("the defaults are the original lab's: SGD, no Nesterov, no weight decay, a constant rate", () => {
  const t = parseConfig({}).training;
  assert.equal(t.optimizer, 'sgd');
  assert.equal(t.nesterov, false);
  assert.equal(weightDecayOf(t), 0);
  assert.equal(t.schedule.type, 'none');
  assert.ok(isPlainSgd(t), 'the seed config must take the SIMD SGD-momentum path');
  for (const step of [0, 1, 937, 18_759]) assert.deepEqual(hyperAt(t, step, 938), { lr: 0.001, momentum: 0.9, beta1: 0.9 });
});

test("weightDecay null is torch.optim's default: 0 for SGD and Adam, 0.01 for AdamW", () => {
  assert.equal(weightDecayOf(parseConfig({ training: { optimizer: 'adam' } }).training), 0);
  assert.equal(weightDecayOf(parseConfig({ training: { optimizer: 'adamw' } }).training), 0.01);
  assert.equal(weightDecayOf(parseConfig({ training: { optimizer: 'adamw', weightDecay: 0 } }).training), 0);
  assert.ok(!isPlainSgd(parseConfig({ training: { weightDecay: 5e-4 } }).training));
  assert.ok(!isPlainSgd(parseConfig({ training: { nesterov: true } }).training));
});

test('a schedule object keeps only its own fields, with defaults filled', () => {
  const t = parseConfig({ training: { schedule: { type: 'cosine', etaMin: 1e-5 } } }).training;
  assert.deepEqual(t.schedule, { ...SEED_CONFIG.training.schedule, type: 'cosine', etaMin: 1e-5 });
  // Cosine over training.epochs when tMax is not given: the last epoch's rate is near etaMin, not the start's.
  const last = hyperAt(t, 19 * 938, 938).lr;
  assert.ok(last < 1e-5 + 0.001 * 0.01 && last > 1e-5, `last epoch lr ${last}`);
});

test('bad optimizer and schedule values are refused, naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ training: { optimizer: 'rmsprop' } }, /training\.optimizer: must be one of "sgd", "adam", "adamw", got "rmsprop"/],
    [{ training: { optimizer: 1 } }, /training\.optimizer: must be string, got integer 1/],
    [{ training: { nesterov: 'yes' } }, /training\.nesterov: must be boolean, got string/],
    [{ training: { nesterov: true, optimizer: 'adam' } }, /training\.nesterov: Nesterov momentum is SGD's; optimizer "adam"/],
    [{ training: { nesterov: true, momentum: 0 } }, /training\.nesterov: Nesterov momentum needs training\.momentum > 0/],
    [{ training: { weightDecay: -0.1 } }, /training\.weightDecay: must be ≥ 0, got -0\.1/],
    [{ training: { betas: [0.9, 1] } }, /training\.betas\[1\]: must be < 1, got 1/],
    [{ training: { betas: [0.9] } }, /training\.betas: must have at least 2 items, got 1/],
    [{ training: { eps: -1 } }, /training\.eps: must be ≥ 0, got -1/],
    [{ training: { schedule: 'cosine' } }, /training\.schedule: must be object, got string/],
    [{ training: { schedule: { type: 'exponential' } } }, /training\.schedule\.type: must be one of "none", "step", "cosine", "one-cycle"/],
    [{ training: { schedule: { type: 'step' } } }, /training\.schedule: the "step" schedule needs stepSize/],
    [{ training: { schedule: { type: 'step', stepSize: 0 } } }, /training\.schedule\.stepSize: must be ≥ 1, got 0/],
    [{ training: { schedule: { type: 'step', stepSize: 2, gamma: 0 } } }, /training\.schedule\.gamma: must be > 0, got 0/],
    [{ training: { schedule: { tMax: 2.5 } } }, /training\.schedule\.tMax: must be integer or null, got number 2\.5/],
    [{ training: { schedule: { pctStart: 1.5 } } }, /training\.schedule\.pctStart: must be ≤ 1, got 1\.5/],
    [
      { training: { schedule: { annealStrategy: 'exp' } } },
      /training\.schedule\.annealStrategy: must be one of "cos", "linear", got "exp"/,
    ],
    [{ training: { schedule: { maxMomentum: 1 } } }, /training\.schedule\.maxMomentum: must be < 1, got 1/],
    [{ training: { schedule: { T_max: 3 } } }, /training\.schedule\.T_max: unknown field \(allowed: type, stepSize/],
  ];
  for (const [raw, re] of cases) {
    assert.throws(
      () => parseConfig(raw, 'lab.mnist.json'),
      (e: Error) => e instanceof LabError && re.test(e.message) && e.message.startsWith('lab.mnist.json: '),
      `${JSON.stringify(raw)} → ${re}`,
    );
  }
});

test('a one-cycle warm-up of no steps is refused as PyTorch refuses it (ZeroDivisionError there)', () => {
  // pctStart × total steps = 1: the first phase ends where it starts.
  const t = parseConfig({ training: { epochs: 10, schedule: { type: 'one-cycle', pctStart: 0.1 } } }).training;
  assert.throws(() => hyperAt(t, 0, 1), /training\.schedule\.pctStart 0\.1 × 10 steps leaves a one-cycle phase with no steps/);
});

test('the webgpu step refuses what it does not implement, naming the field', () => {
  const refused: [unknown, RegExp][] = [
    [{ training: { optimizer: 'adam' } }, /^training\.optimizer "adam" is not available on the webgpu backend/],
    [{ training: { nesterov: true } }, /^training\.nesterov is not available on the webgpu backend/],
    [{ training: { weightDecay: 1e-4 } }, /^training\.weightDecay is not available/],
    [{ training: { schedule: { type: 'cosine' } } }, /^training\.schedule "cosine" is not available/],
  ];
  for (const [raw, re] of refused) {
    assert.throws(
      () => refuseOnDevice(parseConfig(raw).training),
      (e: Error) => e instanceof LabError && re.test(e.message) && e.field!.startsWith('training.'),
    );
  }
  refuseOnDevice(parseConfig({}).training);
  refuseOnDevice(parseConfig({ training: { weightDecay: 0 } }).training);
});

test('the SIMD Adam update = its float32 definition (adamElement), bit for bit, tail included', () => {
  const len = 10_007;
  const arena = new Arena(Arena.floatsFor(Array<number>(4).fill(len)), false);
  const kernel = new SgdKernel(arena);
  const [p, m, v, g] = [arena.alloc(len), arena.alloc(len), arena.alloc(len), arena.alloc(len)];
  const [rp, rm, rv] = [new Float32Array(len), new Float32Array(len), new Float32Array(len)];
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < len; i++) rp[i] = p[i] = rand() * 0.3;
  const f = Math.fround;
  for (const [step, decoupled] of [
    [1, false],
    [2, true],
    [3, false],
  ] as const) {
    for (let i = 0; i < len; i++) g[i] = rand() * 10 ** Math.floor(rand() * 8 - 6);
    const c: AdamScalars = {
      b1: f(0.9),
      a1: f(1 - 0.9),
      b2: f(0.999),
      a2: f(1 - 0.999),
      negStepSize: f(-(0.001 / (1 - 0.9 ** step))),
      bc2Sqrt: f(Math.sqrt(1 - 0.999 ** step)),
      eps: f(1e-8),
      decay: decoupled ? f(1 - 0.001 * 0.01) : 1,
      wd: decoupled ? 0 : f(0.05),
    };
    assert.ok(kernel.adam(p, m, v, g, c));
    for (let i = 0; i < len; i++) adamElement(rp, rm, rv, g, i, c);
    for (let i = 0; i < len; i++) {
      if (!Object.is(p[i], rp[i]) || !Object.is(m[i], rm[i]) || !Object.is(v[i], rv[i])) {
        assert.fail(`step ${step}: element ${i}: p ${p[i]} vs ${rp[i]}, m ${m[i]} vs ${rm[i]}, v ${v[i]} vs ${rv[i]}`);
      }
    }
  }
  // Arrays outside the module's memory are refused (the caller then runs adamElement itself).
  assert.equal(kernel.adam(new Float32Array(8), m.subarray(0, 8), v.subarray(0, 8), g.subarray(0, 8), { ...ZERO_SCALARS }), false);
});

const ZERO_SCALARS: AdamScalars = { b1: 0, a1: 0, b2: 0, a2: 0, negStepSize: 0, bc2Sqrt: 1, eps: 0, decay: 1, wd: 0 };

test('metrics.jsonl: the learning rate is read back when recorded, older lines without it still read, a bad one is named', () => {
  const line = (extra: object) =>
    JSON.stringify({
      type: 'progress',
      epoch: 1,
      batch: 0,
      step: 1,
      totalSteps: 10,
      samples: 64,
      trainSize: 640,
      percent: 10,
      loss: 2.3,
      trainAccuracy: 0.1,
      valAccuracy: 0.1,
      record: [90, 90],
      seconds: 1,
      ...extra,
    });
  const read = parseMetrics(`${line({})}\n${line({ lr: 0.0025 })}\n`, 'metrics.jsonl');
  assert.equal(read[0]!.lr, undefined);
  assert.equal(read[1]!.lr, 0.0025);
  assert.throws(
    () => parseMetrics(`${line({ lr: 'fast' })}\n`, 'metrics.jsonl'),
    /metrics\.jsonl: line 1: lr must be a finite number ≥ 0, got string/,
  );
  assert.throws(() => parseMetrics(`${line({ lr: -1 })}\n`, 'metrics.jsonl'), /line 1: lr/);
  // The seed-style line shows the rate only for a run with a schedule.
  assert.doesNotMatch(formatProgressLine(read[1]!, 1), /LR/);
  assert.match(formatProgressLine(read[1]!, 1, true), /\tLR: 0\.0025$/);
  assert.doesNotMatch(formatProgressLine(read[0]!, 1, true), /LR/);
  assert.equal(formatLr(3.2e-7), '3.2e-7');
  assert.equal(formatLr(0.001), '0.001');
});

test('the optimizer in a few words, for the CLI; nothing for the seed', () => {
  assert.equal(describeOptimizer(parseConfig({}).training), null);
  assert.equal(
    describeOptimizer(parseConfig({ training: { optimizer: 'adamw', schedule: { type: 'cosine' } } }).training),
    'AdamW (lr 0.001, betas 0.9/0.999, eps 1e-8, weight decay 0.01), cosine schedule (to 0 over 20 epochs)',
  );
  assert.equal(
    describeOptimizer(parseConfig({ training: { nesterov: true, weightDecay: 5e-4 } }).training),
    'SGD (lr 0.001, momentum 0.9, Nesterov, weight decay 0.0005)',
  );
});
