/**
 * The projector: fc1's features and their PCA against PyTorch + numpy (a committed fixture:
 * tools/pytorch/make_pca_fixture.py), PCA against a direct Jacobi eigen-decomposition written
 * here, UMAP reproducible with a seed and separating the committed run's classes, and the
 * request validators' bounds. Times of each are printed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ANALYSES, DEFAULT_UMAP_POINTS, MAX_PROJECTION_POINTS, MAX_UMAP_POINTS, analysisProblem } from '../../src/core/analyses';
import { pca } from '../../src/core/analysis/pca';
import { fc1Features, hiddenFeatures, neighbourAccuracy, umapLayout } from '../../src/core/analysis/projection';
import { selectBackend } from '../../src/core/backends';
import { gatherImages, loadLabData } from '../../src/core/data/mnist';
import { loadModel } from '../../src/core/model/interchange';
import { validateFromWebview, validateToWorker } from '../../src/core/protocol';
import { Rng } from '../../src/core/rng';
import { tf } from '../../src/core/tf';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE_RUN = join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs');
interface NumpyPca {
  count: number;
  firstTestIndex: number;
  mean: number[];
  eigenvalues: number[];
  totalVariance: number;
  components: number[][];
  scores: number[][];
  logprobs0: number[];
}
const numpy = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'pca-fc1-seed-run.json'), 'utf8')) as NumpyPca;

before(async () => {
  await selectBackend('wasm');
});

/** The test's own eigen-solver: cyclic Jacobi on a full symmetric matrix, eigenpairs largest first. */
function jacobiEigen(matrix: Float64Array, m: number): { values: number[]; vectors: number[][] } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q]! ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < m - 1; p++)
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]!;
        if (apq === 0) continue;
        const tau = (a[q * m + q]! - a[p * m + p]!) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.hypot(1, tau));
        const c = 1 / Math.hypot(1, t);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const x = a[k * m + p]!;
          const y = a[k * m + q]!;
          a[k * m + p] = c * x - s * y;
          a[k * m + q] = s * x + c * y;
        }
        for (let k = 0; k < m; k++) {
          const x = a[p * m + k]!;
          const y = a[q * m + k]!;
          a[p * m + k] = c * x - s * y;
          a[q * m + k] = s * x + c * y;
        }
        for (let k = 0; k < m; k++) {
          const x = v[k * m + p]!;
          const y = v[k * m + q]!;
          v[k * m + p] = c * x - s * y;
          v[k * m + q] = s * x + c * y;
        }
      }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[j * m + j]! - a[i * m + i]!);
  return { values: order.map((i) => a[i * m + i]!), vectors: order.map((i) => Array.from({ length: m }, (_, k) => v[k * m + i]!)) };
}

/** CPU time (user + system, this process) since `start`, ms: the machine's load inflates wall times. */
const cpuMs = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};

/** |cos| of the angle between two vectors: 1 when they agree up to sign. */
function alignment(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return Math.abs(ab) / Math.sqrt(aa * bb);
}

test('pca: against a direct Jacobi eigen-decomposition of the covariance (components up to sign, variances, sign convention)', () => {
  // 300 points in 12 dimensions with clearly different variances along a rotated basis.
  const rng = new Rng(7);
  const n = 300;
  const d = 12;
  const scales = [9, 6, 4, 3, 2, 1.5, 1, 0.8, 0.5, 0.3, 0.2, 0.1];
  const symmetric = Float64Array.from({ length: d * d }, (_, i) => {
    const r = Math.floor(i / d);
    const c = i % d;
    return Math.sin(1 + r * 7 + c * 3) + Math.sin(1 + c * 7 + r * 3);
  });
  const basis = jacobiEigen(symmetric, d).vectors; // an orthonormal basis, rotated away from the axes
  const points = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < d; k++) {
      const z = scales[k]! * (rng.next() * 2 - 1) * Math.sqrt(3);
      for (let j = 0; j < d; j++) points[i * d + j]! += z * basis[k]![j]! + (j === 0 ? 5 : 0);
    }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += points[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) cov[a * d + b]! += ((points[i * d + a]! - mean[a]!) * (points[i * d + b]! - mean[b]!)) / (n - 1);
  const direct = jacobiEigen(cov, d);
  let trace = 0;
  for (let j = 0; j < d; j++) trace += cov[j * d + j]!;

  const k = 4;
  const r = pca(points, n, d, k);
  assert.ok(r.converged);
  assert.ok(Math.abs(r.totalVariance - trace) < 1e-9 * trace);
  for (let j = 0; j < k; j++) {
    assert.ok(
      Math.abs(r.eigenvalues[j]! - direct.values[j]!) < 1e-9 * direct.values[0]!,
      `λ${j}: ${r.eigenvalues[j]} vs ${direct.values[j]}`,
    );
    assert.ok(Math.abs(r.explained[j]! - direct.values[j]! / trace) < 1e-9);
    const comp = r.components.subarray(j * d, (j + 1) * d);
    assert.ok(1 - alignment(comp, direct.vectors[j]!) < 1e-9, `component ${j} differs from the direct one`);
    // Sign convention: the entry of largest magnitude is positive.
    let big = 0;
    for (let t = 1; t < d; t++) if (Math.abs(comp[t]!) > Math.abs(comp[big]!)) big = t;
    assert.ok(comp[big]! > 0);
    // Scores: the centred points along the component, with the variance λ.
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (points[i * d + t]! - mean[t]!) * comp[t]!;
      assert.ok(Math.abs(r.scores[i * k + j]! - s) < 1e-9);
      s2 += s * s;
    }
    assert.ok(Math.abs(s2 / (n - 1) - r.eigenvalues[j]!) < 1e-8 * r.eigenvalues[0]!);
  }
  // Rank-deficient data (every point on a line) and the implicit path (d above the explicit limit) do not break it.
  const line = Float64Array.from({ length: 50 * 3 }, (_, i) => Math.floor(i / 3) * [1, 2, -1][i % 3]!);
  const l = pca(line, 50, 3, 2);
  assert.ok(1 - alignment(l.components.subarray(0, 3), [1, 2, -1]) < 1e-12);
  assert.ok(l.explained[0]! > 1 - 1e-12 && l.eigenvalues[1]! < 1e-9 * l.eigenvalues[0]!);
  assert.throws(() => pca(new Float64Array(3), 1, 3, 2), /at least 2 points/);
  assert.throws(() => pca(new Float64Array(6), 2, 3, 4), /components must be 1\.\.3/);
});

test('pca: on more dimensions than the explicit limit, the implicit product gives the same components', () => {
  const n = 40;
  const d = 2100;
  const rng = new Rng(3);
  const points = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 10;
    const b = rng.next() * 3;
    for (let j = 0; j < d; j++) points[i * d + j] = a * Math.sin(j * 0.01) + b * Math.cos(j * 0.013) + 0.01 * rng.next();
  }
  // The same points through a Gram matrix solve (n×n), an independent route to the same eigenpairs.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += points[i * d + j]! / n;
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (points[a * d + j]! - mean[j]!) * (points[b * d + j]! - mean[j]!);
      gram[a * n + b] = s / (n - 1);
    }
  const g = jacobiEigen(gram, n);
  const r = pca(points, n, d, 2);
  assert.ok(r.converged);
  for (let j = 0; j < 2; j++) assert.ok(Math.abs(r.eigenvalues[j]! - g.values[j]!) < 1e-8 * g.values[0]!, `λ${j}`);
});

test('fc1 features and their PCA against PyTorch + numpy (the committed run, 1,000 test-split images)', async () => {
  const data = loadLabData();
  const { net } = loadModel(FIXTURE_RUN);
  const d = net.spec.hidden;
  const feats = await hiddenFeatures(net, data.test, numpy.count);
  assert.equal(feats.length, numpy.count * d);
  // The features are what fc2 reads: fc2 on them gives forward()'s log-probabilities, and PyTorch's.
  const x0 = gatherImages(data.test, [0]);
  const viaFeatures = tf.tidy(() => {
    const f = fc1Features(net, tf.tensor4d(x0, [1, 28, 28, 1]));
    return tf.logSoftmax(tf.add(tf.matMul(f, net.params['fc2.weight'] as unknown as tf.Tensor2D), net.params['fc2.bias'])).dataSync();
  });
  const direct = tf.tidy(() => net.forward(tf.tensor4d(x0, [1, 28, 28, 1])).dataSync());
  for (let c = 0; c < 10; c++) {
    assert.ok(Math.abs(viaFeatures[c]! - direct[c]!) < 1e-5);
    assert.ok(Math.abs(direct[c]! - numpy.logprobs0[c]!) < 1e-4, `log p(${c}): ${direct[c]} vs PyTorch ${numpy.logprobs0[c]}`);
  }
  let meanErr = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < numpy.count; i++) m += feats[i * d + j]!;
    meanErr = Math.max(meanErr, Math.abs(m / numpy.count - numpy.mean[j]!));
  }
  assert.ok(meanErr < 1e-4, `feature means differ from PyTorch's by ${meanErr}`);

  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = pca(feats, numpy.count, d, 3);
  const ms = performance.now() - t0;
  const cpu = cpuMs(c0);
  assert.ok(r.converged, `not converged in ${r.iterations} iterations`);
  assert.ok(Math.abs(r.totalVariance - numpy.totalVariance) < 1e-4 * numpy.totalVariance);
  for (let j = 0; j < 3; j++) {
    const rel = Math.abs(r.eigenvalues[j]! - numpy.eigenvalues[j]!) / numpy.eigenvalues[j]!;
    assert.ok(rel < 1e-4, `λ${j}: ${r.eigenvalues[j]} vs numpy ${numpy.eigenvalues[j]}`);
    const comp = r.components.subarray(j * d, (j + 1) * d);
    const cos = alignment(comp, numpy.components[j]!);
    assert.ok(1 - cos < 1e-4, `component ${j}: |cos| ${cos}`);
    // The same sign convention: the same sign, not only the same line.
    let dot = 0;
    for (let t = 0; t < d; t++) dot += comp[t]! * numpy.components[j]![t]!;
    assert.ok(dot > 0, `component ${j} has the opposite sign to numpy's (after the convention)`);
  }
  let scoreErr = 0;
  for (let i = 0; i < numpy.count; i++)
    for (let j = 0; j < 2; j++) scoreErr = Math.max(scoreErr, Math.abs(r.scores[i * 3 + j]! - numpy.scores[i]![j]!));
  assert.ok(scoreErr < 1e-2, `scores differ by up to ${scoreErr}`);
  console.log(
    `# PCA of ${numpy.count}×${d} fc1 features: ${ms.toFixed(0)} ms (CPU ${cpu.toFixed(0)} ms), ${r.iterations} iterations; explained ${r.explained
      .slice(0, 2)
      .map((e) => (100 * e).toFixed(2))
      .join(
        ' %, ',
      )} % (numpy ${((100 * numpy.eigenvalues[0]!) / numpy.totalVariance).toFixed(2)} %, ${((100 * numpy.eigenvalues[1]!) / numpy.totalVariance).toFixed(2)} %); largest score difference ${scoreErr.toExponential(2)}`,
  );
});

test('projection of the committed run: PCA on the whole test file and UMAP on 2,000 images, timed; UMAP reproducible and separating the classes', async () => {
  const data = loadLabData();
  const { net } = loadModel(FIXTURE_RUN);
  const d = net.spec.hidden;
  // PCA on 10,000 images (the validation and test splits together, the whole test file) and on the test split.
  let t0 = performance.now();
  const all = await hiddenFeatures(net, data.testFile, data.testFile.count);
  const featureMs = performance.now() - t0;
  t0 = performance.now();
  let c0 = process.cpuUsage();
  const p10 = pca(all, data.testFile.count, d, 2);
  const pca10Ms = performance.now() - t0;
  const pca10Cpu = cpuMs(c0);
  assert.ok(p10.converged);
  const labels10 = data.testFile.labels;
  const pcaKnn = neighbourAccuracy(p10.scores, labels10);

  const n = DEFAULT_UMAP_POINTS;
  const feats = all.subarray(data.validation.count * d, (data.validation.count + n) * d);
  const labels = data.test.labels.subarray(0, n);
  const seen: number[] = [];
  t0 = performance.now();
  c0 = process.cpuUsage();
  const a = await umapLayout(feats, n, d, { seed: 1, onEpoch: (done) => seen.push(done) });
  const umapMs = performance.now() - t0;
  const umapCpu = cpuMs(c0);
  const b = await umapLayout(feats, n, d, { seed: 1 });
  const c = await umapLayout(feats, n, d, { seed: 2 });
  assert.deepEqual(Array.from(a), Array.from(b), 'the same seed must give the same layout');
  assert.notDeepEqual(Array.from(a), Array.from(c), 'another seed gives another layout');
  assert.equal(seen[0], 0);
  assert.equal(seen.at(-1), 200);
  const umapKnn = neighbourAccuracy(a, labels);
  const pcaKnn2000 = neighbourAccuracy(p10.scores.subarray(data.validation.count * 2, (data.validation.count + n) * 2), labels);
  // The 20-epoch run classifies 98.9 % of the test split; 2-D UMAP of its fc1 keeps most of that.
  assert.ok(umapKnn > 0.9, `5-NN accuracy in the UMAP layout ${umapKnn}`);
  assert.ok(umapKnn > pcaKnn2000, 'UMAP separates the classes better than PCA');
  assert.ok(pcaKnn > 0.3, `5-NN accuracy in the PCA layout ${pcaKnn}`);

  // Cancellation: an aborted signal stops it at the next epoch.
  const ctl = new AbortController();
  await assert.rejects(
    umapLayout(feats, n, d, {
      seed: 1,
      signal: ctl.signal,
      onEpoch: (done) => {
        if (done === 3) ctl.abort();
      },
    }),
    /cancelled/,
  );
  await assert.rejects(umapLayout(feats, 10, d, { seed: 1 }), /more than 15 points/);
  await assert.rejects(umapLayout(new Float32Array(0), MAX_UMAP_POINTS + 1, d, { seed: 1 }), /at most 5000 points/);
  console.log(
    `# fc1 features of 10,000 images ${featureMs.toFixed(0)} ms; PCA of 10,000×${d} ${pca10Ms.toFixed(0)} ms, CPU ${pca10Cpu.toFixed(0)} ms (${p10.iterations} iterations, 5-NN ${(100 * pcaKnn).toFixed(1)} %); UMAP of ${n} (200 epochs) ${umapMs.toFixed(0)} ms, CPU ${umapCpu.toFixed(0)} ms, 5-NN ${(100 * umapKnn).toFixed(1)} % (PCA on the same ${n}: ${(100 * pcaKnn2000).toFixed(1)} %)`,
  );
});

test('neighbourAccuracy: against a brute-force count (sort every distance, vote, nearer neighbour breaks ties)', () => {
  // By hand, k = 2: point 6 (label 1) sits among the 0s; points 1 and 2 have it as their nearest
  // neighbour and one 0 next, a tie the nearer one (label 1) wins: 3 of 7 are wrong.
  assert.equal(neighbourAccuracy([0, 0, 0.1, 0, 0.2, 0, 5, 5, 5.1, 5, 5.2, 5, 0.15, 0.05], [0, 0, 0, 1, 1, 1, 1], 2), 4 / 7);
  const rng = new Rng(11);
  for (const [n, k] of [
    [40, 5],
    [25, 3],
    [7, 10],
  ] as const) {
    const xy = Array.from({ length: 2 * n }, () => rng.next());
    const labels = Array.from({ length: n }, () => Math.floor(rng.next() * 3));
    let right = 0;
    for (let i = 0; i < n; i++) {
      const others = Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i)
        .sort(
          (a, b) =>
            (xy[2 * a]! - xy[2 * i]!) ** 2 +
            (xy[2 * a + 1]! - xy[2 * i + 1]!) ** 2 -
            ((xy[2 * b]! - xy[2 * i]!) ** 2 + (xy[2 * b + 1]! - xy[2 * i + 1]!) ** 2),
        )
        .slice(0, Math.min(k, n - 1));
      const votes = [0, 0, 0];
      for (const j of others) votes[labels[j]!]!++;
      const top = Math.max(...votes);
      const winner = labels[others.find((j) => votes[labels[j]!] === top)!]!;
      if (winner === labels[i]) right++;
    }
    assert.equal(neighbourAccuracy(xy, labels, k), right / n, `n ${n}, k ${k}`);
  }
});

test('projection requests: methods, counts and seeds are bounded by the validators', () => {
  const fields = Object.keys(ANALYSES.projection.fields);
  assert.deepEqual(fields.sort(), ['count', 'method', 'seed']);
  const ok = { type: 'projection', method: 'umap', count: 2000, seed: 1 };
  assert.equal(analysisProblem('projection', ok, ['type']), null);
  for (const [bad, message] of [
    [{ method: 'tsne' }, /method must be one of pca, umap/],
    [{ method: 'constructor' }, /method must be one of/],
    [{ count: 0 }, /count must be between 2 and/],
    [{ count: MAX_PROJECTION_POINTS + 1 }, /count must be between/],
    [{ count: 2.5 }, /count must be a whole number/],
    [{ seed: -1 }, /seed must be between 0/],
    [{ seed: '1' }, /seed must be a whole number/],
    [{ extra: 1 }, /unexpected field "extra"/],
  ] as const) {
    const m = { ...ok, ...bad };
    assert.match(analysisProblem('projection', m, ['type']) ?? 'accepted', message);
    const fromPage = validateFromWebview({ messageId: 1, ...m });
    assert.equal(fromPage.ok, false);
  }
  assert.equal(validateFromWebview({ messageId: 1, ...ok }).ok, true);
  assert.equal(validateFromWebview({ messageId: 2, type: 'cancelProjection' }).ok, true);
  assert.equal(validateFromWebview({ messageId: 2, type: 'cancelProjection', method: 'umap' }).ok, false);
  assert.equal(validateToWorker({ messageId: 3, request: { type: 'cancelProjection' } }).ok, true);
  const target = { model: '/x', dataDir: null, numClasses: 10 };
  assert.equal(validateToWorker({ messageId: 4, request: { ...ok, target } }).ok, true);
  assert.equal(validateToWorker({ messageId: 4, request: { ...ok, method: 'tsne', target } }).ok, false);
});
