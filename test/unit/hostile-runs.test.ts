/**
 * Hostile run folders and data folders (issue #13: unbounded/blocking reads, state that outlives
 * its process, races and rewrites, Restricted Mode): each is refused with a LabError naming the
 * file and what is wrong, never another exception, never a hang.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn as spawnChild } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseConfig } from '../../src/core/config';
import { encodeIdx, parseIdx, readIdxFile } from '../../src/core/data/idx';
import { MNIST_FILES, loadLabData } from '../../src/core/data/mnist';
import { LabError } from '../../src/core/errors';
import type { ProgressEvent, RunSummary } from '../../src/core/events';
import { MAX_DIR_ENTRIES, listFolderSync, refuseOutsideWorkspace } from '../../src/core/files/untrusted';
import { writeFileAtomic } from '../../src/core/runs/atomic';
import { compareRuns } from '../../src/core/runs/compare';
import { processStartTime } from '../../src/core/runs/process';
import { MAX_RUN_ENTRIES, RunDirectory, listRuns, listRunsAsync, readRun, readRunAsync } from '../../src/core/runs/store';
import { dataDirProblem, probeDataDir, validationSize } from '../../src/extension/editor/diagnostics';
import { RunIndex, historyItem, readRunRecord, readRunRecordAsync } from '../../src/extension/editor/runHistory';
import {
  TrainingController,
  findRunningTraining,
  findRunningTrainingAsync,
  markFailed,
  stopForeignTraining,
} from '../../src/extension/trainingController';
import { CLI, cli } from '../helpers/cli';
import { head, writeIdxDir } from '../helpers/dataset';
import { tempDir } from '../helpers/tmp';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const SEED_RUN = join(FIXTURES, 'seed-run-20-epochs');
const HOSTILE_RUNS = join(FIXTURES, 'hostile', 'runs');
const root = tempDir('mnist-lab-hostile-');
let tried = 0;

/** A LabError whose message matches `re` (and nothing else passes). */
const labError = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof LabError, `expected a LabError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  assert.match(e.message, re);
  return true;
};

/** A copy of the committed seed run, with `patch` applied. */
function seedRun(id: string, patch: (dir: string) => void = () => {}): string {
  const dir = join(root, 'runs', id);
  cpSync(SEED_RUN, dir, { recursive: true });
  patch(dir);
  return dir;
}

const mkfifo = (p: string) => execFileSync('mkfifo', [p]);

const withinSeconds = async <T>(s: number, f: () => T | Promise<T>): Promise<T> => {
  const t0 = Date.now();
  const r = await f();
  assert.ok(Date.now() - t0 < s * 1000, `took ${Date.now() - t0} ms`);
  return r;
};

describe('hostile run folders (committed corpus: test/fixtures/hostile/runs)', () => {
  const expected = JSON.parse(readFileSync(join(HOSTILE_RUNS, 'expected.json'), 'utf8')) as Record<string, string>;
  const cases = readdirSync(HOSTILE_RUNS).filter((d) => statSync(join(HOSTILE_RUNS, d)).isDirectory());

  test('every case has its expected message, and every expected message its case', () => {
    assert.deepEqual(cases.sort(), Object.keys(expected).sort());
    assert.ok(cases.length >= 25, `${cases.length} cases`);
  });

  for (const c of cases) {
    test(`${c}: readRun refuses it by name; the run history skips it or reads what is valid; nothing else is thrown`, async () => {
      tried++;
      const dir = seedRun(`corpus-${c}`, (d) => cpSync(join(HOSTILE_RUNS, c), d, { recursive: true }));
      const message = labError(new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\\\/](kernels[\\\\/])?${expected[c]}`));
      assert.throws(() => readRun(dir), message);
      // The extension host's reader: the same refusal, without blocking.
      await assert.rejects(readRunAsync(dir), message);
      const sync = readRunRecord(dir);
      const async = await readRunRecordAsync(dir);
      assert.deepEqual(sync, async);
      if (c.startsWith('summary-')) assert.equal(sync, null, 'a run with an invalid summary is not in the history');
      if (c.startsWith('config-')) assert.equal(sync!.config, null, 'an invalid config.json is not shown as the run’s config');
    });
  }

  test('compare of a run whose summary is null: a LabError naming summary.json (CLI: one line, exit 2)', () => {
    tried++;
    const good = seedRun('compare-good');
    const bad = seedRun('compare-null', (d) => writeFileSync(join(d, 'summary.json'), 'null'));
    assert.throws(
      () => compareRuns([good, bad].map((d) => readRun(d))),
      labError(/compare-null[\\/]summary\.json: summary must be a JSON object, got null/),
    );
    // Callers that built the run themselves: compareRuns checks too.
    const stored = readRun(good);
    assert.throws(
      () => compareRuns([stored, { ...stored, summary: null as unknown as RunSummary }]),
      labError(/summary\.json: the summary must be a JSON object, got null/),
    );
    const r = cli(['compare', good, bad]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^mnist-lab: .*compare-null[\\/]summary\.json: summary must be a JSON object, got null/);
  });

  test('a metrics.jsonl whose last line was cut off (a training killed mid-write) reads without that line', () => {
    tried++;
    const dir = seedRun('cut-metrics', (d) => appendFileSync(join(d, 'metrics.jsonl'), '{"type":"progress","epoch":21,"ste'));
    const full = readRun(SEED_RUN).progress.length;
    assert.equal(readRun(dir).progress.length, full);
  });

  test('readRunAsync reads what readRun reads: the committed 20-epoch run, field for field', async () => {
    tried++;
    assert.deepEqual(await readRunAsync(SEED_RUN), readRun(SEED_RUN));
  });
});

describe('run files that are not regular files, or too large (made here: they cannot be committed)', () => {
  const specials: [string, string, (p: string) => void, RegExp][] = [
    ['summary.json', '/dev/zero', (p) => symlinkSync('/dev/zero', p), /summary\.json: run file is a character device, not a regular file/],
    ['config.json', '/dev/zero', (p) => symlinkSync('/dev/zero', p), /config\.json: run file is a character device, not a regular file/],
    [
      'metrics.jsonl',
      '/dev/zero',
      (p) => symlinkSync('/dev/zero', p),
      /metrics\.jsonl: metrics file is a character device, not a regular file/,
    ],
    [
      'kernels/epoch-001.json',
      '/dev/zero',
      (p) => symlinkSync('/dev/zero', p),
      /epoch-001\.json: kernel snapshot is a character device, not a regular file/,
    ],
    ['summary.json', 'a FIFO', mkfifo, /summary\.json: run file is a FIFO \(named pipe\), not a regular file/],
    ['config.json', 'a FIFO', mkfifo, /config\.json: run file is a FIFO \(named pipe\), not a regular file/],
    ['metrics.jsonl', 'a FIFO', mkfifo, /metrics\.jsonl: metrics file is a FIFO \(named pipe\), not a regular file/],
    ['kernels/epoch-002.json', 'a FIFO', mkfifo, /epoch-002\.json: kernel snapshot is a FIFO/],
    ['summary.json', 'a directory', (p) => mkdirSync(p), /summary\.json: run file is a directory/],
    [
      'summary.json',
      'a 2 MiB file',
      (p) => writeFileSync(p, Buffer.alloc(2 << 20, 0x20)),
      /summary\.json: run file is 2 MiB, more than the 1 MiB allowed/,
    ],
    [
      'config.json',
      'a dangling symlink',
      (p) => symlinkSync('/nonexistent/config.json', p),
      /config\.json: missing \(not a complete run directory\)/,
    ],
  ];
  specials.forEach(([file, what, make, re], i) => {
    test(`${file} as ${what}: refused by name within 2 s, sync and async; the history and the running-training lookup do not block`, async () => {
      tried++;
      const dir = seedRun(`special-${i}`, (d) => {
        writeFileSync(
          join(d, 'summary.json'),
          JSON.stringify({ ...JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')), status: 'running', pid: process.pid }),
        );
        const p = join(d, file);
        if (existsSync(p)) execFileSync('rm', ['-rf', p]);
        make(p);
      });
      await withinSeconds(2, async () => {
        assert.throws(() => readRun(dir), labError(re));
        await assert.rejects(readRunAsync(dir), labError(re));
        const rec = readRunRecord(dir);
        assert.deepEqual(await readRunRecordAsync(dir), rec);
        if (file === 'summary.json') assert.equal(rec, null);
        assert.equal(findRunningTraining([dir]), null);
        assert.equal(await findRunningTrainingAsync([dir]), null);
        await markFailed(dir, 'x'); // leaves what it cannot read alone, without blocking
      });
    });
  });
});

describe('hostile data folders', () => {
  const full = loadLabData();
  const good = (name: string, gzip = false) => writeIdxDir(join(root, 'data', name), head(full.train, 64), head(full.testFile, 20), gzip);

  const dataCases: [string, (dir: string) => void, RegExp][] = [
    [
      'train-images as a FIFO',
      (d) => mkfifo(join(d, MNIST_FILES.trainImages)),
      /train-images-idx3-ubyte: IDX file is a FIFO \(named pipe\), not a regular file/,
    ],
    [
      'test labels as a /dev/zero symlink',
      (d) => symlinkSync('/dev/zero', join(d, MNIST_FILES.testLabels)),
      /t10k-labels-idx1-ubyte: IDX file is a character device, not a regular file/,
    ],
    ['train-images as a directory', (d) => mkdirSync(join(d, MNIST_FILES.trainImages)), /train-images-idx3-ubyte: IDX file is a directory/],
    [
      'train-images as a socket-less /dev/null',
      (d) => symlinkSync('/dev/null', join(d, MNIST_FILES.trainImages)),
      /train-images-idx3-ubyte: IDX file is a character device/,
    ],
  ];
  dataCases.forEach(([what, make, re], i) => {
    test(`${what}: loadLabData, the diagnostics (sync and async) refuse it by name within 2 s`, async () => {
      tried++;
      const dir = good(`special-${i}`);
      const name = re.source.split(':')[0]!.replace(/\\/g, '');
      for (const f of readdirSync(dir)) if (f === name) execFileSync('rm', ['-rf', join(dir, f)]);
      make(dir);
      await withinSeconds(2, async () => {
        assert.throws(() => loadLabData(dir), labError(re));
        assert.match(dataDirProblem(dir) ?? '', re);
        assert.match((await probeDataDir(dir)).problem ?? '', re);
        if (what.includes('labels')) assert.equal(validationSize(dir), null);
      });
    });
  });

  test('CLI: a FIFO as train-images in --data is one line, exit 2, within 10 s (it used to hang)', () => {
    tried++;
    const dir = good('cli-fifo');
    execFileSync('rm', [join(dir, MNIST_FILES.trainImages)]);
    mkfifo(join(dir, MNIST_FILES.trainImages));
    const t0 = Date.now();
    const r = cli(['train', '--data', dir, '--out', join(root, 'cli-runs'), '--backend', 'wasm']);
    assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^mnist-lab: .*train-images-idx3-ubyte: IDX file is a FIFO \(named pipe\), not a regular file/);
    assert.equal(existsSync(join(root, 'cli-runs')), false, 'nothing written');
  });

  test('CLI: SIGTERM stops a training run (cancelled, exit 130, the summary says so)', async () => {
    tried++;
    const dir = good('cli-sigterm');
    const out = join(root, 'cli-sigterm-runs');
    const child: ChildProcess = spawnChild(
      process.execPath,
      [CLI, 'train', '--data', dir, '--out', out, '--backend', 'wasm', '--epochs', '50', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress within 60 s: ${stdout}`)), 60_000);
      child.stdout!.on('data', (b: Buffer) => {
        stdout += b.toString();
        if (stdout.includes('"type":"progress"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    assert.ok(Date.now() - t0 < 15_000, `stopped after ${Date.now() - t0} ms`);
    assert.equal(code, 130);
    const [run] = listRuns(out);
    assert.equal(readRun(run!).summary.status, 'cancelled');
    assert.equal(readRun(run!).summary.pid, undefined, 'the final summary no longer names a process');
  });

  test('a gzip bomb (257 MiB of zeros in 257 KB) is refused by name, without inflating it whole', () => {
    tried++;
    const dir = good('bomb');
    const header = encodeIdx([257 << 12, 256], new Uint8Array(0)); // claims exactly what follows
    const bomb = gzipSync(Buffer.concat([Buffer.from(header), Buffer.alloc(257 << 20)]), { level: 9 });
    assert.ok(bomb.length < 1 << 20, `${bomb.length} bytes compressed`);
    const f = join(dir, `${MNIST_FILES.trainImages}.gz`);
    execFileSync('rm', [join(dir, MNIST_FILES.trainImages)]);
    writeFileSync(f, bomb);
    assert.throws(
      () => readIdxFile(f, 2),
      labError(/train-images-idx3-ubyte\.gz: gzip data decompresses to more than the 256 MiB an IDX file may hold/),
    );
    // The limit is a parameter: a small one refuses a small bomb the same way.
    assert.throws(
      () => parseIdx(gzipSync(Buffer.alloc(4096)), 'small.gz', undefined, 1024),
      labError(/small\.gz: gzip data decompresses to more than/),
    );
  });

  test('an IDX header claiming 2^32 − 1 images (or rank 255 of huge dimensions) is refused before anything is sized from it', () => {
    tried += 3;
    const claim = encodeIdx([0xffffffff, 28, 28], new Uint8Array(16));
    assert.throws(
      () => parseIdx(claim, 'huge.idx', 3),
      labError(/huge\.idx: header says 4294967295×28×28 = \d+ bytes of data, more than the 256 MiB an IDX file may hold/),
    );
    assert.throws(() => parseIdx(gzipSync(claim), 'huge.gz', 3), labError(/huge\.gz: header says 4294967295×28×28/));
    const rank255 = encodeIdx(
      Array.from({ length: 255 }, () => 0xffffffff),
      new Uint8Array(0),
    );
    assert.throws(() => parseIdx(rank255, 'r255.idx'), labError(/r255\.idx: header says .* more than the 256 MiB/));
  });

  test('Restricted Mode: a data directory outside the workspace is refused by name before anything in it is read', async () => {
    tried++;
    const ws = join(root, 'ws-data');
    mkdirSync(ws, { recursive: true });
    const outside = good('outside');
    const probe = await probeDataDir(outside, { workspace: ws });
    assert.match(
      probe.problem ?? '',
      /outside[\\/]?: the data directory resolves to .*, outside the workspace .*ws-data; in Restricted Mode MNIST Lab reads and writes only inside the workspace/,
    );
    // Trusted, the same directory is fine; inside the workspace it is fine in Restricted Mode too.
    assert.equal((await probeDataDir(outside, null)).problem, null);
    const inside = writeIdxDir(join(ws, 'data'), head(full.train, 64), head(full.testFile, 20));
    assert.deepEqual(await probeDataDir(inside, { workspace: ws }), { problem: null, validationSize: 10 });
    // A symlink inside the workspace that leads out of it is outside.
    symlinkSync(outside, join(ws, 'linked'));
    assert.match(
      (await probeDataDir(join(ws, 'linked'), { workspace: ws })).problem ?? '',
      /linked: the data directory resolves to .*outside the workspace/,
    );
  });
});

describe('state that outlives its process', () => {
  const running = (id: string, extra: Record<string, unknown>) =>
    seedRun(id, (d) =>
      writeFileSync(
        join(d, 'summary.json'),
        JSON.stringify({ ...JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')), status: 'running', testAccuracy: null, ...extra }),
      ),
    );

  test('a run whose recorded process is dead, or whose PID now belongs to another process, reads as interrupted', async () => {
    tried += 2;
    const dead = running('20300101-000001-dead', { pid: 2 ** 30 });
    const reused = running('20300101-000002-reused', { pid: process.pid, pidStart: '1' });
    for (const dir of [dead, reused]) {
      assert.equal(readRun(dir).summary.status, 'interrupted');
      assert.equal(readRun(dir).summary.pid, undefined);
      const r = (await readRunRecordAsync(dir))!;
      assert.equal(r.status, 'interrupted');
      assert.equal(historyItem(r).label, 'interrupted · validation 98.00 %');
      assert.equal(findRunningTraining([dir]), null);
      assert.equal(await findRunningTrainingAsync([dir]), null);
    }
  });

  test('a run whose process is alive with the recorded start time is still running, and found as a training', async () => {
    const start = processStartTime(process.pid);
    if (start === null) return; // no /proc: nothing to compare
    const child = spawnChild('sleep', ['30']);
    await new Promise((r) => child.on('spawn', r));
    try {
      const dir = running('20300101-000003-live', { pid: child.pid, pidStart: processStartTime(child.pid!) });
      assert.equal(readRun(dir).summary.status, 'running');
      assert.equal((await readRunRecordAsync(dir))!.status, 'running');
      const found = await findRunningTrainingAsync([dir]);
      assert.equal(found?.pid, child.pid);
      assert.deepEqual(findRunningTraining([dir]), found);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('Stop never signals a PID whose start time differs from the recorded one (a reused PID)', async () => {
    tried++;
    const child = spawnChild('sleep', ['30']);
    await new Promise((r) => child.on('spawn', r));
    const exited = new Promise((r) => child.on('exit', r));
    try {
      assert.equal(await stopForeignTraining({ runDir: '/x', name: 'x', pid: child.pid!, pidStart: 'not-its-start-time' }, 300), true);
      assert.equal(child.exitCode, null, 'the other process was left alone');
      assert.equal(child.signalCode, null);
      if (processStartTime(child.pid!) !== null) {
        // With the right start time, it is signalled.
        assert.equal(
          await stopForeignTraining({ runDir: '/x', name: 'x', pid: child.pid!, pidStart: processStartTime(child.pid!)! }, 3000),
          true,
        );
        await exited;
        assert.equal(child.signalCode, 'SIGTERM');
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('the run index re-reads a running run: once its process is gone it shows as interrupted', async () => {
    const runsDir = join(root, 'index-runs');
    const child = spawnChild('sleep', ['30']);
    await new Promise((r) => child.on('spawn', r));
    const exited = new Promise((r) => child.on('exit', r));
    const dir = join(runsDir, '20300101-000004-seed');
    cpSync(SEED_RUN, dir, { recursive: true });
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    writeFileSync(
      join(dir, 'summary.json'),
      JSON.stringify({
        ...s,
        status: 'running',
        pid: child.pid,
        ...(processStartTime(child.pid!) && { pidStart: processStartTime(child.pid!) }),
      }),
    );
    const index = new RunIndex(() => runsDir);
    assert.equal((await index.all())[0]!.status, 'running');
    child.kill('SIGKILL');
    await exited;
    assert.equal((await index.all())[0]!.status, 'interrupted');
  });
});

describe('races and rewrites', () => {
  test('two runs created in the same second with the same name get two folders', () => {
    tried++;
    const out = join(root, 'same-second');
    const now = new Date('2030-01-01T00:00:00Z');
    const a = RunDirectory.create(out, 'seed', now);
    const b = RunDirectory.create(out, 'seed', now);
    const c = RunDirectory.create(out, 'seed', now);
    assert.deepEqual([a.id, b.id, c.id], ['20300101-000000-seed', '20300101-000000-seed-2', '20300101-000000-seed-3']);
    assert.equal(new Set([a.dir, b.dir, c.dir]).size, 3);
  });

  test('a folder another process made in that second (EEXIST) is never reused: the next number is taken', () => {
    tried++;
    const out = join(root, 'taken');
    mkdirSync(join(out, '20300101-000000-seed'), { recursive: true });
    writeFileSync(join(out, '20300101-000000-seed-2'), 'a file of that name');
    const run = RunDirectory.create(out, 'seed', new Date('2030-01-01T00:00:00Z'));
    assert.equal(run.id, '20300101-000000-seed-3');
    assert.deepEqual(readdirSync(run.dir), [], 'a fresh, empty folder');
    // A runs folder that is a file: a LabError naming it.
    writeFileSync(join(root, 'runs-file'), '');
    assert.throws(
      () => RunDirectory.create(join(root, 'runs-file'), 'seed'),
      labError(/runs-file: cannot make a run folder there \(EEXIST\)/),
    );
  });

  test('metrics.jsonl is appended, never rewritten: N events give N lines, the same file, lines written by others kept', () => {
    tried++;
    const run = RunDirectory.create(join(root, 'append'), 'seed');
    const file = join(run.dir, 'metrics.jsonl');
    const ev = (step: number): ProgressEvent => ({
      type: 'progress',
      epoch: 1,
      batch: step,
      step,
      totalSteps: 400,
      samples: 64,
      trainSize: 640,
      percent: 1,
      loss: 1,
      trainAccuracy: 0.5,
      valAccuracy: 0.5,
      record: [50, 50],
      seconds: step,
    });
    run.appendMetric(ev(1));
    const inode = statSync(file).ino;
    appendFileSync(file, '{"type":"note"}\n'); // a rewrite from memory would drop this line
    const sizes: number[] = [];
    for (let i = 2; i <= 400; i++) {
      run.appendMetric(ev(i));
      sizes.push(statSync(file).size);
    }
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 401);
    assert.equal(lines[1], '{"type":"note"}');
    assert.equal(statSync(file).ino, inode, 'the same file throughout (no temp file + rename)');
    // Each event adds one line's bytes: the growth is linear.
    const deltas = sizes.slice(1).map((s, i) => s - sizes[i]!);
    assert.ok(Math.max(...deltas) < 400, `largest growth per event ${Math.max(...deltas)} bytes`);
    run.writeConfig(parseConfig({}));
    writeFileAtomic(join(run.dir, 'summary.json'), '{"status":"completed"}');
    assert.equal(readRun(run.dir).progress.length, 400, 'every appended progress event reads back');
  });

  test('writeFileAtomic with fsync: the content lands, no temporary file is left; a symlink at the target is replaced, not written through', () => {
    const dir = join(root, 'atomic');
    mkdirSync(dir);
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(dir, 'summary.json'));
    writeFileAtomic(join(dir, 'summary.json'), '{"status":"completed"}\n', { fsync: true });
    assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), '{"status":"completed"}\n');
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
    assert.deepEqual(readdirSync(dir), ['summary.json']);
  });

  test('a runs folder with 12,000 run-named entries (no summaries): listings read at most their bound, quickly', async () => {
    tried++;
    const dir = join(root, 'many');
    mkdirSync(dir);
    for (let i = 0; i < 12_000; i++) mkdirSync(join(dir, `20290101-${String(i).padStart(6, '0')}-x`));
    cpSync(SEED_RUN, join(dir, '20300101-000000-seed'), { recursive: true });
    const t = (label: string) => {
      const t0 = Date.now();
      return () => console.log(`# ${label}: ${Date.now() - t0} ms`);
    };
    await withinSeconds(3, async () => {
      let done = t('listFolderSync');
      assert.equal(listFolderSync(dir).length, MAX_DIR_ENTRIES);
      done();
      done = t('listRuns');
      assert.ok(listRuns(dir).length <= MAX_RUN_ENTRIES);
      done();
      done = t('listRunsAsync');
      assert.ok((await listRunsAsync(dir)).length <= MAX_RUN_ENTRIES);
      done();
      done = t('RunIndex.all');
      assert.ok((await new RunIndex(() => dir).all()).length <= 1);
      done();
    });
  });
});

describe('Restricted Mode: the runs folder', () => {
  test('a .mnist-lab that is a symlink out of the workspace is not written to', async () => {
    tried++;
    const ws = join(root, 'ws');
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(ws);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(ws, '.mnist-lab'));
    const outDir = join(ws, '.mnist-lab', 'runs');
    await assert.rejects(
      refuseOutsideWorkspace(outDir, { workspace: ws }, 'the runs folder'),
      labError(/\.mnist-lab[\\/]runs: the runs folder resolves to .*elsewhere[\\/]runs, outside the workspace .*ws; in Restricted Mode/),
    );
    await refuseOutsideWorkspace(outDir, null, 'the runs folder'); // trusted: fine
    await refuseOutsideWorkspace(join(ws, 'runs'), { workspace: ws }, 'the runs folder'); // inside, not made yet: fine
    // The controller refuses before any worker starts or anything is written.
    const c = new TrainingController(
      () => ({ script: '/nonexistent/worker.js' }),
      () => ({ workspace: ws }),
    );
    await assert.rejects(
      c.train({ config: parseConfig({}), outDir, backend: 'wasm' }),
      labError(/the runs folder \(mnistLab\.runsDir\) resolves to .*outside the workspace/),
    );
    await assert.rejects(
      c.train({ config: parseConfig({ data: { dir: elsewhere } }), outDir: join(ws, 'runs'), backend: 'wasm' }),
      labError(/elsewhere: the data directory \(data\.dir \/ mnistLab\.dataDir\) resolves to .*outside the workspace/),
    );
    assert.deepEqual(readdirSync(elsewhere), [], 'nothing written through the symlink');
    assert.equal(existsSync(join(ws, 'runs')), false);
  });
});

test('hostile inputs tried', () => {
  console.log(`# hostile inputs tried: ${tried}, all refused cleanly`);
  assert.ok(tried >= 50, `${tried}`);
});
