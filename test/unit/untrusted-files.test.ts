import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LabError } from '../../src/core/errors';
import { hasOwn, readUntrusted, readUntrustedSync, resolveInsideSync } from '../../src/core/files/untrusted';
import { tempDir } from '../helpers/tmp';

function hostileFolder(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'ok.json'), '{"a": 1}');
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(2048));
  symlinkSync('/dev/zero', join(dir, 'zero.json'));
  execFileSync('mkfifo', [join(dir, 'fifo.json')]);
  mkdirSync(join(dir, 'sub.json'));
  mkdirSync(join(dir, 'inner'));
  writeFileSync(join(dir, 'inner', 'x.bin'), 'x');
  symlinkSync('/etc/hostname', join(dir, 'inner', 'escape.bin'));
  return dir;
}

const refused = (re: RegExp) => (e: unknown) => e instanceof LabError && re.test(e.message);

test('untrusted reads: a regular file within its limit is read whole, sync and async', async () => {
  const dir = hostileFolder();
  assert.equal(readUntrustedSync(join(dir, 'ok.json'), { kind: 'config' }).toString(), '{"a": 1}');
  assert.equal((await readUntrusted(join(dir, 'ok.json'), { kind: 'config' })).toString(), '{"a": 1}');
});

test('untrusted reads: /dev/zero through a symlink, a FIFO and a directory are refused by name, without blocking', async () => {
  const dir = hostileFolder();
  const t0 = Date.now();
  for (const read of [readUntrustedSync, readUntrusted]) {
    await assert.rejects(
      async () => read(join(dir, 'zero.json'), { kind: 'config' }),
      refused(/zero\.json: config file is a character device, not a regular file/),
    );
    await assert.rejects(
      async () => read(join(dir, 'fifo.json'), { kind: 'runJson' }),
      refused(/fifo\.json: run file is a FIFO \(named pipe\), not a regular file/),
    );
    await assert.rejects(async () => read(join(dir, 'sub.json'), { kind: 'config' }), refused(/sub\.json: config file is a directory/));
    await assert.rejects(async () => read(join(dir, 'missing.json'), { kind: 'config' }), refused(/missing\.json: config file not found/));
  }
  assert.ok(Date.now() - t0 < 5000, 'no read blocked');
});

test("untrusted reads: a file over its kind's limit is refused with both sizes, before it is read", async () => {
  const dir = hostileFolder();
  for (const read of [readUntrustedSync, readUntrusted]) {
    await assert.rejects(
      async () => read(join(dir, 'big.bin'), { kind: 'weights', maxBytes: 1024 }),
      refused(/big\.bin: weights file is 2 KiB, more than the 1 KiB allowed/),
    );
  }
  assert.equal(readUntrustedSync(join(dir, 'big.bin'), { kind: 'weights', maxBytes: 2048 }).length, 2048);
});

test('untrusted reads: a path from a file stays inside its folder (.., absolute, symlink out)', async () => {
  const dir = hostileFolder();
  const inner = join(dir, 'inner');
  assert.equal(resolveInsideSync(inner, 'x.bin'), join(inner, 'x.bin'));
  assert.throws(() => resolveInsideSync(inner, '../ok.json'), refused(/resolves outside its folder/));
  assert.throws(() => resolveInsideSync(inner, '/etc/passwd'), refused(/must be a relative path inside the folder/));
  assert.throws(() => resolveInsideSync(inner, 'escape.bin'), refused(/resolves outside its folder/));
  assert.throws(
    () => readUntrustedSync(join(inner, 'escape.bin'), { kind: 'weights', inside: inner }),
    refused(/resolves outside its folder/),
  );
  await assert.rejects(
    readUntrusted(join(inner, 'escape.bin'), { kind: 'weights', inside: inner }),
    refused(/resolves outside its folder/),
  );
});

test('own keys only: inherited names are not keys', () => {
  assert.equal(hasOwn({}, 'toString'), false);
  assert.equal(hasOwn({}, 'constructor'), false);
  assert.equal(hasOwn({ a: 1 }, 'a'), true);
});
