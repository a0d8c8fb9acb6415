import type { LabConfig } from '../config';
import { conv2dFilterGrad, conv2dInputGrad, symmetricPads } from '../backends/gradients';
import { Rng } from '../rng';
import { tf } from '../tf';
import type { ConvNetSpec } from './spec';
import { flatSize, pooledSize } from './spec';

export { type ConvNetSpec, flatSize, pooledSize } from './spec';

export function specFromConfig(config: LabConfig, imageSize = 28, numClasses = 10): ConvNetSpec {
  return { ...config.model, depth: [...config.model.depth] as [number, number], imageSize, numClasses };
}

/**
 * Parameter names and shapes, PyTorch state_dict order. Inside, tensors use tfjs layouts:
 * conv weights [kh, kw, in, out], fc weights [in, out], and fc1's rows in NHWC flatten order
 * (the interchange code permutes to PyTorch's [out, in] and C×H×W order).
 */
export const PARAM_NAMES = [
  'conv1.weight',
  'conv1.bias',
  'conv2.weight',
  'conv2.bias',
  'fc1.weight',
  'fc1.bias',
  'fc2.weight',
  'fc2.bias',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

export function paramShapes(s: ConvNetSpec): Record<ParamName, number[]> {
  const k = s.kernelSize;
  return {
    'conv1.weight': [k, k, 1, s.depth[0]],
    'conv1.bias': [s.depth[0]],
    'conv2.weight': [k, k, s.depth[0], s.depth[1]],
    'conv2.bias': [s.depth[1]],
    'fc1.weight': [flatSize(s), s.hidden],
    'fc1.bias': [s.hidden],
    'fc2.weight': [s.hidden, s.numClasses],
    'fc2.bias': [s.numClasses],
  };
}

/** fan_in of each parameter's layer, for PyTorch's default init (uniform ±1/√fan_in). */
function fanIn(s: ConvNetSpec, name: ParamName): number {
  const k = s.kernelSize;
  if (name.startsWith('conv1')) return k * k;
  if (name.startsWith('conv2')) return k * k * s.depth[0];
  if (name.startsWith('fc1')) return flatSize(s);
  return s.hidden;
}

export type Params = Record<ParamName, tf.Variable>;

export interface LayerSummary {
  name: string;
  layer: string;
  outputShape: number[];
  params: number;
}

/** The seed's ConvNet as functions over tf.Variables (no tf.layers: full control of training). */
export class ConvNet {
  readonly pad: number;

  private constructor(
    readonly spec: ConvNetSpec,
    readonly params: Params,
  ) {
    this.pad = (spec.kernelSize - 1) / 2;
  }

  /** PyTorch's default initialisation: every weight and bias uniform in ±1/√fan_in. */
  static init(spec: ConvNetSpec, seed: number): ConvNet {
    const rng = new Rng(seed);
    const shapes = paramShapes(spec);
    const values = {} as Record<ParamName, Float32Array>;
    for (const name of PARAM_NAMES) {
      const n = shapes[name].reduce((a, b) => a * b, 1);
      const bound = 1 / Math.sqrt(fanIn(spec, name));
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = (rng.next() * 2 - 1) * bound;
      values[name] = v;
    }
    return ConvNet.fromValues(spec, values);
  }

  /** Builds a net from flat values in the internal (tfjs) layouts. */
  static fromValues(spec: ConvNetSpec, values: Record<ParamName, Float32Array>): ConvNet {
    const shapes = paramShapes(spec);
    const params = {} as Params;
    for (const name of PARAM_NAMES) {
      const expected = shapes[name].reduce((a, b) => a * b, 1);
      if (values[name].length !== expected) {
        throw new Error(`${name}: expected ${expected} values for shape [${shapes[name].join(', ')}], got ${values[name].length}`);
      }
      // tf.variable keeps its initial tensor alive unless made inside tidy.
      params[name] = tf.tidy(() => tf.variable(tf.tensor(values[name].slice(), shapes[name], 'float32'), true, undefined, 'float32'));
    }
    return new ConvNet(spec, params);
  }

  /** Copies of every parameter's values in the internal layouts. */
  values(): Record<ParamName, Float32Array> {
    const out = {} as Record<ParamName, Float32Array>;
    // slice: the cpu backend's dataSync hands out the tensor's own storage.
    for (const name of PARAM_NAMES) out[name] = (this.params[name].dataSync() as Float32Array).slice();
    return out;
  }

  variables(): tf.Variable[] {
    return PARAM_NAMES.map((n) => this.params[n]);
  }

  /**
   * ReLU(conv(x) + bias) as one fused kernel, with a hand-written backward: dz = dy·[y > 0],
   * bias gradient Σdz, filter and input gradients as convolutions (backends/gradients.ts).
   * conv1's input gradient (w.r.t. the image) is not needed for training and is computed only
   * when `imageGradient` is set (saliency maps, src/core/analysis/explain.ts).
   */
  private conv(x: tf.Tensor4D, which: 'conv1' | 'conv2', imageGradient = false): tf.Tensor4D {
    const pads = symmetricPads(this.pad);
    const pad = this.pad;
    const block = tf.customGrad(((xi: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
      // The FusedConv2D kernel itself: tf.fused.conv2d falls back to conv + add + relu whenever
      // gradients are being recorded, which is exactly when training needs the speed.
      const y = tf.engine().runKernel('FusedConv2D', { x: xi, filter: w, bias: b }, {
        strides: [1, 1],
        pad,
        dataFormat: 'NHWC',
        dilations: [1, 1],
        dimRoundingMode: undefined,
        activation: 'relu',
        leakyreluAlpha: 0,
      } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
      save([xi, w, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw, sy] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
          const dz = tf.mul(dy, tf.step(sy)) as tf.Tensor4D;
          const dx = which === 'conv1' && !imageGradient ? tf.zerosLike(sx) : conv2dInputGrad(dz, sw, pads);
          return [dx, conv2dFilterGrad(sx, dz, pads), tf.sum(dz, [0, 1, 2])];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return block(x, this.params[`${which}.weight`], this.params[`${which}.bias`]) as tf.Tensor4D;
  }

  private pool(x: tf.Tensor4D): tf.Tensor4D {
    return tf.maxPool(x, 2, 2, 'valid');
  }

  /**
   * Log-probabilities [N, classes] of images x [N, H, W, 1]. `dropoutMask` (training only) is
   * the already scaled keep-mask [N, hidden]: 0 or 1/(1-p), as F.dropout does.
   */
  forward(x: tf.Tensor4D, dropoutMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.logSoftmax(this.logitsFromConv2(this.conv2Activations(x), dropoutMask)));
  }

  /**
   * conv2's activations ReLU(conv2(pool(ReLU(conv1(x))))) [N, H/2, W/2, depth2]: the layer
   * Grad-CAM looks at. With `imageGradient`, gradients flow back to the image x (saliency).
   */
  conv2Activations(x: tf.Tensor4D, imageGradient = false): tf.Tensor4D {
    return tf.tidy(() => this.conv(this.pool(this.conv(x, 'conv1', imageGradient)), 'conv2'));
  }

  /** The rest of the network from conv2's activations: pool, flatten, fc1, ReLU, (dropout), fc2: the logits [N, classes]. */
  logitsFromConv2(a: tf.Tensor4D, dropoutMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const h2 = this.pool(a);
      const flat = tf.reshape(h2, [a.shape[0], flatSize(this.spec)]) as tf.Tensor2D;
      let f1 = tf.relu(
        tf.add(tf.matMul(flat, this.params['fc1.weight'] as unknown as tf.Tensor2D), this.params['fc1.bias']),
      ) as tf.Tensor2D;
      if (dropoutMask) f1 = tf.mul(f1, dropoutMask);
      return tf.add(tf.matMul(f1, this.params['fc2.weight'] as unknown as tf.Tensor2D), this.params['fc2.bias']) as tf.Tensor2D;
    });
  }

  /** The seed's retrieve_features: ReLU(conv1(x)) and ReLU(conv2(pool(ReLU(conv1(x))))), NHWC. */
  featureMaps(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => {
      const f1 = this.conv(x, 'conv1');
      const f2 = this.conv(this.pool(f1), 'conv2');
      return [f1, f2] as [tf.Tensor4D, tf.Tensor4D];
    });
  }

  /** Layers, output shapes and parameter counts, like the seed's `net.parameters` listing. */
  summary(): LayerSummary[] {
    const s = this.spec;
    const k = s.kernelSize;
    const p1 = Math.floor(s.imageSize / 2);
    const p2 = pooledSize(s);
    return [
      {
        name: 'conv1',
        layer: `Conv2d(1, ${s.depth[0]}, kernel_size=(${k}, ${k}), padding=(${this.pad}, ${this.pad})) + ReLU`,
        outputShape: [s.depth[0], s.imageSize, s.imageSize],
        params: k * k * s.depth[0] + s.depth[0],
      },
      { name: 'pool', layer: 'MaxPool2d(kernel_size=2, stride=2)', outputShape: [s.depth[0], p1, p1], params: 0 },
      {
        name: 'conv2',
        layer: `Conv2d(${s.depth[0]}, ${s.depth[1]}, kernel_size=(${k}, ${k}), padding=(${this.pad}, ${this.pad})) + ReLU`,
        outputShape: [s.depth[1], p1, p1],
        params: k * k * s.depth[0] * s.depth[1] + s.depth[1],
      },
      { name: 'pool', layer: 'MaxPool2d(kernel_size=2, stride=2)', outputShape: [s.depth[1], p2, p2], params: 0 },
      { name: 'flatten', layer: 'view(-1, ' + flatSize(s) + ')', outputShape: [flatSize(s)], params: 0 },
      {
        name: 'fc1',
        layer: `Linear(in_features=${flatSize(s)}, out_features=${s.hidden}) + ReLU`,
        outputShape: [s.hidden],
        params: flatSize(s) * s.hidden + s.hidden,
      },
      { name: 'dropout', layer: `Dropout(p=${s.dropout}, training only)`, outputShape: [s.hidden], params: 0 },
      {
        name: 'fc2',
        layer: `Linear(in_features=${s.hidden}, out_features=${s.numClasses})`,
        outputShape: [s.numClasses],
        params: s.hidden * s.numClasses + s.numClasses,
      },
      { name: 'log_softmax', layer: 'log_softmax(dim=1)', outputShape: [s.numClasses], params: 0 },
    ];
  }

  parameterCount(): number {
    return this.summary().reduce((a, l) => a + l.params, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
