/**
 * The lab report's words, in English and Simplified Chinese: every string is a t('…') message
 * (scripts/l10n-bundle.mjs reads this file; l10n/bundle.l10n.zh-cn.json holds the translations),
 * so the CLI, the extension's worker and the tests write the same report in either language.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors';
import { type Translate, formatMessage, statusNameIn } from '../l10n';

import { type ReportLanguage } from './languages';

export { REPORT_LANGUAGES, type ReportLanguage, isReportLanguage } from './languages';

/**
 * A translator for `lang`: English as written, or the lab's own zh-cn bundle found under
 * `root/l10n` (the extension's or the CLI package's folder; a file of the lab, not of the user).
 */
export function reportTranslator(lang: ReportLanguage, root: string): Translate {
  if (lang === 'en') return (m, ...args) => formatMessage(m, args);
  const file = join(root, 'l10n', `bundle.l10n.${lang}.json`);
  let bundle: Record<string, string>;
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (e) {
    throw new LabError(`${file}: cannot read the ${lang} translations (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      file,
      code: 'not-found',
    });
  }
  return (m, ...args) => formatMessage(Object.prototype.hasOwnProperty.call(bundle, m) ? bundle[m]! : m, args);
}

/** Every sentence and heading of the report, through translator `t`. */
export function reportText(t: Translate) {
  return {
    title: (name: string) => t('Lab report: {0}', name),
    subtitle: t('Recognising handwritten digits with a convolutional neural network'),
    runLine: (run: string, backend: string, date: string) => t('Run {0}, trained on {1}, {2}.', run, backend, date),
    generated: (date: string) => t('Written by MNIST Lab on {0}.', date),
    aim: t('1. Aim'),
    aimText: t(
      'Build a convolutional neural network that recognises handwritten digits, train it, and look inside it: the kernels it learned, the feature maps it computes, and whether it still recognises a digit shifted by a few pixels.',
    ),
    data: t('2. Data and split'),
    dataMnist: t('MNIST: 28×28 grey images of the digits 0–9, pixels scaled to [0, 1].'),
    dataOwn: (dir: string) => t('The data in {0} (MNIST layout), pixels scaled to [0, 1].', dir),
    classes: (names: string) => t('Classes: {0}.', names),
    splitText: (train: number, val: number, test: number) =>
      t(
        'Training: {0} images. The test file is split as in the original lab: its first half ({1} images) is the validation split, its second half ({2} images) the test split.',
        train,
        val,
        test,
      ),
    network: t('3. The network'),
    networkText: t('Two convolution layers with ReLU and 2×2 max pooling, then two fully connected layers with dropout between them.'),
    layer: t('Layer'),
    definition: t('Definition'),
    outputShape: t('Output shape'),
    parameters: t('Parameters'),
    total: t('Total'),
    hyperparameters: t('4. Hyperparameters'),
    setting: t('Setting'),
    value: t('Value'),
    curves: t('5. Error curves'),
    curvesText: t(
      'The error rate on the training batches of the epoch so far and on the whole validation split, recorded every few training steps (the original lab\u2019s record).',
    ),
    curvesCaption: t('Training and validation error rate'),
    step: t('Training step'),
    errorRate: t('Error rate (%)'),
    trainSeries: t('training'),
    validationSeries: t('validation'),
    noCurve: t('The run recorded no progress: there is no curve to draw.'),
    accuracy: t('6. Accuracy'),
    split: t('Split'),
    accuracyHeader: t('Accuracy'),
    validationSplit: t('Validation split'),
    testSplit: t('Test split'),
    seedLab: t('The original lab (test split)'),
    seedCompare: (ours: string, seed: string) => t('Test accuracy {0} against the original lab\u2019s {1}.', ours, seed),
    accuracyNote: t('Accuracies measured now on the run\u2019s final weights.'),
    kernels: t('7. Kernels'),
    kernelsText: t(
      'Each kernel\u2019s weights: red positive, blue negative, white zero; one colour scale per layer (± the largest |weight|).',
    ),
    conv1Kernels: t('conv1 kernels (one per output channel)'),
    conv2Kernels: t('conv2 kernels (row: input channel, column: output channel)'),
    kernelTitle: (i: number) => t('kernel {0}', i),
    inputChannel: (i: number) => t('input {0}', i),
    featureMaps: (index: number) => t('8. Feature maps of test image #{0}', index),
    featureText: (index: number, label: string, predicted: string) =>
      t('Test image #{0} is a {1}; the network predicts {2}. Darker is a stronger activation (after ReLU).', index, label, predicted),
    imageTitle: (index: number) => t('test image #{0}', index),
    conv1Maps: t('conv1 feature maps'),
    conv2Maps: t('conv2 feature maps'),
    channel: (i: number) => t('channel {0}', i),
    shift: t('9. The shifted digit'),
    shiftText: (index: number, dx: number, dy: number) =>
      t(
        'Test image #{0} moved by {1} pixels sideways and {2} down (negative: left, up), zeros filling the uncovered edge, as in the original lab.',
        index,
        dx,
        dy,
      ),
    shiftPredictions: (before: string, after: string) => t('Predicted {0} before the shift and {1} after it.', before, after),
    shiftDiff: (c1: string, c2: string) => t('Mean |original − shifted| of the feature maps: conv1 {0}, conv2 {1}.', c1, c2),
    shiftCaption: t('Original, shifted, and their difference (red: the shifted map is larger, blue: smaller)'),
    original: t('original'),
    shifted: t('shifted'),
    difference: t('difference'),
    sweep: t('10. Robustness sweep'),
    sweepText: (range: number, count: number) =>
      t(
        'Accuracy on the {0} images of the test split with every image shifted by (dx, dy) in [−{1}, {1}], rotated, or with Gaussian noise added.',
        count,
        range,
      ),
    sweepCaption: t('Test accuracy under shifts (dx right, dy down)'),
    rotationCaption: t('Test accuracy under rotation and Gaussian noise'),
    angle: t('Rotation (degrees)'),
    sigma: t('Noise σ'),
    radius: t('Largest shift (px)'),
    worst: t('Worst accuracy'),
    unshifted: (acc: string) => t('Unshifted: {0}.', acc),
    grid: t('11. Hyperparameter grid'),
    gridText: (point: number, runs: number, name: string, keys: string) =>
      t(
        'This run is point {0} of the {1} runs of the grid \u201c{2}\u201d, which varied {3}. Each row is one run: its values, and the validation and test accuracy it reached (as its summary recorded them at its end).',
        point,
        runs,
        name,
        keys,
      ),
    gridBestThis: t('This run has the best validation accuracy of the grid (in bold).'),
    gridBest: (point: number, acc: string) => t('The best validation accuracy (in bold) is point {0}\u2019s, {1}.', point, acc),
    gridNoBest: t('No run of the grid has a validation accuracy yet.'),
    thisRun: t('(this run)'),
    validationColumn: t('validation'),
    testColumn: t('test'),
    statusColumn: t('status'),
    pointStatus: (status: string) => (status === 'pending' ? t('not started') : statusNameIn(t, status)),
    files: t('Files'),
    filesText: t('Every figure is beside this report as PNG and SVG (figures/); the recorded metrics are in metrics.csv.'),
    gridFilesText: t('The grid\u2019s table is in grid.csv.'),
    svgLink: t('SVG'),
  };
}

export type ReportText = ReturnType<typeof reportText>;
