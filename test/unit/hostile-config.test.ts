// Hostile configs (issue #13, classes 8 and 9): inherited keys, __proto__, null at every level,
// wrong types, huge and numerous class names, NaN-like strings, deep nesting. Each is refused by
// a LabError that names the field and the rule, and nothing leaks into prototypes. Then property
// tests: random JSON values and mutations of valid configs give a valid config or a LabError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type LabConfig, CONFIG_LIMITS, SEED_CONFIG, parseConfig, parseConfigText } from '../../src/core/config';
import { LabError } from '../../src/core/errors';
import { HOSTILE_KEYS, anyValue, checkProperty, withOwn, without } from './props';

const FILE = '/tmp/hostile.mnist.json';

/** Config text → the LabError message (fails when it parses, or throws anything else). */
function refusal(text: string): string {
  try {
    parseConfigText(text, FILE);
  } catch (e) {
    assert.ok(e instanceof LabError, `not a LabError: ${String(e)}`);
    assert.equal(e.file, FILE);
    return e.message;
  }
  assert.fail(`accepted: ${text.slice(0, 200)}`);
}

const deep = (n: number, leaf = '1') => '['.repeat(n) + leaf + ']'.repeat(n);
const deepObj = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const names = (n: number, len = 3) => JSON.stringify(Array.from({ length: n }, (_, i) => `c${i}`.padEnd(len, 'x')));

/** [what, config text, expected message]. */
const HOSTILE_CONFIGS: [string, string, RegExp][] = [
  // inherited and prototype keys, at the top and in every section
  ['toString at the top', '{"toString": 1}', /toString: unknown field \(allowed: name, model, training, data, grid\)/],
  ['constructor at the top', '{"constructor": {}}', /constructor: unknown field/],
  ['hasOwnProperty at the top', '{"hasOwnProperty": "x"}', /hasOwnProperty: unknown field/],
  ['valueOf at the top', '{"valueOf": null}', /valueOf: unknown field/],
  ['__proto__ at the top', '{"__proto__": {"polluted": true}}', /__proto__: unknown field/],
  ['__proto__ null at the top', '{"__proto__": null}', /__proto__: unknown field/],
  [
    '__proto__ in model',
    '{"model": {"__proto__": {"polluted": true}}}',
    /model\.__proto__: unknown field \(allowed: depth, kernelSize, hidden, dropout\)/,
  ],
  ['constructor in training', '{"training": {"constructor": {"prototype": {"polluted": true}}}}', /training\.constructor: unknown field/],
  ['toString in data', '{"data": {"toString": "x"}}', /data\.toString: unknown field \(allowed: dir, classNames\)/],
  ['hasOwnProperty in model', '{"model": {"hasOwnProperty": 1}}', /model\.hasOwnProperty: unknown field/],
  ['isPrototypeOf in training', '{"training": {"isPrototypeOf": 1}}', /training\.isPrototypeOf: unknown field/],
  // null at every level
  ['null config', 'null', /\(top level\): a config must be a JSON object, got null/],
  ['null name', '{"name": null}', /name: must be string, got null/],
  ['null model', '{"model": null}', /model: must be object, got null/],
  ['null training', '{"training": null}', /training: must be object, got null/],
  ['null data', '{"data": {"classNames": [null, "b"]}}', /data\.classNames\[0\]: must be string, got null/],
  ['null depth', '{"model": {"depth": null}}', /model\.depth: must be array, got null/],
  ['null depth item', '{"model": {"depth": [null, 8]}}', /model\.depth\[0\]: must be integer, got null/],
  ['null kernelSize', '{"model": {"kernelSize": null}}', /model\.kernelSize: must be integer, got null/],
  ['null hidden', '{"model": {"hidden": null}}', /model\.hidden: must be integer, got null/],
  ['null dropout', '{"model": {"dropout": null}}', /model\.dropout: must be number, got null/],
  ['null epochs', '{"training": {"epochs": null}}', /training\.epochs: must be integer, got null/],
  ['null batchSize', '{"training": {"batchSize": null}}', /training\.batchSize: must be integer, got null/],
  ['null learningRate', '{"training": {"learningRate": null}}', /training\.learningRate: must be number, got null/],
  ['null momentum', '{"training": {"momentum": null}}', /training\.momentum: must be number, got null/],
  ['null seed', '{"training": {"seed": null}}', /training\.seed: must be integer, got null/],
  ['null evalEvery', '{"training": {"evalEvery": null}}', /training\.evalEvery: must be integer, got null/],
  ['null $schema', '{"$schema": null}', /\$schema: must be string, got null/],
  // wrong types
  ['array config', '[]', /a config must be a JSON object, got array/],
  ['string config', '"seed"', /a config must be a JSON object, got string/],
  ['number config', '42', /a config must be a JSON object, got integer/],
  ['model as array', '{"model": [4, 8]}', /model: must be object, got array/],
  ['depth as object', '{"model": {"depth": {"0": 4, "1": 8}}}', /model\.depth: must be array, got object/],
  ['depth as string', '{"model": {"depth": "4,8"}}', /model\.depth: must be array, got string/],
  ['name as number', '{"name": 7}', /name: must be string, got integer 7/],
  ['epochs as boolean', '{"training": {"epochs": true}}', /training\.epochs: must be integer, got boolean/],
  ['classNames as string', '{"data": {"classNames": "a,b"}}', /data\.classNames: must be array or null, got string/],
  ['dir as number', '{"data": {"dir": 5}}', /data\.dir: must be string or null, got integer 5/],
  ['class name as object', '{"data": {"classNames": [{}, "b"]}}', /data\.classNames\[0\]: must be string, got object/],
  // NaN-like strings and numbers out of range
  ['epochs "NaN"', '{"training": {"epochs": "NaN"}}', /training\.epochs: must be integer, got string/],
  ['dropout "Infinity"', '{"model": {"dropout": "Infinity"}}', /model\.dropout: must be number, got string/],
  ['learningRate "1e-3"', '{"training": {"learningRate": "1e-3"}}', /training\.learningRate: must be number, got string/],
  ['seed "-0"', '{"training": {"seed": "-0"}}', /training\.seed: must be integer, got string/],
  ['hidden 1e309 (Infinity once parsed)', '{"model": {"hidden": 1e309}}', /model\.hidden: must be integer, got non-finite number Infinity/],
  [
    'learningRate -1e309',
    '{"training": {"learningRate": -1e309}}',
    /training\.learningRate: must be number, got non-finite number -Infinity/,
  ],
  ['epochs 1e21', '{"training": {"epochs": 1e21}}', /training\.epochs: must be ≤ 1000/],
  ['depth 2^53', '{"model": {"depth": [9007199254740993, 8]}}', /model\.depth\[0\]: must be ≤ 256/],
  ['dropout 1', '{"model": {"dropout": 1}}', /model\.dropout: must be < 1, got 1/],
  ['seed -1', '{"training": {"seed": -1}}', /training\.seed: must be ≥ 0, got -1/],
  // huge and numerous strings
  [
    'a class name of 101 characters',
    `{"data": {"classNames": ["${'x'.repeat(101)}", "b"]}}`,
    /data\.classNames\[0\]: must be at most 100 characters, got 101/,
  ],
  [
    'a class name of 1 MB',
    `{"data": {"classNames": ["${'x'.repeat(1 << 20)}", "b"]}}`,
    /data\.classNames\[0\]: must be at most 100 characters, got 1048576/,
  ],
  ['10,000 class names', `{"data": {"classNames": ${names(10_000)}}}`, /data\.classNames: must have at most 256 items, got 10000/],
  ['257 class names', `{"data": {"classNames": ${names(257)}}}`, /data\.classNames: must have at most 256 items, got 257/],
  [
    '256 class names of 101 characters',
    `{"data": {"classNames": ${names(256, 101)}}}`,
    /data\.classNames\[0\]: must be at most 100 characters[\s\S]*… and 236 more problems/,
  ],
  ['one class name', '{"data": {"classNames": ["only"]}}', /data\.classNames: must have at least 2 items, got 1/],
  ['repeated class names', '{"data": {"classNames": ["a", "a"]}}', /data\.classNames: must not repeat a name/],
  ['a name of 101 characters', `{"name": "${'n'.repeat(101)}"}`, /name: must be at most 100 characters, got 101/],
  ['an empty name', '{"name": ""}', /name: must not be empty/],
  ['a NUL in the name', '{"name": "a\\u0000b"}', /name: must not contain a NUL character/],
  ['a data.dir of 5000 characters', `{"data": {"dir": "${'d'.repeat(5000)}"}}`, /data\.dir: must be at most 4096 characters, got 5000/],
  ['a NUL in data.dir', '{"data": {"dir": "a\\u0000b"}}', /data\.dir: must not contain a NUL character/],
  ['a $schema of 5000 characters', `{"$schema": "${'s'.repeat(5000)}"}`, /\$schema: must be at most 4096 characters/],
  ['an unknown key of 10,000 characters', `{"${'k'.repeat(10_000)}": 1}`, /"k{40}…": unknown field/],
  ['an unknown key with a newline', '{"a\\nb": 1}', /"a\\nb": unknown field/],
  // deep nesting
  ['depth nested 10,000 deep', `{"model": {"depth": ${deep(10_000)}}}`, /model\.depth\[0\]: must be integer, got array/],
  ['an unknown field nested 10,000 deep', `{"x": ${deepObj(10_000)}}`, /x: unknown field/],
  ['model nested 1,000 deep', `{"model": ${deepObj(1000)}}`, /model\.a: unknown field/],
  ['a class name nested', `{"data": {"classNames": [${deep(100, '"a"')}, "b"]}}`, /data\.classNames\[0\]: must be string, got array/],
  // many problems: bounded message
  [
    'every field wrong',
    '{"name": 1, "model": {"depth": 1, "kernelSize": "5", "hidden": [], "dropout": {}}, "training": {"epochs": "x", "batchSize": null, "learningRate": false, "momentum": "0.9", "seed": 1.5, "evalEvery": -1}, "data": {"dir": 1, "classNames": 2}, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9}',
    /… and \d+ more problems/,
  ],
];

test(`${HOSTILE_CONFIGS.length} hostile configs: each refused by a LabError naming the file, the field and the rule`, () => {
  for (const [what, text, expected] of HOSTILE_CONFIGS) {
    const message = refusal(text);
    assert.match(message, expected, what);
    assert.ok(message.startsWith(`${FILE}: `), `${what}: the message names the file: ${message.slice(0, 200)}`);
    assert.ok(message.length < 8000, `${what}: a bounded message (${message.length} characters)`);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

test('inherited keys: a config check reads own keys only (the objects, not only JSON text)', () => {
  // Fields inherited from a polluted Object.prototype are not the config's.
  const polluted = ['name', 'model', 'depth', 'epochs', 'classNames'] as const;
  const values: Record<(typeof polluted)[number], unknown> = {
    name: 'from the prototype',
    model: { depth: [9, 9] },
    depth: [7, 7],
    epochs: 999,
    classNames: ['x', 'y'],
  };
  try {
    for (const k of polluted) Object.defineProperty(Object.prototype, k, { value: values[k], configurable: true, writable: true });
    const c = parseConfig({ model: {}, training: {}, data: {} });
    assert.equal(c.name, SEED_CONFIG.name);
    assert.equal(c.training.epochs, SEED_CONFIG.training.epochs);
    assert.equal(c.data.classNames, null);
    assert.equal(Object.prototype.hasOwnProperty.call(c.model, 'depth') && c.model.depth[0], 4);
  } finally {
    for (const k of polluted) delete (Object.prototype as Record<string, unknown>)[k];
  }
  // An object with another prototype is not a JSON object.
  assert.throws(() => parseConfig(Object.create({ name: 'x' }) as object, FILE), /a config must be a JSON object, got non-JSON object/);
  // A null-prototype object (what some parsers make) is a plain object.
  const bare = Object.assign(Object.create(null) as object, { name: 'bare' });
  assert.equal(parseConfig(bare).name, 'bare');
  // A Map, a Date, a class instance are not JSON objects.
  for (const v of [new Map([['name', 'x']]), new Date(0), new (class Cfg {})()]) {
    assert.throws(
      () => parseConfig(v, FILE),
      (e: unknown) => e instanceof LabError && /got non-JSON object/.test(e.message),
    );
  }
  assert.throws(() => parseConfig({ model: { dropout: Number.NaN } }, FILE), /model\.dropout: must be number, got non-finite number NaN/);
  assert.throws(() => parseConfig({ training: { seed: 10n } }, FILE), /training\.seed: must be integer, got bigint/);
  assert.throws(() => parseConfig({ name: Symbol('x') }, FILE), /name: must be string, got symbol/);
  // eslint-disable-next-line no-sparse-arrays -- a hole is the hostile input
  assert.throws(() => parseConfig({ model: { depth: [4, , 8].slice(0, 2) } }, FILE), /model\.depth\[1\]: must be integer, got undefined/);
});

test('a parsed config is a fresh object: no __proto__, no shared arrays, no pollution', () => {
  const raw = JSON.parse('{"name": "fresh", "model": {"depth": [6, 12]}, "data": {"classNames": ["a", "b"]}}') as Record<
    string,
    Record<string, unknown>
  >;
  const c = parseConfig(raw);
  assert.notEqual(c.model.depth, raw.model!.depth, 'depth copied');
  assert.notEqual(c.data.classNames, raw.data!.classNames, 'classNames copied');
  (raw.model!.depth as number[])[0] = 999;
  assert.equal(c.model.depth[0], 6);
  for (const o of [c, c.model, c.training, c.data]) assert.equal(Object.getPrototypeOf(o), Object.prototype);
  // Merging a parsed config the way the CLI does (spread) cannot reach a prototype either.
  const merged = { ...c, training: { ...c.training, ...(JSON.parse('{"__proto__": {"polluted": 1}, "epochs": 2}') as object) } };
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.throws(() => parseConfig(merged, FILE), /training\.__proto__: unknown field/);
});

// ---------------------------------------------------------------------------------------------
// Property tests

/** An independent statement of what a valid config is (not the schema code under test). */
function isValidConfig(c: unknown): c is LabConfig {
  const plain = (o: unknown): o is Record<string, unknown> =>
    typeof o === 'object' && o !== null && Object.getPrototypeOf(o) === Object.prototype;
  const keys = (o: Record<string, unknown>, ks: string[]) => Object.keys(o).sort().join() === [...ks].sort().join();
  const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  const num = (v: unknown, ok: (x: number) => boolean) => typeof v === 'number' && Number.isFinite(v) && ok(v);
  if (!plain(c) || !keys(c, ['name', 'model', 'training', 'data'])) return false;
  const { name, model: m, training: t, data: d } = c;
  if (typeof name !== 'string' || name.length < 1 || name.length > 100 || name.includes('\0')) return false;
  if (!plain(m) || !keys(m, ['depth', 'kernelSize', 'hidden', 'dropout'])) return false;
  if (!Array.isArray(m.depth) || m.depth.length !== 2 || !m.depth.every((x) => int(x, 1, 256))) return false;
  if (!int(m.kernelSize, 1, 13) || (m.kernelSize as number) % 2 === 0 || !int(m.hidden, 1, 8192) || !num(m.dropout, (x) => x >= 0 && x < 1))
    return false;
  const trainingKeys = ['epochs', 'batchSize', 'learningRate', 'momentum', 'seed', 'evalEvery'];
  const optimizerKeys = ['optimizer', 'nesterov', 'weightDecay', 'betas', 'eps', 'schedule'];
  if (!plain(t) || !keys(t, [...trainingKeys, ...optimizerKeys])) return false;
  if (!['sgd', 'adam', 'adamw'].includes(t.optimizer as string) || typeof t.nesterov !== 'boolean') return false;
  if (t.nesterov && (t.optimizer !== 'sgd' || t.momentum === 0)) return false;
  if (t.weightDecay !== null && !num(t.weightDecay, (x) => x >= 0 && x <= 10)) return false;
  if (!Array.isArray(t.betas) || t.betas.length !== 2 || !t.betas.every((b) => num(b, (x) => x >= 0 && x < 1))) return false;
  if (!num(t.eps, (x) => x >= 0 && x <= 1)) return false;
  const s = t.schedule;
  const scheduleKeys = [
    'type',
    'stepSize',
    'gamma',
    'tMax',
    'etaMin',
    'maxLr',
    'pctStart',
    'annealStrategy',
    'divFactor',
    'finalDivFactor',
  ];
  if (!plain(s) || !keys(s, [...scheduleKeys, 'cycleMomentum', 'baseMomentum', 'maxMomentum'])) return false;
  if (!['none', 'step', 'cosine', 'one-cycle'].includes(s.type as string) || !['cos', 'linear'].includes(s.annealStrategy as string))
    return false;
  if (s.type === 'step' && s.stepSize === null) return false;
  if ((s.stepSize !== null && !int(s.stepSize, 1, 1000)) || (s.tMax !== null && !int(s.tMax, 1, 1000))) return false;
  if (s.maxLr !== null && !num(s.maxLr, (x) => x > 0 && x <= 10)) return false;
  if (!num(s.gamma, (x) => x > 0 && x <= 1) || !num(s.etaMin, (x) => x >= 0 && x <= 10) || !num(s.pctStart, (x) => x >= 0 && x <= 1))
    return false;
  if (!num(s.divFactor, (x) => x > 0 && x <= 1e9) || !num(s.finalDivFactor, (x) => x > 0 && x <= 1e12)) return false;
  if (typeof s.cycleMomentum !== 'boolean' || !num(s.baseMomentum, (x) => x >= 0 && x < 1) || !num(s.maxMomentum, (x) => x >= 0 && x < 1))
    return false;
  if (
    !int(t.epochs, 1, 1000) ||
    !int(t.batchSize, 1, 4096) ||
    !num(t.learningRate, (x) => x > 0 && x <= 10) ||
    !num(t.momentum, (x) => x >= 0 && x < 1)
  )
    return false;
  if (!int(t.seed, 0, 2147483647) || !int(t.evalEvery, 1, 100000)) return false;
  if (!plain(d) || !keys(d, ['dir', 'classNames'])) return false;
  if (d.dir !== null && (typeof d.dir !== 'string' || d.dir.length > 4096 || d.dir.includes('\0'))) return false;
  if (d.classNames !== null) {
    const n = d.classNames;
    if (!Array.isArray(n) || n.length < 2 || n.length > CONFIG_LIMITS.classes) return false;
    if (!n.every((x) => typeof x === 'string' && x.length <= CONFIG_LIMITS.nameLength && !x.includes('\0')) || new Set(n).size !== n.length)
      return false;
  }
  return true;
}

/** parseConfig's contract on any input: a valid config or a LabError, nothing else. */
function validOrLabError(raw: unknown): boolean {
  let c: LabConfig;
  try {
    c = parseConfig(raw, FILE);
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    assert.ok(e.message.startsWith(`${FILE}: `) && e.message.length < 8000, e.message.slice(0, 300));
    return true;
  }
  assert.ok(isValidConfig(c), `parseConfig accepted an invalid config: ${JSON.stringify(c).slice(0, 300)}`);
  return true;
}

const validConfig: fc.Arbitrary<LabConfig> = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 100 }).filter((s) => !s.includes('\0')),
    model: fc.record(
      {
        depth: fc.tuple(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 256 })),
        kernelSize: fc.constantFrom(1, 3, 5, 7, 9, 11, 13),
        hidden: fc.integer({ min: 1, max: 8192 }),
        dropout: fc.double({ min: 0, max: 0.999, noNaN: true }),
      },
      { noNullPrototype: true },
    ),
    training: fc
      .record(
        {
          epochs: fc.integer({ min: 1, max: 1000 }),
          batchSize: fc.integer({ min: 1, max: 4096 }),
          learningRate: fc.double({ min: 1e-9, max: 10, noNaN: true }),
          momentum: fc.double({ min: 0, max: 0.999, noNaN: true }),
          seed: fc.integer({ min: 0, max: 2147483647 }),
          evalEvery: fc.integer({ min: 1, max: 100000 }),
          optimizer: fc.constantFrom('sgd' as const, 'adam' as const, 'adamw' as const),
          nesterov: fc.boolean(),
          weightDecay: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: null }),
          betas: fc.tuple(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true })),
          eps: fc.double({ min: 0, max: 1, noNaN: true }),
          schedule: fc.record(
            {
              type: fc.constantFrom('none' as const, 'step' as const, 'cosine' as const, 'one-cycle' as const),
              stepSize: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
              gamma: fc.double({ min: 1e-6, max: 1, noNaN: true }),
              tMax: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
              etaMin: fc.double({ min: 0, max: 10, noNaN: true }),
              maxLr: fc.option(fc.double({ min: 1e-9, max: 10, noNaN: true }), { nil: null }),
              pctStart: fc.double({ min: 0, max: 1, noNaN: true }),
              annealStrategy: fc.constantFrom('cos' as const, 'linear' as const),
              divFactor: fc.double({ min: 1e-3, max: 1e9, noNaN: true }),
              finalDivFactor: fc.double({ min: 1e-3, max: 1e12, noNaN: true }),
              cycleMomentum: fc.boolean(),
              baseMomentum: fc.double({ min: 0, max: 0.999, noNaN: true }),
              maxMomentum: fc.double({ min: 0, max: 0.999, noNaN: true }),
            },
            { noNullPrototype: true },
          ),
        },
        { noNullPrototype: true },
      )
      // The rules between fields: Nesterov is SGD's and needs momentum; the step schedule needs its step size.
      .map((t) => ({
        ...t,
        nesterov: t.nesterov && t.optimizer === 'sgd' && t.momentum > 0,
        schedule: { ...t.schedule, stepSize: t.schedule.type === 'step' ? (t.schedule.stepSize ?? 3) : t.schedule.stepSize },
      })),
    data: fc.record(
      {
        dir: fc.option(
          fc.string({ maxLength: 50 }).filter((s) => !s.includes('\0')),
          { nil: null },
        ),
        classNames: fc.option(
          fc.uniqueArray(
            fc.string({ maxLength: 100 }).filter((s) => !s.includes('\0')),
            { minLength: 2, maxLength: 20 },
          ),
          { nil: null },
        ),
      },
      { noNullPrototype: true },
    ),
  },
  { noNullPrototype: true },
);

const SECTIONS = ['model', 'training', 'data'] as const;

/** A valid config with one change: a field replaced, removed or added (hostile keys included), at the top or in a section. */
const mutatedConfig = fc
  .tuple(
    validConfig,
    fc.constantFrom<'top' | (typeof SECTIONS)[number]>('top', ...SECTIONS),
    fc.oneof(
      fc.constantFrom(...HOSTILE_KEYS),
      fc.string({ maxLength: 12 }),
      fc.constantFrom('name', 'depth', 'kernelSize', 'dropout', 'epochs', 'learningRate', 'seed', 'dir', 'classNames'),
    ),
    fc.constantFrom('set', 'delete'),
    anyValue,
  )
  .map(([cfg, where, key, op, value]) => {
    const change = <T extends object>(o: T): T => (op === 'set' ? withOwn(o, key, value) : without(o, key));
    if (where === 'top') return change(cfg);
    return { ...cfg, [where]: change(cfg[where]) };
  });

test('property: valid configs are accepted as they are', () => {
  checkProperty(
    'valid configs',
    fc.property(validConfig, (cfg) => {
      assert.deepEqual(parseConfig(JSON.parse(JSON.stringify(cfg)), FILE), cfg);
    }),
    500,
  );
});

test('property: random JSON values → a valid config or a LabError, never another exception', () => {
  checkProperty('random JSON', fc.property(fc.jsonValue({ maxDepth: 4 }), validOrLabError), 2000);
  checkProperty(
    'random JSON text',
    fc.property(fc.json({ maxDepth: 4 }), (text) => {
      try {
        parseConfigText(text, FILE);
      } catch (e) {
        if (!(e instanceof LabError)) throw e;
      }
    }),
    1000,
  );
  checkProperty(
    'random JSON objects with config-like keys',
    fc.property(
      fc.dictionary(
        fc.constantFrom('name', 'model', 'training', 'data', '$schema', ...HOSTILE_KEYS),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.dictionary(
            fc.constantFrom(
              'depth',
              'kernelSize',
              'hidden',
              'dropout',
              'epochs',
              'batchSize',
              'learningRate',
              'momentum',
              'seed',
              'evalEvery',
              'optimizer',
              'nesterov',
              'weightDecay',
              'schedule',
              'dir',
              'classNames',
              ...HOSTILE_KEYS,
            ),
            fc.jsonValue({ maxDepth: 2 }),
          ),
        ),
      ),
      validOrLabError,
    ),
    2000,
  );
});

test('property: any JavaScript value (BigInt, NaN, Maps, null prototypes, sparse arrays) → a valid config or a LabError', () => {
  checkProperty('anything', fc.property(anyValue, validOrLabError), 2000);
});

test('property: mutations of valid configs → a valid config or a LabError; hostile keys always refused', () => {
  checkProperty('mutations', fc.property(mutatedConfig, validOrLabError), 2000);
  checkProperty(
    'hostile keys',
    fc.property(
      validConfig,
      fc.constantFrom<'top' | (typeof SECTIONS)[number]>('top', ...SECTIONS),
      fc.constantFrom(...HOSTILE_KEYS.filter((k) => k !== '')),
      fc.jsonValue({ maxDepth: 2 }),
      (cfg, where, key, value) => {
        const text =
          where === 'top' ? JSON.stringify(withOwn(cfg, key, value)) : JSON.stringify({ ...cfg, [where]: withOwn(cfg[where], key, value) });
        assert.throws(
          () => parseConfigText(text, FILE),
          (e: unknown) => e instanceof LabError && e.message.includes(`${where === 'top' ? '' : `${where}.`}${key}: unknown field`),
        );
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      },
    ),
    1000,
  );
});
