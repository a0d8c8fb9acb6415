// Hostile messages (issue #13, class 8): a webview page and a worker process are other parties;
// their messages are checked on own keys only, never throw, and only valid ones pass. The
// property tests compare each validator with an independent statement of the protocol (an
// oracle written here) on random values, on objects built from hostile keys, and on mutations of
// every valid message; the panel's persisted state is checked the same way.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SEED_CONFIG } from '../../src/core/config';
import {
  MAX_WORKERS,
  WEBVIEW_COMMANDS,
  validateFromWebview,
  validateFromWorker,
  validatePersistedPanelState,
  validateToWorker,
} from '../../src/core/protocol';
import { checkPersistedRunDir, openedRunsFrom, rememberOpenedRun } from '../../src/extension/panelState';
import { tempDir } from '../helpers/tmp';
import { HOSTILE_KEYS, anyValue, checkProperty, withOwn, without } from './props';

// ---------------------------------------------------------------------------------------------
// The protocol, stated independently of src/core/protocol.ts

type Rule = (v: unknown) => boolean;
const int =
  (lo: number, hi: number): Rule =>
  (v) =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const grey: Rule = (v) => typeof v === 'number' && v >= 0 && v <= 1;
const oneOf =
  (...xs: unknown[]): Rule =>
  (v) =>
    xs.includes(v);
const classOrNull: Rule = (v) => v === null || int(0, 255)(v);
const pixels: Rule = (v) =>
  Array.isArray(v) &&
  v.length >= 1 &&
  v.length <= 16384 &&
  Array.from({ length: v.length }, (_, i) => i).every((i) => Object.hasOwn(v, i) && grey(v[i]));

const WEBVIEW_FIELDS: Record<string, Record<string, Rule>> = {
  ready: {},
  sample: { index: int(0, 1_000_000) },
  trainingImage: { index: int(0, 1_000_000) },
  robustness: { index: int(0, 1_000_000), dx: int(-64, 64), dy: int(-64, 64) },
  modelInfo: {},
  confusion: { split: oneOf('test', 'validation') },
  examples: {
    split: oneOf('test', 'validation'),
    trueLabel: classOrNull,
    predicted: classOrNull,
    onlyWrong: (v) => typeof v === 'boolean',
    limit: int(1, 500),
  },
  sweep: { range: int(0, 14) },
  cancelSweep: {},
  projection: { method: oneOf('pca', 'umap'), count: int(2, 10_000), seed: int(0, 0x7fffffff) },
  cancelProjection: {},
  predictImage: { pixels },
  occlusion: { index: int(0, 1_000_000), patch: int(1, 28), stride: int(1, 28), fill: grey },
  explain: {
    index: (v) => v === null || int(0, 1_000_000)(v),
    pixels: (v) => v === null || pixels(v),
    method: oneOf('gradient', 'gradientTimesInput', 'smoothGrad', 'gradCam'),
    score: oneOf('logit', 'logProbability'),
    classIndex: classOrNull,
    samples: int(1, 256),
    sigma: (v) => typeof v === 'number' && v >= 0 && v <= 1,
    seed: int(0, 0xffffffff),
  },
  command: { command: oneOf(...WEBVIEW_COMMANDS) },
};

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null);

/** The message is exactly `fields` (plus `fixed`), each own and valid. */
function exactly(m: Record<string, unknown>, fixed: Record<string, Rule>, fields: Record<string, Rule>, optional: string[] = []): boolean {
  const all: Record<string, Rule> = { ...fixed, ...fields };
  for (const k of Object.keys(m)) if (!Object.hasOwn(all, k)) return false;
  return Object.entries(all).every(([k, rule]) => (Object.hasOwn(m, k) ? rule(m[k]) : optional.includes(k) || rule(undefined)));
}

function webviewOracle(m: unknown): boolean {
  if (!isPlain(m) || !Object.hasOwn(m, 'type') || typeof m.type !== 'string' || !Object.hasOwn(WEBVIEW_FIELDS, m.type)) return false;
  return exactly(m, { messageId: int(0, Number.MAX_VALUE), type: (v) => v === m.type }, WEBVIEW_FIELDS[m.type]!);
}

const anyInt: Rule = (v) => Number.isInteger(v);
const WORKER_FIELDS: Record<string, Record<string, Rule>> = {
  ready: { pid: anyInt },
  event: { inReplyTo: anyInt, event: (v) => isPlain(v) && Object.hasOwn(v, 'type') && typeof v.type === 'string' },
  step: { inReplyTo: anyInt, step: anyInt, totalSteps: anyInt, epoch: anyInt },
  progress: { inReplyTo: anyInt, done: anyInt, total: anyInt },
  result: { inReplyTo: anyInt, result: () => true },
  error: {
    inReplyTo: anyInt,
    error: (v) =>
      isPlain(v) &&
      exactly(
        v,
        {},
        {
          message: (x) => typeof x === 'string',
          file: (x) => x === undefined || typeof x === 'string',
          field: (x) => x === undefined || typeof x === 'string',
        },
        ['file', 'field'],
      ),
  },
};

function workerOracle(m: unknown): boolean {
  if (!isPlain(m) || !Object.hasOwn(m, 'kind') || typeof m.kind !== 'string' || !Object.hasOwn(WORKER_FIELDS, m.kind)) return false;
  return exactly(m, { messageId: anyInt, kind: (v) => v === m.kind }, WORKER_FIELDS[m.kind]!, ['result']);
}

// ---------------------------------------------------------------------------------------------
// Valid messages of every type

const splitArb = fc.constantFrom('test', 'validation');
const classArb = fc.option(fc.integer({ min: 0, max: 255 }), { nil: null });
const greyArb = fc.double({ min: 0, max: 1, noNaN: true });
const indexArb = fc.integer({ min: 0, max: 1_000_000 });
const shiftArb = fc.integer({ min: -64, max: 64 });
const patchArb = fc.integer({ min: 1, max: 28 });
const projectionArb = fc.constantFrom('pca', 'umap');
const countArb = fc.integer({ min: 2, max: 10_000 });
const seedArb = fc.integer({ min: 0, max: 0x7fffffff });
const explainFields = {
  index: fc.option(indexArb, { nil: null }),
  pixels: fc.option(fc.array(greyArb, { minLength: 1, maxLength: 64 }), { nil: null }),
  method: fc.constantFrom('gradient', 'gradientTimesInput', 'smoothGrad', 'gradCam'),
  score: fc.constantFrom('logit', 'logProbability'),
  classIndex: classArb,
  samples: fc.integer({ min: 1, max: 256 }),
  sigma: fc.double({ min: 0, max: 1, noNaN: true }),
  seed: fc.integer({ min: 0, max: 0xffffffff }),
};
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true });

const webviewRequests: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  rec({ type: fc.constant('ready') }),
  rec({ type: fc.constant('sample'), index: indexArb }),
  rec({ type: fc.constant('trainingImage'), index: indexArb }),
  rec({ type: fc.constant('robustness'), index: indexArb, dx: shiftArb, dy: shiftArb }),
  rec({ type: fc.constant('modelInfo') }),
  rec({ type: fc.constant('confusion'), split: splitArb }),
  rec({
    type: fc.constant('examples'),
    split: splitArb,
    trueLabel: classArb,
    predicted: classArb,
    onlyWrong: fc.boolean(),
    limit: fc.integer({ min: 1, max: 500 }),
  }),
  rec({ type: fc.constant('sweep'), range: fc.integer({ min: 0, max: 14 }) }),
  rec({ type: fc.constant('cancelSweep') }),
  rec({ type: fc.constant('projection'), method: projectionArb, count: countArb, seed: seedArb }),
  rec({ type: fc.constant('cancelProjection') }),
  rec({ type: fc.constant('predictImage'), pixels: fc.array(greyArb, { minLength: 1, maxLength: 64 }) }),
  rec({ type: fc.constant('occlusion'), index: indexArb, patch: patchArb, stride: patchArb, fill: greyArb }),
  rec({ type: fc.constant('explain'), ...explainFields }),
  rec({ type: fc.constant('command'), command: fc.constantFrom(...WEBVIEW_COMMANDS) }),
);
const validWebview = fc.tuple(fc.nat(), webviewRequests).map(([messageId, r]) => ({ messageId, ...r }));

const validFromWorker: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  rec({ kind: fc.constant('ready'), messageId: fc.nat(), pid: fc.nat() }),
  rec({
    kind: fc.constant('event'),
    messageId: fc.nat(),
    inReplyTo: fc.nat(),
    event: rec({ type: fc.constantFrom('start', 'progress', 'epoch', 'summary') }),
  }),
  rec({ kind: fc.constant('step'), messageId: fc.nat(), inReplyTo: fc.nat(), step: fc.nat(), totalSteps: fc.nat(), epoch: fc.nat() }),
  rec({ kind: fc.constant('progress'), messageId: fc.nat(), inReplyTo: fc.nat(), done: fc.nat(), total: fc.nat() }),
  rec({ kind: fc.constant('result'), messageId: fc.nat(), inReplyTo: fc.nat(), result: fc.jsonValue({ maxDepth: 2 }) }),
  rec({
    kind: fc.constant('error'),
    messageId: fc.nat(),
    inReplyTo: fc.integer({ min: -1, max: 1000 }),
    error: rec({ message: fc.string({ maxLength: 20 }) }),
  }),
);

const targetArb = rec({
  model: fc.option(fc.constantFrom('/runs/a', '/w/model.json', '/w/m.safetensors'), { nil: null }),
  dataDir: fc.option(fc.constantFrom('/data/fashion', '/d'), { nil: null }),
  numClasses: fc.constant(10),
});
const validRequests: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  rec({
    type: fc.constant('train'),
    config: fc.constant(SEED_CONFIG),
    outDir: fc.constant('/tmp/runs'),
    backend: fc.constantFrom('auto', 'cpu', 'wasm'),
    maxSteps: fc.integer({ min: 1, max: 1000 }),
    workers: fc.integer({ min: 0, max: MAX_WORKERS }),
  }),
  rec({ type: fc.constant('stop') }),
  rec({ type: fc.constant('cancelSweep') }),
  rec({ type: fc.constant('cancelProjection') }),
  rec({ type: fc.constant('projection'), target: targetArb, method: projectionArb, count: countArb, seed: seedArb }),
  rec({ type: fc.constant('confusion'), target: targetArb, split: splitArb }),
  rec({
    type: fc.constant('examples'),
    target: targetArb,
    split: splitArb,
    trueLabel: classArb,
    predicted: classArb,
    onlyWrong: fc.boolean(),
    limit: fc.integer({ min: 1, max: 500 }),
  }),
  rec({ type: fc.constant('sweep'), target: targetArb, range: fc.integer({ min: 0, max: 14 }) }),
  rec({ type: fc.constant('modelInfo'), target: targetArb }),
  rec({ type: fc.constant('evaluate'), target: targetArb }),
  rec({ type: fc.constant('sample'), target: targetArb, index: indexArb }),
  rec({ type: fc.constant('trainingImage'), target: targetArb, index: indexArb }),
  rec({ type: fc.constant('robustness'), target: targetArb, index: indexArb, dx: shiftArb, dy: shiftArb }),
  rec({ type: fc.constant('predictImage'), target: targetArb, pixels: fc.array(greyArb, { minLength: 1, maxLength: 64 }) }),
  rec({ type: fc.constant('occlusion'), target: targetArb, index: indexArb, patch: patchArb, stride: patchArb, fill: greyArb }),
  rec({ type: fc.constant('explain'), target: targetArb, ...explainFields }),
  rec({ type: fc.constant('kernels'), runDir: fc.constant('/runs/a') }),
);
const validToWorker = fc.tuple(fc.nat(), validRequests).map(([messageId, request]) => ({ messageId, request }));

// ---------------------------------------------------------------------------------------------
// Mutations

const INHERITED_TYPES = [
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];
const keyArb = fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 10 }));

/** One change to a message: a field set (own, `__proto__` included) to any value, or removed. */
function mutate(valid: fc.Arbitrary<Record<string, unknown>>, fieldsOf: (m: Record<string, unknown>) => string[]) {
  return fc.tuple(valid, fc.nat(), keyArb, fc.constantFrom('replace', 'add', 'delete'), anyValue).map(([m, i, key, op, value]) => {
    const fields = fieldsOf(m);
    const field = fields.length ? fields[i % fields.length]! : key;
    if (op === 'replace') return withOwn(m, field, value);
    if (op === 'add') return withOwn(m, key, value);
    return without(m, field);
  });
}

/** Never throws and agrees with the oracle. */
function agrees(validate: (m: unknown) => { ok: boolean; error?: string }, oracle: (m: unknown) => boolean) {
  return (m: unknown) => {
    const v = validate(m);
    const expected = oracle(m);
    assert.equal(v.ok, expected, `${expected ? 'refused a valid' : 'accepted an invalid'} message${v.ok ? '' : ` (${v.error})`}`);
    if (!v.ok) assert.ok(typeof v.error === 'string' && v.error.length < 1000, 'a bounded error message');
  };
}

/** Never throws; `bad` messages are refused with a bounded message. */
function refuses(validate: (m: unknown) => { ok: boolean; error?: string }) {
  return (m: unknown) => {
    const v = validate(m);
    assert.equal(v.ok, false, 'accepted');
    assert.ok(typeof v.error === 'string' && v.error.length < 1000);
  };
}

function neverThrows(validate: (m: unknown) => { ok: boolean; error?: string }) {
  return (m: unknown) => {
    const v = validate(m);
    assert.equal(typeof v.ok, 'boolean');
    if (!v.ok) assert.ok(typeof v.error === 'string' && v.error.length < 1000);
  };
}

const hostileObject = fc.dictionary(
  fc.oneof(
    fc.constantFrom('type', 'kind', 'messageId', 'inReplyTo', 'request', 'index', 'command', 'target', 'error', 'event'),
    fc.constantFrom(...HOSTILE_KEYS),
  ),
  fc.oneof(anyValue, fc.constantFrom(...INHERITED_TYPES), fc.nat()),
  { maxKeys: 6 },
);

describe('messages from a webview: own keys only, never a throw', () => {
  test('known attacks are refused with a message', () => {
    const cases: [unknown, RegExp][] = [
      [{ messageId: 1, type: 'constructor' }, /unknown message type "constructor"/],
      [{ messageId: 1, type: 'toString' }, /unknown message type "toString"/],
      [{ messageId: 1, type: '__proto__' }, /unknown message type "__proto__"/],
      [{ messageId: 1, type: 'hasOwnProperty' }, /unknown message type/],
      [JSON.parse('{"messageId": 1, "type": "ready", "__proto__": {"type": "sample"}}'), /ready: unexpected field "__proto__"/],
      [JSON.parse('{"messageId": 1, "__proto__": {"type": "ready"}}'), /unknown message type undefined/],
      [Object.create({ messageId: 1, type: 'ready' }), /message must be an object/],
      [{ messageId: 1, type: 'sample', index: 10n }, /index must be a whole number, got 10n/],
      [{ messageId: 1, type: 'sample', index: { toString: 1 } }, /index must be a whole number, got \{"toString":1\}/],
      [{ messageId: 1, type: 'command', command: 'x'.repeat(1 << 20) }, /command must be one of .*got "x{70,80}…/],
      [{ messageId: 1n, type: 'ready' }, /messageId/],
      // eslint-disable-next-line no-sparse-arrays -- a hole is the hostile input
      [{ messageId: 1, type: 'predictImage', pixels: [0.5, , 0.5] }, /pixels\[1\] is missing/],
      [
        new Map<string, unknown>([
          ['messageId', 1],
          ['type', 'ready'],
        ]),
        /message must be an object/,
      ],
    ];
    for (const [m, re] of cases) {
      const v = validateFromWebview(m);
      assert.equal(v.ok, false, String(re));
      if (!v.ok) assert.match(v.error, re);
    }
    const cyclic: Record<string, unknown> = { messageId: 1, type: 'sample' };
    cyclic.index = cyclic;
    const v = validateFromWebview(cyclic);
    assert.ok(!v.ok && /index must be a whole number, got (an )?object/.test(v.error), v.ok ? '' : v.error);
  });

  test('property: every valid message of every type is accepted as it is', () => {
    checkProperty(
      'valid webview messages',
      fc.property(validWebview, (m) => {
        const v = validateFromWebview(m);
        assert.ok(v.ok, v.ok ? '' : v.error);
        assert.equal(v.value, m);
      }),
      2000,
    );
  });

  test('property: the validator agrees with the protocol on random values, hostile objects and mutations of valid messages', () => {
    checkProperty('webview: anything', fc.property(anyValue, agrees(validateFromWebview, webviewOracle)), 2000);
    checkProperty('webview: hostile keys', fc.property(hostileObject, agrees(validateFromWebview, webviewOracle)), 2000);
    checkProperty(
      'webview: mutations',
      fc.property(
        mutate(validWebview, (m) => Object.keys(m)),
        agrees(validateFromWebview, webviewOracle),
      ),
      5000,
    );
    checkProperty(
      'webview: inherited type names',
      fc.property(validWebview, fc.constantFrom(...INHERITED_TYPES), (m, type) => refuses(validateFromWebview)({ ...m, type })),
      500,
    );
  });
});

describe('messages between host and worker: own keys only, never a throw', () => {
  test('known attacks are refused', () => {
    const target = { model: '/runs/a', dataDir: null, numClasses: 10 };
    for (const m of [
      { messageId: 1, request: { type: 'constructor' } },
      { messageId: 1, request: { type: 'toString' } },
      { messageId: 1, request: { type: 10n } },
      { messageId: 1, request: { type: { toString: 1 } } },
      { messageId: 1, request: JSON.parse('{"__proto__": {"type": "stop"}}') as unknown },
      { messageId: 1, request: { type: 'stop' }, extra: 1 },
      { messageId: 1, request: { type: 'stop', constructor: 1 } },
      { messageId: 1, request: { type: 'train', config: SEED_CONFIG, outDir: '/r', backend: 'auto', workers: MAX_WORKERS + 1 } },
      { messageId: 1, request: { type: 'train', config: SEED_CONFIG, outDir: '/r', backend: 'auto', workers: 100_000 } },
      { messageId: 1, request: { type: 'train', config: SEED_CONFIG, outDir: 'x'.repeat(5000), backend: 'auto' } },
      { messageId: 1, request: { type: 'sample', target: { ...target, numClasses: 100_000 }, index: 1 } },
      { messageId: 1, request: { type: 'sample', target: { ...target, classNames: ['x'.repeat(101), 'b'], numClasses: 2 }, index: 1 } },
      { messageId: 1, request: { type: 'sample', target: withOwn(target, '__proto__', { model: null }), index: 1 } },
      { messageId: 1, request: { type: 'kernels', runDir: 'a\0b' } },
    ]) {
      const v = validateToWorker(m);
      assert.equal(
        v.ok,
        false,
        JSON.stringify(m, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)),
      );
    }
    for (const m of [
      { kind: 'constructor', messageId: 1 },
      { kind: 'toString', messageId: 1 },
      JSON.parse('{"kind": "ready", "messageId": 1, "pid": 2, "__proto__": {}}') as unknown,
      { kind: 'event', messageId: 1, inReplyTo: 1, event: Object.create({ type: 'progress' }) as object },
      { kind: 'error', messageId: 1, inReplyTo: 1, error: { message: 'x', stack: 'y' } },
      { kind: 'error', messageId: 1, inReplyTo: 1, error: { message: 'x', file: 5 } },
    ]) {
      assert.equal(validateFromWorker(m).ok, false, JSON.stringify(m));
    }
  });

  test('property: every valid request and worker message is accepted', () => {
    checkProperty(
      'valid requests',
      fc.property(validToWorker, (m) => assert.ok(validateToWorker(m).ok, JSON.stringify(m).slice(0, 300))),
      2000,
    );
    checkProperty(
      'valid worker messages',
      fc.property(validFromWorker, (m) => {
        const v = validateFromWorker(m);
        assert.ok(v.ok, v.ok ? '' : v.error);
      }),
      2000,
    );
  });

  test('property: the worker-message validator agrees with the protocol on random values, hostile objects and mutations', () => {
    checkProperty('from worker: anything', fc.property(anyValue, agrees(validateFromWorker, workerOracle)), 2000);
    checkProperty('from worker: hostile keys', fc.property(hostileObject, agrees(validateFromWorker, workerOracle)), 2000);
    checkProperty(
      'from worker: mutations',
      fc.property(
        mutate(validFromWorker, (m) => Object.keys(m)),
        agrees(validateFromWorker, workerOracle),
      ),
      5000,
    );
    checkProperty(
      'from worker: inherited kinds',
      fc.property(validFromWorker, fc.constantFrom(...INHERITED_TYPES), (m, kind) => refuses(validateFromWorker)({ ...m, kind })),
      500,
    );
  });

  test('property: requests to the worker never throw; inherited types, unknown fields and broken targets are refused', () => {
    checkProperty('to worker: anything', fc.property(anyValue, neverThrows(validateToWorker)), 2000);
    checkProperty('to worker: hostile envelopes', fc.property(hostileObject, neverThrows(validateToWorker)), 2000);
    checkProperty(
      'to worker: hostile requests',
      fc.property(fc.nat(), hostileObject, (messageId, request) => neverThrows(validateToWorker)({ messageId, request })),
      2000,
    );
    checkProperty(
      'to worker: mutated requests',
      fc.property(
        fc.nat(),
        mutate(validRequests, (r) => Object.keys(r)),
        (messageId, request) => neverThrows(validateToWorker)({ messageId, request }),
      ),
      5000,
    );
    checkProperty(
      'to worker: inherited types',
      fc.property(validToWorker, fc.constantFrom(...INHERITED_TYPES), (m, type) =>
        refuses(validateToWorker)({ ...m, request: { ...m.request, type } }),
      ),
      500,
    );
    checkProperty(
      'to worker: an unknown field',
      fc.property(validToWorker, fc.constantFrom(...HOSTILE_KEYS, 'extra', 'messageId'), anyValue, (m, key, value) =>
        refuses(validateToWorker)({ ...m, request: withOwn(m.request, key, value) }),
      ),
      1000,
    );
    checkProperty(
      'to worker: a target field removed or broken',
      fc.property(
        validToWorker.filter((m) => Object.hasOwn(m.request, 'target')),
        fc.constantFrom('model', 'dataDir', 'numClasses'),
        fc.constantFrom(undefined, 1, true, {}, [], 'x'.repeat(5000), 'a\0b', 10n, Number.NaN),
        (m, key, value) => {
          const target = (m.request as { target: Record<string, unknown> }).target;
          const broken = value === undefined ? without(target, key) : withOwn(target, key, value);
          refuses(validateToWorker)({ ...m, request: { ...m.request, target: broken } });
        },
      ),
      1000,
    );
  });
});

describe("the lab panel's persisted state (handed back by the serializer)", () => {
  test('the shape: own keys, bounded, never a throw', () => {
    assert.deepEqual(validatePersistedPanelState({ runDir: '/r', index: 4, dx: -3, dy: 0 }), {
      ok: true,
      value: { runDir: '/r', index: 4, dx: -3, dy: 0 },
    });
    assert.ok(validatePersistedPanelState({}).ok);
    for (const s of [
      null,
      'x',
      [],
      { runDir: 5 },
      { runDir: 'x'.repeat(5000) },
      { runDir: 'a\0b' },
      { runDir: '/r', index: -1 },
      { runDir: '/r', extra: 1 },
      JSON.parse('{"__proto__": {"runDir": "/etc"}}') as unknown,
      Object.create({ runDir: '/etc' }) as object,
    ]) {
      assert.equal(validatePersistedPanelState(s).ok, false, JSON.stringify(s));
    }
    checkProperty(
      'persisted state: anything',
      fc.property(fc.oneof(anyValue, hostileObject), neverThrows(validatePersistedPanelState)),
      2000,
    );
  });

  test('a saved runDir is opened only inside the runs folder or when opened before; anything else opens the panel empty', async () => {
    const root = tempDir();
    const runs = join(root, 'runs');
    const run = join(runs, '20260101-000000-seed');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'config.json'), JSON.stringify(SEED_CONFIG));
    const outside = join(root, 'elsewhere');
    mkdirSync(outside);
    writeFileSync(join(outside, 'config.json'), '{}');
    symlinkSync(outside, join(runs, 'link-out'));
    mkdirSync(join(runs, 'not-a-run'));
    const opts = { runsDirs: [runs], opened: [] as string[] };
    assert.deepEqual(await checkPersistedRunDir({ runDir: run, index: 4, dx: 0, dy: 0 }, opts), { runDir: run, problem: null });
    assert.deepEqual(await checkPersistedRunDir(undefined, opts), { runDir: null, problem: null });
    assert.deepEqual(await checkPersistedRunDir({ runDir: null, index: 4, dx: 0, dy: 0 }, opts), { runDir: null, problem: null });
    for (const state of [
      { runDir: '/etc/passwd' },
      { runDir: '/proc/self/environ' },
      { runDir: outside },
      { runDir: join(runs, 'link-out') },
      { runDir: join(runs, '..', 'elsewhere') },
      { runDir: join(runs, 'not-a-run') },
      { runDir: runs },
      { runDir: 'relative/run' },
      { runDir: join(runs, 'missing') },
      { runDir: 42 },
      'not an object',
      JSON.parse('{"__proto__": {"runDir": "/etc"}}') as unknown,
    ]) {
      const r = await checkPersistedRunDir(state, opts);
      assert.equal(r.runDir, null, JSON.stringify(state));
      assert.match(r.problem ?? '', /the panel opens empty/);
    }
    // A run the user opened before (e.g. a weights file elsewhere) may be reopened.
    const opened = rememberOpenedRun(['/x', 42, outside], outside);
    assert.deepEqual(opened, [outside, '/x']);
    assert.deepEqual(await checkPersistedRunDir({ runDir: outside }, { runsDirs: [runs], opened }), { runDir: outside, problem: null });
    assert.deepEqual(openedRunsFrom('nope'), []);
    assert.equal(openedRunsFrom(Array.from({ length: 500 }, (_, i) => `/r${i}`)).length, 50);
  });
});
