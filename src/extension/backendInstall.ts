/**
 * MNIST: Install Accelerated Backend — the extension side of src/core/backends/install.ts: a
 * quick pick of the accelerated backends (what each needs, its download, whether it is
 * installed), then npm into the extension's global storage with a cancellable progress
 * notification and npm's whole log in the output channel. The worker finds the installed
 * folders through MNIST_LAB_BACKENDS_DIR (LabContext.workerOptions), from the next worker on.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type AcceleratedBackendName, BackendInstallError, findNpm, installBackend, installedPackages } from '../core/backends/install';
import { ACCELERATED_BACKENDS } from '../core/backends/packages';
import type { LabContext } from './ctx';
import { errorMessage } from '../core/errors';

/** What each backend needs, and roughly what the install downloads (npm packages + libtensorflow). */
const ABOUT: Record<AcceleratedBackendName, { needs: string; download: string }> = {
  'tensorflow-gpu': { needs: 'NVIDIA GPU, CUDA 11.2 + cuDNN 8.1 (Linux/Windows x64)', download: '≈ 450 MB with libtensorflow GPU 2.9.1' },
  tensorflow: { needs: 'native CPU (libtensorflow 2.9.1)', download: '≈ 150 MB with libtensorflow CPU 2.9.1' },
  webgpu: { needs: 'a GPU with Vulkan (Linux), Metal (macOS) or Direct3D 12 (Windows)', download: '≈ 65 MB (200 MB installed)' },
};

export interface InstallCommandResult {
  ok: boolean;
  backend?: string;
  /** The folder holding the installed backends (global storage). */
  root?: string;
  /** The installed folder (a modulePaths entry of the worker). */
  dir?: string;
  /** Why it failed (also shown as a notification). */
  message?: string;
  /** What could not be downloaded. */
  downloads?: string[];
}

/** Where the backends are installed: one folder each, under the extension's global storage. */
export function backendsRoot(c: LabContext): string {
  return join(c.extension.globalStorageUri.fsPath, 'backends');
}

function pickItems(c: LabContext) {
  const platform = `${process.platform}-${process.arch}`;
  return ACCELERATED_BACKENDS.map((b) => {
    const installed = installedPackages(backendsRoot(c), b.backend);
    const state = !b.platforms.includes(platform)
      ? vscode.l10n.t('not available for {0}', platform)
      : installed
        ? vscode.l10n.t('installed ({0}) — choose to reinstall', installed.map((p) => `${p.name} ${p.version}`).join(', '))
        : vscode.l10n.t('not installed');
    return {
      label: b.backend,
      description: ABOUT[b.backend].needs,
      detail: `${state} · ${vscode.l10n.t('download {0}', ABOUT[b.backend].download)} · ${b.packages.join(' ')}`,
      backend: b.backend,
    };
  });
}

export async function installBackendCommand(c: LabContext, args: { backend?: string } = {}): Promise<InstallCommandResult> {
  let backend = args.backend as AcceleratedBackendName | undefined;
  if (!backend) {
    const pick = await vscode.window.showQuickPick(pickItems(c), {
      title: vscode.l10n.t('MNIST: Install Accelerated Backend'),
      placeHolder: vscode.l10n.t('Install which backend into {0}?', backendsRoot(c)),
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!pick) return { ok: false, message: 'cancelled' };
    backend = pick.backend;
  }
  const fail = (message: string, downloads: string[] = []): InstallCommandResult => {
    c.output.appendLine(`error: ${message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('MNIST Lab: {0}', message), vscode.l10n.t('Show Log')).then((choice) => {
      if (choice) c.output.show(true);
    });
    return { ok: false, backend, root: backendsRoot(c), message, downloads };
  };
  if (!ACCELERATED_BACKENDS.some((b) => b.backend === backend)) {
    return fail(
      vscode.l10n.t(
        "unknown accelerated backend '{0}' (choose one of: {1})",
        String(backend),
        ACCELERATED_BACKENDS.map((b) => b.backend).join(', '),
      ),
    );
  }
  const nodePath = vscode.workspace.getConfiguration('mnistLab').get<string>('nodePath', '').trim();
  const npm = findNpm(nodePath || undefined);
  if (!npm) {
    return fail(
      nodePath
        ? vscode.l10n.t(
            'npm was found neither beside mnistLab.nodePath ({0}) nor on PATH: install Node.js with npm, or set mnistLab.nodePath to a Node.js that has npm beside it.',
            nodePath,
          )
        : vscode.l10n.t(
            'npm was not found on PATH: install Node.js with npm, or set mnistLab.nodePath to a Node.js that has npm beside it.',
          ),
    );
  }
  const root = backendsRoot(c);
  c.output.appendLine(vscode.l10n.t('MNIST Lab: installing {0} into {1}', backend, root));
  try {
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MNIST: installing {0}', backend), cancellable: true },
      (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        let lastReport = 0;
        return installBackend({
          backend: backend!,
          root,
          npm,
          signal: ac.signal,
          onLog: (line) => {
            c.output.appendLine(line);
            const now = Date.now();
            if (now - lastReport > 250 && line.trim()) {
              lastReport = now;
              progress.report({ message: line.length > 90 ? `${line.slice(0, 87)}…` : line });
            }
          },
        });
      },
    );
    // The analysis worker was started with the old folder list: the next question starts a new one.
    c.restartAnalysisWorker();
    c.output.appendLine(vscode.l10n.t('{0} installed in {1} ({2} s); the next training tries it', backend, r.dir, r.seconds.toFixed(1)));
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'MNIST Lab: {0} installed ({1}). The next training tries it (mnistLab.backend "auto" or "{0}").',
        backend,
        r.packages.map((p) => `${p.name} ${p.version}`).join(', '),
      ),
    );
    return { ok: true, backend, root, dir: r.dir };
  } catch (e) {
    const message = errorMessage(e);
    if (/was cancelled$/.test(message)) {
      c.output.appendLine(message);
      return { ok: false, backend, root, message };
    }
    return fail(
      vscode.l10n.t('could not install {0}: {1}. Training stays on the best backend that works here.', backend, message),
      e instanceof BackendInstallError ? e.downloads : [],
    );
  }
}
