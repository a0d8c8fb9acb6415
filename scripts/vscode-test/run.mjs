#!/usr/bin/env node
// npm run test:vscode — the real-VS-Code layers of issue 5, in order:
//   setup        code-server 4.100.3 + Chromium (cached: scripts/vscode-test/setup.mjs)
//   build        the extension (npm run build) and the tests (scripts/vscode-test/build.mjs)
//   integration  the mocha suite inside code-server's extension host (out/test/vscode/run-integration.js)
//   e2e          Playwright UI tests on the packaged .vsix (out/test/vscode/run-e2e.js)
// Exits non-zero on any failure. Last lines: per-layer wall time, then exactly
// `vscode: N passed, M failed`. Every process the layers start carries MNIST_LAB_TEST_RUN in its
// environment; any left at the end of a layer is killed by PID and counted as a failure.
// Env: MNIST_LAB_SKIP_BUILD=1 (use the existing dist/ and out/), MNIST_LAB_VSCODE_LAYERS=integration,e2e.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runTag = `${process.pid}-${Date.now()}`;
const tmp = mkdtempSync(join(tmpdir(), 'mnist-lab-vscode-'));
const env = { ...process.env, MNIST_LAB_TEST_RUN: runTag, MNIST_LAB_TEST_TMP: tmp };
const wanted = (process.env.MNIST_LAB_VSCODE_LAYERS || 'integration,e2e').split(',').map((s) => s.trim());
const layers = [];
let current;
let stopping;

function tagged() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (!environ.includes(`MNIST_LAB_TEST_RUN=${runTag}\0`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160) });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Kills every process of this run still alive; returns those that were found. */
async function sweep() {
  const left = tagged();
  for (const sig of ['SIGTERM', 'SIGKILL']) {
    for (const p of tagged()) {
      try {
        process.kill(p.pid, sig);
      } catch {
        /* gone */
      }
    }
    for (let i = 0; i < 20 && tagged().length; i++) await sleep(100);
  }
  const still = tagged();
  if (still.length) console.error(`vscode-test: could not kill: ${still.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
  return left;
}

/** Runs a layer's runner; past `timeoutS` it gets SIGTERM (its harness then stops everything), then SIGKILL. */
function runNode(script, timeoutS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let out = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`vscode-test: ${script} ran past ${timeoutS} s: stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutS * 1000);
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code: timedOut ? 124 : (code ?? (signal ? 128 : 1)), out, timedOut });
    });
  });
}

function runCmd(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
    current = child;
    child.on('close', (code) => {
      current = undefined;
      resolve(code ?? 1);
    });
  });
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = sig;
    console.error(`vscode-test: ${sig}: stopping`);
    try {
      current?.kill(sig);
    } catch {
      /* gone */
    }
    await sleep(3000);
    await sweep();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

async function layer(name, fn) {
  if (stopping) return { name, passed: 0, failed: 0, seconds: 0 };
  const t0 = Date.now();
  let r;
  try {
    r = await fn();
  } catch (e) {
    console.error(`vscode-test: ${name}: ${e instanceof Error ? e.message : e}`);
    r = { passed: 0, failed: 1 };
  }
  const left = await sweep();
  if (left.length) {
    console.error(
      `vscode-test: ${name}: ${left.length} processes were left running (killed): ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`,
    );
    r.failed++;
  }
  const l = { name, passed: r.passed, failed: r.failed, seconds: (Date.now() - t0) / 1000 };
  layers.push(l);
  return l;
}

function counts(r, name) {
  const m = new RegExp(`^${name}: (\\d+) passed, (\\d+) failed`, 'm').exec(r.out);
  if (!m || r.timedOut) {
    // Killed before it could count: what passed still counts, the rest is one failure.
    const passed = (r.out.match(/^\s+(✓|✔)/gm) ?? []).length;
    return { passed, failed: 1 };
  }
  const c = { passed: Number(m[1]), failed: Number(m[2]) };
  if (r.code !== 0 && c.failed === 0) c.failed = 1;
  return c;
}

let setupOk = true;
await layer('setup', async () => {
  setup();
  return { passed: 0, failed: 0 };
}).then((l) => (setupOk = l.failed === 0));

let buildOk = setupOk;
if (setupOk) {
  await layer('build', async () => {
    if (process.env.MNIST_LAB_SKIP_BUILD !== '1') {
      const code = await runCmd('npm', ['run', '--silent', 'build']);
      if (code !== 0) throw new Error(`npm run build exited with ${code}`);
    }
    const code = await runCmd(process.execPath, ['scripts/vscode-test/build.mjs']);
    if (code !== 0) throw new Error(`the tests' build exited with ${code}`);
    return { passed: 0, failed: 0 };
  }).then((l) => (buildOk = l.failed === 0));
}

if (buildOk && wanted.includes('integration')) {
  await layer('integration', async () => {
    const r = await runNode('out/test/vscode/run-integration.js', Number(process.env.MNIST_LAB_INTEGRATION_LAYER_TIMEOUT_S || 480));
    return counts(r, 'integration');
  });
}
if (buildOk && wanted.includes('e2e')) {
  await layer('e2e', async () => {
    const r = await runNode('out/test/vscode/run-e2e.js', Number(process.env.MNIST_LAB_E2E_LAYER_TIMEOUT_S || 2400));
    return counts(r, 'e2e');
  });
}
rmSync(tmp, { recursive: true, force: true });

const passed = layers.reduce((a, l) => a + l.passed, 0);
const failed = layers.reduce((a, l) => a + l.failed, 0);
console.log('\nvscode layer   passed  failed  seconds');
for (const l of layers)
  console.log(`${l.name.padEnd(13)} ${String(l.passed).padStart(7)} ${String(l.failed).padStart(7)} ${l.seconds.toFixed(1).padStart(8)}`);
console.log(`vscode: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
