import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { InstallCommandResult as InstallResult } from '../../../src/extension/backendInstall';
import { REFUSING_NPM_REGISTRY } from '../workspace';
import { SMALL_CONFIG, note, waitFor, workspaceRoot } from './util';

interface RunSummary {
  status: string;
  backend: string;
  device: string;
  steps: number;
}

/**
 * The output channel "MNIST Lab" as VS Code writes it to disk: `<user data>/logs/<session>/…/
 * output_logging_…/N-MNIST Lab.log` (the user data folder holds User/globalStorage too).
 */
function outputChannelLogs(userDataDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 6) walk(p, depth + 1);
      else if (e.isFile() && /MNIST Lab\.log$/.test(e.name)) found.push(p);
    }
  };
  if (existsSync(join(userDataDir, 'logs'))) walk(join(userDataDir, 'logs'), 0);
  return found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
}

/** The output channel's text on disk once it contains `what`. */
/** A log channel's text without the "<date> <time> [level] " VS Code puts before each line. */
const withoutLogPrefix = (text: string) => text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\w+\] /gm, '');

function outputChannelText(userDataDir: string, what: string): Promise<string> {
  return waitFor(
    `"${what}" in the output channel "MNIST Lab" (${join(userDataDir, 'logs')})`,
    () =>
      outputChannelLogs(userDataDir)
        .map((f) => withoutLogPrefix(readFileSync(f, 'utf8')))
        .find((t) => t.includes(what)),
    15_000,
    200,
  );
}

/** <user data>/User/globalStorage/<extension>/backends → <user data>. */
let userDataDir = '';

describe('accelerated backends', function () {
  this.timeout(180_000);

  it('MNIST: Install Accelerated Backend offline fails with a clear message, logs npm, leaves nothing; training stays on wasm', async () => {
    assert.equal(process.env.npm_config_registry, REFUSING_NPM_REGISTRY, 'the runner gives the extension host a registry that refuses');
    const t0 = Date.now();
    const r = (await vscode.commands.executeCommand('mnistLab.installBackend', { backend: 'webgpu' })) as InstallResult;
    const seconds = (Date.now() - t0) / 1000;
    note(`install webgpu with a refusing registry: failed in ${seconds.toFixed(1)} s: ${r.message}`);
    assert.equal(r.ok, false);
    assert.match(
      r.message ?? '',
      /^could not install webgpu: could not download http:\/\/127\.0\.0\.1:9\/\S*webgpu \(connect ECONNREFUSED 127\.0\.0\.1:9\): the npm registry cannot be reached \(offline\?\); set npm_config_registry to a mirror.*\. Training stays on the best backend that works here\.$/,
    );
    assert.ok(r.downloads?.[0]?.startsWith(REFUSING_NPM_REGISTRY), `what could not be downloaded: ${r.downloads}`);
    assert.ok(seconds < 60, `took ${seconds} s`);
    // Nothing half-installed in the global storage.
    assert.ok(r.root && r.root.includes('globalStorage'), `installs into the global storage: ${r.root}`);
    const left = existsSync(r.root) ? readdirSync(r.root) : [];
    assert.deepEqual(left, [], `left in ${r.root}: ${left.join(', ')}`);

    // npm's whole log is in the output channel, then the error.
    userDataDir = resolve(r.root, '..', '..', '..', '..');
    const log = await outputChannelText(userDataDir, 'error: could not install webgpu');
    assert.match(log, /MNIST Lab: installing webgpu into \S*globalStorage\S*backends/);
    assert.match(
      log,
      /\$ \S*node\S* \S*npm-cli\.js install --no-audit --no-fund --foreground-scripts --loglevel=http --prefix \S+ webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0/,
    );
    assert.match(log, /npm error .*ECONNREFUSED/);
    assert.match(log, /error: could not install webgpu: could not download http:\/\/127\.0\.0\.1:9\//);

    // Training afterwards still works, on the best backend that works here (wasm on a machine without a GPU).
    const summary = (await vscode.commands.executeCommand('mnistLab.train', {
      config: join(workspaceRoot(), SMALL_CONFIG),
      maxSteps: 10,
    })) as RunSummary | undefined;
    assert.ok(summary, 'the training after the failed install ran');
    assert.equal(summary.status, 'completed');
    note(`training after the failed install: ${summary.backend} — ${summary.device}`);
    if (!existsSync('/dev/nvidiactl') && !(existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD')))) {
      assert.equal(summary.backend, 'wasm');
      assert.match(summary.device, /WebAssembly/);
    }
  });

  it('forcing a backend that cannot load (mnistLab.backend = "tensorflow") is an error naming the reason; the extension stays up', async () => {
    const settings = vscode.workspace.getConfiguration('mnistLab');
    await settings.update('backend', 'tensorflow', vscode.ConfigurationTarget.Workspace);
    try {
      const summary = await vscode.commands.executeCommand('mnistLab.train', { config: join(workspaceRoot(), SMALL_CONFIG), maxSteps: 5 });
      assert.equal(summary, undefined, 'no run was made');
      assert.ok(userDataDir, 'the first test found the user data folder');
      const text = await outputChannelText(userDataDir, "error: backend 'tensorflow' cannot be used");
      const line = text.split('\n').find((l) => l.startsWith("error: backend 'tensorflow' cannot be used"))!;
      assert.match(
        line,
        /^error: backend 'tensorflow' cannot be used: tensorflow: package @tensorflow\/tfjs-node is not installed \(looked in .*node_modules\)$/,
      );
      note(`forced tensorflow: ${line}`);
    } finally {
      await settings.update('backend', undefined, vscode.ConfigurationTarget.Workspace);
    }
    // Still up: a command answers.
    const state = (await vscode.commands.executeCommand('mnistLab.debug.state')) as { training: boolean };
    assert.equal(state.training, false);
  });
});
