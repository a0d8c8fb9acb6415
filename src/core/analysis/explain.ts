/**
 * Why the network decided: saliency maps and Grad-CAM of one image, for one class.
 *
 * The class score is the class's **logit** (fc2's output, before the log-softmax) by default, as
 * in Simonyan et al. 2013 and Selvaraju et al. 2017 (Grad-CAM's y^c "before the softmax"). The
 * log-probability is offered too: its gradient is the logit's gradient minus the
 * probability-weighted mean of every class's logit gradient, so for a confident prediction
 * (p ≈ 1) it is close to zero and says more about the other classes than about the chosen one.
 * The class is the predicted one unless another is asked for.
 *
 * - gradient: ∂score/∂x, one value per pixel, signed (red: more ink there raises the score).
 * - gradient × input: the gradient times the pixel (zero on the background).
 * - SmoothGrad (Smilkov et al. 2017): the mean gradient over N copies of the image with
 *   Gaussian noise N(0, σ²) added (not clipped), σ = a fraction of the image's range (max − min;
 *   1 for MNIST images), noise from a seeded generator: the same seed gives the same map.
 * - Grad-CAM on conv2: α_k = the mean over positions of ∂score/∂A_k (A = conv2's activations
 *   after its ReLU, before the pool), map = ReLU(Σ_k α_k A_k) at conv2's resolution (14×14),
 *   upsampled bilinearly to the image's size (half-pixel centres, edges clamped: PyTorch's
 *   `F.interpolate(mode="bilinear", align_corners=False)`). Never negative.
 * The network is in eval mode (no dropout). No vscode or DOM: the worker and the CLI call it.
 */
import type { ConvNet } from '../model/convnet';
import { Rng } from '../rng';
import { tf } from '../tf';
import {
  EXPLAIN_METHODS,
  EXPLAIN_SCORES,
  type ExplainMethod,
  type ExplainScore,
  MAX_SMOOTHGRAD_SAMPLES,
  MAX_SMOOTHGRAD_SEED,
  MAX_SMOOTHGRAD_SIGMA,
  SMOOTHGRAD_DEFAULTS,
} from './explainOptions';
import { gaussian } from './transforms';

export * from './explainOptions';

export interface ExplainOptions {
  method: ExplainMethod;
  /** Whose gradient: the logit (default) or the log-probability. */
  score?: ExplainScore;
  /** The class explained; null or absent: the predicted class. */
  classIndex?: number | null;
  /** SmoothGrad: the number of noisy copies, 1..MAX_SMOOTHGRAD_SAMPLES. */
  samples?: number;
  /** SmoothGrad: σ as a fraction of the image's range (max − min), 0..MAX_SMOOTHGRAD_SIGMA. */
  sigma?: number;
  /** SmoothGrad: the noise's seed. */
  seed?: number;
  /** SmoothGrad: noisy copies per forward/backward pass. */
  batchSize?: number;
}

export interface Explanation {
  method: ExplainMethod;
  score: ExplainScore;
  /** The class explained. */
  classIndex: number;
  /** The class the network predicts for the image, and its probabilities. */
  predicted: number;
  probabilities: number[];
  /** The explained class's score (logit or log-probability) for the image. */
  scoreValue: number;
  /** size×size, row-major: the map over the image. */
  map: Float32Array;
  size: number;
  /** Whether the map has both signs (gradients); Grad-CAM's is ≥ 0. */
  signed: boolean;
  /** SmoothGrad's settings as used (samples, σ as a fraction and in pixel units, seed). */
  smoothGrad?: { samples: number; sigma: number; sigmaPixels: number; seed: number };
  /** Grad-CAM: the map at conv2's resolution (before upsampling) and the channel weights α_k. */
  gradCam?: { size: number; map: Float32Array; weights: Float32Array };
}

const check = (ok: boolean, message: string): void => {
  if (!ok) throw new Error(message);
};

/** Σ over the batch of the chosen class's score (a scalar: per-image gradients are independent). */
function classScore(logits: tf.Tensor2D, classIndex: number, score: ExplainScore): tf.Scalar {
  const s = score === 'logit' ? logits : tf.logSoftmax(logits);
  return tf.sum(tf.slice(s, [0, classIndex], [-1, 1]));
}

/** ∂score/∂x for n images (n × size², row-major), eval mode. */
export function inputGradients(net: ConvNet, images: Float32Array, n: number, classIndex: number, score: ExplainScore): Float32Array {
  const s = net.spec.imageSize;
  return tf
    .tidy(() => {
      const x = tf.tensor4d(images, [n, s, s, 1]);
      const g = tf.grad((xi: tf.Tensor) =>
        classScore(net.logitsFromConv2(net.conv2Activations(xi as tf.Tensor4D, true)), classIndex, score),
      )(x);
      return g.dataSync() as Float32Array;
    })
    .slice();
}

/** Bilinear upsampling of a size×size map to out×out with half-pixel centres, edges clamped (PyTorch's align_corners=False). */
export function upsampleBilinear(map: ArrayLike<number>, size: number, out: number): Float32Array {
  const r = new Float32Array(out * out);
  const scale = size / out;
  const coord = (i: number): [number, number, number] => {
    const src = Math.max(0, (i + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    return [i0, i1, src - i0];
  };
  for (let i = 0; i < out; i++) {
    const [y0, y1, fy] = coord(i);
    for (let j = 0; j < out; j++) {
      const [x0, x1, fx] = coord(j);
      const top = map[y0 * size + x0]! * (1 - fx) + map[y0 * size + x1]! * fx;
      const bottom = map[y1 * size + x0]! * (1 - fx) + map[y1 * size + x1]! * fx;
      r[i * out + j] = top * (1 - fy) + bottom * fy;
    }
  }
  return r;
}

/** Grad-CAM on conv2 (see the file's comment). */
function gradCam(net: ConvNet, image: Float32Array, classIndex: number, score: ExplainScore): NonNullable<Explanation['gradCam']> {
  const s = net.spec.imageSize;
  const [acts, grads] = tf.tidy(() => {
    const a = net.conv2Activations(tf.tensor4d(image, [1, s, s, 1]));
    const g = tf.grad((ai: tf.Tensor) => classScore(net.logitsFromConv2(ai as tf.Tensor4D), classIndex, score))(a);
    return [a.dataSync().slice() as Float32Array, g.dataSync().slice() as Float32Array];
  });
  const channels = net.spec.depth[1];
  const size = acts.length / channels;
  const side = Math.round(Math.sqrt(size));
  // NHWC: position p, channel k at p·channels + k.
  const weights = new Float32Array(channels);
  for (let k = 0; k < channels; k++) {
    let sum = 0;
    for (let p = 0; p < size; p++) sum += grads[p * channels + k]!;
    weights[k] = sum / size;
  }
  const map = new Float32Array(size);
  for (let p = 0; p < size; p++) {
    let v = 0;
    for (let k = 0; k < channels; k++) v += weights[k]! * acts[p * channels + k]!;
    map[p] = Math.max(0, v);
  }
  return { size: side, map, weights };
}

/** Probabilities, the predicted class and both scores of one image (eval mode). */
function predictLogits(net: ConvNet, image: Float32Array): { logits: Float32Array; logProbs: Float32Array } {
  const s = net.spec.imageSize;
  return tf.tidy(() => {
    const logits = net.logitsFromConv2(net.conv2Activations(tf.tensor4d(image, [1, s, s, 1])));
    return { logits: logits.dataSync().slice() as Float32Array, logProbs: tf.logSoftmax(logits).dataSync().slice() as Float32Array };
  });
}

export function explain(net: ConvNet, image: Float32Array, o: ExplainOptions): Explanation {
  const size = net.spec.imageSize;
  const classes = net.spec.numClasses;
  const px = size * size;
  const score = o.score ?? 'logit';
  check(image.length === px, `image has ${image.length} pixels, the model takes ${size}×${size}`);
  for (let p = 0; p < px; p++) check(Number.isFinite(image[p]!), `image: pixel ${p} is not a finite number`);
  check(
    (EXPLAIN_METHODS as readonly string[]).includes(o.method),
    `method must be one of ${EXPLAIN_METHODS.join(', ')}, got ${String(o.method)}`,
  );
  check((EXPLAIN_SCORES as readonly string[]).includes(score), `score must be one of ${EXPLAIN_SCORES.join(', ')}, got ${String(score)}`);
  const wanted = o.classIndex ?? null;
  check(
    wanted === null || (Number.isInteger(wanted) && wanted >= 0 && wanted < classes),
    `class must be 0..${classes - 1} or null (the predicted class), got ${String(wanted)}`,
  );

  const { logits, logProbs } = predictLogits(net, image);
  let predicted = 0;
  for (let c = 1; c < classes; c++) if (logits[c]! > logits[predicted]!) predicted = c;
  const classIndex = wanted ?? predicted;
  const base = {
    method: o.method,
    score,
    classIndex,
    predicted,
    probabilities: Array.from(logProbs, (v) => Math.exp(v)),
    scoreValue: (score === 'logit' ? logits : logProbs)[classIndex]!,
    size,
  };

  switch (o.method) {
    case 'gradient':
      return { ...base, map: inputGradients(net, image, 1, classIndex, score), signed: true };
    case 'gradientTimesInput': {
      const g = inputGradients(net, image, 1, classIndex, score);
      return { ...base, map: g.map((v, p) => v * image[p]!), signed: true };
    }
    case 'smoothGrad': {
      const samples = o.samples ?? SMOOTHGRAD_DEFAULTS.samples;
      const sigma = o.sigma ?? SMOOTHGRAD_DEFAULTS.sigma;
      const seed = o.seed ?? SMOOTHGRAD_DEFAULTS.seed;
      const batchSize = o.batchSize ?? 32;
      check(
        Number.isInteger(samples) && samples >= 1 && samples <= MAX_SMOOTHGRAD_SAMPLES,
        `samples must be a whole number in 1..${MAX_SMOOTHGRAD_SAMPLES}, got ${samples}`,
      );
      check(
        sigma >= 0 && sigma <= MAX_SMOOTHGRAD_SIGMA,
        `sigma must be in [0, ${MAX_SMOOTHGRAD_SIGMA}] (a fraction of the image's range), got ${sigma}`,
      );
      check(
        Number.isInteger(seed) && seed >= 0 && seed <= MAX_SMOOTHGRAD_SEED,
        `seed must be a whole number in 0..${MAX_SMOOTHGRAD_SEED}, got ${seed}`,
      );
      check(Number.isInteger(batchSize) && batchSize >= 1, `batchSize must be a whole number ≥ 1, got ${batchSize}`);
      let lo = Infinity;
      let hi = -Infinity;
      for (let p = 0; p < px; p++) {
        lo = Math.min(lo, image[p]!);
        hi = Math.max(hi, image[p]!);
      }
      const sigmaPixels = sigma * (hi - lo);
      const rng = new Rng(seed);
      // The mean in float64: with σ = 0 it is the plain gradient exactly (N equal float32 terms).
      const sum = new Float64Array(px);
      for (let start = 0; start < samples; start += batchSize) {
        const n = Math.min(batchSize, samples - start);
        const batch = new Float32Array(n * px);
        for (let b = 0; b < n; b++)
          for (let p = 0; p < px; p++) batch[b * px + p] = sigmaPixels === 0 ? image[p]! : image[p]! + sigmaPixels * gaussian(rng);
        const g = inputGradients(net, batch, n, classIndex, score);
        for (let b = 0; b < n; b++) for (let p = 0; p < px; p++) sum[p] += g[b * px + p]!;
      }
      return {
        ...base,
        map: Float32Array.from(sum, (v) => v / samples),
        signed: true,
        smoothGrad: { samples, sigma, sigmaPixels, seed },
      };
    }
    case 'gradCam': {
      const cam = gradCam(net, image, classIndex, score);
      return { ...base, map: upsampleBilinear(cam.map, cam.size, size), signed: false, gradCam: cam };
    }
  }
}
