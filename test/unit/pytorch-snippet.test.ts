/**
 * The PyTorch loader written beside exported weights (src/core/model/pytorchSnippet.ts), run for
 * real with Debian's /usr/bin/python3 and torch: it loads the weights into the seed's ConvNet
 * (strict load_state_dict), and the network's class probabilities on real MNIST test images must
 * be TensorFlow.js's. Without torch the test fails under CI (.ci/run installs python3-torch) and
 * is skipped elsewhere, saying why.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { predict } from '../../src/core/analysis/evaluate';
import { ConvNet } from '../../src/core/model/convnet';
import { loadModel, saveModel } from '../../src/core/model/interchange';
import { SNIPPET_FILE, pytorchSnippet, writePytorchSnippet } from '../../src/core/model/pytorchSnippet';
import { cli, jsonLines } from '../helpers/cli';
import { FIXTURE, T, repoRoot } from '../helpers/pytorchFixture';
import { tempDir } from '../helpers/tmp';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const skip = !hasTorch && !process.env.CI ? `${PYTHON} cannot import torch and numpy (Debian: apt-get install python3-torch)` : false;
const data = loadLabData();
const IMAGES = 16;

before(async () => {
  await selectBackend('wasm', { requireSyncReads: true });
});

/** Runs the snippet as the user would, then the ConvNet it defined on test images 0..15. */
function torchProbabilities(snippet: string, dir: string): { probs: number[][]; stdout: string } {
  const images = gatherImages(
    data.testFile,
    Array.from({ length: IMAGES }, (_, i) => i),
  );
  const imagesFile = join(dir, 'images.f32');
  writeFileSync(imagesFile, images);
  const driver = join(dir, 'driver.py');
  writeFileSync(
    driver,
    [
      'import json, runpy, sys',
      'import numpy as np, torch',
      'ns = runpy.run_path(sys.argv[1], run_name="__main__")',
      'x = torch.from_numpy(np.fromfile(sys.argv[2], dtype="<f4").reshape(-1, 1, ns["image_size"], ns["image_size"]).copy())',
      'with torch.no_grad():',
      '    p = ns["net"](x).exp()',
      'print("PROBS " + json.dumps(p.tolist()))',
    ].join('\n'),
  );
  const r = spawnSync(PYTHON, ['-B', driver, snippet, imagesFile], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('PROBS '))!;
  return { probs: JSON.parse(line.slice(6)) as number[][], stdout: r.stdout };
}

function assertSamePredictions(net: ConvNet, probs: number[][]): void {
  assert.equal(probs.length, IMAGES);
  let worst = 0;
  for (let i = 0; i < IMAGES; i++) {
    const mine = predict(net, gatherImages(data.testFile, [i])).probabilities;
    assert.equal(probs[i]!.length, mine.length);
    for (let c = 0; c < mine.length; c++) worst = Math.max(worst, Math.abs(mine[c]! - probs[i]![c]!));
  }
  assert.ok(worst < 1e-5, `largest probability difference torch vs TensorFlow.js: ${worst}`);
}

test("the snippet loads the committed 20-epoch run into the seed's ConvNet: same probabilities as TensorFlow.js", { skip }, () => {
  assert.ok(hasTorch, `${PYTHON} cannot import torch and numpy`);
  const dir = tempDir();
  const { net, file } = loadModel(join(repoRoot(), 'test', 'fixtures', 'seed-run-20-epochs'));
  try {
    const snippet = join(dir, SNIPPET_FILE);
    writeFileSync(snippet, pytorchSnippet(net.spec, file));
    const text = readFileSync(snippet, 'utf8');
    // The seed's class, its values: conv1 1→4, conv2 4→8, kernel 5, fc1 392→512 (104 + 808 + 201,216 + 5,130 = 207,258 parameters).
    assert.match(text, /depth = \[4, 8\]\nkernel_size = 5\nhidden = 512\nimage_size = 28\nnum_classes = 10/);
    const { probs, stdout } = torchProbabilities(snippet, dir);
    assert.match(stdout, /Conv2d\(1, 4, kernel_size=\(5, 5\), stride=\(1, 1\), padding=\(2, 2\)\)/);
    assert.match(stdout, /Linear\(in_features=392, out_features=512, bias=True\)/);
    assert.match(stdout, /207258 parameters loaded from/);
    assertSamePredictions(net, probs);
    // The network is the trained one: it gets these digits right.
    const right = probs.filter((p, i) => p.indexOf(Math.max(...p)) === data.testFile.labels[i]).length;
    assert.ok(right >= 15, `${right}/16 right`);
  } finally {
    net.dispose();
  }
});

test('another architecture (depth [6, 12], kernel 3, hidden 64, class names) loads strictly and agrees', { skip }, async () => {
  const dir = tempDir();
  const net = ConvNet.init({ depth: [6, 12], kernelSize: 3, hidden: 64, dropout: 0.25, imageSize: 28, numClasses: 10 }, 7);
  try {
    const { safetensors } = await saveModel(net, dir);
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const snippet = writePytorchSnippet(safetensors, net.spec, names);
    assert.equal(snippet, join(dir, SNIPPET_FILE));
    const { probs, stdout } = torchProbabilities(snippet, dir);
    assert.match(stdout, /Conv2d\(6, 12, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\)\)/);
    assert.match(stdout, new RegExp(`${net.parameterCount()} parameters loaded`));
    assert.match(stdout, /empty image -> (zero|one|two|three|four|five|six|seven|eight|nine) /);
    assertSamePredictions(net, probs);
  } finally {
    net.dispose();
  }
});

test(
  "on weights written by PyTorch itself (the committed fixture), the snippet reproduces PyTorch's own log-probabilities",
  { skip },
  () => {
    const dir = tempDir();
    const spec = { depth: [4, 8] as [number, number], kernelSize: 5, hidden: 512, dropout: 0.5, imageSize: 28, numClasses: 10 };
    const snippet = join(dir, SNIPPET_FILE);
    writeFileSync(snippet, pytorchSnippet(spec, FIXTURE));
    // The fixture's images are MNIST test images 0..15, its logprobs PyTorch's output on them.
    const { probs } = torchProbabilities(snippet, dir);
    const logprobs = T('logprobs').data;
    let worst = 0;
    probs.forEach((p, i) => p.forEach((v, c) => (worst = Math.max(worst, Math.abs(Math.log(v) - logprobs[i * 10 + c]!)))));
    assert.ok(worst < 1e-5, `largest log-probability difference from the fixture: ${worst}`);
  },
);

test('mnist-lab export writes load_pytorch.py beside the weights, and it runs', { skip }, () => {
  const dir = tempDir();
  const r = cli(['export', join(repoRoot(), 'test', 'fixtures', 'pytorch-seed.safetensors'), '--out', join(dir, 'out'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = jsonLines(r.stdout).at(-1)!;
  assert.equal(s.pytorch, join(dir, 'out', SNIPPET_FILE));
  const run = spawnSync(PYTHON, ['-B', s.pytorch as string], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /207258 parameters loaded from .*model\.safetensors/);
});
