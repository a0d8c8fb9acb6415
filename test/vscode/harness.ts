// The code-server + Chromium harness of the real-VS-Code tests (issue 5).
//
// startCodeServer(): code-server 4.100.3 (installed by scripts/vscode-test/setup.mjs) on a free
// loopback port, with --user-data-dir, --extensions-dir, --config and the XDG dirs in a fresh temp
// folder, ready once /healthz answers. launchBrowser(): Debian's Chromium through playwright-core.
// ProcessTracker: every process this Node process starts, directly or not (code-server, its
// extension hosts and the training workers they fork, Chromium and its helpers), is recorded by
// PID (with its start time, so a reused PID is never killed) by polling /proc, and killed by PID
// at the end — also when a test fails, the runner throws, or it gets SIGINT/SIGTERM/SIGHUP.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const log = (m: string): void => {
  process.stderr.write(`[vscode-test ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};

export function codeServerEntry(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(base, 'mnist-lab-test', `code-server-${CODE_SERVER_VERSION}`);
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(join(dir, '.complete')) || !existsSync(entry)) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${dir}: run node scripts/vscode-test/setup.mjs`);
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Processes

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  start: string; // field 22 of /proc/PID/stat: start time in clock ticks since boot
  cmd: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] = state (field 3), rest[1] = ppid, rest[2] = pgrp, rest[19] = starttime (field 22)
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined; // a zombie is gone already
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      /* raced with exit */
    }
    return { pid, ppid: Number(rest[1]), pgid: Number(rest[2]), start: rest[19] ?? '', cmd: cmd.slice(0, 200) };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

function hasEnv(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`${entry}\0`);
  } catch {
    return false;
  }
}

/**
 * Records every descendant of this process, every member of the process groups it owns, and
 * every process carrying its tag in the environment (`env()`: daemonising helpers such as
 * Chromium's crashpad handler leave the process tree, but keep the environment).
 */
export class ProcessTracker {
  readonly seen = new Map<number, ProcInfo>();
  /** NAME=VALUE put into the environment of everything started (code-server, Chromium). */
  readonly tagEntry = `MNIST_LAB_HARNESS_TAG=${process.pid}-${Date.now()}`;
  private readonly groups = new Set<number>();
  private readonly tempDirs: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private cleaned = false;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    log(`got ${sig}: stopping every process started`);
    this.killAllSync();
    process.exit(sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143);
  };
  private readonly onExit = (): void => {
    if (!this.cleaned) this.killAllSync();
  };

  constructor(private readonly label: string) {
    this.timer = setInterval(() => this.scan(), 250);
    this.timer.unref();
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('SIGHUP', this.onSignal);
    process.on('exit', this.onExit);
  }

  /** A temp folder removed once every process is stopped (also on a signal). */
  addTempDir(dir: string): void {
    this.tempDirs.push(dir);
  }

  private removeTempDirs(): void {
    for (const d of this.tempDirs.splice(0)) removeTemp(d);
  }

  /** The environment entry to give every process started. */
  env(): Record<string, string> {
    const [k, v] = this.tagEntry.split('=') as [string, string];
    return { [k]: v };
  }

  /** A process group we created (a detached child): its members are ours even once orphaned. */
  addGroup(pgid: number): void {
    this.groups.add(pgid);
    this.scan();
  }

  scan(): void {
    const procs = allProcs();
    const byParent = new Map<number, ProcInfo[]>();
    for (const p of procs) {
      const list = byParent.get(p.ppid);
      if (list) list.push(p);
      else byParent.set(p.ppid, [p]);
    }
    const stack = [process.pid];
    while (stack.length) {
      const pid = stack.pop()!;
      for (const c of byParent.get(pid) ?? []) {
        if (!this.seen.has(c.pid) || this.seen.get(c.pid)!.start !== c.start) this.seen.set(c.pid, c);
        stack.push(c.pid);
      }
    }
    for (const p of procs) {
      if (p.pid === process.pid || this.seen.has(p.pid)) continue;
      if (this.groups.has(p.pgid) || hasEnv(p.pid, this.tagEntry)) this.seen.set(p.pid, p);
    }
    // Children of recorded processes that were reparented (orphans) after we last looked.
    for (const p of procs) {
      if (this.seen.has(p.pid)) continue;
      const parent = this.seen.get(p.ppid);
      const live = parent && readProc(parent.pid);
      if (live && live.start === parent.start) this.seen.set(p.pid, p);
    }
  }

  /** Recorded processes that are still alive (same PID and same start time). */
  alive(): ProcInfo[] {
    const out: ProcInfo[] = [];
    for (const p of this.seen.values()) {
      const now = readProc(p.pid);
      if (now && now.start === p.start) out.push(p);
    }
    return out;
  }

  private signalAll(sig: NodeJS.Signals): void {
    for (const p of this.alive()) {
      try {
        process.kill(p.pid, sig);
      } catch {
        /* gone */
      }
    }
  }

  /** Synchronous (usable in 'exit' and signal handlers): SIGTERM, a short grace, then SIGKILL. */
  killAllSync(): ProcInfo[] {
    this.scan();
    this.signalAll('SIGTERM');
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline && this.alive().length) {
      this.scan();
      spawnSync('sleep', ['0.1']);
    }
    for (let i = 0; i < 5 && this.alive().length; i++) {
      this.scan();
      this.signalAll('SIGKILL');
      spawnSync('sleep', ['0.2']);
    }
    const left = this.alive();
    if (!left.length) this.removeTempDirs();
    return left;
  }

  /**
   * Stops everything, then checks that no recorded PID is left; throws listing them otherwise.
   * Returns how many processes were recorded over the run.
   */
  async stopAll(): Promise<number> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.scan();
    this.signalAll('SIGTERM');
    for (let i = 0; i < 30 && this.alive().length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      this.scan();
    }
    for (let i = 0; i < 10 && this.alive().length; i++) {
      this.scan();
      this.signalAll('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
    }
    this.cleaned = true;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('SIGHUP', this.onSignal);
    process.off('exit', this.onExit);
    const left = this.alive();
    if (!left.length) this.removeTempDirs();
    if (left.length) {
      throw new Error(`${this.label}: processes left after cleanup: ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
    }
    log(`${this.label}: stopped all ${this.seen.size} processes recorded (none left)`);
    return this.seen.size;
  }

  describe(filter: RegExp): ProcInfo[] {
    return [...this.seen.values()].filter((p) => filter.test(p.cmd));
  }
}

// ---------------------------------------------------------------------------------------------
// code-server

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  port: number;
  url: string;
  root: string; // the temp folder holding everything of this instance
  userDataDir: string;
  extensionsDir: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  proc: ChildProcess;
  output: () => string;
  /** `vscode-remote://127.0.0.1:PORT/abs/path`: how the workbench names a path on the server. */
  remote: (absPath: string) => string;
  /** Runs the code-server CLI against this instance's dirs (e.g. --install-extension). */
  cli: (args: string[]) => Promise<string>;
}

export interface CodeServerOptions {
  tracker: ProcessTracker;
  /** Extra environment for code-server and so for its extension hosts (e.g. where the suite writes results). */
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
  /** A vsix installed before the server starts (as a user would: code-server --install-extension); several: a list. */
  installVsix?: string | string[];
  /** VS Code's display language (code-server --locale); it needs a language pack for it installed. */
  locale?: string;
  /** Runs after the installs, before the server starts (e.g. registering a language pack). */
  beforeStart?: (dirs: { userDataDir: string; extensionsDir: string }) => void;
  label?: string;
}

export function makeTempRoot(label: string): string {
  const base = process.env.MNIST_LAB_TEST_TMP || tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `mnist-lab-${label}-`));
}

function runNode(entry: string, args: string[], env: NodeJS.ProcessEnv, tracker: ProcessTracker, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (p.pid) tracker.addGroup(p.pid);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(new Error(`code-server ${args.join(' ')} timed out after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`code-server ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const entry = codeServerEntry();
  const root = makeTempRoot(opts.label ?? 'cs');
  opts.tracker.addTempDir(root);
  const userDataDir = join(root, 'user-data');
  const extensionsDir = join(root, 'extensions');
  const configFile = join(root, 'config.yaml');
  for (const d of [
    userDataDir,
    join(userDataDir, 'User'),
    extensionsDir,
    join(root, 'xdg-config'),
    join(root, 'xdg-data'),
    join(root, 'xdg-cache'),
    join(root, 'xdg-state'),
    join(root, 'tmp'),
    join(root, 'home'),
  ]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'security.workspace.trust.enabled': false,
        'editor.codeLens': true,
        'editor.inlayHints.enabled': 'on',
        'window.restoreWindows': 'none',
        'files.hotExit': 'off',
        'git.enabled': false,
        'npm.autoDetect': 'off',
        'typescript.tsserver.enable': false,
        // code-server is a remote window: its extension host looks for listening ports to
        // forward by running `ls -l /proc/[0-9]*/fd/[0-9]* | grep socket:` and `ps -F -A -l` when
        // processes start (our worker does), each spawn blocking the extension host 20-44 ms
        // (measured in the lag test). Desktop VS Code, whose extension host is local, does not.
        'remote.autoForwardPorts': false,
        ...opts.settings,
      },
      null,
      2,
    ),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(root, 'xdg-config'),
    XDG_DATA_HOME: join(root, 'xdg-data'),
    XDG_CACHE_HOME: join(root, 'xdg-cache'),
    XDG_STATE_HOME: join(root, 'xdg-state'),
    TMPDIR: join(root, 'tmp'),
    VSCODE_PROXY_URI: '',
    ...opts.tracker.env(),
    ...opts.env,
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.ELECTRON_RUN_AS_NODE;
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--config', configFile];
  const cli = (args: string[]) => runNode(entry, [...args, ...common], env, opts.tracker, 120_000);
  for (const vsix of typeof opts.installVsix === 'string' ? [opts.installVsix] : (opts.installVsix ?? [])) {
    log(`installing ${vsix} with code-server --install-extension`);
    const out = await cli(['--install-extension', vsix]);
    if (!/successfully installed/i.test(out)) throw new Error(`--install-extension did not report success:\n${out}`);
  }
  opts.beforeStart?.({ userDataDir, extensionsDir });
  const port = await freePort();
  const args = [
    entry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...(opts.locale ? ['--locale', opts.locale] : []),
    ...common,
  ];
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (!proc.pid) throw new Error('code-server did not start');
  opts.tracker.addGroup(proc.pid);
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let exited: string | undefined;
  proc.on('exit', (code, sig) => (exited = `code-server exited (${code ?? sig})`));
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`${exited} before /healthz answered:\n${output}`);
    if (Date.now() - t0 > 60_000) throw new Error(`code-server: /healthz did not answer in 60 s:\n${output}`);
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`code-server ${CODE_SERVER_VERSION} ready on ${url} in ${Date.now() - t0} ms (pid ${proc.pid})`);
  return {
    port,
    url,
    root,
    userDataDir,
    extensionsDir,
    configFile,
    env,
    proc,
    output: () => output,
    remote: (p: string) => `vscode-remote://127.0.0.1:${port}${p}`,
    cli,
  };
}

/** The workbench URL opening `folder`, with an optional payload (extensionDevelopmentPath, …). */
export function workbenchUrl(cs: CodeServer, folder: string, payload?: [string, string][]): string {
  let u = `${cs.url}/?folder=${encodeURIComponent(folder)}`;
  if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return u;
}

// ---------------------------------------------------------------------------------------------
// Chromium

export interface Browser {
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

export async function launchBrowser(
  root: string,
  tracker: ProcessTracker,
  viewport = { width: 1600, height: 1000 },
  /** Playwright's video of the page (recordVideo): needs Playwright's ffmpeg (scripts/record-gif.mjs provides Debian's). */
  recordVideo?: { dir: string; size: { width: number; height: number } },
): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run node scripts/vscode-test/setup.mjs`);
  const profile = join(root, 'chromium-profile');
  mkdirSync(profile, { recursive: true });
  // Chromium's crashpad database and caches go to XDG dirs: keep them in the temp folder too.
  for (const d of ['chromium-config', 'chromium-cache']) mkdirSync(join(root, d), { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, { XDG_CONFIG_HOME: join(root, 'chromium-config'), XDG_CACHE_HOME: join(root, 'chromium-cache') }, tracker.env());
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 60_000,
    env,
    ...(recordVideo ? { recordVideo } : {}),
  });
  tracker.scan();
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await Promise.race([context.close().catch(() => undefined), new Promise((r) => setTimeout(r, recordVideo ? 120_000 : 5000))]);
    },
  };
}

export function removeTemp(root: string): void {
  if (process.env.MNIST_LAB_KEEP_TMP) {
    log(`keeping ${root}`);
    return;
  }
  try {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    log(`could not remove ${root}: ${e instanceof Error ? e.message : e}`);
  }
}
