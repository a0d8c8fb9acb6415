/**
 * Issue #13, class 1: values from files never reach the generated load_pytorch.py as code. A run
 * whose config carries Python in its class names, exported to a folder whose name carries Python,
 * gives a loader that Debian's python3 + torch RUNS: it loads the weights, prints what it should,
 * and executes nothing else (the marker file each payload would create never appears). Metadata
 * carrying Python in the spec's fields is refused; in other fields it is ignored.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { selectBackend } from '../../src/core/backends';
import { ConvNet } from '../../src/core/model/convnet';
import { saveModel } from '../../src/core/model/interchange';
import { pyString } from '../../src/core/model/pytorchSnippet';
import { encodeSafetensors } from '../../src/core/model/safetensors';
import { toTorchStateDict } from '../../src/core/model/interchange';
import { CLI } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const PYTHON = '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'pass']).status === 0;
const hasTorch = hasPython && spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const skip = !hasTorch && !process.env.CI ? `${PYTHON} cannot import torch and numpy (Debian: apt-get install python3-torch)` : false;
const SPEC = { depth: [2, 3] as [number, number], kernelSize: 3, hidden: 5, dropout: 0.25, imageSize: 8, numClasses: 10 };

before(async () => {
  await selectBackend('wasm', { requireSyncReads: true });
});

function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', failed);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

test(
  'pyString: every string (any UTF-16, lone surrogates, quotes, newlines, U+2028, backslash-u) is one ASCII Python literal of itself',
  { skip: hasPython ? false : `no ${PYTHON}` },
  () => {
    const strings = fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { numRuns: 400, seed: 13 });
    strings.push(
      '"""',
      "'''",
      '\\',
      '\\u0022',
      '\\N{QUOTATION MARK}',
      '\n',
      '\r',
      '\u2028\u2029',
      '\0',
      '\ud800',
      'a\udc00b',
      '😀',
      '\x7f\x80\xff',
    );
    const literals = strings.map(pyString);
    for (const l of literals) assert.match(l, /^"[\x20-\x7e]*"$/, l);
    // Python reads each literal back (ast.literal_eval: no code runs), as code points.
    const script =
      'import ast, json, sys\nfor line in sys.stdin.read().split("\\n"):\n    if line:\n        print(json.dumps([ord(c) for c in ast.literal_eval(line)]))\n';
    const r = spawnSync(PYTHON, ['-c', script], { input: literals.join('\n'), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const back = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as number[]);
    assert.equal(back.length, strings.length);
    strings.forEach((s, i) => {
      // A lone surrogate is not text: it becomes U+FFFD; everything else is itself.
      const want = Array.from(s, (ch) =>
        ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff ? 0xfffd : ch.codePointAt(0)!,
      );
      assert.deepEqual(back[i], want, JSON.stringify(s));
    });
  },
);

test(
  "export: class names and an output folder carrying Python give a loader that runs, loads the weights, executes nothing else; metadata carrying Python is refused in the spec's fields, ignored in others",
  { skip },
  async () => {
    const dir = tempDir();
    const marker = join(dir, 'pwned');
    const m = JSON.stringify(marker);
    const names = [
      `"""; import os; os.system('touch ${marker}')#`,
      `a\nimport os; os.system("touch ${marker}")`,
      `\\"); open(${m}, "w")#`,
      `'''; open(${m}, 'w'); '''`,
      `\u2028open(${m}, "w")`,
      `\\u0022); open(${m}, "w")#`,
      `\ud800 lone`,
      `{open(${m}, "w")}`,
      `cr\r\n`,
      `😀 \\N{QUOTATION MARK}`,
    ];
    const net = ConvNet.init(SPEC, 3);
    const sd = toTorchStateDict(net);
    // A run whose config.json (a file: hostile) names the classes.
    const runDir = join(dir, 'run');
    await saveModel(net, join(runDir, 'model'));
    net.dispose();
    writeFileSync(
      join(runDir, 'config.json'),
      JSON.stringify({
        name: 'x',
        model: { depth: [2, 3], kernelSize: 3, hidden: 5, dropout: 0.25 },
        training: {},
        data: { dir: null, classNames: names },
      }),
    );
    writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ runId: 'x', status: 'completed' }));
    const out = join(dir, `out"'\n$(touch ${marker})\u2028\\`);
    // Weights whose metadata carries Python: in every field of the spec, and in fields not used.
    const payload = `0.5, training=True); import os; os.system('touch ${marker}')#`;
    const evilSpec = Object.fromEntries(Object.keys(SPEC).map((k) => [k, payload]));
    const refused = join(dir, 'refused.safetensors');
    writeFileSync(refused, encodeSafetensors(sd, { format: 'pt', 'mnist-lab': JSON.stringify(evilSpec) }));
    const ignored = join(dir, 'ignored.safetensors');
    writeFileSync(
      ignored,
      encodeSafetensors(sd, {
        format: `pt"""\nimport os; os.system('touch ${marker}')`,
        [`x"\n${payload}`]: payload,
        'mnist-lab': JSON.stringify({ ...SPEC, comment: payload }),
      }),
    );
    mkdirSync(join(dir, 'o'));
    const [ex, r1, r2] = await Promise.all([
      run(process.execPath, [CLI, 'export', runDir, '--out', out, '--json'], dir),
      run(process.execPath, [CLI, 'export', refused, '--out', join(dir, 'o', 'refused')], dir),
      run(process.execPath, [CLI, 'export', ignored, '--out', join(dir, 'o', 'ignored')], dir),
    ]);
    assert.equal(r1.status, 2, r1.stderr);
    assert.equal(
      r1.stderr,
      `mnist-lab: ${refused}: __metadata__["mnist-lab"].depth must be two channel counts, got "0.5, training=True); import os; os.syste…"\n`,
    );
    assert.ok(!existsSync(join(dir, 'o', 'refused')));
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(ex.status, 0, ex.stderr + ex.stdout);
    // A NUL in a class name never gets that far: the run's config is refused, naming the field.
    const nulRun = join(dir, 'nul-run');
    mkdirSync(nulRun);
    writeFileSync(join(nulRun, 'config.json'), JSON.stringify({ name: 'x', data: { classNames: ['a', 'b\0'] } }));
    writeFileSync(join(nulRun, 'summary.json'), JSON.stringify({ runId: 'x', status: 'completed' }));
    const two = ConvNet.init({ ...SPEC, numClasses: 2 }, 3);
    await saveModel(two, join(nulRun, 'model'));
    two.dispose();
    const nul = await run(process.execPath, [CLI, 'export', nulRun, '--out', join(dir, 'o', 'nul')], dir);
    assert.equal(nul.status, 2, nul.stderr);
    assert.match(nul.stderr, /nul-run[\\/]config\.json: data\.classNames\[1\]: must not contain a NUL character/);
    const snippet = join(out, 'load_pytorch.py');
    const code = readFileSync(snippet, 'utf8');
    assert.ok(!/[\u2028\u2029]/.test(code));
    assert.match(code, /^depth = \[2, 3\]\nkernel_size = 3\nhidden = 5\nimage_size = 8\nnum_classes = 10$/m);
    assert.match(code, /p=0\.25, training=self\.training/);
    // One python3 (torch imports once) runs both loaders as scripts, as a user would.
    const driver = join(dir, 'driver.py');
    writeFileSync(
      driver,
      [
        'import json, runpy, sys',
        'ns = runpy.run_path(sys.argv[1], run_name="__main__")',
        'print("NAMES " + json.dumps(ns["class_names"]))',
        'print("WEIGHTS " + json.dumps(ns["WEIGHTS"]))',
        'print("PARAMS", sum(p.numel() for p in ns["net"].parameters()))',
        'runpy.run_path(sys.argv[2], run_name="__main__")',
      ].join('\n'),
    );
    const py = await run(PYTHON, ['-B', driver, snippet, join(dir, 'o', 'ignored', 'load_pytorch.py')], dir);
    assert.equal(py.status, 0, py.stderr);
    assert.ok(!existsSync(marker), 'a payload ran');
    const line = (tag: string) =>
      JSON.parse(
        py.stdout
          .split('\n')
          .find((l) => l.startsWith(`${tag} `))!
          .slice(tag.length + 1),
      ) as unknown;
    // A lone surrogate is not text: U+FFFD; every other name is itself, character for character.
    const wellFormed = (n: string) => Array.from(n, (ch) => (ch.length === 1 && ch >= '\ud800' && ch <= '\udfff' ? '\ufffd' : ch)).join('');
    assert.deepEqual(line('NAMES'), names.map(wellFormed));
    assert.equal(line('WEIGHTS'), join(out, 'model.safetensors'));
    // conv1 2·9+2, conv2 3·2·9+3, fc1 (2·2·3)·5+5, fc2 5·10+10 = 20 + 57 + 65 + 60.
    assert.match(py.stdout, /^PARAMS 202$/m);
    // Both loaders printed their summary: the weights loaded (strict load_state_dict).
    assert.equal(py.stdout.match(/202 parameters loaded from /g)?.length, 2, py.stdout);
    assert.match(py.stdout, /empty image -> \d /);
  },
);
