/**
 * What the layers of a network hold, computed: the per-epoch histograms (histograms.ts says what
 * a record is) and the activity of each ReLU channel over a split (the "dead" channels: ReLU
 * output 0 for every image).
 */
import type { ImageSet, LabData } from '../data/mnist';
import { gatherImages, subset } from '../data/mnist';
import { type ConvNet, type ConvNetSpec, type ParamName, flatSize } from '../model/convnet';
import { tf } from '../tf';
import { ConvKernel, convKernelEnabled, convKernelFloats, convKernelSupports } from '../train/convKernel';
import { flattenValues, paramLayout, unflattenValues } from '../train/replica';
import { Arena } from '../train/sgdKernel';
import { imagesTensor } from './evaluate';
import {
  type ChannelActivity,
  type ChannelActivityPayload,
  type EpochHistograms,
  HISTOGRAM_LAYERS,
  type HistogramLayer,
  type LayerHistograms,
  summarize,
} from './histograms';
import { LabError } from '../errors';

/** Validation images whose layer outputs are histogrammed (the first ones: the same every epoch). */
export const ACTIVATION_PROBE_IMAGES = 500;
/** Training images whose mean-loss gradient is histogrammed (4 batches of the seed's 64). */
export const GRADIENT_PROBE_IMAGES = 256;

/** The layers' outputs on images x: conv1, conv2 (ReLU, before pooling), fc1 (ReLU, no dropout), fc2 (logits). */
export function layerOutputs(net: ConvNet, x: tf.Tensor4D): Record<HistogramLayer, tf.Tensor> {
  return tf.tidy(() => {
    const [conv1, conv2] = net.featureMaps(x);
    const flat = tf.reshape(tf.maxPool(conv2, 2, 2, 'valid'), [x.shape[0], flatSize(net.spec)]) as tf.Tensor2D;
    const fc1 = tf.relu(tf.add(tf.matMul(flat, net.params['fc1.weight'] as unknown as tf.Tensor2D), net.params['fc1.bias'])) as tf.Tensor2D;
    const fc2 = tf.add(tf.matMul(fc1, net.params['fc2.weight'] as unknown as tf.Tensor2D), net.params['fc2.bias']);
    return { conv1, conv2, fc1, fc2 };
  });
}

/** Gradients of the mean NLL of the log-probabilities over images x with labels y (eval mode: no dropout). */
export async function lossGradients(net: ConvNet, x: tf.Tensor4D, y: tf.Tensor1D): Promise<Record<ParamName, Float32Array>> {
  const { value, grads } = tf.variableGrads(() => {
    const logp = net.forward(x);
    return tf.div(tf.neg(tf.sum(tf.mul(logp, tf.oneHot(y, net.spec.numClasses)))), x.shape[0]) as tf.Scalar;
  }, net.variables());
  try {
    const out = {} as Record<ParamName, Float32Array>;
    for (const [name, v] of Object.entries(net.params)) out[name as ParamName] = (await grads[v.name]!.data()) as Float32Array;
    return out;
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/** The channels (last axis of `values`, `channels` wide) that are never > 0. */
function inactiveChannels(values: Float32Array, channels: number): number[] {
  const on = new Uint8Array(channels);
  for (let i = 0; i < values.length; i++) if (values[i]! > 0) on[i % channels] = 1;
  const out: number[] = [];
  on.forEach((v, c) => v || out.push(c));
  return out;
}

/** Images per call of the kernels' gradient (the original lab's batch). */
const KERNEL_BATCH = 64;

/**
 * The mean loss gradient over a set of images computed by the training step's own WebAssembly
 * kernels (dropout off), in batches of 64 averaged: what `lossGradients` computes with tfjs's
 * automatic differentiation (on 256 images: 42–49 ms instead of 274 ms, see
 * docs/performance.md, section 12).
 */
class KernelLossGradients {
  private readonly kernel: ConvKernel;
  private readonly params: Float32Array;
  private readonly grads: Float32Array;
  private readonly mean: Float32Array;
  private readonly indices = new Uint32Array(KERNEL_BATCH);

  /** An instance for `spec`, or null where the kernels do not run (other backends, shapes). */
  static make(spec: ConvNetSpec): KernelLossGradients | null {
    return tf.getBackend() === 'wasm' && convKernelEnabled() && convKernelSupports(spec) ? new KernelLossGradients(spec) : null;
  }

  private constructor(readonly spec: ConvNetSpec) {
    const P = paramLayout(spec).total;
    const work = convKernelFloats(spec, KERNEL_BATCH);
    const arena = new Arena(Arena.floatsFor([P, P, work]), true);
    this.params = arena.alloc(P);
    this.grads = arena.alloc(P);
    this.kernel = new ConvKernel(arena.memory, arena.alloc(work), spec, KERNEL_BATCH);
    this.mean = new Float32Array(P);
  }

  compute(net: ConvNet, set: ImageSet): Record<ParamName, Float32Array> {
    this.params.set(flattenValues(this.spec, net.values()));
    this.mean.fill(0);
    for (let start = 0; start < set.count; start += KERNEL_BATCH) {
      const n = Math.min(KERNEL_BATCH, set.count - start);
      for (let i = 0; i < n; i++) this.indices[i] = start + i;
      gatherImages(set, this.indices.subarray(0, n), this.kernel.pixels);
      this.kernel.gradients(this.params, set.labels.subarray(start, start + n), n, false, this.grads);
      const w = n / set.count;
      for (let i = 0; i < this.mean.length; i++) this.mean[i]! += this.grads[i]! * w;
    }
    return unflattenValues(this.spec, this.mean.slice());
  }
}

/** The probe the histograms are taken on, built once per training. */
export interface HistogramProbe {
  activations: tf.Tensor4D;
  gradientX: tf.Tensor4D;
  gradientY: tf.Tensor1D;
  /** The gradient's images (the same as gradientX, gradientY). */
  gradientSet: ImageSet;
  /** The kernels' gradient for a network's shape (made on first use; null: autodiff). */
  kernelGradients(spec: ConvNetSpec): KernelLossGradients | null;
  dispose(): void;
}

export function histogramProbe(data: Pick<LabData, 'train' | 'validation'>): HistogramProbe {
  const activations = imagesTensor(subset(data.validation, 0, Math.min(ACTIVATION_PROBE_IMAGES, data.validation.count)));
  const g = subset(data.train, 0, Math.min(GRADIENT_PROBE_IMAGES, data.train.count));
  const gradientX = imagesTensor(g);
  const gradientY = tf.tensor1d(Int32Array.from(g.labels.subarray(0, g.count)), 'int32');
  let kernel: { spec: ConvNetSpec; value: KernelLossGradients | null } | null = null;
  return {
    activations,
    gradientX,
    gradientY,
    gradientSet: g,
    kernelGradients: (spec) => {
      if (kernel === null || JSON.stringify(kernel.spec) !== JSON.stringify(spec)) kernel = { spec, value: KernelLossGradients.make(spec) };
      return kernel.value;
    },
    dispose: () => tf.dispose([activations, gradientX, gradientY]),
  };
}

/**
 * One epoch's histograms of `net` (see EpochHistograms): weights and biases as they are, the
 * gradients on the probe's training images, the outputs on its validation images. Reads the
 * weights only: training is not touched.
 */
export async function epochHistograms(net: ConvNet, probe: HistogramProbe, epoch: number): Promise<EpochHistograms> {
  const t0 = performance.now();
  const values = net.values();
  const kernel = probe.gradientSet.count > 0 ? probe.kernelGradients(net.spec) : null;
  const grads = kernel ? kernel.compute(net, probe.gradientSet) : await lossGradients(net, probe.gradientX, probe.gradientY);
  const outputs = layerOutputs(net, probe.activations);
  const layers = {} as Record<HistogramLayer, LayerHistograms>;
  try {
    for (const layer of HISTOGRAM_LAYERS) {
      const act = (await outputs[layer].data()) as Float32Array;
      const channels = outputs[layer].shape.at(-1)!;
      layers[layer] = {
        weight: summarize(values[`${layer}.weight`]),
        bias: summarize(values[`${layer}.bias`]),
        weightGrad: summarize(grads[`${layer}.weight`]),
        biasGrad: summarize(grads[`${layer}.bias`]),
        activation: summarize(act),
        ...(layer !== 'fc2' && { inactive: inactiveChannels(act, channels) }),
      };
    }
  } finally {
    tf.dispose(Object.values(outputs));
  }
  return {
    epoch,
    activationImages: probe.activations.shape[0],
    gradientImages: probe.gradientX.shape[0],
    ms: Math.round(performance.now() - t0),
    layers,
  };
}

/** The activity of conv1's, conv2's and fc1's channels over `set` (all its images, in batches). */
export async function channelActivity(net: ConvNet, set: ImageSet, batch = 500): Promise<Omit<ChannelActivityPayload, 'split'>> {
  if (set.count < 1) throw new LabError('channel activity: the split has no images', { code: 'invalid-input' });
  const names = ['conv1', 'conv2', 'fc1'] as const;
  const acc = names.map(
    () => null as null | { channels: number; positions: number; max: Float32Array; images: Uint32Array; positive: Float64Array },
  );
  const x = imagesTensor(set);
  try {
    for (let start = 0; start < set.count; start += batch) {
      const n = Math.min(batch, set.count - start);
      const outputs = tf.tidy(() => layerOutputs(net, tf.slice(x, [start, 0, 0, 0], [n, -1, -1, -1])));
      try {
        for (let l = 0; l < names.length; l++) {
          const t = outputs[names[l]!];
          const C = t.shape.at(-1)!;
          const P = t.size / (n * C);
          const a = (acc[l] ??= {
            channels: C,
            positions: P,
            max: new Float32Array(C),
            images: new Uint32Array(C),
            positive: new Float64Array(C),
          });
          const v = (await t.data()) as Float32Array;
          const seen = new Uint8Array(C);
          for (let i = 0; i < n; i++) {
            seen.fill(0);
            const base = i * P * C;
            for (let p = 0; p < P; p++)
              for (let c = 0; c < C; c++) {
                const y = v[base + p * C + c]!;
                if (y > 0) {
                  seen[c] = 1;
                  a.positive[c]!++;
                  if (y > a.max[c]!) a.max[c] = y;
                }
              }
            for (let c = 0; c < C; c++) a.images[c]! += seen[c]!;
          }
        }
      } finally {
        tf.dispose(Object.values(outputs));
      }
    }
  } finally {
    x.dispose();
  }
  const layers = names.map((layer, l): ChannelActivity => {
    const a = acc[l]!;
    const max = Array.from(a.max);
    return {
      layer,
      channels: a.channels,
      positions: a.positions,
      max,
      activeImages: Array.from(a.images),
      activeShare: Array.from(a.positive, (p) => p / (set.count * a.positions)),
      dead: max.flatMap((m, c) => (m > 0 ? [] : [c])),
    };
  });
  return { images: set.count, layers };
}
