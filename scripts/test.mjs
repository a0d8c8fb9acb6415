// npm test: every layer in order; a layer that fails fails the run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('node', ['scripts/build.mjs']);
run('node', ['scripts/build-tests.mjs']);
const unit = readdirSync('out/test/unit').filter((f) => f.endsWith('.test.js')).map((f) => join('out/test/unit', f));
run('node', ['--test', '--test-concurrency=1', ...unit]);
