import { LabError, errorMessage } from '../errors';
import { tf } from '../tf';
import { installFastGradients } from './gradients';

/**
 * The backend ladder. `auto` tries each provider in order and keeps the first that works; a
 * forced name must work or it is an error naming the reason. GPU and native providers plug in
 * here (a provider only has to make `tf.setBackend(name)` possible), the model never changes.
 */
export interface BackendProvider {
  /** The name users pass (`--backend`, the `mnistLab.backend` setting). */
  name: string;
  /** The tfjs backend name it registers. */
  tfName: string;
  /** Makes the backend available to tfjs, or throws an Error saying why it cannot be. */
  prepare(): Promise<void>;
  /** A human description of the device, once active. */
  device(): string;
}

export interface BackendAttempt {
  name: string;
  ok: boolean;
  reason?: string;
}

export interface ActiveBackend {
  name: string;
  device: string;
  /** Every provider that was tried, in order, with the reason of each failure. */
  attempts: BackendAttempt[];
}

export interface BackendOptions {
  /** Folder holding the tfjs-backend-wasm .wasm files when bundled (esbuild moves code). */
  wasmDir?: string;
}

const wasmProvider = (opts: BackendOptions): BackendProvider => ({
  name: 'wasm',
  tfName: 'wasm',
  async prepare() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    if (opts.wasmDir) wasm.setWasmPaths(opts.wasmDir.endsWith('/') ? opts.wasmDir : `${opts.wasmDir}/`);
    // wasm has no Conv2DBackpropFilter: without these the conv net cannot train at all.
    installFastGradients();
  },
  device: () => `CPU (WebAssembly SIMD, XNNPACK, 1 thread)`,
});

const cpuProvider: BackendProvider = {
  name: 'cpu',
  tfName: 'cpu',
  async prepare() {},
  device: () => 'CPU (pure JavaScript, slow)',
};

export const BACKEND_NAMES = ['auto', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function providers(opts: BackendOptions = {}): BackendProvider[] {
  return [wasmProvider(opts), cpuProvider];
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

async function activate(p: BackendProvider): Promise<void> {
  await p.prepare();
  // setBackend resolves false (and tfjs silently stays where it was) when the backend fails.
  const ok = await tf.setBackend(p.tfName);
  if (!ok) throw new Error(`tf.setBackend('${p.tfName}') failed to initialise`);
  await tf.ready();
  if (tf.getBackend() !== p.tfName) throw new Error(`tfjs reports backend '${tf.getBackend()}' after selecting '${p.tfName}'`);
}

/** Selects and activates a backend; reports the one actually in use. */
export async function selectBackend(requested: string = 'auto', opts: BackendOptions = {}): Promise<ActiveBackend> {
  if (!isBackendName(requested)) {
    throw new LabError(`unknown backend '${requested}' (choose one of: ${BACKEND_NAMES.join(', ')})`, {
      field: 'backend',
      code: 'invalid-input',
    });
  }
  const ladder = providers(opts);
  const candidates = requested === 'auto' ? ladder : ladder.filter((p) => p.name === requested);
  const attempts: BackendAttempt[] = [];
  for (const p of candidates) {
    try {
      await activate(p);
      attempts.push({ name: p.name, ok: true });
      return { name: p.name, device: p.device(), attempts };
    } catch (e) {
      attempts.push({ name: p.name, ok: false, reason: errorMessage(e) });
    }
  }
  const why = attempts.map((a) => `${a.name}: ${a.reason}`).join('; ');
  throw new LabError(`backend '${requested}' cannot be used: ${why}`, { field: 'backend', code: 'backend-unavailable' });
}
