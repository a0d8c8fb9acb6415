/**
 * The worker's side of the projector: fc1's features of the test split (kept for the latest
 * model, so PCA then UMAP computes them once), laid out by PCA or UMAP, with progress and
 * cancellation (one projection at a time, as the sweep).
 */
import { hiddenFeatures, neighbourAccuracy, pcaLayout, umapLayout } from '../core/analysis/projection';
import { MAX_UMAP_POINTS, type ProjectionMethod, type ProjectionPayload } from '../core/analyses';
import type { LabData } from '../core/data/mnist';
import { LabError } from '../core/errors';
import type { ConvNet } from '../core/model/convnet';
import { classified } from './classification';
import { display } from './display';

let cached: { net: ConvNet; data: LabData; count: number; features: Float32Array } | null = null;
let projecting: AbortController | null = null;

export interface ProjectionRequest {
  method: ProjectionMethod;
  count: number;
  seed: number;
}

export async function projectionOf(
  net: ConvNet,
  data: LabData,
  r: ProjectionRequest,
  onProgress: (done: number, total: number) => void,
): Promise<ProjectionPayload> {
  const set = data.test;
  const count = Math.min(r.count, set.count);
  if (r.method === 'umap' && count > MAX_UMAP_POINTS)
    throw new LabError(`count: UMAP lays out at most ${MAX_UMAP_POINTS} points, got ${count}`, { field: 'count' });
  if (projecting) throw new LabError('a projection is already running: cancel it first');
  projecting = new AbortController();
  const signal = projecting.signal;
  const started = performance.now();
  const d = net.spec.hidden;
  // Progress in steps: the feature batches, then one for PCA, or UMAP's graph and its epochs.
  let featureSteps = 0;
  let last = 0;
  const report = (done: number, total: number) => {
    const now = Date.now();
    if (now - last < 200 && done < total) return;
    last = now;
    onProgress(done, total);
  };
  try {
    let features: Float32Array;
    if (cached?.net === net && cached.data === data && cached.count >= count) features = cached.features.subarray(0, count * d);
    else {
      features = await hiddenFeatures(net, set, count, {
        signal,
        onBatch: (done, total) => {
          featureSteps = total;
          report(done, total + (r.method === 'pca' ? 1 : 201));
        },
      });
      cached = { net, data, count, features };
    }
    let xy: Float64Array;
    let explained: [number, number] | null = null;
    if (r.method === 'pca') {
      const p = pcaLayout(features, count, d);
      xy = p.xy;
      explained = p.explained;
    } else {
      xy = await umapLayout(features, count, d, {
        seed: r.seed,
        signal,
        onEpoch: (done, total) => report(featureSteps + 1 + done, featureSteps + 1 + total),
      });
    }
    const labels = Array.from(set.labels.subarray(0, count));
    const predicted = Array.from(classified(net, data, 'test').predictions.subarray(0, count));
    const px = set.height * set.width;
    const offset = data.validation.count;
    return {
      method: r.method,
      split: 'test',
      layer: 'fc1',
      dimensions: d,
      count,
      indices: Array.from({ length: count }, (_, i) => offset + i),
      labels,
      predicted,
      x: Array.from({ length: count }, (_, i) => display(xy[2 * i]!)),
      y: Array.from({ length: count }, (_, i) => display(xy[2 * i + 1]!)),
      explained,
      seed: r.method === 'umap' ? r.seed : null,
      neighbourAccuracy: neighbourAccuracy(xy, labels),
      seconds: (performance.now() - started) / 1000,
      size: set.height,
      thumbnails: Buffer.from(set.images.buffer, set.images.byteOffset, count * px).toString('base64'),
    };
  } finally {
    projecting = null;
  }
}

export function cancelProjection(): { cancelled: boolean } {
  const running = projecting !== null;
  projecting?.abort();
  return { cancelled: running };
}
