// Runs the UI end-to-end tests (test/vscode/e2e/*.e2e.ts, bundled to out/test/vscode/e2e) with mocha
// in this Node process; the tests' hooks start and stop code-server and Chromium (see harness.ts).
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Mocha from 'mocha';
import { packageVsix } from './e2e/workbench';

async function main(): Promise<number> {
  const t0 = Date.now();
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 120_000, color: false, bail: false });
  const dir = join(__dirname, 'e2e');
  // MNIST_LAB_E2E_ONLY=zh-cn: only the files whose name starts so.
  const only = process.env.MNIST_LAB_E2E_ONLY;
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.e2e.js') && (!only || x.startsWith(only)))
    .sort())
    mocha.addFile(join(dir, f));
  // Every UI test file installs the same .vsix: packaged once here (each file would package its
  // own otherwise: a minute or more each on two cores), then handed over as MNIST_LAB_VSIX.
  if (!process.env.MNIST_LAB_VSIX) {
    const root = join(__dirname, '..', '..', '..');
    const tmp = process.env.MNIST_LAB_TEST_TMP ?? mkdtempSync(join(tmpdir(), 'mnist-lab-e2e-'));
    process.env.MNIST_LAB_VSIX = packageVsix(root, tmp, 'e2e (all files)');
  }
  let passed = 0;
  let failures = 0;
  let pending = 0;
  let total = 0;
  const failed = await new Promise<number>((resolve) => {
    const runner = mocha.run((n) => resolve(n));
    total = runner.total;
    runner.on('pass', () => passed++);
    runner.on('fail', () => failures++);
    // it.skip / describe.skip: named in the file with the reason, not run, not counted as passed.
    runner.on('pending', () => pending++);
  });
  // A failing before-all hook skips the tests after it: count those as failed too.
  const notPassed = Math.max(failures, total - passed - pending, failed ? 1 : 0);
  process.stdout.write(
    `e2e: ${passed} passed, ${notPassed} failed${pending ? `, ${pending} skipped` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
  return notPassed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.stdout.write('e2e: 0 passed, 1 failed\n');
    process.exit(1);
  },
);
