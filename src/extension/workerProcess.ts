/**
 * One worker process as the extension host sees it: started with child_process.fork (IPC),
 * requests answered through Promises (messageId/inReplyTo), training events streamed, and an
 * exit that is always explained. No vscode import: the unit tests drive it for real.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TrainingEvent } from '../core/events';
import {
  type FromWorkerMessage,
  type ToWorkerMessage,
  type WorkerErrorInfo,
  type WorkerRequest,
  type WorkerResults,
  validateFromWorker,
} from '../core/protocol';

export interface WorkerOptions {
  /** dist/worker.js. */
  script: string;
  /** The Node executable; undefined = this process's own (with ELECTRON_RUN_AS_NODE=1). */
  nodePath?: string;
  env?: Record<string, string>;
  /** Called with every line the worker writes to stderr. */
  onStderr?: (line: string) => void;
}

/** A worker request that failed: the worker's message, or why the worker is gone. */
export class WorkerError extends Error {
  constructor(
    message: string,
    readonly info: WorkerErrorInfo & { exitCode?: number | null; signal?: string | null } = { message },
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** True when the host asked for it (dispose). */
  expected: boolean;
  /** The last error the worker reported (or wrote to stderr) before it went. */
  lastError: string | null;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onEvent?: (e: TrainingEvent) => void;
  onStep?: (step: number, totalSteps: number, epoch: number) => void;
  onProgress?: (done: number, total: number) => void;
}

export class WorkerProcess {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;
  private exitInfo: WorkerExit | null = null;
  private lastError: string | null = null;
  private readonly stderrTail: string[] = [];
  private readonly exitListeners: ((e: WorkerExit) => void)[] = [];
  readonly ready: Promise<number>;
  readonly exited: Promise<WorkerExit>;

  constructor(readonly options: WorkerOptions) {
    if (!existsSync(options.script)) throw new WorkerError(`${options.script}: the worker bundle is missing (run "npm run build")`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    if (!options.nodePath) env.ELECTRON_RUN_AS_NODE = '1';
    this.child = fork(options.script, [], {
      execPath: options.nodePath || process.execPath,
      // Electron/inspector flags of the extension host must not leak into the worker.
      execArgv: [],
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let readyResolve!: (pid: number) => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.ready.catch(() => undefined);
    let buf = '';
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        options.onStderr?.(line);
      }
    });
    this.child.on('message', (raw: unknown) => {
      const v = validateFromWorker(raw);
      if (!v.ok) {
        this.lastError = `malformed message from the worker: ${v.error}`;
        return;
      }
      this.route(v.value, readyResolve);
    });
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: string | null, spawnError?: Error) => {
        if (this.exitInfo) return;
        const lastError =
          spawnError?.message ??
          this.lastError ??
          this.stderrTail
            .filter((l) => /error|Error|at /.test(l))
            .slice(-3)
            .join('\n') ??
          null;
        this.exitInfo = { code, signal, expected: this.disposed, lastError: lastError || (this.stderrTail.at(-1) ?? null) };
        const why = this.describeExit();
        readyReject(new WorkerError(why, { message: why, exitCode: code, signal }));
        for (const p of this.pending.values()) p.reject(new WorkerError(why, { message: why, exitCode: code, signal }));
        this.pending.clear();
        for (const l of this.exitListeners) l(this.exitInfo);
        resolve(this.exitInfo);
      };
      this.child.on('exit', (code, signal) => finish(code, signal));
      this.child.on('error', (e) => {
        // A spawn failure (bad nodePath) ends here without an exit event.
        if (this.child.pid === undefined)
          finish(null, null, new Error(`cannot start the worker with ${options.nodePath || process.execPath}: ${e.message}`));
        else this.lastError = e.message;
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  onExit(listener: (e: WorkerExit) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitListeners.push(listener);
  }

  /** A sentence explaining why the worker ended. */
  describeExit(): string {
    const e = this.exitInfo;
    if (!e) return 'the worker is running';
    if (e.expected) return 'the worker was stopped';
    const how = e.signal ? `was killed (${e.signal})` : `exited with code ${e.code}`;
    return `the training worker ${how}${e.lastError ? `; last error: ${e.lastError}` : ''}`;
  }

  private route(m: FromWorkerMessage, readyResolve: (pid: number) => void): void {
    if (m.kind === 'ready') {
      readyResolve(m.pid);
      return;
    }
    const p = this.pending.get(m.inReplyTo);
    switch (m.kind) {
      case 'event':
        if (m.event.type === 'error') this.lastError = m.event.message;
        if (m.event.type === 'summary' && m.event.error) this.lastError = m.event.error;
        p?.onEvent?.(m.event);
        break;
      case 'step':
        p?.onStep?.(m.step, m.totalSteps, m.epoch);
        break;
      case 'progress':
        p?.onProgress?.(m.done, m.total);
        break;
      case 'result':
        this.pending.delete(m.inReplyTo);
        p?.resolve(m.result);
        break;
      case 'error':
        this.lastError = m.error.message;
        this.pending.delete(m.inReplyTo);
        p?.reject(new WorkerError(m.error.message, m.error));
        break;
    }
  }

  request<T extends WorkerRequest>(
    request: T,
    handlers: Pick<Pending, 'onEvent' | 'onStep' | 'onProgress'> = {},
  ): Promise<WorkerResults[T['type']]> {
    if (!this.alive) return Promise.reject(new WorkerError(this.describeExit()));
    const messageId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(messageId, { resolve: resolve as (v: unknown) => void, reject, ...handlers });
      const msg: ToWorkerMessage = { messageId, request };
      this.child.send(msg, (err) => {
        if (err && this.pending.delete(messageId)) reject(new WorkerError(`cannot reach the worker: ${err.message}`));
      });
    });
  }

  /** Ends the worker: SIGTERM, then SIGKILL by PID if it has not gone within `graceMs`. */
  async dispose(graceMs = 2000): Promise<WorkerExit> {
    if (this.exitInfo) return this.exitInfo;
    this.disposed = true;
    const pid = this.child.pid;
    try {
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, graceMs);
    const e = await this.exited;
    clearTimeout(timer);
    return e;
  }

  /** Synchronous last resort (deactivate, process exit): kill by PID at once. */
  killNow(): void {
    if (this.exitInfo || this.child.pid === undefined) return;
    this.disposed = true;
    try {
      process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
