#!/usr/bin/env node
// Installs what the real-VS-Code tests need, once, into a cache outside the project:
//   - Debian packages chromium, libkrb5-dev, ripgrep, fonts-wqy-microhei (apt-get, only when missing; needs root)
//   - code-server 4.100.3 from npm into ${XDG_CACHE_HOME:-~/.cache}/mnist-lab-test/code-server-4.100.3
// Idempotent: a marker file is written only after a complete, verified install, and a later run
// with the marker present does nothing. Prints the code-server binary path on the last line of
// stdout when run directly; `import { setup } from './setup.mjs'` returns the paths.
// Work-arounds (measured, see ../shared/notes/vscode-testing.md): npm_config_unsafe_perm (root
// postinstall), npm_config_yes (node-pty's postinstall runs `npx node-gyp`), npm_config_nodedir=/usr
// (installed Node headers), and a ripgrep archive made from /usr/bin/rg in the cache that
// @vscode/ripgrep's download script looks for first (it cannot reach GitHub here).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_ARCHIVE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
export const CHROMIUM = '/usr/bin/chromium';

export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mnist-lab-test');
}

export function codeServerPaths() {
  const dir = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
  return {
    dir,
    marker: join(dir, '.complete'),
    bin: join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    pkg: join(dir, 'node_modules', 'code-server', 'package.json'),
  };
}

const log = (m) => process.stderr.write(`[vscode-test setup] ${m}\n`);

function sh(cmd, args, opts = {}) {
  // stdout goes to stderr: this script's stdout is only the code-server path.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 2], ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function missingDebianPackages() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!existsSync('/usr/bin/rg')) missing.push('ripgrep');
  // A font with Chinese glyphs, for the UI test in zh-cn (Chromium draws boxes without one).
  if (!existsSync('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc')) missing.push('fonts-wqy-microhei');
  // Needed only to build code-server's `kerberos` module, i.e. only when code-server is not cached.
  if (!existsSync(codeServerPaths().marker) && !existsSync('/usr/bin/krb5-config')) missing.push('libkrb5-dev');
  return missing;
}

function ensureDebianPackages() {
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      `missing Debian packages: ${missing.join(' ')}. Install them with: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  sh('apt-get', ['update'], { env });
  sh('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
  const still = missingDebianPackages();
  if (still.length) throw new Error(`apt-get did not provide: ${still.join(' ')}`);
}

function checkChromium() {
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const out = `${r.stdout ?? ''}`.trim();
  if (r.status !== 0 || !/Chromium \d+/.test(out)) {
    throw new Error(`${CHROMIUM} --version failed (${r.status ?? r.error?.message}): ${out} ${r.stderr ?? ''}`);
  }
  return out.split('\n').find((l) => /Chromium \d+/.test(l)) ?? out;
}

function installCodeServer() {
  const p = codeServerPaths();
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  // Stage in a sibling folder, rename into place only once complete.
  const stage = mkdtempSync(join(root, `.stage-code-server-${CODE_SERVER_VERSION}-`));
  try {
    // The cached ripgrep archive @vscode/ripgrep's postinstall looks for in os.tmpdir().
    const tmp = join(stage, '.tmp');
    const rgCache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
    mkdirSync(rgCache, { recursive: true });
    const rgStage = join(stage, '.rg');
    mkdirSync(rgStage);
    copyFileSync('/usr/bin/rg', join(rgStage, 'rg'));
    chmodSync(join(rgStage, 'rg'), 0o755);
    sh('tar', ['-czf', join(rgCache, RIPGREP_ARCHIVE), '-C', rgStage, 'rg']);
    writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: 'mnist-lab-code-server-cache', private: true }, null, 2));
    const env = {
      ...process.env,
      TMPDIR: tmp,
      npm_config_unsafe_perm: 'true',
      npm_config_yes: 'true',
      npm_config_nodedir: '/usr',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
      npm_config_loglevel: 'warn',
    };
    log(`installing code-server@${CODE_SERVER_VERSION} from npm into ${p.dir} (a few minutes, once)`);
    const t0 = Date.now();
    sh('npm', ['install', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], { cwd: stage, env });
    const staged = {
      bin: join(stage, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
      pkg: join(stage, 'node_modules', 'code-server', 'package.json'),
    };
    if (!existsSync(staged.bin)) throw new Error(`npm install finished but ${staged.bin} is missing`);
    const version = JSON.parse(readFileSync(staged.pkg, 'utf8')).version;
    if (version !== CODE_SERVER_VERSION) throw new Error(`installed code-server ${version}, wanted ${CODE_SERVER_VERSION}`);
    // The built VS Code server and its native modules must be there (postinstall ran).
    const vscodeDir = join(stage, 'node_modules', 'code-server', 'lib', 'vscode');
    for (const f of ['out/server-main.js', 'node_modules/@vscode/ripgrep/bin/rg']) {
      if (!existsSync(join(vscodeDir, f))) throw new Error(`code-server install incomplete: lib/vscode/${f} missing`);
    }
    sh(process.execPath, [staged.bin, '--version'], { env: { ...process.env, XDG_CONFIG_HOME: tmp, XDG_DATA_HOME: tmp } });
    rmSync(join(stage, '.rg'), { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
    rmSync(p.dir, { recursive: true, force: true });
    renameSync(stage, p.dir);
    writeFileSync(
      p.marker,
      JSON.stringify({ version: CODE_SERVER_VERSION, node: process.version, installedAt: new Date().toISOString() }) + '\n',
    );
    log(`code-server installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    throw e;
  }
}

/** code-server's native modules were built for the Node major recorded in the marker. */
function nodeChanged(marker) {
  try {
    const was = JSON.parse(readFileSync(marker, 'utf8')).node ?? '';
    const major = (v) => v.replace(/^v/, '').split('.')[0];
    if (major(was) === major(process.version)) return false;
    log(`the cached code-server was built for Node ${was}, this is ${process.version}: reinstalling`);
    return true;
  } catch {
    return true;
  }
}

/** Ensures Chromium and code-server are installed; returns their paths. */
export function setup() {
  ensureDebianPackages();
  const chromium = checkChromium();
  const p = codeServerPaths();
  if (existsSync(p.marker) && existsSync(p.bin) && !nodeChanged(p.marker)) {
    log(`code-server ${CODE_SERVER_VERSION} cached in ${p.dir}; ${chromium}`);
  } else {
    installCodeServer();
    log(`${chromium}`);
  }
  return { codeServer: p.bin, codeServerDir: p.dir, chromium: CHROMIUM };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const r = setup();
    process.stdout.write(`${r.codeServer}\n`);
  } catch (e) {
    log(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
