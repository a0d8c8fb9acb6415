/**
 * Issue #13, class 4: property-based tests (fast-check) of the weights readers. Random mutations
 * of a valid safetensors file (bit flips, truncation, appended bytes, a forged header length,
 * header JSON edits: values replaced by null, strings, huge, negative or fractional numbers,
 * arrays, objects; keys removed) and of a valid model.json + weights shard (manifest edits, paths
 * that climb out, are absolute or go through a symlink out; shard bytes cut, flipped, extended):
 * every case gives a ConvNet the lab can build or a LabError — never another exception, never
 * a hang (each case is timed), never a file opened outside the model's folder (every open is
 * recorded). A failure prints fast-check's seed and path; FC_SEED=… replays a run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { selectBackend } from '../../src/core/backends';
import { LabError } from '../../src/core/errors';
import { isInside } from '../../src/core/files/untrusted';
import { ConvNet } from '../../src/core/model/convnet';
import { encodeModelSafetensors, loadModel, saveTfjsModel } from '../../src/core/model/interchange';
import { specProblems } from '../../src/core/model/spec';
import { kernelsOfSafetensors } from '../../src/extension/editor/weightsView';
import { tempDir } from '../helpers/tmp';

const RUNS = Number(process.env.FC_RUNS ?? 300);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
/** Far above one case's work (≈ 1 ms); a case that takes longer is a hang in the making. */
const CASE_MS = 3000;
const SPEC = { depth: [2, 3] as [number, number], kernelSize: 3, hidden: 4, dropout: 0.25, imageSize: 8, numClasses: 3 };

let valid: Uint8Array;
before(async () => {
  await selectBackend('wasm', { requireSyncReads: true });
  const net = ConvNet.init(SPEC, 5);
  valid = encodeModelSafetensors(net);
  net.dispose();
});

/** Every path the code under test opens, via fs.openSync (what readUntrustedSync uses). */
function recordOpens<T>(fn: () => T): { result?: T; error?: unknown; opened: string[]; ms: number } {
  const opened: string[] = [];
  const original = fs.openSync;
  (fs as { openSync: typeof fs.openSync }).openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    opened.push(String(p));
    return (original as (...a: unknown[]) => number)(p, ...rest);
  }) as typeof fs.openSync;
  const started = performance.now();
  try {
    return { result: fn(), opened, ms: performance.now() - started };
  } catch (error) {
    return { error, opened, ms: performance.now() - started };
  } finally {
    (fs as { openSync: typeof fs.openSync }).openSync = original;
  }
}

/** The outcome must be a ConvNet the lab can build or a LabError; every open inside `folder`. */
function checkOutcome(r: ReturnType<typeof recordOpens<{ net: ConvNet }>>, folder: string, what: string): 'loaded' | 'refused' {
  assert.ok(r.ms < CASE_MS, `${what}: took ${r.ms.toFixed(0)} ms`);
  const root = realpathSync(folder);
  for (const p of r.opened) {
    let real = p;
    try {
      real = realpathSync(p);
    } catch {
      // gone or never there: its name is what counts
    }
    assert.ok(isInside(root, real), `${what}: opened ${p} (${real}), outside ${root}`);
  }
  if (r.error !== undefined) {
    assert.ok(r.error instanceof LabError, `${what}: threw ${(r.error as Error)?.name}: ${(r.error as Error)?.message}`);
    assert.ok(!/[\n\r]/.test(r.error.message), `${what}: message on more than one line`);
    return 'refused';
  }
  const net = r.result!.net;
  try {
    assert.deepEqual(specProblems(net.spec), [], what);
    for (const v of Object.values(net.values())) for (const x of v) assert.ok(Number.isFinite(x), `${what}: a non-finite value loaded`);
  } finally {
    net.dispose();
  }
  return 'loaded';
}

// ---- hostile values for JSON edits ----
const hostileValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    '',
    'F32',
    'I32',
    'float32',
    'int32',
    0,
    -1,
    -0.5,
    0.5,
    1e300,
    -1e300,
    2 ** 53,
    2 ** 64,
    1e-300,
    200000,
    4294967296,
  ),
  fc.integer({ min: -10, max: 100_000 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 12 }),
  fc.array(fc.oneof(fc.integer({ min: -5, max: 300_000 }), fc.double({ noNaN: true }), fc.constant(null), fc.string({ maxLength: 3 })), {
    maxLength: 5,
  }),
  fc.jsonValue({ maxDepth: 2 }),
);
const hostilePath = fc.constantFrom(
  '../secret.bin',
  '/etc/passwd',
  'link.bin',
  'sub/../../secret.bin',
  './weights.bin',
  '',
  '.',
  'weights.bin\0',
  'C:\\x',
  'missing.bin',
  '..',
  'weights.bin/',
);

/** Every JSON path (as keys) of a value, containers included. */
function pathsOf(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out);
  return out;
}

type Edit = { pick: number; op: 'set' | 'delete'; value: unknown };
const jsonEdit = (values: fc.Arbitrary<unknown>) =>
  fc.record({ pick: fc.nat(), op: fc.constantFrom('set', 'set', 'set', 'delete') as fc.Arbitrary<'set' | 'delete'>, value: values });

function applyEdit(root: unknown, e: Edit): unknown {
  const paths = pathsOf(root);
  const path = paths[e.pick % paths.length]!;
  if (path.length === 0) return e.op === 'set' ? e.value : root;
  let parent = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (e.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = e.value;
  return root;
}

// ---- byte mutations ----
type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'length'; value: bigint };
const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({
    kind: fc.constant('length' as const),
    value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 4096n })),
  }),
);

function applyBytes(b: Uint8Array, m: ByteMutation): Uint8Array {
  const out = Uint8Array.from(b);
  switch (m.kind) {
    case 'flip':
      if (out.length) out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    case 'truncate':
      return out.subarray(0, m.keep % (out.length + 1));
    case 'append':
      return Uint8Array.from([...out, ...m.bytes]);
    case 'length':
      if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, m.value, true);
      return out;
  }
}

/** A header JSON edit: parse, edit, re-encode (with the length field right, or not). */
type HeaderEdit = { kind: 'header'; edits: Edit[]; keepLength: boolean };
function applyHeader(b: Uint8Array, m: HeaderEdit): Uint8Array {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(b.subarray(8, 8 + n)).toString('utf8')) as unknown;
  let edited = header;
  for (const e of m.edits) edited = applyEdit(edited, e);
  const text = Buffer.from(JSON.stringify(edited) ?? 'null', 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(m.keepLength ? n : text.length));
  const body = m.keepLength ? Buffer.concat([text.subarray(0, n), Buffer.alloc(Math.max(0, n - text.length), 0x20)]) : text;
  return Uint8Array.from(Buffer.concat([len, body, b.subarray(8 + n)]));
}
const headerEdit: fc.Arbitrary<HeaderEdit> = fc.record({
  kind: fc.constant('header' as const),
  edits: fc.array(jsonEdit(hostileValue), { minLength: 1, maxLength: 3 }),
  keepLength: fc.boolean(),
});

test(`safetensors: ${RUNS} random mutations each load as a buildable ConvNet or are refused with a LabError, bounded, reading nothing outside`, () => {
  const dir = tempDir();
  const file = join(dir, 'model.safetensors');
  // The recorder sees the reads (the valid file: one open, loaded).
  writeFileSync(file, valid);
  const sane = recordOpens(() => loadModel(file));
  assert.deepEqual(sane.opened, [file]);
  assert.equal(checkOutcome(sane, dir, 'valid'), 'loaded');
  const tally = { loaded: 0, refused: 0 };
  fc.assert(
    fc.property(fc.array(fc.oneof(byteMutation, headerEdit), { minLength: 1, maxLength: 3 }), (mutations) => {
      let bytes = valid;
      for (const m of mutations)
        bytes = m.kind === 'header' ? (bytes.length >= 8 && safeHeader(bytes) ? applyHeader(bytes, m) : bytes) : applyBytes(bytes, m);
      writeFileSync(file, bytes);
      const what = JSON.stringify(mutations, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v));
      tally[
        checkOutcome(
          recordOpens(() => loadModel(file)),
          dir,
          what,
        )
      ]++;
      // The panel's kernel reader on the same bytes: a snapshot or null or a LabError.
      const k = recordOpens(() => kernelsOfSafetensors(file));
      assert.ok(k.error === undefined || k.error instanceof LabError, `kernels: ${(k.error as Error)?.message}`);
    }),
    { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }), endOnFailure: true },
  );
  // The mutations reach both outcomes (a generator that only ever breaks the file tests little).
  assert.ok(tally.refused > RUNS / 4 && tally.loaded > 0, JSON.stringify(tally));
  console.log(`safetensors fuzz: ${JSON.stringify(tally)}`);
});

/** Whether the header of a (possibly already mutated) file still parses: header edits need JSON. */
function safeHeader(b: Uint8Array): boolean {
  try {
    const n = new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
    if (n > BigInt(b.length - 8)) return false;
    JSON.parse(Buffer.from(b.subarray(8, 8 + Number(n))).toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

test(`model.json + shard: ${RUNS} random mutations each load or are refused with a LabError, bounded, never opening a file outside the folder`, async () => {
  const root = tempDir();
  const folder = join(root, 'model');
  mkdirSync(join(folder, 'sub'), { recursive: true });
  const net = ConvNet.init(SPEC, 6);
  await saveTfjsModel(net, folder);
  net.dispose();
  const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as unknown;
  const shard = readFileSync(join(folder, 'weights.bin'));
  // Outside the folder: the same valid bytes, reachable by ../, an absolute path or a symlink.
  copyFileSync(join(folder, 'weights.bin'), join(root, 'secret.bin'));
  symlinkSync('../secret.bin', join(folder, 'link.bin'));
  const tally = { loaded: 0, refused: 0 };
  const pathEdit = fc.record({ group: fc.nat(), index: fc.nat(), path: hostilePath });
  fc.assert(
    fc.property(
      fc.array(jsonEdit(fc.oneof(hostileValue, hostilePath)), { maxLength: 3 }),
      fc.option(pathEdit, { nil: undefined }),
      fc.array(
        byteMutation.filter((m) => m.kind !== 'length'),
        { maxLength: 2 },
      ),
      (edits, pathChange, shardMutations) => {
        let doc = structuredClone(json);
        for (const e of edits) doc = applyEdit(doc, e);
        const manifest = (doc as { weightsManifest?: { paths?: unknown[] }[] } | null)?.weightsManifest;
        if (pathChange && Array.isArray(manifest) && manifest.length) {
          const g = manifest[pathChange.group % manifest.length];
          if (g && Array.isArray(g.paths) && g.paths.length) g.paths[pathChange.index % g.paths.length] = pathChange.path;
        }
        let bin: Uint8Array = shard;
        for (const m of shardMutations) bin = applyBytes(bin, m);
        writeFileSync(join(folder, 'model.json'), JSON.stringify(doc) ?? 'null');
        writeFileSync(join(folder, 'weights.bin'), bin);
        const what = JSON.stringify({ edits, pathChange, shardMutations }, (_, v) => (v instanceof Uint8Array ? Array.from(v) : v));
        tally[
          checkOutcome(
            recordOpens(() => loadModel(join(folder, 'model.json'))),
            folder,
            what,
          )
        ]++;
      },
    ),
    { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }), endOnFailure: true },
  );
  assert.ok(tally.refused > RUNS / 4 && tally.loaded > 0, JSON.stringify(tally));
  console.log(`model.json fuzz: ${JSON.stringify(tally)}`);
});
