import { LabError, errorMessage } from '../errors';
import { tf } from '../tf';
import { installFastGradients } from './gradients';
import { installWasmKernels } from './wasmKernels';
import { tensorflowGpuProvider, tensorflowProvider } from './native';
import { PackageNotInstalled, modulePathsFromEnv } from './packages';

export {
  ACCELERATED_BACKENDS,
  BACKENDS_DIR_VARIABLE,
  type AcceleratedBackend,
  installedAcceleratedBackends,
  modulePathsFromEnv,
  resolvePackage,
} from './packages';
import { webgpuProvider } from './webgpu';

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
  /**
   * Makes the backend available to tfjs, or throws an Error saying why it cannot be. `auto`:
   * chosen by the ladder rather than by name (webgpu then declines software rasterisers).
   */
  prepare(context?: { auto: boolean }): Promise<void>;
  /** A human description of the device, once active. */
  device(): string;
  /** Optional check once tfjs runs on it (e.g. tensorflow-gpu that fell back to the CPU). */
  verify?(): Promise<void>;
}

export interface BackendAttempt {
  name: string;
  ok: boolean;
  reason?: string;
  /** Why it failed, as a category: 'not-installed' (the package is absent), 'unavailable'. */
  kind?: 'not-installed' | 'unavailable';
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
  /**
   * Extra folders holding the native packages of the accelerated backends (each a folder with a
   * node_modules inside, or a node_modules folder), searched before the project's own: the
   * extension installs them into its global storage. The CLI reads MNIST_LAB_BACKENDS_DIR.
   */
  modulePaths?: string[];
  /** Flags for Dawn's create() (webgpu), e.g. ['backend=opengles']. */
  dawnFlags?: string[];
  /**
   * The caller reads tensors synchronously (dataSync: evaluate, featureMapsOf, robustness,
   * export): backends that cannot (webgpu) are skipped by `auto` and refused when forced.
   */
  requireSyncReads?: boolean;
}

const wasmProvider = (opts: BackendOptions): BackendProvider => ({
  name: 'wasm',
  tfName: 'wasm',
  async prepare() {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    if (opts.wasmDir) wasm.setWasmPaths(opts.wasmDir.endsWith('/') ? opts.wasmDir : `${opts.wasmDir}/`);
    // wasm has no Conv2DBackpropFilter: without these the conv net cannot train at all.
    installFastGradients();
    installWasmKernels();
  },
  device: () => `CPU (WebAssembly SIMD, XNNPACK, 1 thread)`,
});

const cpuProvider: BackendProvider = {
  name: 'cpu',
  tfName: 'cpu',
  async prepare() {},
  device: () => 'CPU (pure JavaScript, slow)',
};

/**
 * tfjs backends that cannot read tensors synchronously in Node (dataSync): tfjs-backend-webgpu's
 * readSync needs a browser's OffscreenCanvas, and Dawn has no blocking buffer map. Code that
 * runs on them must use `await tensor.data()`.
 */
export const ASYNC_READ_BACKENDS: readonly string[] = ['webgpu'];

/** Whether the active (or named) tfjs backend supports dataSync(). */
export function readsSynchronously(tfName: string = tf.getBackend()): boolean {
  return !ASYNC_READ_BACKENDS.includes(tfName);
}

/** `auto` tries the others in this order. */
export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function providers(options: BackendOptions = {}): BackendProvider[] {
  const opts = { ...options, modulePaths: options.modulePaths ?? modulePathsFromEnv() };
  return [tensorflowGpuProvider(opts), tensorflowProvider(opts), webgpuProvider(opts), wasmProvider(opts), cpuProvider];
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

async function activate(p: BackendProvider, auto: boolean): Promise<void> {
  await p.prepare({ auto });
  // setBackend resolves false (and tfjs silently stays where it was) when the backend fails.
  const ok = await tf.setBackend(p.tfName);
  if (!ok) throw new Error(`tf.setBackend('${p.tfName}') failed to initialise`);
  await tf.ready();
  if (tf.getBackend() !== p.tfName) throw new Error(`tfjs reports backend '${tf.getBackend()}' after selecting '${p.tfName}'`);
  await p.verify?.();
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
    if (opts.requireSyncReads && !readsSynchronously(p.tfName)) {
      attempts.push({
        name: p.name,
        ok: false,
        kind: 'unavailable',
        reason: 'this command reads tensors synchronously, which a GPU backend cannot do in Node (training can)',
      });
      continue;
    }
    try {
      await activate(p, requested === 'auto');
      attempts.push({ name: p.name, ok: true });
      return { name: p.name, device: p.device(), attempts };
    } catch (e) {
      attempts.push({
        name: p.name,
        ok: false,
        reason: errorMessage(e),
        kind: e instanceof PackageNotInstalled ? 'not-installed' : 'unavailable',
      });
    }
  }
  const why = attempts.map((a) => `${a.name}: ${a.reason}`).join('; ');
  throw new LabError(`backend '${requested}' cannot be used: ${why}`, { field: 'backend', code: 'backend-unavailable' });
}

/** One line per attempt, e.g. "tensorflow-gpu ✗ package … is not installed", for logs and the CLI. */
export function describeAttempts(attempts: BackendAttempt[]): string[] {
  return attempts.map((a) => (a.ok ? `${a.name} ✓` : `${a.name} ✗ ${a.reason ?? ''}`.trim()));
}
