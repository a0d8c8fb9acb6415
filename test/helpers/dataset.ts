import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/core/data/idx';
import { MNIST_FILES, type ImageSet, subset } from '../../src/core/data/mnist';

/** Writes an MNIST-layout IDX directory from real image sets (optionally gzipped). */
export function writeIdxDir(dir: string, train: ImageSet, test: ImageSet, gzip = false): string {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  put(MNIST_FILES.trainImages, encodeIdx([train.count, train.height, train.width], train.images));
  put(MNIST_FILES.trainLabels, encodeIdx([train.count], train.labels));
  put(MNIST_FILES.testImages, encodeIdx([test.count, test.height, test.width], test.images));
  put(MNIST_FILES.testLabels, encodeIdx([test.count], test.labels));
  return dir;
}

/** The first n images of a set (real MNIST digits, for quick tests). */
export const head = (set: ImageSet, n: number): ImageSet => subset(set, 0, n);
