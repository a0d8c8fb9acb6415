// npm test: builds, then runs every test layer; prints one closing line with the totals.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const t0 = Date.now();
const layers = [];
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
const must = (cmd, args) => {
  const r = run(cmd, args);
  if (r.status !== 0) {
    console.error(`npm test: '${cmd} ${args.join(' ')}' failed`);
    process.exit(r.status ?? 1);
  }
};

must('node', ['scripts/build.mjs']);
must('node', ['scripts/build-tests.mjs']);

// Type checks: esbuild bundles without checking types, so the strict tsconfigs are checked here,
// the host side (core, CLI, extension, tests, scripts) and the webviews (DOM).
{
  const start = Date.now();
  const projects = ['tsconfig.json', 'src/webview/tsconfig.json'];
  const failed = projects.filter((p) => run('node', ['node_modules/typescript/bin/tsc', '--noEmit', '-p', p]).status !== 0);
  for (const p of failed) console.error(`npm test: tsc -p ${p} found type errors`);
  layers.push({ name: 'types', passed: projects.length - failed.length, failed: failed.length, seconds: (Date.now() - start) / 1000 });
}

// Lint: ESLint (with the layers' import boundaries, eslint.config.mjs) and Prettier's check.
{
  const start = Date.now();
  const checks = [
    ['eslint', ['node_modules/eslint/bin/eslint.js', '.']],
    ['prettier', ['node_modules/prettier/bin/prettier.cjs', '--check', '.']],
  ];
  const failed = checks.filter(([name, args]) => {
    const bad = run('node', args).status !== 0;
    if (bad) console.error(`npm test: ${name} found problems (npm run lint; npm run format fixes the formatting)`);
    return bad;
  });
  layers.push({ name: 'lint', passed: checks.length - failed.length, failed: failed.length, seconds: (Date.now() - start) / 1000 });
}

// Unit tests and numeric checks: node's test runner, one file at a time (2 cores).
{
  const start = Date.now();
  const files = readdirSync('out/test/unit')
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join('out/test/unit', f));
  const tap = join('out', 'unit.tap');
  const r = run('node', [
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ]);
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  layers.push({
    name: 'unit',
    passed: count('pass'),
    failed: count('fail') + (r.status !== 0 && count('fail') === 0 ? 1 : 0),
    seconds: (Date.now() - start) / 1000,
  });
}

// Extension-host integration and UI end-to-end tests in code-server + Chromium.
if (existsSync('scripts/vscode-test/run.mjs') && process.env.MNIST_LAB_SKIP_VSCODE !== '1') {
  const start = Date.now();
  // The project is built above; run.mjs still builds the tests' own bundles.
  const r = spawnSync('node', ['scripts/vscode-test/run.mjs'], {
    stdio: ['inherit', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, MNIST_LAB_SKIP_BUILD: '1' },
  });
  process.stdout.write(r.stdout ?? '');
  const m = /^vscode: (\d+) passed, (\d+) failed/m.exec(r.stdout ?? '');
  layers.push({
    name: 'vscode',
    passed: Number(m?.[1] ?? 0),
    failed: Number(m?.[2] ?? 0) + (r.status !== 0 && !Number(m?.[2]) ? 1 : 0),
    seconds: (Date.now() - start) / 1000,
  });
}

console.log('\nLayer     passed  failed  seconds');
for (const l of layers)
  console.log(`${l.name.padEnd(9)} ${String(l.passed).padStart(6)}  ${String(l.failed).padStart(6)}  ${l.seconds.toFixed(0).padStart(7)}`);
const passed = layers.reduce((a, l) => a + l.passed, 0);
const failed = layers.reduce((a, l) => a + l.failed, 0);
console.log(`total time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
