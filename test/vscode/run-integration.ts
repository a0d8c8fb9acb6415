// The CI runner of the integration suite: code-server 4.100.3 + Debian's Chromium. The workbench
// URL payload loads this project as the extension under development (extensionDevelopmentPath)
// and runs out/test/vscode/suite/index.js in its extension host (extensionTestsPath), exactly as
// @vscode/test-electron would; the workbench reports the end through codeAutomationExit.
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, ProcessTracker, launchBrowser, log, startCodeServer, workbenchUrl, makeTempRoot, type CodeServer } from './harness';
import type { SuiteResults } from './suite/index';
import { REFUSING_NPM_REGISTRY, makeWorkspace } from './workspace';

export interface LayerResult {
  layer: string;
  passed: number;
  failed: number;
  seconds: number;
  processes: number;
}

const ROOT = resolve(__dirname, '..', '..', '..');
const SUITE = join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js');
const TIMEOUT_MS = Number(process.env.MNIST_LAB_INTEGRATION_TIMEOUT_MS || 8 * 60_000);

export async function runIntegration(
  artifacts = join(process.env.MNIST_LAB_ARTIFACTS || join(ROOT, '.test-artifacts'), 'integration'),
): Promise<LayerResult> {
  const t0 = Date.now();
  mkdirSync(artifacts, { recursive: true });
  const tracker = new ProcessTracker('integration');
  const tmp = makeTempRoot('integration');
  tracker.addTempDir(tmp);
  const ws = join(tmp, 'workspace');
  const resultsFile = join(artifacts, 'results.json');
  rmSync(resultsFile, { force: true });
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let exitCode: number | undefined;
  let error: unknown;
  try {
    if (!existsSync(SUITE)) throw new Error(`${SUITE} is missing: build with node scripts/vscode-test/build.mjs`);
    if (!existsSync(join(ROOT, 'package.json'))) throw new Error(`no package.json in ${ROOT}`);
    makeWorkspace(ws);
    cs = await startCodeServer({
      tracker,
      env: { MNIST_LAB_TEST_RESULTS: resultsFile, npm_config_registry: REFUSING_NPM_REGISTRY },
      label: 'integration',
    });
    browser = await launchBrowser(cs.root, tracker);
    const page = browser.page;
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      resolveExit(code);
    });
    // The workbench's and the browser's console (the extension host's output is forwarded there)
    // go to an artefact; the runner prints the suite's results from the results file.
    const consoleLog = createWriteStream(join(artifacts, 'browser-console.log'));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      consoleLog.write(`[workbench ${type}] ${(args ?? []).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
    });
    page.on('console', (m) => consoleLog.write(`[browser ${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => {
      consoleLog.write(`[browser pageerror] ${e.stack ?? e.message}\n`);
      process.stderr.write(`[browser pageerror] ${e.message}\n`);
    });
    const url = workbenchUrl(cs, ws, [
      ['extensionDevelopmentPath', cs.remote(ROOT)],
      ['extensionTestsPath', cs.remote(SUITE)],
    ]);
    log(`integration: opening ${url}`);
    await page.goto(url);
    const timer = new Promise<number>((r) => setTimeout(() => r(-1), TIMEOUT_MS).unref());
    exitCode = await Promise.race([exited, timer]);
    await page.screenshot({ path: join(artifacts, 'integration-after-exit.png') }).catch(() => undefined);
    if (exitCode === -1) throw new Error(`the integration suite did not finish within ${TIMEOUT_MS / 1000} s`);
  } catch (e) {
    error = e;
  } finally {
    await browser?.close();
  }
  let processes = 0;
  try {
    processes = await tracker.stopAll();
  } catch (e) {
    error ??= e;
  }
  let results: SuiteResults | undefined;
  try {
    results = JSON.parse(readFileSync(resultsFile, 'utf8')) as SuiteResults;
  } catch {
    /* the suite did not run */
  }
  if (cs) writeFileSync(join(artifacts, 'code-server.log'), cs.output());
  if (error || !results) {
    const out = cs?.output() ?? '';
    if (out) process.stderr.write(`--- code-server output (last 4000 chars) ---\n${out.slice(-4000)}\n---\n`);
  }
  const r: LayerResult = { layer: 'integration', passed: 0, failed: 0, seconds: (Date.now() - t0) / 1000, processes };
  if (results) {
    for (const t of results.tests) {
      const mark = t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-';
      process.stdout.write(`  ${mark} [integration] ${t.title} (${t.ms} ms)\n`);
      if (t.error) process.stdout.write(`      ${t.error.split('\n').slice(0, 6).join('\n      ')}\n`);
    }
    for (const n of results.notes) process.stdout.write(`  [integration] ${n}\n`);
    r.passed = results.passed;
    r.failed = results.failed;
    if (exitCode !== undefined && exitCode !== 0 && results.failed === 0) {
      r.failed++;
      process.stdout.write(`  ✗ [integration] the extension host reported exit code ${exitCode} with no failed test\n`);
    }
  } else {
    r.failed++;
    process.stdout.write(`  ✗ [integration] the suite did not run (exit code ${exitCode ?? 'none'})\n`);
  }
  if (error) {
    if (results) r.failed++;
    process.stdout.write(`  ✗ [integration] harness: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  return r;
}

if (require.main === module) {
  runIntegration().then(
    (r) => {
      process.stdout.write(`integration: ${r.passed} passed, ${r.failed} failed (${r.seconds.toFixed(1)} s)\n`);
      process.exit(r.failed ? 1 : 0);
    },
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
