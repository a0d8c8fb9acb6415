/**
 * Another dataset in the MNIST layout: Fashion-MNIST as Debian's dataset-fashion-mnist installs it,
 * through the bundled examples/fashion-mnist.mnist.json (its path and class names). A short run
 * (300 steps) must be well above chance (10 %) and name the classes. Without the package the test
 * fails under CI (.ci/run installs it) and is skipped elsewhere, saying why.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile } from '../../src/core/config';
import { classLabel, labelText, ownClassName } from '../../src/core/data/classes';
import { loadLabData } from '../../src/core/data/mnist';
import { SEED_TEST_ACCURACY, seedAccuracyFor } from '../../src/core/events';
import { cli, jsonLines } from '../helpers/cli';
import { repoRoot } from '../helpers/pytorchFixture';
import { tempDir } from '../helpers/tmp';

const EXAMPLE = join(repoRoot(), 'examples', 'fashion-mnist.mnist.json');
const config = loadConfigFile(EXAMPLE);
const present = existsSync(join(config.data.dir!, 'train-images-idx3-ubyte.gz'));
const skip = !present && !process.env.CI ? `${config.data.dir} is missing (Debian: apt-get install dataset-fashion-mnist)` : false;
const NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

test("the example config names Fashion-MNIST's ten classes and Debian's path", () => {
  assert.equal(config.data.dir, '/usr/share/datasets/fashion-mnist');
  assert.deepEqual(config.data.classNames, NAMES);
});

test('labels: the class name where the config gives one, the digit where it gives none or the digit itself', () => {
  assert.equal(ownClassName(NAMES, 7), 'Sneaker');
  assert.equal(ownClassName(undefined, 7), null);
  assert.equal(ownClassName(['0', '1', '2'], 1), null);
  assert.equal(classLabel(NAMES, 7), '7 Sneaker');
  assert.equal(classLabel(null, 7), '7');
  assert.equal(labelText(NAMES, 9), '9 (Ankle boot)');
  assert.equal(labelText(['0', '1'], 1), '1');
});

test("the seed's 99.06 % is compared with MNIST's runs only: a config naming classes of its own is another dataset", () => {
  assert.equal(seedAccuracyFor(undefined), SEED_TEST_ACCURACY);
  assert.equal(seedAccuracyFor(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']), SEED_TEST_ACCURACY);
  assert.equal(seedAccuracyFor(config.data.classNames), null);
  assert.equal(seedAccuracyFor(['0', '1', '2', '3', '4']), null, "five of the digits are not the seed's task");
});

test("Fashion-MNIST from Debian's package: the seed's splits of 60,000 + 10,000 gzipped images", { skip }, () => {
  const d = loadLabData(config.data.dir!);
  assert.deepEqual([d.train.count, d.validation.count, d.test.count, d.train.height], [60000, 5000, 5000, 28]);
  // Fashion-MNIST is balanced: 6,000 training images per class.
  const counts = new Array(10).fill(0);
  for (const l of d.train.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(6000));
});

test('300 steps on Fashion-MNIST: well above chance, and the class names in the summary and the CLI output', { skip }, () => {
  const out = tempDir();
  const r = cli(['train', EXAMPLE, '--max-steps', '300', '--workers', '1', '--json', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const s = jsonLines(r.stdout).at(-1)!;
  assert.equal(s.status, 'completed');
  assert.ok((s.testAccuracy as number) > 0.6, `test accuracy ${s.testAccuracy} after 300 steps (chance: 0.10)`);
  assert.deepEqual(s.classNames, NAMES);
  assert.equal(s.seedTestAccuracy, null, "a Fashion-MNIST run is not measured against the seed's MNIST result");
  const runDir = s.runDir as string;
  assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).classNames, NAMES);
  // Test image #4 of Fashion-MNIST is a shirt (label 6): the output names it.
  const rb = cli(['robustness', runDir]);
  assert.equal(rb.status, 0, rb.stderr);
  assert.match(rb.stdout, /test image #4: true label 6 \(Shirt\)/);
  assert.match(rb.stdout, /original: +predicted \d \((T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot)\)/);
  const rs = jsonLines(cli(['robustness', runDir, '--json']).stdout).at(-1)!;
  assert.deepEqual(rs.classNames, NAMES);
  const ev = cli(['evaluate', runDir]);
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /test accuracy: +\d+\.\d+ ?% \(\d+\/5000\)\n/);
  assert.doesNotMatch(ev.stdout, /the seed|original lab|99\.06/);
  assert.equal(jsonLines(cli(['evaluate', runDir, '--json']).stdout).at(-1)!.seedTestAccuracy, null);
});
