import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/**
 * The native packages of the accelerated backends, and how to find them: in the folders of
 * `modulePaths` first (the extension installs them into its global storage), then beside the
 * project (node_modules). Nothing here loads TensorFlow.js or a native module, so the extension
 * host may import this file to show what is installed; loading happens in the training worker.
 */
export interface AcceleratedBackend {
  /** The backend name (BACKEND_NAMES). */
  backend: 'tensorflow-gpu' | 'tensorflow' | 'webgpu';
  /** npm packages to install, exact versions (they must match TensorFlow.js 4.22). */
  packages: string[];
  /** `${process.platform}-${process.arch}` values it runs on. */
  platforms: string[];
  /** What it needs besides the packages. */
  requires: string;
  /** Environment variables its install honours (mirrors for the downloads of its install script). */
  mirrorVariables: string[];
}

export const ACCELERATED_BACKENDS: readonly AcceleratedBackend[] = [
  {
    backend: 'tensorflow-gpu',
    packages: ['@tensorflow/tfjs-node-gpu@4.22.0'],
    platforms: ['linux-x64', 'win32-x64'],
    requires: 'an NVIDIA GPU with driver > 450, CUDA 11.2 and cuDNN 8.1; its install script downloads libtensorflow 2.9.1',
    mirrorVariables: ['TFJS_NODE_CDN_STORAGE', 'TFJS_NODE_BASE_URI', 'npm_config_tfjs_binding_binary_host_mirror'],
  },
  {
    backend: 'tensorflow',
    packages: ['@tensorflow/tfjs-node@4.22.0'],
    platforms: ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'],
    requires: 'its install script downloads libtensorflow 2.9.1',
    mirrorVariables: ['TFJS_NODE_CDN_STORAGE', 'TFJS_NODE_BASE_URI', 'npm_config_tfjs_binding_binary_host_mirror'],
  },
  {
    backend: 'webgpu',
    packages: ['webgpu@0.6.2', '@tensorflow/tfjs-backend-webgpu@4.22.0'],
    platforms: ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'],
    requires: 'a GPU driver with Vulkan (Linux), Metal (macOS) or Direct3D 12 (Windows); on Linux the Vulkan loader libvulkan.so.1',
    mirrorVariables: [],
  },
];

/** The environment variable the CLI reads for extra module folders (path-delimiter separated). */
export const BACKENDS_DIR_VARIABLE = 'MNIST_LAB_BACKENDS_DIR';

/** modulePaths from MNIST_LAB_BACKENDS_DIR (empty when unset). */
export function modulePathsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[BACKENDS_DIR_VARIABLE] ?? '').split(delimiter).filter(Boolean);
}

export interface ResolvedPackage {
  name: string;
  /** The package's folder. */
  dir: string;
  version: string;
  /** The modulePaths entry it came from, or null for the project's own node_modules. */
  from: string | null;
}

/** The node_modules folders a bare require from this file would search, nearest first. */
function projectModuleDirs(): string[] {
  return require.resolve.paths('x') ?? [];
}

/**
 * Where `name` is installed: the first of `modulePaths` (each a folder holding node_modules, or a
 * node_modules folder itself) that has it, else the project's node_modules. Null when absent.
 * Looks for the package.json itself (packages with an "exports" map may not export it).
 */
export function resolvePackage(name: string, modulePaths: readonly string[] = []): ResolvedPackage | null {
  const bases: [string, string | null][] = [
    ...modulePaths.flatMap((m): [string, string][] => [
      [join(m, 'node_modules'), m],
      [m, m],
    ]),
    ...projectModuleDirs().map((d): [string, null] => [d, null]),
  ];
  for (const [dir, from] of bases) {
    const manifest = join(dir, ...name.split('/'), 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
      return { name, dir: dirname(manifest), version: typeof version === 'string' ? version : 'unknown', from };
    } catch {
      // an unreadable manifest: not a usable install
    }
  }
  return null;
}

/** Which accelerated backends have all their packages installed (resolution only, no loading). */
export function installedAcceleratedBackends(modulePaths: readonly string[] = []): { backend: string; packages: ResolvedPackage[] }[] {
  const found = [];
  for (const b of ACCELERATED_BACKENDS) {
    const pkgs = b.packages.map((p) => resolvePackage(p.slice(0, p.lastIndexOf('@')), modulePaths));
    if (pkgs.every((p): p is ResolvedPackage => p !== null)) found.push({ backend: b.backend, packages: pkgs });
  }
  return found;
}

/** The loader's answer when a package is missing: which package, and where it was looked for. */
export class PackageNotInstalled extends Error {
  constructor(
    readonly packageName: string,
    readonly lookedIn: string[],
  ) {
    super(`package ${packageName} is not installed (looked in ${lookedIn.join(', ')})`);
    this.name = 'PackageNotInstalled';
  }
}

/** Where the project's own node_modules lookup starts, for messages. */
function projectModules(): string {
  return projectModuleDirs().find((d) => existsSync(d)) ?? 'node_modules';
}

/** The resolved package, or PackageNotInstalled naming every folder looked in. */
export function findPackage(name: string, modulePaths: readonly string[] = []): ResolvedPackage {
  const r = resolvePackage(name, modulePaths);
  if (!r) throw new PackageNotInstalled(name, [...modulePaths, projectModules()]);
  return r;
}

/**
 * Loads a CommonJS module of a package found by findPackage (its main entry, or `subpath`).
 * A plain require from the package's folder, so its own dependencies resolve from there.
 */
export function requireFrom<T>(pkg: ResolvedPackage, subpath?: string): T {
  const req = createRequire(join(pkg.dir, 'package.json'));
  return req(subpath ? join(pkg.dir, subpath) : pkg.dir) as T;
}
