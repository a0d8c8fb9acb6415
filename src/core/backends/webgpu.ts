import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf } from '../tf';
import type { BackendOptions, BackendProvider } from './index';
import { findPackage, requireFrom, resolvePackage } from './packages';
import { findSharedLibrary } from './native';
import { errorMessage } from '../errors';

/**
 * WebGPU in Node: the `webgpu` npm package (Dawn's N-API bindings; Vulkan on Linux, Metal on
 * macOS, Direct3D 12 on Windows) under `@tensorflow/tfjs-backend-webgpu`. The tfjs backend
 * registers itself only if `navigator.gpu` exists when it is first required, so the order is:
 * Dawn, the WebGPU globals, navigator.gpu, an adapter, then the tfjs backend.
 */

interface DawnModule {
  create(flags: string[]): GPULike;
  globals: Record<string, unknown>;
}
interface GPULike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  info?: AdapterInfo;
}

let dawn: { gpu: GPULike; flags: string; from: string | null } | null = null;
/** Why the active WebGPU device was lost (driver reset, GPU removed, destroyed), once it was. */
let lostReason: string | null = null;

/** The reason the WebGPU device was lost, or null while it works. */
export function webgpuDeviceLost(): string | null {
  return lostReason;
}

async function loadDawn(opts: BackendOptions): Promise<GPULike> {
  const flags = opts.dawnFlags ?? [];
  if (dawn) {
    if (dawn.flags !== flags.join(' ')) throw new Error(`Dawn is already running with flags [${dawn.flags}] in this process`);
    return dawn.gpu;
  }
  const pkg = findPackage('webgpu', opts.modulePaths);
  const dawnNode = join(pkg.dir, 'dist', `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`, 'dawn.node');
  if (!existsSync(dawnNode))
    throw new Error(`webgpu ${pkg.version} has no Dawn build for ${process.platform}-${process.arch} (${dawnNode} is missing)`);
  let mod: DawnModule;
  try {
    // The package is an ES module; import() works in every Node and Electron that can run it.
    mod = (await import(pathToFileURL(join(pkg.dir, 'index.js')).href)) as DawnModule;
  } catch (e) {
    throw new Error(`Dawn (webgpu ${pkg.version}) failed to load: ${errorMessage(e).split('\n')[0]}`, { cause: e });
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const created = mod.create(flags);
  // Dawn's OpenGL ES backend only offers "compatibility" adapters, which tfjs never asks for.
  const gpu: GPULike = flags.some((f) => /backend=opengles/.test(f))
    ? Object.assign(Object.create(created) as GPULike, {
        requestAdapter: (o?: Record<string, unknown>) => created.requestAdapter({ ...o, featureLevel: 'compatibility' }),
      })
    : created;
  const nav = (globalThis as { navigator?: Record<string, unknown> }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  dawn = { gpu, flags: flags.join(' '), from: pkg.from ? `webgpu ${pkg.version} from ${pkg.from}` : null };
  return gpu;
}

/** Why Dawn found no adapter, as far as the files on this machine tell. */
/**
 * On Linux, a GPU that Vulkan can drive shows up as a device node: /dev/dri/renderD* (Mesa's
 * AMD/Intel/virtio drivers) or /dev/nvidiactl (NVIDIA's). Without one, only CPU drivers
 * (lavapipe, SwiftShader) can answer, which `auto` would not choose anyway; so `auto` declines
 * webgpu without starting Dawn, whose adapter request costs time and prints warnings on stderr.
 */
export function noGpuDeviceNode(): string | null {
  if (process.platform !== 'linux') return null;
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri').filter((f) => f.startsWith('renderD')) : [];
  if (dri.length || existsSync('/dev/nvidiactl') || existsSync('/dev/dxg')) return null;
  return 'no GPU device node (/dev/dri/renderD*, /dev/nvidiactl)';
}

export function explainNoAdapter(flags: string[] = []): string {
  const base = 'no GPU adapter: navigator.gpu.requestAdapter() returned null';
  if (process.platform !== 'linux')
    return `${base} (Dawn found no usable ${process.platform === 'darwin' ? 'Metal' : 'Direct3D 12 / Vulkan'} device)`;
  if (flags.some((f) => /backend=opengles/.test(f)))
    return `${base} (Dawn's OpenGL ES backend found no EGL display; try EGL_PLATFORM=surfaceless)`;
  if (!findSharedLibrary('libvulkan.so.1'))
    return `${base}: the Vulkan loader libvulkan.so.1 is not installed (Debian/Ubuntu: apt-get install libvulkan1)`;
  const explicit = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  const icdDirs = ['/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/etc/vulkan/icd.d'];
  const icds = explicit
    ? explicit.split(':')
    : icdDirs.flatMap((d) =>
        existsSync(d)
          ? readdirSync(d)
              .filter((f) => f.endsWith('.json'))
              .map((f) => join(d, f))
          : [],
      );
  const absent = icds.filter((f) => !existsSync(f));
  if (explicit && absent.length === icds.length) {
    return `${base}: ${process.env.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES'} names no existing Vulkan driver file (${absent.join(', ')})`;
  }
  if (icds.length === 0) {
    return `${base}: no Vulkan driver is installed (no ICD file in ${icdDirs.join(', ')}); install the GPU's Vulkan driver, or Mesa's CPU driver lavapipe (scripts/install-lavapipe.sh)`;
  }
  return `${base}: Vulkan drivers are installed (${icds.map((f) => f.split('/').pop()).join(', ')}) but Dawn accepted none of them (no device, or too old: Debian 12's Mesa 22.3 lavapipe lacks features Dawn requires; Dawn's warnings on stderr say which)`;
}

function requireTfjsWebgpu(opts: BackendOptions): void {
  try {
    // A literal require: bundlers carry the (pure JS) package; loaded only here, at run time.
    require('@tensorflow/tfjs-backend-webgpu');
    return;
  } catch (e) {
    if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND' || !/tfjs-backend-webgpu/.test(String(e))) throw e;
  }
  const pkg = resolvePackage('@tensorflow/tfjs-backend-webgpu', opts.modulePaths);
  if (!pkg) findPackage('@tensorflow/tfjs-backend-webgpu', opts.modulePaths); // throws "not installed"
  requireFrom(pkg!);
}

/** CPU implementations of Vulkan (lavapipe/llvmpipe, SwiftShader) that Dawn may offer. */
export function isSoftwareAdapter(info: AdapterInfo = {}): boolean {
  return (
    !!info.isFallbackAdapter ||
    info.architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader/i.test(`${info.description} ${info.device}`)
  );
}

function graphicsApi(flags: string[]): string {
  const forced = /backend=(\w+)/.exec(flags.join(' '))?.[1];
  if (forced) return forced === 'opengles' ? 'OpenGL ES' : forced;
  return process.platform === 'darwin' ? 'Metal' : process.platform === 'win32' ? 'Direct3D 12' : 'Vulkan';
}

export function webgpuProvider(opts: BackendOptions): BackendProvider {
  let info: AdapterInfo = {};
  return {
    name: 'webgpu',
    tfName: 'webgpu',
    async prepare(context) {
      const noGpu = context?.auto ? noGpuDeviceNode() : null;
      if (noGpu)
        throw new Error(`${noGpu}: only a software adapter could answer, slower than wasm; not chosen by auto (--backend webgpu uses it)`);
      const gpu = await loadDawn(opts);
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) throw new Error(explainNoAdapter(opts.dawnFlags));
      info = adapter.info ?? {};
      if (context?.auto && isSoftwareAdapter(info)) {
        // lavapipe/SwiftShader: real WebGPU, but several times slower than wasm on the same CPU.
        throw new Error(
          `only a software adapter (${info.description || info.device}), slower than wasm: not chosen by auto (--backend webgpu uses it)`,
        );
      }
      try {
        requireTfjsWebgpu(opts);
      } catch (e) {
        throw new Error(`@tensorflow/tfjs-backend-webgpu failed to load: ${errorMessage(e).split('\n')[0]}`, { cause: e });
      }
      const factory = tf.findBackendFactory('webgpu');
      if (!factory) {
        throw new Error("@tensorflow/tfjs-backend-webgpu was loaded before navigator.gpu existed and registered no 'webgpu' backend");
      }
      if (lostReason) {
        // tfjs keeps the backend instance of the lost device: drop it, so a new device is made.
        tf.removeBackend('webgpu');
        tf.registerBackend('webgpu', factory, 3);
        lostReason = null;
      }
    },
    async verify() {
      // Dawn rejects every later read with an empty message: keep the reason it gives here.
      const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
      lostReason = null;
      void device?.lost?.then((i) => {
        lostReason = [i.reason, i.message].filter(Boolean).join(': ') || 'unknown reason';
      });
    },
    device() {
      const name = info.description || info.device || 'unknown adapter';
      const kind = [info.vendor, info.architecture].filter(Boolean).join(' ');
      const software = info.isFallbackAdapter ? ', software rasteriser' : '';
      // Where Dawn came from when it is not the project's own (an installed backend folder).
      const from = dawn?.from ? `; ${dawn.from}` : '';
      return `${name}${kind ? ` (${kind}${software})` : ''}; WebGPU via Dawn over ${graphicsApi(opts.dawnFlags ?? [])}${from}`;
    },
  };
}
