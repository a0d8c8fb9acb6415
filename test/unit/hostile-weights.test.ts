/**
 * Issue #13 (classes 1, 3, 4, 7): weights the lab did not write are checked whole before use.
 * The corpus test/fixtures/hostile/weights/ (written by its make.mjs) holds hand-made safetensors
 * files and model.json folders, each broken in one way, and expected.json: file → the regex its
 * LabError must match. Every one is refused with a one-line message naming the file, by the CLI's
 * loader and by the panel's readers alike; the valid ones load.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { LabError } from '../../src/core/errors';
import { ConvNet } from '../../src/core/model/convnet';
import { loadModel, prepareExportDir, saveModel } from '../../src/core/model/interchange';
import { pytorchSnippet } from '../../src/core/model/pytorchSnippet';
import { readSafetensorsHeader, readSafetensorsHeaderFile } from '../../src/core/model/safetensors';
import { specProblems } from '../../src/core/model/spec';
import type { RunSummary } from '../../src/core/events';
import { kernelsOfSafetensors } from '../../src/extension/editor/weightsView';
import { pytorchSnippetFor, specOfSafetensors } from '../../src/extension/pytorchView';
import { spawn } from 'node:child_process';
import { CLI, jsonLines } from '../helpers/cli';
import { repoRoot } from '../helpers/pytorchFixture';
import { tempDir } from '../helpers/tmp';

const CORPUS = join(repoRoot(), 'test', 'fixtures', 'hostile', 'weights');
const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<string, string | null>;
const SMALL = { depth: [1, 1], kernelSize: 1, hidden: 1, dropout: 0.5, imageSize: 8, numClasses: 2 };

before(async () => {
  await selectBackend('wasm', { requireSyncReads: true });
});

/** The LabError `fn` throws (fails on success and on any other exception). */
function labError(fn: () => unknown, what: string): LabError {
  try {
    const r = fn() as { net?: ConvNet } | null;
    r?.net?.dispose();
  } catch (e) {
    assert.ok(e instanceof LabError, `${what}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    return e;
  }
  assert.fail(`${what}: was accepted`);
}

test('hostile weights corpus: every case refused with its message, naming the file, on one line; the valid ones load', () => {
  const cases = Object.entries(expected);
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  // Every file of the corpus is in the table (a case added to make.mjs without an expectation fails).
  const onDisk = readdirSync(CORPUS).filter(
    (f) => f.endsWith('.safetensors') || (!f.includes('.') && existsSync(join(CORPUS, f, 'model.json'))),
  );
  assert.deepEqual(onDisk.map((f) => (f.endsWith('.safetensors') ? f : `${f}/model.json`)).sort(), Object.keys(expected).sort());
  let refused = 0;
  for (const [name, re] of cases) {
    const file = join(CORPUS, name);
    if (re === null) {
      const { net } = loadModel(file);
      assert.deepEqual(net.spec, SMALL, name);
      net.dispose();
      continue;
    }
    const e = labError(() => loadModel(file), name);
    assert.match(e.message, new RegExp(re), name);
    assert.ok(e.message.startsWith(`${file}: `), `${name}: the message names the file: ${e.message}`);
    assert.ok(!/[\n\r]/.test(e.message), `${name}: one line: ${JSON.stringify(e.message)}`);
    assert.equal(e.file, file, name);
    refused++;
  }
  assert.equal(refused, cases.filter(([, re]) => re !== null).length);
  // The path escaping the folder never reveals the foreign file's size.
  const dotdot = labError(() => loadModel(join(CORPUS, 'model-dotdot', 'model.json')), 'dotdot');
  assert.doesNotMatch(dotdot.message, /52|bytes/);
});

test("hostile weights corpus: the panel's readers (shapes, kernels, PyTorch loader) refuse or pass over each file, never another exception", async () => {
  for (const name of Object.keys(expected).filter((n) => n.endsWith('.safetensors'))) {
    const file = join(CORPUS, name);
    for (const [what, fn] of [
      ['specOfSafetensors', () => specOfSafetensors(file)],
      ['kernelsOfSafetensors', () => kernelsOfSafetensors(file)],
    ] as const) {
      try {
        const r = await fn();
        // Accepted: only files whose header is sound.
        if (r !== null)
          assert.ok(
            !/header|offsets|dtype|metadata-(null|array|non-string|number)|tensor-null|too-short|data-after|shape-negative/.test(name),
            `${what}(${name}) accepted`,
          );
      } catch (e) {
        assert.ok(e instanceof LabError, `${what}(${name}): ${(e as Error).message}`);
      }
    }
    // Made from the shapes (no load_pytorch.py beside the corpus): valid code or nothing.
    const view = await pytorchSnippetFor({ model: { safetensors: file, tfjs: '' } } as RunSummary, null);
    if (view) {
      assert.equal(view.written, false);
      assert.match(view.code, /^depth = \[\d+, \d+\]\nkernel_size = \d+\nhidden = \d+\nimage_size = \d+\nnum_classes = \d+$/m, name);
    }
  }
});

test('hostile weights corpus: the header read alone (readSafetensorsHeaderFile) says what the whole file says', async () => {
  for (const name of Object.keys(expected).filter((n) => n.endsWith('.safetensors'))) {
    const file = join(CORPUS, name);
    const outcome = async (read: () => unknown) => {
      try {
        return { header: await read() };
      } catch (e) {
        assert.ok(e instanceof LabError, `${name}: ${(e as Error).message}`);
        return { refused: e.message };
      }
    };
    assert.deepEqual(
      await outcome(() => readSafetensorsHeaderFile(file)),
      await outcome(() => readSafetensorsHeader(readFileSync(file), file)),
      name,
    );
  }
});

test("the panel's loader: a config's dropout reaches the code only when valid; the spec is checked again in the generator", async () => {
  const dir = tempDir();
  const net = ConvNet.init({ depth: [2, 3], kernelSize: 3, hidden: 4, dropout: 0.25, imageSize: 28, numClasses: 10 }, 1);
  const { safetensors, tfjs } = await saveModel(net, dir);
  net.dispose();
  const summary = { model: { safetensors, tfjs } } as RunSummary;
  const config = (dropout: unknown) =>
    ({
      name: 'x',
      model: { depth: [2, 3], kernelSize: 3, hidden: 4, dropout },
      training: {},
      data: { dir: null, classNames: null },
    }) as never;
  assert.match((await pytorchSnippetFor(summary, config(0.125)))!.code, /p=0\.125, training=self\.training/);
  for (const bad of ['0.5, training=True); import os#', 1, -0.1, Number.NaN, Infinity, null, [0.5]]) {
    const code = (await pytorchSnippetFor(summary, config(bad)))!.code;
    assert.match(code, /p=0\.5, training=self\.training/, String(bad));
    assert.doesNotMatch(code, /import os#/);
  }
  // The generator refuses an unchecked spec, whoever calls it.
  const good = { depth: [4, 8] as [number, number], kernelSize: 5, hidden: 512, dropout: 0.5, imageSize: 28, numClasses: 10 };
  for (const [field, value, re] of [
    ['dropout', '0.5); import os', /dropout must be a number in \[0, 1\)/],
    ['dropout', Number.NaN, /dropout must be a number in \[0, 1\), got NaN/],
    ['imageSize', 30, /imageSize must be divisible by 4/],
    ['kernelSize', 4, /kernelSize must be odd/],
    ['hidden', 1e9, /hidden must be between 1 and 8192/],
    ['numClasses', 2.5, /numClasses must be a whole number/],
    ['depth', [4, '8; import os'], /depth\[1\] must be a whole number/],
  ] as const) {
    assert.throws(
      () => pytorchSnippet({ ...good, [field]: value } as never, '/w.safetensors'),
      (e: unknown) => e instanceof LabError && re.test(e.message),
      `${field} ${String(value)}`,
    );
  }
  assert.deepEqual(specProblems(good), []);
  // Given the run folder, a weights path (from summary.json) outside it gives no snippet.
  assert.notEqual(await pytorchSnippetFor(summary, null, dir), null);
  assert.equal(await pytorchSnippetFor(summary, null, join(dir, 'elsewhere')), null);
  assert.equal(
    await pytorchSnippetFor({ model: { safetensors: join(CORPUS, 'valid.safetensors'), tfjs: '' } } as RunSummary, null, dir),
    null,
  );
});

test("evaluate: a model whose class count is not the data's is refused, naming the weights file", async () => {
  const dir = tempDir();
  const net = ConvNet.init({ depth: [1, 1], kernelSize: 1, hidden: 2, dropout: 0.5, imageSize: 28, numClasses: 12 }, 1);
  const { safetensors } = await saveModel(net, dir);
  net.dispose();
  const r = await runCli(['evaluate', safetensors]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `mnist-lab: ${safetensors}: the model has 12 classes, the data has 10\n`);
});

test('export: hostile weights are refused (exit 2, one line naming the file) and nothing is written', async () => {
  const dir = tempDir();
  const names = ['metadata-dropout-code.safetensors', 'model-dotdot/model.json'];
  const outs = names.map((name) => join(dir, name.replace(/\W/g, '_')));
  const results = await Promise.all(names.map((name, i) => runCli(['export', join(CORPUS, name), '--out', outs[i]!])));
  results.forEach((r, i) => {
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.startsWith(`mnist-lab: ${join(CORPUS, names[i]!)}: `), r.stderr);
    assert.match(r.stderr, /^mnist-lab: [^\n]+\n$/);
    assert.ok(!existsSync(outs[i]!), `${outs[i]} was created`);
  });
});

test('export --out: an existing file, procfs, an unwritable place and a blocked file are refused by name, bounded, no partial file', async () => {
  const dir = tempDir();
  const src = join(CORPUS, 'valid.safetensors');
  writeFileSync(join(dir, 'file'), 'x');
  // In this process: the folder checks themselves.
  for (const [out, re] of [
    [join(dir, 'file'), /the export folder is an existing file/],
    [join(dir, 'file', 'sub'), /the export folder lies under .*\/file, which is an existing file/],
    ['/proc/version/x', /lies under \/proc\/version, which is an existing file/],
    ['/sys/mnist-lab-export', /cannot create the export folder \/sys\/mnist-lab-export \((EPERM|EACCES|EROFS)\)/],
    ['/proc/self/fd/0/x', /\/proc\/self\/fd\/0\/x: /],
  ] as const) {
    const e = labError(() => prepareExportDir(out), out);
    assert.match(e.message, re, out);
    assert.ok(e.message.startsWith(`${out}: `), e.message);
  }
  assert.equal(prepareExportDir(join(dir, 'a', 'b', 'c')), join(dir, 'a', 'b', 'c'));
  // Through the CLI, in child processes: procfs (Node's recursive mkdir retried it forever), a
  // target that cannot be replaced, and a fresh folder.
  const blocked = join(dir, 'blocked');
  mkdirSync(join(blocked, 'model.json'), { recursive: true });
  const fresh = join(dir, 'fresh', 'deeper');
  const [proc, b, ok] = await Promise.all([
    runCli(['export', src, '--out', '/proc/self/x']),
    runCli(['export', src, '--out', blocked]),
    runCli(['export', src, '--out', fresh, '--json']),
  ]);
  assert.ok(proc.ms < 30_000, `took ${proc.ms} ms`);
  assert.equal(proc.status, 2, proc.stderr);
  assert.equal(proc.stderr, 'mnist-lab: /proc/self/x: cannot create the export folder /proc/self/x (ENOENT)\n');
  // The blocked target: refused, and no temporary or half-written file is left.
  assert.equal(b.status, 2, b.stderr);
  assert.match(b.stderr, new RegExp(`^mnist-lab: ${blocked}: cannot write the export \\((EISDIR|ENOTEMPTY|EEXIST)\\)\\n$`));
  assert.deepEqual(
    readdirSync(blocked).filter((f) => f.endsWith('.tmp')),
    [],
  );
  // The export of the same weights to a fresh folder works (the four files, JSON summary).
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(readdirSync(fresh).sort(), ['load_pytorch.py', 'model.json', 'model.safetensors', 'weights.bin']);
  assert.equal(jsonLines(ok.stdout).at(-1)!.command, 'export');
});

/**
 * The CLI in a child process, killed after 60 s (a spin shows as a failure, not a hung test run);
 * async, so that the cases run side by side.
 */
function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((done, failed) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', failed);
    child.on('close', (status, signal) => {
      if (signal) failed(new Error(`mnist-lab ${args.join(' ')}: killed by ${signal} after ${Date.now() - started} ms (hung?)`));
      else done({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}
