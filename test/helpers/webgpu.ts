import { join } from 'node:path';
import { BACKENDS_DIR_VARIABLE } from '../../src/core/backends/packages';
import { findNpm, installBackend, installedPackages, backendInstallDir } from '../../src/core/backends/install';

/**
 * webgpu as a user gets it: `npm install` does not bring its 132 MB of Dawn binaries; "MNIST:
 * Install Accelerated Backend" installs them with npm into a folder of their own. The tests do
 * the same, with the same installer, into a cache folder (node_modules/.cache, so a fresh
 * `npm install` starts without it), once per machine; then MNIST_LAB_BACKENDS_DIR names it for
 * this process (selectBackend) and the CLI it starts. Rejects with the installer's reason.
 */
export const TEST_BACKENDS_ROOT = join(__dirname, '..', '..', '..', 'node_modules', '.cache', 'mnist-lab-backends');

let installing: Promise<string> | undefined;

/** The installed webgpu folder (a modulePaths entry), installing it first when absent. */
export function installWebgpu(onLog?: (line: string) => void): Promise<string> {
  installing ??= (async () => {
    const dir = backendInstallDir(TEST_BACKENDS_ROOT, 'webgpu');
    if (!installedPackages(TEST_BACKENDS_ROOT, 'webgpu')) {
      const npm = findNpm(process.execPath);
      if (!npm) throw new Error(`no npm beside ${process.execPath} to install webgpu with`);
      const t0 = Date.now();
      await installBackend({ backend: 'webgpu', root: TEST_BACKENDS_ROOT, npm, onLog });
      process.stdout.write(`# webgpu installed into ${dir} with npm in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    process.env[BACKENDS_DIR_VARIABLE] = dir;
    return dir;
  })();
  return installing;
}
