// The integration suite's entry, the @vscode/test-electron contract: the extension host loads this
// module (extensionTestsPath) and awaits run(); a rejection means failure. The same module serves
// the desktop runner (test/vscode/run-desktop.ts) and the code-server runner (run-integration.ts).
// Results also go, as JSON, to $MNIST_LAB_TEST_RESULTS when set (the runner prints and counts them).
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export interface SuiteTestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  ms: number;
  error?: string;
}

export interface SuiteResults {
  passed: number;
  failed: number;
  tests: SuiteTestResult[];
  notes: string[];
}

/** Measurements a test wants printed by the runner (e.g. the event-loop lag). */
export const notes: string[] = [];
(globalThis as Record<string, unknown>).__mnistLabSuiteNotes = notes;

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const dir = __dirname;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(join(dir, f));
  const results: SuiteResults = { passed: 0, failed: 0, tests: [], notes };
  const write = () => {
    const out = process.env.MNIST_LAB_TEST_RESULTS;
    if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        write();
        if (failures > 0) reject(new Error(`${failures} of ${results.tests.length} integration tests failed`));
        else if (results.tests.length === 0) reject(new Error(`no integration tests found in ${dir}`));
        else resolve();
      });
      runner.on('pass', (t) => {
        results.passed++;
        results.tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration ?? 0 });
        write();
      });
      runner.on('fail', (t, err: Error) => {
        results.failed++;
        results.tests.push({ title: t.fullTitle(), state: 'failed', ms: t.duration ?? 0, error: `${err?.stack ?? err}` });
        write();
      });
      runner.on('pending', (t) => results.tests.push({ title: t.fullTitle(), state: 'pending', ms: 0 }));
    } catch (e) {
      reject(e);
    }
  });
}
