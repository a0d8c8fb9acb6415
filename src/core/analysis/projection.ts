/**
 * The learned space: fc1's features (after its ReLU, the `hidden` values fc2 reads in eval mode)
 * of a split's images, laid out in 2-D by PCA (src/core/analysis/pca.ts) or UMAP (umap-js,
 * seeded). Asynchronous between batches and epochs, so it reports progress and can be cancelled
 * (AbortSignal), like the robustness sweep.
 */
import { UMAP } from 'umap-js';
import { type ImageSet, gatherImages } from '../data/mnist';
import { MAX_UMAP_POINTS } from '../analyses';
import { LabError } from '../errors';
import { type ConvNet, flatSize } from '../model/convnet';
import { Rng } from '../rng';
import { tf } from '../tf';
import { pca } from './pca';

/** UMAP's settings: umap-learn's defaults for neighbours and distance, fewer epochs (time is bounded). */
export const UMAP_NEIGHBOURS = 15;
export const UMAP_MIN_DIST = 0.1;
export const UMAP_EPOCHS = 200;
export const DEFAULT_UMAP_SEED = 1;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const checkAborted = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new LabError('the projection was cancelled', { code: 'invalid-input' });
};

/** fc1's output after the ReLU for one batch x [N, H, W, 1] (eval mode: no dropout), [N, hidden]. */
export function fc1Features(net: ConvNet, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [f1, f2] = net.featureMaps(x);
    f1.dispose();
    const pooled = tf.maxPool(f2, 2, 2, 'valid');
    const flat = tf.reshape(pooled, [x.shape[0], flatSize(net.spec)]) as tf.Tensor2D;
    return tf.relu(tf.add(tf.matMul(flat, net.params['fc1.weight'] as unknown as tf.Tensor2D), net.params['fc1.bias'])) as tf.Tensor2D;
  });
}

export interface FeatureOptions {
  batchSize?: number;
  signal?: AbortSignal;
  /** After each batch: `done` of `total` batches. */
  onBatch?: (done: number, total: number) => void;
}

/** fc1's features of the first `count` images of a set, row-major count×hidden. */
export async function hiddenFeatures(net: ConvNet, set: ImageSet, count: number, options: FeatureOptions = {}): Promise<Float32Array> {
  const size = net.spec.imageSize;
  if (set.height !== size || set.width !== size)
    throw new LabError(`the model takes ${size}×${size} images, the data has ${set.height}×${set.width}`);
  if (!Number.isInteger(count) || count < 1 || count > set.count)
    throw new LabError(`count: expected 1..${set.count} images, got ${count}`);
  const hidden = net.spec.hidden;
  const batchSize = options.batchSize ?? 500;
  const out = new Float32Array(count * hidden);
  const batches = Math.ceil(count / batchSize);
  for (let b = 0; b < batches; b++) {
    checkAborted(options.signal);
    const start = b * batchSize;
    const n = Math.min(batchSize, count - start);
    const x = gatherImages(
      set,
      Uint32Array.from({ length: n }, (_, k) => start + k),
    );
    const f = tf.tidy(() => fc1Features(net, tf.tensor4d(x, [n, size, size, 1])));
    out.set(f.dataSync(), start * hidden);
    f.dispose();
    options.onBatch?.(b + 1, batches);
    await nextTurn();
  }
  return out;
}

export interface UmapOptions {
  seed: number;
  nNeighbors?: number;
  minDist?: number;
  nEpochs?: number;
  signal?: AbortSignal;
  /** 0 of `total` when the neighbour graph is built, then once per epoch. */
  onEpoch?: (done: number, total: number) => void;
}

/** UMAP of n points (row-major n×d) to 2-D, seeded: the same seed gives the same layout. Row-major n×2. */
export async function umapLayout(points: ArrayLike<number>, n: number, d: number, options: UmapOptions): Promise<Float64Array> {
  const nNeighbors = options.nNeighbors ?? UMAP_NEIGHBOURS;
  if (n <= nNeighbors) throw new LabError(`UMAP needs more than ${nNeighbors} points, got ${n}`);
  if (n > MAX_UMAP_POINTS) throw new LabError(`UMAP lays out at most ${MAX_UMAP_POINTS} points, got ${n}`);
  const rng = new Rng(options.seed);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: options.minDist ?? UMAP_MIN_DIST,
    nEpochs: options.nEpochs ?? UMAP_EPOCHS,
    random: () => rng.next(),
  });
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from({ length: d }, (_, j) => points[i * d + j]!));
  checkAborted(options.signal);
  const epochs = umap.initializeFit(rows);
  options.onEpoch?.(0, epochs);
  await nextTurn();
  for (let e = 0; e < epochs; e++) {
    checkAborted(options.signal);
    umap.step();
    options.onEpoch?.(e + 1, epochs);
    if (e % 5 === 4) await nextTurn();
  }
  const layout = umap.getEmbedding();
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = layout[i]![0]!;
    out[2 * i + 1] = layout[i]![1]!;
  }
  return out;
}

/** PCA of n points (row-major n×d) to 2-D: coordinates (n×2) and the share of the variance along each axis. */
export function pcaLayout(points: ArrayLike<number>, n: number, d: number): { xy: Float64Array; explained: [number, number] } {
  const r = pca(points, n, d, 2);
  return { xy: r.scores, explained: [r.explained[0]!, r.explained[1]!] };
}

/**
 * How well the classes separate in a 2-D layout: the share of points whose k nearest other
 * points (Euclidean, in the layout) vote for their own label (ties: the nearer neighbour wins).
 */
export function neighbourAccuracy(xy: ArrayLike<number>, labels: ArrayLike<number>, k = 5): number {
  const n = labels.length;
  if (n < 2) return 0;
  const kk = Math.min(k, n - 1);
  const bestD = new Float64Array(kk);
  const bestL = new Int32Array(kk);
  let right = 0;
  for (let i = 0; i < n; i++) {
    bestD.fill(Infinity);
    bestL.fill(-1);
    const xi = xy[2 * i]!;
    const yi = xy[2 * i + 1]!;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dd = (xy[2 * j]! - xi) ** 2 + (xy[2 * j + 1]! - yi) ** 2;
      if (dd >= bestD[kk - 1]!) continue;
      let m = kk - 1;
      while (m > 0 && bestD[m - 1]! > dd) {
        bestD[m] = bestD[m - 1]!;
        bestL[m] = bestL[m - 1]!;
        m--;
      }
      bestD[m] = dd;
      bestL[m] = labels[j]!;
    }
    const votes = new Map<number, number>();
    for (let m = 0; m < kk; m++) votes.set(bestL[m]!, (votes.get(bestL[m]!) ?? 0) + 1);
    let winner = bestL[0]!;
    for (let m = 0; m < kk; m++) if (votes.get(bestL[m]!)! > votes.get(winner)!) winner = bestL[m]!;
    if (winner === labels[i]) right++;
  }
  return right / n;
}
