/**
 * Property-based hostile inputs (fast-check): random mutations of valid IDX files and of valid run
 * folders each give a valid result or a LabError, never another exception, each case within a
 * time bound. A failure prints the seed to replay it with (MNIST_LAB_FC_SEED=<seed>).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { encodeIdx, parseIdx, readIdxFile } from '../../src/core/data/idx';
import { LabError } from '../../src/core/errors';
import { compareRuns } from '../../src/core/runs/compare';
import { readRun } from '../../src/core/runs/store';
import { readRunRecord, readRunRecordAsync } from '../../src/extension/editor/runHistory';
import { tempDir } from '../helpers/tmp';

const SEED_RUN = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');
const root = tempDir('mnist-lab-props-');
const SEED = Number(process.env.MNIST_LAB_FC_SEED ?? Date.now() % 2 ** 31);
/** The most one case may take (a mutation must never make a read slow, let alone hang). */
const CASE_MS = 2000;

/** Runs a property with a fixed, printed seed; a failure names the seed to replay it with. */
async function check<Ts extends [unknown, ...unknown[]]>(name: string, prop: fc.IAsyncProperty<Ts>, numRuns: number): Promise<void> {
  try {
    await fc.assert(prop, { seed: SEED, numRuns, endOnFailure: true });
  } catch (e) {
    console.log(`# ${name}: failed with seed ${SEED} (replay: MNIST_LAB_FC_SEED=${SEED})`);
    throw e;
  }
  console.log(`# ${name}: ${numRuns} cases passed (seed ${SEED})`);
}

/** Runs f; passes when it returns or throws a LabError within CASE_MS; anything else fails the case. */
async function labErrorOrResult<T>(what: string, f: () => T | Promise<T>): Promise<T | LabError> {
  const t0 = performance.now();
  let out: T | LabError;
  try {
    out = await f();
  } catch (e) {
    if (!(e instanceof LabError))
      throw new Error(`${what}: threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)} instead of a LabError`, {
        cause: e,
      });
    assert.ok(e.message.length > 0, `${what}: a LabError without a message`);
    out = e;
  }
  const ms = performance.now() - t0;
  assert.ok(ms < CASE_MS, `${what}: took ${ms.toFixed(0)} ms`);
  return out;
}

// A valid IDX image file (5 images of 4×3) and label file, raw and gzip.
const images = encodeIdx(
  [5, 4, 3],
  Uint8Array.from({ length: 60 }, (_, i) => (i * 37) % 256),
);
const labels = encodeIdx([5], Uint8Array.from([0, 1, 2, 3, 9]));

/** A mutation of an IDX file's bytes. */
const idxMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('dim' as const),
    index: fc.nat({ max: 8 }),
    value: fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.constant(2 ** 31), fc.nat()),
  }),
  fc.record({ kind: fc.constant('rank' as const), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
);
type IdxMutation = typeof idxMutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, m: IdxMutation): Uint8Array {
  const b = Uint8Array.from(bytes);
  const view = new DataView(b.buffer);
  switch (m.kind) {
    case 'flip':
      if (b.length) b[m.at % b.length] = m.value;
      return b;
    case 'truncate':
      return b.subarray(0, m.at % (b.length + 1));
    case 'dim':
      if (b.length >= 8 + 4 * m.index) view.setUint32(4 + 4 * m.index, m.value >>> 0, false);
      return b;
    case 'rank':
      if (b.length >= 4) b[3] = m.value;
      return b;
    case 'append':
      return Uint8Array.from([...b, ...m.bytes]);
  }
}

test('random mutations of valid IDX files (raw and gzip, bytes flipped, truncated, dims and rank changed): a valid array or a LabError', async () => {
  const file = join(root, 'mutated.idx');
  await check(
    'IDX mutations',
    fc.asyncProperty(
      fc.constantFrom(images, labels),
      fc.array(idxMutation, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom(undefined, 1, 3),
      async (base, mutations, gzipFirst, gzipAfter, rank) => {
        let bytes: Uint8Array = gzipFirst ? gzipSync(base) : base;
        for (const m of mutations) bytes = mutate(bytes, m);
        if (gzipAfter) bytes = gzipSync(bytes);
        const parsed = await labErrorOrResult('parseIdx', () => parseIdx(bytes, 'mutated.idx', rank));
        if (!(parsed instanceof LabError)) {
          // A valid result is consistent with its header.
          assert.equal(
            parsed.data.length,
            parsed.dims.reduce((a, d) => a * d, 1),
          );
          if (rank !== undefined) assert.equal(parsed.dims.length, rank);
        } else {
          assert.match(parsed.message, /^mutated\.idx: /, 'the message names the file');
        }
        writeFileSync(file, bytes);
        const read = await labErrorOrResult('readIdxFile', () => readIdxFile(file, rank));
        assert.equal(read instanceof LabError, parsed instanceof LabError);
      },
    ),
    400,
  );
});

const RUN_FILES = ['summary.json', 'config.json', 'metrics.jsonl', 'source.json', 'kernels/epoch-001.json'] as const;

/** A random edit of a run file: a random JSON value for the whole file, for one field, or a random line. */
const runEdit = fc.record({
  file: fc.constantFrom(...RUN_FILES),
  how: fc.constantFrom('replace', 'field', 'nested', 'line', 'text'),
  key: fc.oneof(
    fc.constantFrom(
      'status',
      'pid',
      'pidStart',
      'testAccuracy',
      'valAccuracy',
      'steps',
      'model',
      'classNames',
      'name',
      'runId',
      'finishedAt',
      'workers',
      'seconds',
      'epoch',
      'conv1',
      'conv2',
      '__proto__',
      'constructor',
    ),
    fc.constantFrom('model', 'training', 'data'),
    fc.string({ maxLength: 8 }),
  ),
  inner: fc.constantFrom(
    'depth',
    'kernelSize',
    'hidden',
    'dropout',
    'epochs',
    'batchSize',
    'learningRate',
    'dir',
    'classNames',
    'shape',
    'weight',
    'bias',
    'record',
    'step',
  ),
  value: fc.jsonValue({ maxDepth: 3 }),
  text: fc.string({ maxLength: 40 }),
  line: fc.nat({ max: 50 }),
});
type RunEdit = typeof runEdit extends fc.Arbitrary<infer T> ? T : never;

/** The file's JSON when it is an object (an earlier edit may have made it anything), else a fresh object. */
function objectOf(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function applyEdit(dir: string, e: RunEdit): void {
  const file = join(dir, e.file);
  const original = readFileSync(file, 'utf8');
  if (e.how === 'text') return writeFileSync(file, e.text);
  if (e.file === 'metrics.jsonl') {
    const lines = original.split('\n');
    const i = e.line % lines.length;
    if (e.how === 'replace') lines[i] = JSON.stringify(e.value);
    else {
      const obj = objectOf(lines[i] ?? '');
      if (e.how === 'field') obj[e.key] = e.value;
      else obj[e.inner] = e.value;
      lines[i] = JSON.stringify(obj);
    }
    return writeFileSync(file, lines.join('\n'));
  }
  if (e.how === 'replace' || e.how === 'line') return writeFileSync(file, JSON.stringify(e.value));
  const obj = objectOf(original);
  if (e.how === 'field') obj[e.key] = e.value;
  else {
    const section = obj[e.key];
    obj[e.key] =
      section !== null && typeof section === 'object' && !Array.isArray(section)
        ? { ...section, [e.inner]: e.value }
        : { [e.inner]: e.value };
  }
  // JSON.stringify of an own "__proto__" key written through [] assignment sets the prototype instead: write the text directly.
  const rest = JSON.stringify(obj).slice(1);
  writeFileSync(
    file,
    e.key === '__proto__' && e.how === 'field'
      ? `{"__proto__": ${JSON.stringify(e.value)}${rest === '}' ? '' : ','} ${rest}`
      : JSON.stringify(obj),
  );
}

test('random edits of a valid run folder (summary, config, metrics, source, kernel snapshot): readRun gives a valid run or a LabError; the history never throws', async () => {
  // The seed run's files (two kernel snapshots, no model), kept in memory: each case writes a fresh folder.
  const files: Record<string, string> = Object.fromEntries(
    ['summary.json', 'config.json', 'metrics.jsonl', 'kernels/epoch-001.json', 'kernels/epoch-002.json'].map((f) => [
      f,
      readFileSync(join(SEED_RUN, f), 'utf8'),
    ]),
  );
  files['source.json'] = JSON.stringify({ config: '/ws/seed.mnist.json' });
  const writeRun = (dir: string) => {
    mkdirSync(join(dir, 'kernels'), { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  };
  const good = readRun(writeRun(join(root, 'base')));
  let n = 0;
  await check(
    'run folder edits',
    fc.asyncProperty(fc.array(runEdit, { minLength: 1, maxLength: 3 }), async (edits) => {
      const dir = join(root, `case-${n++}`);
      writeRun(dir);
      try {
        for (const e of edits) applyEdit(dir, e);
        const run = await labErrorOrResult('readRun', () => readRun(dir));
        if (run instanceof LabError) {
          assert.ok(run.message.startsWith(dir), `the message names a file of the run: ${run.message}`);
        } else {
          // What readRun accepts, the comparison and the history can use.
          await labErrorOrResult('compareRuns', () => compareRuns([good, run]));
          assert.ok(['running', 'completed', 'cancelled', 'failed', 'interrupted'].includes(run.summary.status));
        }
        const sync = await labErrorOrResult('readRunRecord', () => readRunRecord(dir));
        assert.ok(!(sync instanceof LabError), 'the history skips what it cannot read');
        assert.deepEqual(await readRunRecordAsync(dir), sync);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    300,
  );
});
