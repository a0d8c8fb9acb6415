// Bundles the real-VS-Code tests with esbuild:
//   test/vscode/suite/{index,*.test}.ts -> out/test/vscode/suite/*.js  (loaded by the extension host; `vscode` external)
//   test/vscode/run-*.ts, test/vscode/e2e/*.e2e.ts -> out/test/vscode/…  (Node: the runners and the UI tests)
import { build } from 'esbuild';
import { tfjsParts } from '../esbuild-tfjs.mjs';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'test', 'vscode');
const suite = readdirSync(join(src, 'suite'))
  .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
  .map((f) => join('test/vscode/suite', f));
const node = [
  ...readdirSync(src)
    .filter((f) => /^run-.*\.ts$/.test(f))
    .map((f) => join('test/vscode', f)),
  ...readdirSync(join(src, 'e2e'))
    .filter((f) => f.endsWith('.e2e.ts'))
    .map((f) => join('test/vscode/e2e', f)),
];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  absWorkingDir: root,
  outbase: 'test/vscode',
  outdir: 'out/test/vscode',
};
// The suite: mocha and vscode come from the extension host's require (mocha from node_modules).
const a = await build({ ...common, entryPoints: suite, external: ['vscode', 'mocha'], metafile: true });
// Runners: dependencies stay in node_modules, the project's own sources (src/core) are bundled.
const b = await build({ ...common, entryPoints: node, packages: 'external', plugins: [tfjsParts], metafile: true });
// Files are overwritten in place (a run in progress keeps working); outputs of deleted sources go.
const outputs = new Set([...Object.keys(a.metafile.outputs), ...Object.keys(b.metafile.outputs)].map((f) => resolve(root, f)));
const sweep = (dir) => {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sweep(p);
    else if (!outputs.has(p)) rmSync(p, { force: true });
  }
};
sweep(join(root, 'out', 'test', 'vscode'));
