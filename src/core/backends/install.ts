import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { LabError } from '../errors';
import { ACCELERATED_BACKENDS, type AcceleratedBackend, type ResolvedPackage, resolvePackage } from './packages';

/**
 * Installs an accelerated backend's npm packages into a folder of its own under `root` (the
 * extension's global storage), with the user's npm: `<root>/<backend>/node_modules/…`, a folder
 * that BackendOptions.modulePaths (MNIST_LAB_BACKENDS_DIR) understands. npm installs into a
 * temporary folder beside it, renamed into place only when npm succeeded, so the worker never
 * finds a half-installed backend. No vscode import: the extension's command and the tests drive it.
 */

export type AcceleratedBackendName = AcceleratedBackend['backend'];

/** How to run npm: `command ...args <npm arguments>`, and the folder of the Node that runs it. */
export interface NpmCommand {
  command: string;
  args: string[];
  /** Put first on PATH, so that install scripts (`node scripts/install.js`) run on the same Node. */
  nodeDir: string | null;
}

const IS_WINDOWS = process.platform === 'win32';

/** npm's own CLI script beside a Node executable (Unix: ../lib/node_modules, Windows: node_modules). */
function npmCliBeside(nodeDir: string): string | null {
  for (const cli of [
    join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    join(nodeDir, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ]) {
    if (existsSync(cli)) return cli;
  }
  return null;
}

/**
 * npm next to the configured Node (`nodePath`, the mnistLab.nodePath setting), else on PATH.
 * Null when there is none. npm runs on that Node (`node npm-cli.js`) where its script is found.
 */
export function findNpm(nodePath?: string, env: NodeJS.ProcessEnv = process.env): NpmCommand | null {
  const nodeName = IS_WINDOWS ? 'node.exe' : 'node';
  if (nodePath) {
    const dir = dirname(nodePath);
    const cli = npmCliBeside(dir);
    if (cli) return { command: nodePath, args: [cli], nodeDir: dir };
    const bin = join(dir, 'npm');
    if (!IS_WINDOWS && existsSync(bin)) return { command: bin, args: [], nodeDir: dir };
  }
  const path = env.PATH ?? env.Path ?? '';
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const bin = join(dir, IS_WINDOWS ? 'npm.cmd' : 'npm');
    if (!existsSync(bin)) continue;
    let cli: string | null;
    try {
      const real = realpathSync(bin);
      cli = real.endsWith('npm-cli.js') ? real : npmCliBeside(dir);
    } catch {
      cli = npmCliBeside(dir);
    }
    const node = join(dir, nodeName);
    if (cli && existsSync(node)) return { command: node, args: [cli], nodeDir: dir };
    if (!IS_WINDOWS) return { command: bin, args: [], nodeDir: null };
  }
  return null;
}

export function acceleratedBackend(name: string): AcceleratedBackend {
  const b = ACCELERATED_BACKENDS.find((x) => x.backend === name);
  if (!b)
    throw new LabError(`unknown accelerated backend '${name}' (choose one of: ${ACCELERATED_BACKENDS.map((x) => x.backend).join(', ')})`, {
      field: 'backend',
    });
  return b;
}

/** The folder a backend is installed into under `root`. */
export function backendInstallDir(root: string, backend: AcceleratedBackendName): string {
  return join(root, backend);
}

/** The installed backends' folders under `root` (the worker's modulePaths), in ladder order. */
export function installedBackendDirs(root: string): string[] {
  return ACCELERATED_BACKENDS.map((b) => backendInstallDir(root, b.backend)).filter((d) => existsSync(join(d, 'node_modules')));
}

/** The packages of `backend` installed in its folder under `root`, or null when any is missing. */
export function installedPackages(root: string, backend: AcceleratedBackendName): ResolvedPackage[] | null {
  const dir = backendInstallDir(root, backend);
  const pkgs = acceleratedBackend(backend).packages.map((p) => resolvePackage(packageName(p), [dir]));
  return pkgs.every((p): p is ResolvedPackage => p !== null && p.from === dir) ? pkgs : null;
}

/** `@scope/name@1.2.3` → `@scope/name`. */
export function packageName(spec: string): string {
  return spec.slice(0, spec.lastIndexOf('@'));
}

/** Why an install failed, in words a user can act on, and what could not be downloaded. */
export class BackendInstallError extends LabError {
  constructor(
    message: string,
    /** The addresses npm or an install script could not download (empty when that was not the cause). */
    readonly downloads: string[],
    readonly exitCode: number | null,
  ) {
    super(message, { field: 'backend', code: 'backend-unavailable' });
    this.name = 'BackendInstallError';
  }
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();

/**
 * Reads npm's output of a failed install (with --foreground-scripts, install scripts included):
 * the download that failed and why, as one message naming the mirror setting that applies.
 */
export function explainInstallFailure(log: string, backend: AcceleratedBackendName): { message: string; downloads: string[] } {
  const pkgs = acceleratedBackend(backend).packages.join(' ');
  const errorCode = /^npm error code (E[A-Z_]+)/m.exec(log)?.[1];
  // tfjs-node's install script: "* Downloading libtensorflow\n<url>\n… Error: connect ECONNREFUSED …"
  const lib = /\* Downloading libtensorflow\s*\r?\n\s*(\S+)/.exec(log);
  if (lib) {
    const after = log.slice(lib.index);
    const why =
      /^(?:Error|FetchError)(?: \[\w+\])?: (.+)$/m.exec(after)?.[1] ??
      /^npm error (?:code )?(\S.*)$/m.exec(after)?.[1] ??
      'the install script failed';
    if (!/^\* Building TensorFlow Node.js bindings/m.test(after)) {
      return {
        message: `could not download libtensorflow from ${lib[1]} (${why}): the install script of ${pkgs} needs it; offline, point TFJS_NODE_CDN_STORAGE (or TFJS_NODE_BASE_URI) at a mirror that has it`,
        downloads: [lib[1]!],
      };
    }
  }
  // Then its native addon, fetched by node-pre-gyp.
  if (/node-pre-gyp install failed/.test(log) || /node-pre-gyp ERR!/.test(log)) {
    const url = /(https?:\/\/\S+?\.tar\.gz)/.exec(log.slice(log.search(/node-pre-gyp/)))?.[1];
    return {
      message: `could not download the native addon of ${pkgs}${url ? ` from ${url}` : ''} (node-pre-gyp failed, and building it from source needs the build tools): offline, set npm_config_tfjs_binding_binary_host_mirror to a mirror that has it`,
      downloads: url ? [url] : [],
    };
  }
  // npm's own downloads (the registry, or a proxy in between).
  const notCached = /request to (\S+) failed: cache mode is 'only-if-cached'/.exec(log);
  if (notCached) {
    return { message: `could not install ${pkgs}: npm is offline and ${notCached[1]} is not in its cache`, downloads: [notCached[1]!] };
  }
  const fetch = /request to (\S+) failed, reason: ([^\n]+)/.exec(log);
  if (fetch) {
    return {
      message: `could not download ${fetch[1]} (${fetch[2]!.trim()}): the npm registry cannot be reached (offline?); set npm_config_registry to a mirror, or npm_config_proxy / npm_config_https_proxy`,
      downloads: [fetch[1]!],
    };
  }
  const notFound = /404 Not Found - GET (\S+)/.exec(log);
  if (notFound) return { message: `the registry has no ${notFound[1]} (${pkgs}): a mirror without it?`, downloads: [notFound[1]!] };
  if (errorCode === 'ENOSPC') return { message: `could not install ${pkgs}: no space left on the device`, downloads: [] };
  if (errorCode === 'EACCES' || errorCode === 'EPERM') {
    const path = /npm error path (\S+)/.exec(log)?.[1];
    return { message: `could not install ${pkgs}: permission denied${path ? ` (${path})` : ''}`, downloads: [] };
  }
  const npmErrors = log
    .split('\n')
    .filter((l) => l.startsWith('npm error') && !/A complete log of this run/.test(l))
    .map((l) => l.replace(/^npm error\s*/, '').trim())
    .filter(Boolean);
  return {
    message: `npm could not install ${pkgs}: ${npmErrors.slice(0, 3).join('; ') || firstLine(log.trim().split('\n').slice(-1)[0] ?? 'no output')}`,
    downloads: [],
  };
}

export interface InstallOptions {
  backend: AcceleratedBackendName;
  /** The folder holding the installed backends (each in `<root>/<backend>`). */
  root: string;
  npm: NpmCommand;
  /**
   * npm's environment (default process.env): the mirrors tfjs-node's install script reads
   * (TFJS_NODE_CDN_STORAGE, TFJS_NODE_BASE_URI, npm_config_tfjs_binding_binary_host_mirror) and
   * npm's own npm_config_* (registry, proxy, cache) pass through unchanged.
   */
  env?: NodeJS.ProcessEnv;
  /** npm --offline: only its cache (the tests install from this machine's cache). */
  offline?: boolean;
  signal?: AbortSignal;
  /** npm's output, line by line (stdout and stderr as they come). */
  onLog?: (line: string) => void;
}

export interface InstallResult {
  backend: AcceleratedBackendName;
  /** The installed folder: a modulePaths entry. */
  dir: string;
  packages: ResolvedPackage[];
  seconds: number;
}

let installCounter = 0;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temporary folders of installs whose process is gone (a crash, a killed editor). */
function removeStaleTemps(root: string, backend: string): void {
  if (!existsSync(root)) return;
  for (const f of readdirSync(root)) {
    const m = new RegExp(`^\\.installing-${backend}-(\\d+)-\\d+$`).exec(f);
    if (m && (Number(m[1]) === process.pid ? false : !pidAlive(Number(m[1])))) rmSync(join(root, f), { recursive: true, force: true });
  }
}

/**
 * A quick failure when npm cannot reach the network: npm's defaults retry each request for over a
 * minute (2 retries, 10–60 s apart). The user's own settings (environment or .npmrc) win.
 */
const QUICK_RETRIES: Record<string, string> = {
  npm_config_fetch_retries: '1',
  npm_config_fetch_retry_mintimeout: '2000',
  npm_config_fetch_retry_maxtimeout: '5000',
};

function npmEnv(opts: InstallOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  // The extension host runs as Node through Electron; npm's install scripts must not.
  delete env.ELECTRON_RUN_AS_NODE;
  const keys = new Set(Object.keys(env).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(QUICK_RETRIES)) if (!keys.has(k)) env[k] = v;
  env.npm_config_update_notifier = 'false';
  if (opts.npm.nodeDir) {
    const pathKey = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
    env[pathKey] = [opts.npm.nodeDir, env[pathKey]].filter(Boolean).join(delimiter);
  }
  return env;
}

function killTree(pid: number): void {
  try {
    if (IS_WINDOWS) spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
    else process.kill(-pid, 'SIGTERM'); // npm's process group: npm and its install scripts
  } catch {
    // already gone
  }
}

/**
 * Installs `backend` with npm into `<root>/<backend>`, replacing an earlier install only once the
 * new one is complete. Rejects with a BackendInstallError naming what could not be downloaded,
 * or a LabError when cancelled; nothing is left behind either way.
 */
export async function installBackend(opts: InstallOptions): Promise<InstallResult> {
  const spec = acceleratedBackend(opts.backend);
  const platform = `${process.platform}-${process.arch}`;
  if (!spec.platforms.includes(platform)) {
    throw new BackendInstallError(`${opts.backend} has no build for ${platform} (it runs on ${spec.platforms.join(', ')})`, [], null);
  }
  const t0 = Date.now();
  mkdirSync(opts.root, { recursive: true });
  removeStaleTemps(opts.root, opts.backend);
  const tmp = join(opts.root, `.installing-${opts.backend}-${process.pid}-${++installCounter}`);
  mkdirSync(tmp);
  const log: string[] = [];
  const say = (line: string) => {
    log.push(line);
    opts.onLog?.(line);
  };
  try {
    // A project of its own: npm stops looking upwards here, and may run the install scripts.
    writeFileSync(
      join(tmp, 'package.json'),
      `${JSON.stringify({ name: `mnist-lab-backend-${opts.backend}`, private: true, description: 'Installed by MNIST Lab: Install Accelerated Backend', allowScripts: Object.fromEntries(spec.packages.map((p) => [packageName(p), true])) }, null, 2)}\n`,
    );
    const args = [
      ...opts.npm.args,
      'install',
      '--no-audit',
      '--no-fund',
      '--foreground-scripts',
      '--loglevel=http',
      ...(opts.offline ? ['--offline'] : []),
      '--prefix',
      tmp,
      ...spec.packages,
    ];
    say(`$ ${[opts.npm.command, ...args].join(' ')}`);
    const code = await new Promise<number | null>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new LabError(`installing ${opts.backend} was cancelled`, { field: 'backend' }));
      const child = spawn(opts.npm.command, args, {
        cwd: tmp,
        env: npmEnv(opts),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: !IS_WINDOWS,
        windowsHide: true,
      });
      let cancelled = false;
      const onAbort = () => {
        cancelled = true;
        if (child.pid !== undefined) killTree(child.pid);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      for (const stream of [child.stdout, child.stderr]) {
        let rest = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          const lines = (rest + chunk).split(/\r?\n/);
          rest = lines.pop()!;
          for (const l of lines) say(l);
        });
        stream.on('end', () => {
          if (rest) say(rest);
        });
      }
      child.on('error', (e) => {
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new BackendInstallError(`could not run npm (${opts.npm.command}): ${e.message}`, [], null));
      });
      child.on('close', (c) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (cancelled) reject(new LabError(`installing ${opts.backend} was cancelled`, { field: 'backend' }));
        else resolve(c);
      });
    });
    if (code !== 0) {
      const { message, downloads } = explainInstallFailure(log.join('\n'), opts.backend);
      throw new BackendInstallError(message, downloads, code);
    }
    const packages = spec.packages.map((p) => resolvePackage(packageName(p), [tmp]));
    const missing = spec.packages.filter((_, i) => packages[i]?.from !== tmp);
    if (missing.length)
      throw new BackendInstallError(`npm finished, but ${missing.join(', ')} is not in ${join(tmp, 'node_modules')}`, [], code);
    // Into place: the old install (if any) moves aside first, then the new one is renamed in.
    const dir = backendInstallDir(opts.root, opts.backend);
    const old = `${tmp}-old`;
    if (existsSync(dir)) renameSync(dir, old);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (existsSync(old)) renameSync(old, dir);
      throw e;
    }
    rmSync(old, { recursive: true, force: true });
    say(`installed ${spec.packages.join(' ')} into ${dir}`);
    return {
      backend: opts.backend,
      dir,
      packages: spec.packages.map((p) => resolvePackage(packageName(p), [dir])!),
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
