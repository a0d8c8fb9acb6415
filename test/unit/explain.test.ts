// Saliency maps and Grad-CAM (src/core/analysis/explain.ts) on the committed 20-epoch run,
// against independent computations:
//  - central finite differences of a float64 forward written here (plain loops over the same
//    weights, no TensorFlow.js),
//  - PyTorch in float64 (tools/pytorch/make_explain_fixture.py wrote test/fixtures/
//    explain-seed-run.json for test image #4),
//  - Grad-CAM re-computed from conv2's activations with finite-difference gradients of the float64
//    head.
// And the request's validators and the worker's handler refuse bad methods, classes, σ and N.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { explain, MAX_SMOOTHGRAD_SAMPLES, upsampleBilinear } from '../../src/core/analysis/explain';
import { gaussian } from '../../src/core/analysis/transforms';
import { analysisProblem } from '../../src/core/analyses';
import { selectBackend } from '../../src/core/backends';
import { imageAt, loadLabData } from '../../src/core/data/mnist';
import type { ConvNet, ParamName } from '../../src/core/model/convnet';
import { loadModel } from '../../src/core/model/interchange';
import { Rng } from '../../src/core/rng';
import { tf } from '../../src/core/tf';
import { explanationOf } from '../../src/worker/explain';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE_RUN = join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs');

interface FixtureCase {
  classIndex: number;
  score: 'logit' | 'logProbability';
  gradient: number[];
  gradCam: number[];
  gradCamCoarse: number[];
  weights: number[];
}
const FIXTURE = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'explain-seed-run.json'), 'utf8')) as {
  index: number;
  label: number;
  logits: number[];
  predicted: number;
  cases: FixtureCase[];
};

before(async () => {
  await selectBackend('wasm');
});

// ---------------------------------------------------------------------------------------------
// A float64 forward of the seed's network, independent of TensorFlow.js (internal layouts:
// conv weights [kh, kw, in, out], fc weights [in, out], fc1's rows in H×W×C order).

type W = Record<ParamName, Float64Array>;
const weightsOf = (net: ConvNet): W => {
  const v = net.values();
  return Object.fromEntries(Object.entries(v).map(([k, a]) => [k, Float64Array.from(a)])) as W;
};

/** ReLU(conv(x) + b), 'same' padding, x [s, s, cin] → [s, s, cout]. */
function convRelu(x: Float64Array, s: number, cin: number, w: Float64Array, b: Float64Array, cout: number, k: number): Float64Array {
  const pad = (k - 1) / 2;
  const y = new Float64Array(s * s * cout);
  for (let i = 0; i < s; i++)
    for (let j = 0; j < s; j++)
      for (let o = 0; o < cout; o++) {
        let acc = b[o]!;
        for (let di = 0; di < k; di++) {
          const ii = i + di - pad;
          if (ii < 0 || ii >= s) continue;
          for (let dj = 0; dj < k; dj++) {
            const jj = j + dj - pad;
            if (jj < 0 || jj >= s) continue;
            for (let c = 0; c < cin; c++) acc += x[(ii * s + jj) * cin + c]! * w[((di * k + dj) * cin + c) * cout + o]!;
          }
        }
        y[(i * s + j) * cout + o] = Math.max(0, acc);
      }
  return y;
}

function pool(x: Float64Array, s: number, c: number): Float64Array {
  const h = Math.floor(s / 2);
  const y = new Float64Array(h * h * c);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < h; j++)
      for (let ch = 0; ch < c; ch++) {
        const at = (a: number, b: number) => x[((2 * i + a) * s + 2 * j + b) * c + ch]!;
        y[(i * h + j) * c + ch] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
      }
  return y;
}

/** conv2's activations [14, 14, 8] of an image. */
function conv2Of(w: W, image: ArrayLike<number>): Float64Array {
  const a1 = convRelu(Float64Array.from(image), 28, 1, w['conv1.weight'], w['conv1.bias'], 4, 5);
  return convRelu(pool(a1, 28, 4), 14, 4, w['conv2.weight'], w['conv2.bias'], 8, 5);
}

/** The logits from conv2's activations. */
function head(w: W, a: Float64Array): Float64Array {
  const flat = pool(a, 14, 8);
  const hidden = w['fc1.bias'].length;
  const h = Float64Array.from(w['fc1.bias']);
  for (let k = 0; k < flat.length; k++) {
    const f = flat[k]!;
    if (f === 0) continue;
    for (let u = 0; u < hidden; u++) h[u] += f * w['fc1.weight'][k * hidden + u]!;
  }
  const classes = w['fc2.bias'].length;
  const z = Float64Array.from(w['fc2.bias']);
  for (let u = 0; u < hidden; u++) {
    const v = Math.max(0, h[u]!);
    if (v === 0) continue;
    for (let c = 0; c < classes; c++) z[c] += v * w['fc2.weight'][u * classes + c]!;
  }
  return z;
}

function scoreOf(z: Float64Array, c: number, score: 'logit' | 'logProbability'): number {
  if (score === 'logit') return z[c]!;
  const m = Math.max(...z);
  let sum = 0;
  for (const v of z) sum += Math.exp(v - m);
  return z[c]! - m - Math.log(sum);
}

const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

function fixtureSetup() {
  const data = loadLabData();
  const { net } = loadModel(FIXTURE_RUN);
  const image = imageAt(data.testFile, FIXTURE.index);
  return { data, net, image, w: weightsOf(net) };
}

// ---------------------------------------------------------------------------------------------

test('the float64 reference forward agrees with the model (logits) and with PyTorch', () => {
  const { net, image, w } = fixtureSetup();
  const z = head(w, conv2Of(w, image));
  const tfLogits = tf.tidy(() => net.logitsFromConv2(net.conv2Activations(tf.tensor4d(image, [1, 28, 28, 1])))).dataSync();
  assert.ok(maxAbsDiff(z, tfLogits) < 1e-4, `reference vs tfjs logits: ${maxAbsDiff(z, tfLogits)}`);
  assert.ok(maxAbsDiff(z, FIXTURE.logits) < 1e-9, `reference vs PyTorch (float64) logits: ${maxAbsDiff(z, FIXTURE.logits)}`);
  // forward() is still the log-softmax of these logits.
  const logp = tf.tidy(() => net.forward(tf.tensor4d(image, [1, 28, 28, 1]))).dataSync();
  for (let c = 0; c < 10; c++) assert.ok(Math.abs(logp[c]! - scoreOf(z, c, 'logProbability')) < 1e-4);
  net.dispose();
});

test('saliency: the gradient against central finite differences of the float64 forward, a handful of pixels', () => {
  const { net, image, w } = fixtureSetup();
  const label = FIXTURE.label;
  // Pixels on the stroke, on its edge and on the background next to it (test image #4 is a 4).
  const stroke: number[] = [];
  const edge: number[] = [];
  for (let p = 0; p < 784; p++) {
    const y = Math.floor(p / 28);
    const x = p % 28;
    if (image[p]! > 0.5) stroke.push(p);
    else if (image[p] === 0 && [p - 1, p + 1, p - 28, p + 28].some((q) => x > 0 && x < 27 && y > 0 && y < 27 && image[q]! > 0.5))
      edge.push(p);
  }
  const pick = (a: number[], n: number) => Array.from({ length: n }, (_, i) => a[Math.floor(((i + 0.5) * a.length) / n)]!);
  const pixels = [...pick(stroke, 5), ...pick(edge, 4)];
  // h: the logit is piecewise linear in the image (ReLU, max-pool, affine layers), so inside a
  // linear piece a central difference has no truncation error, and in float64 its rounding error
  // is about 1e-16·|logit|/h ≈ 1e-11 for h = 1e-4. A kink within ±h would show as a forward and a
  // backward difference that disagree: such a pixel is reported and skipped (here one: pixel 631,
  // background beside the stroke, where a max-pool window of equal values ties).
  // The log-probability is smooth on top: truncation h²·f'''/6, far below the tolerance.
  // Tolerance: TensorFlow.js computes in float32; its gradient sums a few hundred products per
  // layer, so its error is a few float32 ulps of the largest terms: 1e-5 of the map's largest
  // value (measured: ≈ 1e-7 of it). The log-probability's gradient is ∇z_c − Σ_k p_k ∇z_k: for
  // the predicted class (p ≈ 1) a small difference of two nearly equal float32 terms, so its
  // error is measured against the terms (the logit gradients of the class and of the predicted
  // class), not against the small result.
  const h = 1e-4;
  const logitTop = (c: number) => maxAbs(explain(net, image, { method: 'gradient', classIndex: c }).map);
  for (const score of ['logit', 'logProbability'] as const) {
    for (const c of [label, 9]) {
      const e = explain(net, image, { method: 'gradient', score, classIndex: c });
      assert.equal(e.classIndex, c);
      const top = score === 'logit' ? maxAbs(e.map) : Math.max(maxAbs(e.map), logitTop(c), logitTop(e.predicted));
      assert.ok(top > 0);
      let worst = 0;
      let checked = 0;
      for (const p of pixels) {
        const f = (d: number) => {
          const x = Float64Array.from(image);
          x[p] += d;
          return scoreOf(head(w, conv2Of(w, x)), c, score);
        };
        const f0 = f(0);
        const fwd = (f(h) - f0) / h;
        const bwd = (f0 - f(-h)) / h;
        if (Math.abs(fwd - bwd) > 1e-6 * Math.max(1, Math.abs(fwd))) {
          process.stdout.write(`# pixel ${p}: a kink within ±${h} (forward ${fwd}, backward ${bwd}), skipped\n`);
          continue;
        }
        const central = (fwd + bwd) / 2;
        const err = Math.abs(e.map[p]! - central);
        worst = Math.max(worst, err / top);
        assert.ok(err <= 1e-5 * top, `${score}, class ${c}, pixel ${p}: tfjs ${e.map[p]} vs finite difference ${central}`);
        checked++;
      }
      assert.ok(checked >= pixels.length - 1, `only ${checked} of ${pixels.length} pixels in a linear piece`);
      process.stdout.write(
        `# ${score}, class ${c}: ${checked} pixels, max |g| ${maxAbs(e.map).toExponential(3)}, worst |tfjs − FD| / ${top.toExponential(3)} ${worst.toExponential(2)}\n`,
      );
    }
  }
  net.dispose();
});

test('saliency and Grad-CAM against PyTorch (float64) on test image #4, every pixel', () => {
  const { net, image } = fixtureSetup();
  assert.equal(FIXTURE.cases.length, 4);
  // As above: a log-probability's gradients are measured against the logit gradients they are the difference of.
  const logitCase = (c: number) => FIXTURE.cases.find((k) => k.score === 'logit' && k.classIndex === c)!;
  const scaleOf = (k: FixtureCase, pick: (k: FixtureCase) => number[]) =>
    k.score === 'logit'
      ? maxAbs(pick(k))
      : Math.max(maxAbs(pick(k)), maxAbs(pick(logitCase(k.classIndex))), maxAbs(pick(logitCase(FIXTURE.predicted))));
  for (const k of FIXTURE.cases) {
    const g = explain(net, image, { method: 'gradient', score: k.score, classIndex: k.classIndex });
    assert.equal(g.predicted, FIXTURE.predicted);
    const gErr = maxAbsDiff(g.map, k.gradient) / scaleOf(k, (c) => c.gradient);
    assert.ok(gErr < 1e-5, `gradient, ${k.score}, class ${k.classIndex}: max error ${gErr} of max |g|`);

    const cam = explain(net, image, { method: 'gradCam', score: k.score, classIndex: k.classIndex });
    assert.equal(cam.signed, false);
    const top = Math.max(
      scaleOf(k, (c) => c.gradCamCoarse),
      1e-12,
    );
    const wErr = maxAbsDiff(cam.gradCam!.weights, k.weights) / scaleOf(k, (c) => c.weights);
    const cErr = maxAbsDiff(cam.gradCam!.map, k.gradCamCoarse) / top;
    const uErr = maxAbsDiff(cam.map, k.gradCam) / top;
    assert.ok(wErr < 1e-5, `Grad-CAM weights: ${wErr}`);
    assert.ok(cErr < 1e-5, `Grad-CAM 14×14: ${cErr}`);
    assert.ok(uErr < 1e-5, `Grad-CAM 28×28 (bilinear): ${uErr}`);
    process.stdout.write(
      `# PyTorch, ${k.score}, class ${k.classIndex}: gradient ${gErr.toExponential(2)}, α ${wErr.toExponential(2)}, CAM 14×14 ${cErr.toExponential(2)}, 28×28 ${uErr.toExponential(2)} (of the max)\n`,
    );
  }
  net.dispose();
});

test('Grad-CAM against a re-computation from conv2 activations and finite-difference gradients of the float64 head', () => {
  const { net, image, w } = fixtureSetup();
  const a = conv2Of(w, image);
  for (const c of [FIXTURE.label, 9]) {
    // α_k = (1/196) Σ over positions of ∂score/∂a_k. Within a 2×2 pooling window only the
    // window's max gets a gradient, so the window's sum is ∂score/∂(pooled value): the central
    // difference of moving the whole window by ±h (exact for the pool, ties included: a window
    // of zeros is a tie, where a single activation's differences would disagree). The head is
    // piecewise linear (as above), h = 1e-4, all 8 × 49 windows.
    const h = 1e-4;
    const alpha = new Float64Array(8);
    const move = (wy: number, wx: number, k: number, d: number) => {
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const)
        a[((2 * wy + dy) * 14 + 2 * wx + dx) * 8 + k] += d;
    };
    for (let wy = 0; wy < 7; wy++)
      for (let wx = 0; wx < 7; wx++)
        for (let k = 0; k < 8; k++) {
          const saved = a.slice();
          move(wy, wx, k, h);
          const up = head(w, a)[c]!;
          a.set(saved);
          move(wy, wx, k, -h);
          const down = head(w, a)[c]!;
          a.set(saved);
          alpha[k] += (up - down) / (2 * h) / 196;
        }
    const coarse = new Float64Array(196);
    for (let p = 0; p < 196; p++) {
      let v = 0;
      for (let k = 0; k < 8; k++) v += alpha[k]! * a[p * 8 + k]!;
      coarse[p] = Math.max(0, v);
    }
    const cam = explain(net, image, { method: 'gradCam', classIndex: c });
    const top = maxAbs(coarse);
    assert.ok(top > 0, `class ${c}: an all-zero Grad-CAM`);
    assert.ok(maxAbsDiff(cam.gradCam!.weights, alpha) < 1e-5 * maxAbs(alpha), `α: ${maxAbsDiff(cam.gradCam!.weights, alpha)}`);
    assert.ok(maxAbsDiff(cam.gradCam!.map, coarse) < 1e-5 * top, `14×14: ${maxAbsDiff(cam.gradCam!.map, coarse)}`);
    // The map is ≥ 0 and peaks near the 14×14 map's peak (upsampled by 2).
    assert.ok(Array.from(cam.map).every((v) => v >= 0));
    process.stdout.write(`# Grad-CAM class ${c}: α = [${Array.from(alpha, (v) => v.toFixed(4)).join(', ')}]\n`);
  }
  net.dispose();
});

test('bilinear upsampling: half-pixel centres and clamped edges, exact on a linear ramp inside, constant maps stay constant', () => {
  // 2×2 → 4×4 as PyTorch's F.interpolate(align_corners=False) gives it:
  // rows/cols map to source 0, 0.25, 0.75, 1 (clamped at −0.25 and 1.25).
  const up = upsampleBilinear([0, 1, 2, 3], 2, 4);
  const expected = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3];
  assert.deepEqual(Array.from(up), expected);
  assert.ok(Array.from(upsampleBilinear(new Array(196).fill(0.5), 14, 28)).every((v) => v === 0.5));
});

test('gradient × input is the elementwise product; SmoothGrad with σ = 0 is the gradient; SmoothGrad is reproducible', () => {
  const { net, image } = fixtureSetup();
  for (const score of ['logit', 'logProbability'] as const) {
    const g = explain(net, image, { method: 'gradient', score });
    const gx = explain(net, image, { method: 'gradientTimesInput', score });
    for (let p = 0; p < 784; p++) assert.equal(gx.map[p], Math.fround(g.map[p]! * image[p]!), `pixel ${p}`);
    const s0 = explain(net, image, { method: 'smoothGrad', score, samples: 7, sigma: 0, seed: 3, batchSize: 3 });
    assert.equal(s0.smoothGrad!.sigmaPixels, 0);
    const d = maxAbsDiff(s0.map, g.map);
    process.stdout.write(`# ${score}: SmoothGrad σ = 0 (7 samples in batches of 3) vs the gradient: max |diff| ${d}\n`);
    assert.ok(d <= 1e-6 * maxAbs(g.map), `σ = 0: ${d}`);
  }
  const a = explain(net, image, { method: 'smoothGrad', samples: 12, sigma: 0.2, seed: 42, batchSize: 5 });
  const b = explain(net, image, { method: 'smoothGrad', samples: 12, sigma: 0.2, seed: 42, batchSize: 12 });
  const c = explain(net, image, { method: 'smoothGrad', samples: 12, sigma: 0.2, seed: 43 });
  assert.ok(maxAbsDiff(a.map, b.map) <= 1e-6 * maxAbs(a.map), 'the same seed, other batches: the same map');
  assert.ok(maxAbsDiff(a.map, c.map) > 1e-3 * maxAbs(a.map), 'another seed: another map');
  // The mean of plain gradients of the same noisy images (σ in pixels = 0.2 × the range 1).
  assert.equal(a.smoothGrad!.sigmaPixels, 0.2 * (Math.max(...image) - Math.min(...image)));
  const rng = new Rng(42);
  const mean = new Float64Array(784);
  for (let n = 0; n < 12; n++) {
    const noisy = Float32Array.from(image, (v) => v + 0.2 * gaussian(rng));
    const g = explain(net, noisy, { method: 'gradient', classIndex: a.classIndex });
    for (let p = 0; p < 784; p++) mean[p] += g.map[p]! / 12;
  }
  assert.ok(maxAbsDiff(a.map, mean) <= 1e-5 * maxAbs(mean), `SmoothGrad vs the mean of 12 gradients: ${maxAbsDiff(a.map, mean)}`);
  net.dispose();
});

test('explain refuses bad options; the request validator refuses bad methods, indices, classes, σ and N', () => {
  const { net, image, data } = fixtureSetup();
  assert.throws(() => explain(net, image, { method: 'nope' as 'gradient' }), /method must be one of/);
  assert.throws(() => explain(net, image, { method: 'gradient', classIndex: 10 }), /class must be 0..9/);
  assert.throws(() => explain(net, image, { method: 'gradient', score: 'probability' as 'logit' }), /score must be one of/);
  assert.throws(() => explain(net, image, { method: 'smoothGrad', samples: 0 }), /samples must be/);
  assert.throws(() => explain(net, image, { method: 'smoothGrad', samples: MAX_SMOOTHGRAD_SAMPLES + 1 }), /samples must be/);
  assert.throws(() => explain(net, image, { method: 'smoothGrad', sigma: Number.NaN }), /sigma must be/);
  assert.throws(() => explain(net, image, { method: 'smoothGrad', sigma: -0.1 }), /sigma must be/);
  assert.throws(() => explain(net, image.subarray(0, 100), { method: 'gradient' }), /the model takes 28×28/);
  assert.throws(() => explain(net, Float32Array.from(image).fill(Number.NaN, 3, 4), { method: 'gradient' }), /not a finite number/);

  const ok = { index: 4, pixels: null, method: 'gradCam', score: 'logit', classIndex: null, samples: 50, sigma: 0.15, seed: 0 };
  assert.equal(analysisProblem('explain', { type: 'explain', ...ok }, ['type']), null);
  for (const [change, message] of [
    [{ method: 'saliency' }, /method must be one of gradient, gradientTimesInput, smoothGrad, gradCam/],
    [{ method: 'constructor' }, /method must be one of/],
    [{ score: 'softmax' }, /score must be one of logit, logProbability/],
    [{ index: -1 }, /index must be between 0 and 1000000/],
    [{ index: 4.5 }, /index must be a whole number/],
    [{ classIndex: 256 }, /classIndex must be a class/],
    [{ classIndex: '3' }, /classIndex must be a class/],
    [{ samples: 0 }, /samples must be between 1 and 256/],
    [{ samples: 1e9 }, /samples must be between 1 and 256/],
    [{ samples: Number.POSITIVE_INFINITY }, /samples must be a whole number/],
    [{ sigma: -0.01 }, /sigma must be a number in \[0, 1\]/],
    [{ sigma: 1.5 }, /sigma must be a number in \[0, 1\]/],
    [{ sigma: Number.NaN }, /sigma must be a number in \[0, 1\]/],
    [{ sigma: '0.1' }, /sigma must be a number/],
    [{ seed: -1 }, /seed must be between/],
    [{ pixels: [2] }, /pixels\[0\] must be a grey level/],
    [{ extra: 1 }, /unexpected field "extra"/],
  ] as const) {
    const problem = analysisProblem('explain', { type: 'explain', ...ok, ...change }, ['type']);
    assert.ok(problem && message.test(problem), `${JSON.stringify(change)}: ${problem}`);
  }
  const { samples: _s, ...noSamples } = ok;
  assert.match(analysisProblem('explain', { type: 'explain', ...noSamples }, ['type']) ?? '', /samples must be a whole number/);

  // The worker's handler: exactly one of index and pixels, the index inside the test file, the class the model's.
  const target = { model: FIXTURE_RUN, dataDir: null, numClasses: 10 };
  const req = (change: object) => ({
    type: 'explain' as const,
    target,
    ...ok,
    method: 'gradient' as const,
    score: 'logit' as const,
    ...change,
  });
  assert.throws(() => explanationOf(net, data, req({ index: null })), /either index .* or pixels/);
  assert.throws(() => explanationOf(net, data, req({ pixels: Array.from(image) })), /either index .* or pixels/);
  assert.throws(() => explanationOf(net, data, req({ index: 10_000 })), /test image #10000 does not exist/);
  assert.throws(() => explanationOf(net, data, req({ index: null, pixels: [0, 1] })), /the model takes 28×28 = 784 grey levels, got 2/);
  assert.throws(() => explanationOf(net, data, req({ classIndex: 12 })), /classIndex: the model has classes 0..9/);
  const drawn = explanationOf(net, null, req({ index: null, pixels: Array.from(image) }));
  const test4 = explanationOf(net, data, req({}));
  assert.equal(drawn.index, null);
  assert.equal(drawn.label, null);
  assert.equal(test4.label, FIXTURE.label);
  assert.deepEqual(drawn.map, test4.map);
  assert.ok(test4.scale > 0 && test4.signed && test4.map.values.length === 784);
  net.dispose();
});
