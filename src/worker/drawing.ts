/**
 * The worker's side of the panel's "draw a digit" and occlusion views: the core's computations,
 * answered as protocol payloads (pictures at display precision, as elsewhere in the worker).
 */
import { occlusionSensitivity } from '../core/analysis/occlusion';
import { type LabData, imageAt } from '../core/data/mnist';
import { LabError } from '../core/errors';
import { featureMapsOf, predict } from '../core/analysis/evaluate';
import type { ConvNet } from '../core/model/convnet';
import type { DrawnPredictionPayload, OcclusionPayload, WorkerAnalysisRequest } from '../core/analyses';
import { display } from './display';

const channels = (data: Float32Array[]) => data.map((m) => Array.from(m, display));

/** Prediction and feature maps of a drawn digit, already preprocessed to the model's size. */
export function drawnPrediction(net: ConvNet, pixels: number[]): DrawnPredictionPayload {
  const size = net.spec.imageSize;
  if (pixels.length !== size * size)
    throw new LabError(`pixels: the model takes ${size}×${size} = ${size * size} grey levels, got ${pixels.length}`, { field: 'pixels' });
  const image = Float32Array.from(pixels);
  const f = featureMapsOf(net, image);
  return {
    prediction: predict(net, image),
    featureMaps: {
      conv1: { size: f.conv1.size, maps: channels(f.conv1.data) },
      conv2: { size: f.conv2.size, maps: channels(f.conv2.data) },
    },
  };
}

export function occlusionOfTestImage(net: ConvNet, data: LabData, r: WorkerAnalysisRequest<'occlusion'>): OcclusionPayload {
  const size = net.spec.imageSize;
  for (const [name, v] of [
    ['patch', r.patch],
    ['stride', r.stride],
  ] as const) {
    if (v > size) throw new LabError(`${name}: at most ${size} pixels (the image's size), got ${v}`, { field: name });
  }
  const image = imageAt(data.testFile, r.index);
  const label = data.testFile.labels[r.index]!;
  const o = occlusionSensitivity(net, image, { patch: r.patch, stride: r.stride, fill: r.fill, label });
  return {
    index: r.index,
    label,
    image: { size, pixels: Array.from(image, display) },
    patch: o.patch,
    stride: o.stride,
    fill: o.fill,
    baseline: o.baseline,
    rows: o.rows,
    cols: o.cols,
    probability: Array.from(o.probability),
    predicted: Array.from(o.predicted),
    risen: Array.from(o.risen),
    heatmap: { size, pixels: Array.from(o.heatmap, display) },
  };
}
