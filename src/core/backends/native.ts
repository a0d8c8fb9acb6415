import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tf } from '../tf';
import type { BackendOptions, BackendProvider } from './index';
import { PackageNotInstalled, findPackage, requireFrom } from './packages';
import { errorMessage } from '../errors';

/**
 * The native TensorFlow backends: `@tensorflow/tfjs-node-gpu` (CUDA) and `@tensorflow/tfjs-node`
 * (CPU). Both are N-API addons over libtensorflow 2.9.1 that register the tfjs backend
 * 'tensorflow' when their main module is required. They are loaded here at run time only (never
 * bundled, never imported by the extension host), from BackendOptions.modulePaths first.
 */

/** The shared libraries tfjs-node-gpu 4.22 (libtensorflow 2.9.1) needs on Linux. */
export const CUDA_LIBRARIES = {
  driver: 'libcuda.so.1',
  cudart: 'libcudart.so.11.0',
  cudnn: 'libcudnn.so.8',
} as const;

/** The folders the dynamic linker searches (LD_LIBRARY_PATH, ldconfig's cache, the defaults). */
function linkerDirs(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    if (!existsSync(ldconfig)) continue;
    try {
      const out = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
      for (const m of out.matchAll(/=> (.+)\/[^/\n]+$/gm)) if (!dirs.includes(m[1]!)) dirs.push(m[1]!);
    } catch {
      // no cache: the defaults below
    }
    break;
  }
  for (const d of [
    '/lib/x86_64-linux-gnu',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/cuda/lib64',
    '/usr/local/nvidia/lib64',
  ]) {
    if (!dirs.includes(d)) dirs.push(d);
  }
  return dirs;
}

/** Whether the dynamic linker would find `soname` (Linux only; true elsewhere: not checked). */
export function findSharedLibrary(soname: string, dirs: string[] = linkerDirs()): string | null {
  if (process.platform !== 'linux') return 'not checked';
  for (const d of dirs) if (existsSync(join(d, soname))) return join(d, soname);
  return null;
}

/**
 * A failure to load tfjs-node(-gpu), in words a user can act on. Recognises the dynamic linker's
 * "X: cannot open shared object file" for the CUDA runtime, cuDNN, the driver and libtensorflow,
 * and a missing native addon (its install script could not download it).
 */
export function explainNativeLoadError(pkg: string, e: unknown): string {
  const msg = errorMessage(e);
  const code = (e as { code?: string } | null)?.code;
  const lib = /([\w.+-]+\.so(?:\.[\d.]+)?): cannot open shared object file/.exec(msg)?.[1] ?? /([\w.+-]+\.dll)/i.exec(msg)?.[1];
  if (lib && /^libcudart|^cudart64/i.test(lib)) {
    return `${pkg} needs the CUDA 11.2 runtime (${lib} not found; CUDA 12 does not provide libcudart.so.11.0): install CUDA 11.2 and cuDNN 8.1 or put them on LD_LIBRARY_PATH`;
  }
  if (lib && /^libcudnn|^cudnn64/i.test(lib)) return `${pkg} needs cuDNN 8.1 (${lib} not found)`;
  if (lib && /^libcuda\.so|^nvcuda/i.test(lib)) return `${pkg} needs the NVIDIA driver (${lib} not found)`;
  if (lib && /tensorflow/i.test(lib)) {
    return `${pkg} is installed but libtensorflow is missing (${lib} not found): its install script could not download it (offline? see TFJS_NODE_CDN_STORAGE)`;
  }
  if (lib) return `${pkg}: a shared library is missing (${lib}): ${firstLine(msg)}`;
  if (code === 'MODULE_NOT_FOUND' && /tfjs_binding\.node|napi-v\d/.test(msg)) {
    return `${pkg} is installed but its native addon is missing (its install script could not download libtensorflow and the addon; offline? see TFJS_NODE_CDN_STORAGE and npm_config_tfjs_binding_binary_host_mirror)`;
  }
  if (code === 'MODULE_NOT_FOUND') return `${pkg} is installed but incomplete: ${firstLine(msg)}`;
  return `${pkg} failed to load: ${firstLine(msg)}`;
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();

interface NodeBackendInstance {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

function nativeProvider(name: 'tensorflow-gpu' | 'tensorflow', pkgName: string, opts: BackendOptions): BackendProvider {
  let detail = '';
  return {
    name,
    tfName: 'tensorflow',
    async prepare() {
      const platform = `${process.platform}-${process.arch}`;
      const pkg = findPackage(pkgName, opts.modulePaths);
      if (name === 'tensorflow-gpu') {
        if (platform !== 'linux-x64' && platform !== 'win32-x64')
          throw new Error(`${pkgName} runs on Linux and Windows x64 only, not ${platform}`);
        // tfjs-node-gpu loads CUDA lazily and silently falls back to the CPU when it is missing:
        // check the libraries first, so that the reason is the missing library.
        if (process.platform === 'linux') {
          const dirs = linkerDirs();
          if (!findSharedLibrary(CUDA_LIBRARIES.driver, dirs)) throw new Error(`no NVIDIA driver: ${CUDA_LIBRARIES.driver} not found`);
          if (!findSharedLibrary(CUDA_LIBRARIES.cudart, dirs))
            throw new Error(explainNativeLoadError(pkgName, new Error(`${CUDA_LIBRARIES.cudart}: cannot open shared object file`)));
          if (!findSharedLibrary(CUDA_LIBRARIES.cudnn, dirs))
            throw new Error(explainNativeLoadError(pkgName, new Error(`${CUDA_LIBRARIES.cudnn}: cannot open shared object file`)));
        }
      }
      if (!tf.findBackendFactory('tensorflow')) {
        try {
          requireFrom(pkg);
        } catch (e) {
          throw new Error(explainNativeLoadError(pkgName, e), { cause: e });
        }
      }
      if (!tf.findBackendFactory('tensorflow')) throw new Error(`${pkgName} ${pkg.version} loaded but registered no 'tensorflow' backend`);
      detail = `${pkgName} ${pkg.version}${pkg.from ? ` from ${pkg.from}` : ''}`;
    },
    async verify() {
      const b = tf.backend() as unknown as NodeBackendInstance;
      if (name === 'tensorflow-gpu' && b.isUsingGpuDevice === false) {
        throw new Error(
          `${pkgName} loaded, but TensorFlow found no usable CUDA GPU (driver > 450, CUDA 11.2, cuDNN 8.1) and would run on the CPU`,
        );
      }
    },
    device() {
      const b = tf.backend() as unknown as NodeBackendInstance;
      if (b.isUsingGpuDevice) return `${nvidiaGpuName() ?? 'NVIDIA GPU'} (CUDA, libtensorflow 2.9.1; ${detail})`;
      return `CPU (native libtensorflow 2.9.1; ${detail})`;
    },
  };
}

/** The first GPU's name from nvidia-smi, if there is one. */
function nvidiaGpuName(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [gpu, driver] = out
      .split('\n')[0]!
      .split(',')
      .map((s) => s.trim());
    return gpu ? `${gpu}${driver ? `, driver ${driver}` : ''}` : null;
  } catch {
    return null;
  }
}

export const tensorflowGpuProvider = (opts: BackendOptions) => nativeProvider('tensorflow-gpu', '@tensorflow/tfjs-node-gpu', opts);
export const tensorflowProvider = (opts: BackendOptions) => nativeProvider('tensorflow', '@tensorflow/tfjs-node', opts);

export { PackageNotInstalled };
