import { gatherImages } from '../data/mnist';
import { imagesTensor } from '../analysis/evaluate';
import { ConvNet, PARAM_NAMES, type ParamName } from '../model/convnet';
import { webgpuDeviceLost } from '../backends/webgpu';
import { LabError } from '../errors';
import { tf } from '../tf';
import { isPlainSgd } from './optimizer';
import type { GroupOptions, ReplicaGroup } from './group';
import { augmentBatch, augments } from './augment';
import { dropoutRows, flattenValues, unflattenValues } from './replica';

/** A failed read, with the reason when the GPU device was lost (Dawn's own error is empty). */
function deviceError(e: unknown): never {
  const lost = webgpuDeviceLost();
  if (lost) throw new Error(`the GPU device was lost (${lost}); another backend can run the next training`);
  if (e instanceof Error && e.message) throw e;
  throw new Error(`reading from the GPU failed${e instanceof Error ? ` (${e.name})` : `: ${String(e)}`}`);
}

/**
 * The GPU step implements the seed's optimizer only: anything else is refused, naming the field,
 * before the network is put on the device.
 */
export function refuseOnDevice(t: GroupOptions['config']['training']): void {
  const field =
    t.optimizer !== 'sgd'
      ? `training.optimizer "${t.optimizer}"`
      : t.nesterov
        ? 'training.nesterov'
        : !isPlainSgd(t)
          ? 'training.weightDecay'
          : t.schedule.type !== 'none'
            ? `training.schedule "${t.schedule.type}"`
            : null;
  if (field) {
    throw new LabError(
      `${field} is not available on the webgpu backend yet (it trains with the original lab's SGD-momentum at a constant rate); train on wasm or cpu`,
      { field: field.split(' ')[0]! },
    );
  }
}

/**
 * Training on a GPU backend (webgpu): weights and momentum stay on the device, and only the
 * loss and the right answers come back each step, read asynchronously. A GPU backend cannot read
 * synchronously in Node (tfjs-backend-webgpu's readSync needs a browser's OffscreenCanvas and
 * Dawn has no blocking map), so the CPU replicas (dataSync of every gradient) cannot run there.
 * Same algorithm as Replica: same batches, same augmentation, same dropout masks, PyTorch's SGD-momentum
 * (v = μv + g; p −= lr·v) in float32.
 */
export class DeviceGroup implements ReplicaGroup {
  readonly replicas = 1;
  private readonly net: ConvNet;
  private readonly velocity: Record<ParamName, tf.Variable>;
  private readonly valX: tf.Tensor4D;
  private readonly pixels: Float32Array;
  private readonly labelBuf: Int32Array;
  private readonly lr: tf.Scalar;
  private readonly mu: tf.Scalar;

  constructor(private readonly o: Pick<GroupOptions, 'spec' | 'initial' | 'config' | 'train' | 'validation'>) {
    refuseOnDevice(o.config.training);
    this.net = ConvNet.fromValues(o.spec, unflattenValues(o.spec, o.initial));
    this.velocity = Object.fromEntries(PARAM_NAMES.map((n) => [n, tf.variable(tf.zerosLike(this.net.params[n]), false)])) as Record<
      ParamName,
      tf.Variable
    >;
    this.valX = imagesTensor(o.validation);
    const s = o.spec.imageSize;
    this.pixels = new Float32Array(o.config.training.batchSize * s * s);
    this.labelBuf = new Int32Array(o.config.training.batchSize);
    this.lr = tf.scalar(Math.fround(o.config.training.learningRate));
    this.mu = tf.scalar(Math.fround(o.config.training.momentum));
  }

  async step(indices: Uint32Array, step: number): Promise<{ loss: number; right: number }> {
    const { spec, config, train } = this.o;
    const n = indices.length;
    const s = spec.imageSize;
    gatherImages(train, indices, this.pixels);
    const augment = config.training.augment;
    if (augments(augment)) augmentBatch(augment, config.training.seed, step, 0, this.pixels, n, s);
    for (let k = 0; k < n; k++) this.labelBuf[k] = train.labels[indices[k]!]!;
    const p = config.model.dropout;
    const [loss, right] = tf.tidy(() => {
      const x = tf.tensor4d(this.pixels.subarray(0, n * s * s), [n, s, s, 1]);
      const y = tf.tensor1d(this.labelBuf.subarray(0, n), 'int32');
      const mask = p > 0 ? tf.tensor2d(dropoutRows(config.training.seed, step, spec.hidden, p, 0, n), [n, spec.hidden]) : undefined;
      return this.descend(x, y, mask);
    });
    try {
      const [l, r] = await Promise.all([loss.data(), right.data()]).catch(deviceError);
      return { loss: l[0]!, right: r[0]! };
    } finally {
      tf.dispose([loss, right]);
    }
  }

  /** One SGD-momentum step on a prepared batch; returns the loss and right answers (on device). */
  descend(x: tf.Tensor4D, y: tf.Tensor1D, mask: tf.Tensor2D | undefined): [tf.Scalar, tf.Scalar] {
    return tf.tidy(() => {
      let right: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const logp = this.net.forward(x, mask);
        right = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logp, 1), y), 'int32'))) as tf.Scalar;
        const picked = tf.sum(tf.mul(logp, tf.oneHot(y, this.o.spec.numClasses)));
        return tf.div(tf.neg(picked), x.shape[0]) as tf.Scalar;
      }, this.net.variables());
      for (const name of PARAM_NAMES) {
        const param = this.net.params[name];
        const v = this.velocity[name];
        v.assign(tf.add(tf.mul(this.mu, v), grads[param.name]!));
        param.assign(tf.sub(param, tf.mul(this.lr, v)));
      }
      return [value, right!];
    });
  }

  async validate(): Promise<number> {
    const { validation } = this.o;
    const labels = tf.tensor1d(Int32Array.from(validation.labels), 'int32');
    try {
      let right = 0;
      for (let start = 0; start < validation.count; start += 1000) {
        const size = Math.min(1000, validation.count - start);
        const r = tf.tidy(() => {
          const pred = tf.argMax(this.net.forward(tf.slice(this.valX, [start, 0, 0, 0], [size, -1, -1, -1])), 1);
          return tf.sum(tf.cast(tf.equal(pred, tf.slice(labels, [start], [size])), 'int32'));
        });
        right += (await r.data().catch(deviceError))[0]!;
        r.dispose();
      }
      return right;
    } finally {
      labels.dispose();
    }
  }

  async weights(): Promise<Float32Array> {
    const values = {} as Record<ParamName, Float32Array>;
    for (const n of PARAM_NAMES) values[n] = (await this.net.params[n].data().catch(deviceError)) as Float32Array;
    return flattenValues(this.o.spec, values);
  }

  async allWeights(): Promise<Float32Array[]> {
    return [await this.weights()];
  }

  async dispose(): Promise<void> {
    tf.dispose([this.valX, this.lr, this.mu, ...Object.values(this.velocity)]);
    this.net.dispose();
  }
}
