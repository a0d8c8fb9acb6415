// Bundles each test/**/*.test.ts into out/test/ (dependencies stay external).
import { build } from 'esbuild';
import { tfjsParts } from './esbuild-tfjs.mjs';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tests = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.ts')) tests.push(relative(root, p));
  }
};
walk(join(root, 'test', 'unit'));
rmSync(join(root, 'out', 'test', 'unit'), { recursive: true, force: true });
await build({
  entryPoints: tests,
  outdir: 'out/test/unit',
  outbase: 'test/unit',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  packages: 'external',
  plugins: [tfjsParts],
  logLevel: 'warning',
  absWorkingDir: root,
});
// Tests that train with worker threads find the replica script beside themselves.
await build({
  entryPoints: ['src/core/train/replicaWorker.ts'],
  outfile: 'out/test/unit/replica-worker.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  plugins: [tfjsParts],
  logLevel: 'warning',
  absWorkingDir: root,
});
