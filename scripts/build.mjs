// Bundles every entry point with esbuild. Dependencies stay in node_modules (packages:
// 'external') so that tfjs finds its .wasm files; the packaged extension bundles differently.
import { build } from 'esbuild';
import { tfjsParts } from './esbuild-tfjs.mjs';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  packages: 'external',
  logLevel: 'warning',
  absWorkingDir: root,
  plugins: [tfjsParts],
};

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['scripts/bench.ts'], outfile: 'dist/bench.js' }),
  // Data-parallel training replicas run this on worker threads (beside cli.js and bench.js).
  build({ ...common, entryPoints: ['src/core/train/replicaWorker.ts'], outfile: 'dist/replica-worker.js' }),
]);
chmodSync(join(root, 'dist/cli.js'), 0o755);

// The config schema is generated from the one definition in src/core/config.ts.
await build({ ...common, entryPoints: ['src/core/config.ts'], outfile: 'out/schema-gen.cjs', sourcemap: false });
const { CONFIG_SCHEMA } = await import(join(root, 'out', 'schema-gen.cjs'));
mkdirSync(join(root, 'schema'), { recursive: true });
writeFileSync(join(root, 'schema', 'mnist-lab.schema.json'), `${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`);

// The VS Code extension's bundles (host, worker, webviews).
await import('./build-extension.mjs');
