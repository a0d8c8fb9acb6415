/**
 * The worker's side of "why the network decided": the core's saliency and Grad-CAM maps of a
 * test image or a drawing, answered as a protocol payload.
 */
import { explain } from '../core/analysis/explain';
import { checkTestIndex } from '../core/analysis/service';
import type { ExplainPayload, WorkerAnalysisRequest } from '../core/analyses';
import { imageAt, type LabData } from '../core/data/mnist';
import { LabError } from '../core/errors';
import type { ConvNet } from '../core/model/convnet';
import { display } from './display';

/** 5 significant digits: gradients can be far smaller than display precision (1e-4). */
const significant = (v: number): number => (v === 0 ? 0 : Number(v.toPrecision(5)));

/** `data` is needed only for a test image (`index`). */
export function explanationOf(net: ConvNet, data: LabData | null, r: WorkerAnalysisRequest<'explain'>): ExplainPayload {
  const size = net.spec.imageSize;
  if ((r.index === null) === (r.pixels === null))
    throw new LabError('explain: give either index (a test image) or pixels (a drawing), not both or neither', { field: 'index' });
  let image: Float32Array;
  let label: number | null = null;
  if (r.index !== null) {
    if (!data) throw new LabError('explain: a test image needs the data', { field: 'index' });
    checkTestIndex(data, r.index);
    image = imageAt(data.testFile, r.index);
    label = data.testFile.labels[r.index]!;
  } else {
    const pixels = r.pixels!;
    if (pixels.length !== size * size)
      throw new LabError(`pixels: the model takes ${size}×${size} = ${size * size} grey levels, got ${pixels.length}`, { field: 'pixels' });
    image = Float32Array.from(pixels);
  }
  if (r.classIndex !== null && r.classIndex >= net.spec.numClasses)
    throw new LabError(`classIndex: the model has classes 0..${net.spec.numClasses - 1}, got ${r.classIndex}`, { field: 'classIndex' });
  const e = explain(net, image, {
    method: r.method,
    score: r.score,
    classIndex: r.classIndex,
    samples: r.samples,
    sigma: r.sigma,
    seed: r.seed,
  });
  let scale = 0;
  for (const v of e.map) scale = Math.max(scale, Math.abs(v));
  return {
    index: r.index,
    label,
    image: { size, pixels: Array.from(image, display) },
    method: e.method,
    score: e.score,
    classIndex: e.classIndex,
    predicted: e.predicted,
    probabilities: e.probabilities.map(display),
    scoreValue: e.scoreValue,
    map: { size: e.size, values: Array.from(e.map, significant) },
    signed: e.signed,
    scale,
    ...(e.smoothGrad && { smoothGrad: e.smoothGrad }),
    ...(e.gradCam && {
      gradCam: {
        size: e.gradCam.size,
        values: Array.from(e.gradCam.map, significant),
        weights: Array.from(e.gradCam.weights, significant),
      },
    }),
  };
}
