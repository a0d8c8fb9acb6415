// The desktop runner of the same integration suite, with @vscode/test-electron: for anyone with
// desktop VS Code and internet (CI uses run-integration.ts, code-server). VS Code is downloaded
// by test-electron (version from $MNIST_LAB_VSCODE_VERSION, default 1.100.3 like the CI's
// code-server), or taken from $VSCODE_EXECUTABLE_PATH. Without either, it fails within a minute
// with a clear message instead of hanging.
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { makeTempRoot, removeTemp } from './harness';
import type { SuiteResults } from './suite/index';
import { REFUSING_NPM_REGISTRY, makeWorkspace } from './workspace';

const ROOT = resolve(__dirname, '..', '..', '..');
const VERSION = process.env.MNIST_LAB_VSCODE_VERSION || '1.100.3';
const DOWNLOAD_TIMEOUT_MS = 60_000;

async function main(): Promise<number> {
  const tmp = makeTempRoot('desktop');
  try {
    let executable = process.env.VSCODE_EXECUTABLE_PATH;
    if (!executable) {
      try {
        executable = await Promise.race([
          downloadAndUnzipVSCode({
            version: VERSION,
            timeout: 20_000,
            cachePath: join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mnist-lab-test', 'vscode-desktop'),
          }),
          new Promise<never>((_, reject) =>
            setTimeout(
              () => reject(new Error(`no answer from the VS Code download server within ${DOWNLOAD_TIMEOUT_MS / 1000} s`)),
              DOWNLOAD_TIMEOUT_MS,
            ).unref(),
          ),
        ]);
      } catch (e) {
        process.stderr.write(
          `test:desktop: cannot get VS Code ${VERSION} with @vscode/test-electron: ${e instanceof Error ? e.message : String(e)}\n` +
            '  This runner needs internet access to update.code.visualstudio.com (or VSCODE_EXECUTABLE_PATH=/path/to/code).\n' +
            '  Offline, run the same suite in code-server instead: npm run test:vscode\n',
        );
        return 2;
      }
    }
    const ws = join(tmp, 'workspace');
    makeWorkspace(ws);
    const resultsFile = join(tmp, 'results.json');
    mkdirSync(join(tmp, 'user-data'), { recursive: true });
    const code = await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js'),
      extensionTestsEnv: { MNIST_LAB_TEST_RESULTS: resultsFile, npm_config_registry: REFUSING_NPM_REGISTRY },
      launchArgs: [
        ws,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--user-data-dir',
        join(tmp, 'user-data'),
        '--extensions-dir',
        join(tmp, 'extensions'),
      ],
    }).catch((e: unknown) => {
      process.stderr.write(`test:desktop: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    });
    try {
      const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as SuiteResults;
      for (const n of r.notes) process.stdout.write(`  ${n}\n`);
      process.stdout.write(`desktop: ${r.passed} passed, ${r.failed} failed\n`);
    } catch {
      process.stdout.write('desktop: the suite did not report results\n');
    }
    return code;
  } finally {
    removeTemp(tmp);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
