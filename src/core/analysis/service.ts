/**
 * What the CLI and the worker share when they analyse a model: the data a model belongs with,
 * the checks that a model and data fit together, the shift bounds, and "validation + test
 * evaluation" (`evaluateSplits` in ./evaluate, which needs TensorFlow.js). Written once here;
 * `src/cli/main.ts` and `src/worker/` word their own messages (flag names vs request fields)
 * around these.
 */
import type { LabConfig } from '../config';
import type { LabData } from '../data/mnist';
import { LabError } from '../errors';
import type { ConvNet } from '../model/convnet';

/** Where a model's data is and how many classes it has: from its run's config, else the defaults. */
export interface DataChoice {
  /** A directory of MNIST-layout IDX files; null = the embedded MNIST. */
  dataDir: string | null;
  numClasses: number;
  /** The config's class names (absent for MNIST's digits). */
  classNames?: string[];
}

/**
 * The data a model is analysed with: `explicitDir` (a `--data` flag) first, then the run's
 * config's `data.dir`, then `fallbackDir` (a setting), else the embedded MNIST; the classes are
 * the config's.
 */
export function dataChoiceFor(
  config: LabConfig | null | undefined,
  explicitDir: string | null = null,
  fallbackDir: string | null = null,
): DataChoice {
  const names = config?.data.classNames ?? undefined;
  return {
    dataDir: explicitDir ?? config?.data.dir ?? fallbackDir,
    numClasses: names?.length ?? 10,
    ...(names && { classNames: names }),
  };
}

/** A model and data fit together: the same image size and the same number of classes. */
export function checkModelFitsData(net: ConvNet, file: string, data: LabData): void {
  if (data.train.height !== net.spec.imageSize) {
    throw new LabError(
      `${file}: the model takes ${net.spec.imageSize}×${net.spec.imageSize} images, the data has ${data.train.height}×${data.train.width}`,
      { file },
    );
  }
  if (data.numClasses !== net.spec.numClasses) {
    throw new LabError(`${file}: the model has ${net.spec.numClasses} classes, the data has ${data.numClasses}`, {
      file,
      code: 'invalid-data',
    });
  }
}

/** The largest shift (pixels, either direction) of a size×size image: one more moves it out whole. */
export function maxShift(imageSize: number): number {
  return imageSize - 1;
}

export function shiftInRange(imageSize: number, v: number): boolean {
  return Number.isInteger(v) && Math.abs(v) <= maxShift(imageSize);
}

/** An index of the test file (the original lab's "test image #4" counts in it). */
export function checkTestIndex(data: LabData, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= data.testFile.count) {
    throw new LabError(`test image #${index} does not exist: the test file has images 0..${data.testFile.count - 1}`, { field: 'index' });
  }
}
