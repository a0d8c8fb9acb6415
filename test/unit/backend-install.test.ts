/**
 * Installing an accelerated backend (issue 6, item 2) with the real npm: webgpu from this
 * machine's npm cache into a temporary "global storage" that the backend loader then loads Dawn
 * from (on lavapipe here and in CI), and the failures a machine without network meets: a registry
 * that refuses, a package not in npm's cache, tfjs-node's install script that cannot download
 * libtensorflow. Each failure must leave nothing behind and say what could not be downloaded.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resolvePackage, selectBackend } from '../../src/core/backends';
import {
  acceleratedBackend,
  BackendInstallError,
  explainInstallFailure,
  findNpm,
  installBackend,
  installedBackendDirs,
  installedPackages,
  packageName,
} from '../../src/core/backends/install';
import { LabError } from '../../src/core/errors';
import { tf } from '../../src/core/tf';
import { tempDir } from '../helpers/tmp';

const IN_CI = process.env.CI === 'true';
/** A port nothing listens on: connections are refused at once. */
const REFUSING = 'http://127.0.0.1:9/';
const npm = findNpm(process.execPath);
/** The webgpu version the installer pins (webgpu is no dependency of the project: no lock file entry). */
const webgpuVersion = acceleratedBackend('webgpu')
  .packages.find((p) => packageName(p) === 'webgpu')
  ?.slice('webgpu@'.length);

/**
 * The webgpu tests install offline, from npm's cache. `npm install` from the lock file caches
 * only the tarballs it fetches, not the registry documents an install without a lock file reads
 * (a fresh CI machine has none of them): when the offline install says something is not in the
 * cache, one install from the registry fills it, once per file.
 */
let webgpuCached: Promise<void> | undefined;
function cacheWebgpu(): Promise<void> {
  webgpuCached ??= (async () => {
    assert.ok(npm);
    try {
      await installBackend({ backend: 'webgpu', root: tempDir('mnist-lab-cache-probe-'), npm, offline: true });
    } catch (e) {
      if (!(e instanceof BackendInstallError) || !/npm is offline and \S+ is not in its cache/.test(e.message)) throw e;
      process.stdout.write(`# npm's cache lacks part of webgpu (${e.downloads.join(', ')}): filling it from the registry once\n`);
      await installBackend({ backend: 'webgpu', root: tempDir('mnist-lab-cache-fill-'), npm });
    }
  })();
  return webgpuCached;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('finding npm', () => {
  test('npm beside the configured Node runs on that Node', () => {
    assert.ok(npm, `no npm beside ${process.execPath}`);
    if (npm.args.length) {
      assert.equal(npm.command, process.execPath);
      assert.match(npm.args[0]!, /npm-cli\.js$/);
      assert.ok(existsSync(npm.args[0]!));
    }
  });

  test('on PATH when no Node is configured; null when there is none anywhere', () => {
    const onPath = findNpm(undefined, { PATH: process.env.PATH });
    assert.ok(onPath, 'npm on PATH');
    const empty = tempDir('mnist-lab-no-npm-');
    assert.equal(findNpm(join(empty, 'node'), { PATH: empty }), null);
  });
});

describe('installing a backend with npm', () => {
  test('webgpu from the npm cache into a fresh global storage; the loader then loads Dawn from there', async (t) => {
    assert.ok(npm);
    assert.equal(webgpuVersion, '0.6.2', 'the installer pins webgpu 0.6.2');
    await cacheWebgpu();
    const root = tempDir('mnist-lab-storage-');
    const lines: string[] = [];
    const r = await installBackend({ backend: 'webgpu', root, npm, offline: true, onLog: (l) => lines.push(l) });
    assert.equal(r.dir, join(root, 'webgpu'));
    assert.deepEqual(readdirSync(root), ['webgpu'], 'only the installed folder: the temporary one was renamed into place');
    assert.deepEqual(
      r.packages.map((p) => `${p.name}@${p.version}`),
      [`webgpu@${webgpuVersion}`, '@tensorflow/tfjs-backend-webgpu@4.22.0'],
    );
    assert.ok(
      existsSync(
        join(
          r.dir,
          'node_modules',
          'webgpu',
          'dist',
          `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`,
          'dawn.node',
        ),
      ),
      'Dawn for this platform',
    );
    assert.match(
      lines[0]!,
      /install --no-audit --no-fund --foreground-scripts --loglevel=http --offline --prefix .* webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0$/,
    );
    assert.ok(
      lines.some((l) => /npm http cache webgpu@/.test(l)),
      "npm's log came through, line by line",
    );
    assert.deepEqual(installedBackendDirs(root), [r.dir]);
    assert.equal(installedPackages(root, 'webgpu')?.[0]?.dir, join(r.dir, 'node_modules', 'webgpu'));
    assert.equal(installedPackages(root, 'tensorflow'), null);
    // The loader finds it in the installed folder (the project has no copy of its own).
    assert.equal(resolvePackage('webgpu', installedBackendDirs(root))?.from, r.dir);

    let active;
    try {
      active = await selectBackend('webgpu', { modulePaths: installedBackendDirs(root) });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (IN_CI) assert.fail(`CI=true: webgpu must load here (scripts/install-lavapipe.sh installs lavapipe): ${why}`);
      return t.skip(`installed, but webgpu cannot load on this machine: ${why}`);
    }
    assert.equal(active.name, 'webgpu');
    assert.ok(active.device.endsWith(`; webgpu 0.6.2 from ${r.dir}`), `the device names the installed Dawn: ${active.device}`);
    process.stdout.write(`# webgpu from the installed folder: ${active.device}\n`);
    // And it computes: a matrix product read back asynchronously, against plain JavaScript.
    const a = Float32Array.from({ length: 6 }, (_, i) => i + 1);
    const b = Float32Array.from({ length: 6 }, (_, i) => (i % 3) - 1);
    const got = await tf.matMul(tf.tensor2d(a, [2, 3]), tf.tensor2d(b, [3, 2])).data();
    const want = [0, 1, 0, 1].map((_, k) => {
      const [i, j] = [Math.floor(k / 2), k % 2];
      return [0, 1, 2].reduce((s, n) => s + a[i * 3 + n]! * b[n * 2 + j]!, 0);
    });
    assert.deepEqual(Array.from(got), want);
  });

  test('a registry that refuses: fails fast naming the address, nothing is left in the storage', async () => {
    assert.ok(npm);
    const root = tempDir('mnist-lab-storage-');
    const t0 = Date.now();
    await assert.rejects(
      installBackend({ backend: 'webgpu', root, npm, env: { ...process.env, npm_config_registry: REFUSING } }),
      (e: unknown) => {
        assert.ok(e instanceof BackendInstallError);
        assert.match(
          e.message,
          /^could not download http:\/\/127\.0\.0\.1:9\/\S*webgpu \(connect ECONNREFUSED 127\.0\.0\.1:9\): the npm registry cannot be reached \(offline\?\); set npm_config_registry to a mirror/,
        );
        assert.ok(e.downloads[0]!.startsWith(REFUSING), e.downloads.join());
        assert.notEqual(e.exitCode, 0);
        return true;
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    process.stdout.write(`# refused registry: failed after ${seconds.toFixed(1)} s\n`);
    assert.ok(seconds < 30, `took ${seconds} s (npm's default retries take over a minute)`);
    assert.deepEqual(readdirSync(root), []);
    assert.deepEqual(installedBackendDirs(root), []);
  });

  test("offline, a package that is not in npm's cache: the message names it", async (t) => {
    assert.ok(npm);
    const root = tempDir('mnist-lab-storage-');
    try {
      await installBackend({ backend: 'tensorflow-gpu', root, npm, offline: true });
    } catch (e) {
      assert.ok(e instanceof BackendInstallError, String(e));
      if (/libtensorflow/.test(e.message))
        return t.skip("@tensorflow/tfjs-node-gpu is in npm's cache here (its install script then fails instead)");
      assert.match(e.message, /^could not install @tensorflow\/tfjs-node-gpu@4\.22\.0: npm is offline and \S+ is not in its cache$/);
      assert.deepEqual(readdirSync(root), []);
      return;
    }
    assert.fail('tensorflow-gpu installed offline on a machine without its libtensorflow');
  });

  test('tfjs-node: its install script cannot download libtensorflow (TFJS_NODE_CDN_STORAGE refused)', async (t) => {
    assert.ok(npm);
    if (process.platform !== 'linux' || process.arch !== 'x64') return t.skip('the expected address is the linux-x64 one');
    const root = tempDir('mnist-lab-storage-');
    const env = { ...process.env, TFJS_NODE_CDN_STORAGE: REFUSING, npm_config_tfjs_binding_binary_host_mirror: REFUSING };
    const lines: string[] = [];
    let error: unknown;
    // From npm's cache when it has the package; else from the registry (CI).
    for (const offline of [true, false]) {
      lines.length = 0;
      error = await installBackend({ backend: 'tensorflow', root, npm, env, offline, onLog: (l) => lines.push(l) }).then(
        () => assert.fail('tfjs-node installed without libtensorflow'),
        (e: unknown) => e,
      );
      if (!(error instanceof BackendInstallError) || !/npm is offline/.test(error.message)) break;
    }
    assert.ok(error instanceof BackendInstallError, String(error));
    if (!/libtensorflow/.test(error.message)) {
      if (IN_CI) assert.fail(`CI=true: @tensorflow/tfjs-node must reach its install script: ${error.message}`);
      return t.skip(`@tensorflow/tfjs-node could not be fetched here: ${error.message}`);
    }
    const url = `${REFUSING}tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz`;
    assert.equal(
      error.message,
      `could not download libtensorflow from ${url} (connect ECONNREFUSED 127.0.0.1:9): the install script of @tensorflow/tfjs-node@4.22.0 needs it; offline, point TFJS_NODE_CDN_STORAGE (or TFJS_NODE_BASE_URI) at a mirror that has it`,
    );
    assert.deepEqual(error.downloads, [url]);
    assert.ok(lines.includes('* Downloading libtensorflow'), "the install script's own output is in the log");
    assert.deepEqual(readdirSync(root), [], 'no half-installed tfjs-node');
    // The parser on that real log, once more, with the mirror variable honoured in the address.
    assert.equal(explainInstallFailure(lines.join('\n'), 'tensorflow').downloads[0], url);
  });

  test('cancelling stops npm and its children and removes the temporary folder', async () => {
    assert.ok(npm);
    await cacheWebgpu();
    const root = tempDir('mnist-lab-storage-');
    const ac = new AbortController();
    let pid: number | undefined;
    const started = installBackend({
      backend: 'webgpu',
      root,
      npm,
      offline: true,
      signal: ac.signal,
      onLog: (l) => {
        if (l.startsWith('npm http')) ac.abort();
      },
    });
    // The npm process: the newest child of this process, while it runs.
    await assert.rejects(started, (e: unknown) => {
      assert.ok(e instanceof LabError);
      assert.equal(e.message, 'installing webgpu was cancelled');
      return true;
    });
    assert.deepEqual(readdirSync(root), []);
    for (const child of readdirSync('/proc').filter((f) => /^\d+$/.test(f))) {
      try {
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
        if (
          Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid &&
          /npm/.test(readFileSync(`/proc/${child}/cmdline`, 'utf8'))
        )
          pid = Number(child);
      } catch {
        // gone meanwhile
      }
    }
    assert.ok(pid === undefined || !processAlive(pid), `npm (${pid}) still runs`);
  });

  test('an unknown backend name is refused before npm runs', async () => {
    assert.ok(npm);
    const root = tempDir('mnist-lab-storage-');
    await assert.rejects(
      installBackend({ backend: 'nope' as 'webgpu', root, npm }),
      /unknown accelerated backend 'nope' \(choose one of: tensorflow-gpu, tensorflow, webgpu\)/,
    );
    assert.deepEqual(readdirSync(root), []);
  });
});
