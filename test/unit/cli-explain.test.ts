// `mnist-lab explain` on the committed 20-epoch run: the map is the core's (src/core/analysis/
// explain.ts, checked against PyTorch and finite differences in explain.test.ts), printed as one
// JSON object or drawn in characters; bad flags are one line naming the flag, exit 2.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { explain } from '../../src/core/analysis/explain';
import { selectBackend } from '../../src/core/backends';
import { imageAt, loadLabData } from '../../src/core/data/mnist';
import { loadModel } from '../../src/core/model/interchange';
import { cli, jsonLines } from '../helpers/cli';

const RUN = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');

before(async () => {
  await selectBackend('wasm');
});

function expectBadInput(args: string[], pattern: RegExp): void {
  const r = cli(args);
  assert.equal(r.status, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  assert.match(lines[0]!, /^mnist-lab: /);
  assert.match(lines[0]!, pattern);
}

test('explain --json: the core’s map for test image #4 (Grad-CAM and SmoothGrad); on a terminal, the map in characters', () => {
  const { net } = loadModel(RUN);
  const image = imageAt(loadLabData().testFile, 4);
  const cam = jsonLines(cli(['explain', RUN, '--index', '4', '--method', 'gradCam', '--json']).stdout);
  assert.equal(cam.length, 1);
  const s = cam[0]!;
  assert.equal(s.type, 'summary');
  assert.equal(s.command, 'explain');
  assert.equal(s.label, 4);
  assert.equal(s.predicted, 4);
  assert.equal(s.classIndex, 4);
  assert.equal(s.signed, false);
  const core = explain(net, image, { method: 'gradCam' });
  assert.deepEqual(s.map, Array.from(core.map));
  assert.deepEqual((s.gradCam as { weights: number[] }).weights, Array.from(core.gradCam!.weights));

  const sg = jsonLines(
    cli(['explain', RUN, '--method', 'smoothGrad', '--samples', '8', '--sigma', '0.1', '--seed', '7', '--class', '9', '--json']).stdout,
  )[0]!;
  const coreSg = explain(net, image, { method: 'smoothGrad', samples: 8, sigma: 0.1, seed: 7, classIndex: 9 });
  assert.equal(sg.classIndex, 9);
  assert.deepEqual(sg.smoothGrad, { samples: 8, sigma: 0.1, sigmaPixels: 0.1, seed: 7 });
  assert.deepEqual(sg.map, Array.from(coreSg.map));

  const human = cli(['explain', RUN, '--score', 'logProbability']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /test image #4: true label 4, predicted 4 \((99\.\d+|100\.00) ?%\)/);
  assert.match(human.stdout, /gradient of the log-probability of class 4/);
  const rows = human.stdout.split('\n').filter((l) => l.startsWith('|'));
  assert.equal(rows.length, 28);
  assert.ok(rows.every((r) => r.length === 2 + 56));
  assert.ok(rows.some((r) => /[.:+]/.test(r)) && rows.some((r) => /[,=-]/.test(r)), 'both signs drawn');
  net.dispose();
});

test('explain: bad flags are one line naming the flag, exit 2', () => {
  expectBadInput(['explain', RUN, '--method', 'gradcam'], /--method: unknown value 'gradcam' — did you mean gradCam\?/);
  expectBadInput(['explain', RUN, '--score', 'probability'], /--score: unknown value 'probability'.*one of: logit, logProbability/);
  expectBadInput(['explain', RUN, '--method', 'smoothGrad', '--samples', '0'], /--samples: expected a whole number ≥ 1, got '0'/);
  expectBadInput(['explain', RUN, '--method', 'smoothGrad', '--samples', '257'], /--samples: at most 256, got 257/);
  expectBadInput(
    ['explain', RUN, '--method', 'smoothGrad', '--sigma', '2'],
    /--sigma: expected a fraction of the image's range in \[0, 1\], got '2'/,
  );
  expectBadInput(['explain', RUN, '--method', 'smoothGrad', '--sigma', 'NaN'], /--sigma: expected a fraction/);
  expectBadInput(['explain', RUN, '--sigma', '0.1'], /--sigma: only with --method smoothGrad/);
  expectBadInput(['explain', RUN, '--class', '10'], /--class: at most 9, got 10/);
  expectBadInput(['explain', RUN, '--index', '10000'], /--index: 10000 is out of range 0\.\.9999/);
});
