import type { LabConfig } from '../config';
import { type LabData, gatherImages } from '../data/mnist';
import { evaluateTensor, imagesTensor } from '../evaluate';
import type { EpochEvent, KernelSnapshot, ProgressEvent } from '../events';
import { ConvNet, type ParamName, PARAM_NAMES } from '../model/convnet';
import { toTorchStateDict } from '../model/interchange';
import { Rng } from '../rng';
import { tf } from '../tf';

export interface TrainOptions {
  config: LabConfig;
  data: LabData;
  net: ConvNet;
  /** Stop after this many steps in all (e.g. a quick check); undefined = all epochs. */
  maxSteps?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  onEpoch?: (e: EpochEvent) => void;
  /** After every step (a progress bar); keep it cheap. */
  onStep?: (step: number, totalSteps: number, epoch: number) => void;
  /** Images per forward pass when evaluating the validation split. */
  evalBatchSize?: number;
}

export interface TrainResult {
  status: 'completed' | 'cancelled';
  steps: number;
  epochsCompleted: number;
  /** Validation accuracy of the final weights. */
  valAccuracy: number;
  record: [number, number][];
  seconds: number;
}

/** PyTorch's SGD with momentum (no dampening, no Nesterov): v = μv + g; p -= lr·v. */
export class SgdMomentum {
  private readonly velocity: Record<ParamName, tf.Variable>;
  constructor(
    private readonly net: ConvNet,
    readonly lr: number,
    readonly momentum: number,
  ) {
    this.velocity = {} as Record<ParamName, tf.Variable>;
    for (const n of PARAM_NAMES) this.velocity[n] = tf.tidy(() => tf.variable(tf.zerosLike(net.params[n]), false));
  }
  apply(grads: Record<string, tf.Tensor>): void {
    tf.tidy(() => {
      for (const n of PARAM_NAMES) {
        const p = this.net.params[n];
        const v = this.velocity[n];
        v.assign(tf.add(tf.mul(v, this.momentum), grads[p.name]!));
        p.assign(tf.sub(p, tf.mul(v, this.lr)));
      }
    });
  }
  dispose(): void {
    for (const n of PARAM_NAMES) this.velocity[n].dispose();
  }
}

/** The scaled dropout keep-mask F.dropout would draw: 0 or 1/(1-p). */
function dropoutMask(rng: Rng, rows: number, cols: number, p: number): tf.Tensor2D {
  const keep = 1 / (1 - p);
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < p ? 0 : keep;
  return tf.tensor2d(m, [rows, cols]);
}

/**
 * One SGD step on a batch: forward (train mode), NLL of the log-probabilities (what
 * CrossEntropyLoss computes on log_softmax output), backward, momentum update.
 * Returns the loss and the number of right answers as tensors (read only when needed).
 */
export function trainStep(
  net: ConvNet,
  opt: SgdMomentum,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  mask: tf.Tensor2D | undefined,
): { loss: tf.Scalar; right: tf.Scalar } {
  let right: tf.Scalar | undefined;
  const n = x.shape[0];
  const { value, grads } = tf.variableGrads(() => {
    const logp = net.forward(x, mask);
    right = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logp, 1), labels), 'int32'))) as tf.Scalar;
    const picked = tf.sum(tf.mul(logp, tf.oneHot(labels, net.spec.numClasses)));
    return tf.div(tf.neg(picked), n) as tf.Scalar;
  }, net.variables());
  opt.apply(grads);
  tf.dispose(Object.values(grads));
  return { loss: value, right: right! };
}

export function kernelSnapshot(net: ConvNet, epoch: number): KernelSnapshot {
  const sd = toTorchStateDict(net);
  return {
    epoch,
    conv1: { shape: sd['conv1.weight'].shape, weight: Array.from(sd['conv1.weight'].data), bias: Array.from(sd['conv1.bias'].data) },
    conv2: { shape: sd['conv2.weight'].shape, weight: Array.from(sd['conv2.weight'].data), bias: Array.from(sd['conv2.bias'].data) },
  };
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** The seed's training loop. Resolves (never rejects) on cancellation, keeping what was done. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, data, net, signal } = opts;
  const { epochs, batchSize, learningRate, momentum, seed, evalEvery } = config.training;
  const train = data.train;
  const px = train.height * train.width;
  const batchesPerEpoch = Math.ceil(train.count / batchSize);
  const totalSteps = Math.min(epochs * batchesPerEpoch, opts.maxSteps ?? Infinity);
  const shuffleRng = new Rng(seed + 1);
  const dropoutRng = new Rng(seed + 2);
  const opt = new SgdMomentum(net, learningRate, momentum);
  const valX = imagesTensor(data.validation);
  const batchPixels = new Float32Array(batchSize * px);
  const batchLabels = new Int32Array(batchSize);
  const record: [number, number][] = [];
  const t0 = performance.now();
  let step = 0;
  let epochsCompleted = 0;
  let valAccuracy = NaN;
  let cancelled = false;
  const validate = () => evaluateTensor(net, valX, data.validation.labels, opts.evalBatchSize ?? 1000).accuracy;

  try {
    for (let epoch = 1; epoch <= epochs && step < totalSteps && !cancelled; epoch++) {
      const order = shuffleRng.permutation(train.count);
      let rightTotal = tf.scalar(0, 'int32');
      let seen = 0;
      for (let b = 0; b < batchesPerEpoch && step < totalSteps; b++) {
        if (signal?.aborted) {
          cancelled = true;
          break;
        }
        const start = b * batchSize;
        const n = Math.min(batchSize, train.count - start);
        const idx = order.subarray(start, start + n);
        gatherImages(train, idx, batchPixels);
        for (let k = 0; k < n; k++) batchLabels[k] = train.labels[idx[k]!]!;
        const x = tf.tensor4d(batchPixels.subarray(0, n * px), [n, train.height, train.width, 1]);
        const y = tf.tensor1d(batchLabels.subarray(0, n), 'int32');
        const mask = config.model.dropout > 0 ? dropoutMask(dropoutRng, n, config.model.hidden, config.model.dropout) : undefined;
        const { loss, right } = trainStep(net, opt, x, y, mask);
        tf.dispose([x, y, mask]);
        const nextTotal = tf.add(rightTotal, right) as tf.Scalar;
        tf.dispose([rightTotal, right]);
        rightTotal = nextTotal;
        seen += n;
        step++;
        if (b % evalEvery === 0) {
          const lossValue = loss.dataSync()[0]!;
          if (!Number.isFinite(lossValue)) {
            loss.dispose();
            rightTotal.dispose();
            throw new Error(`training diverged: loss is ${lossValue} at epoch ${epoch}, batch ${b} (lower training.learningRate)`);
          }
          const trainAccuracy = rightTotal.dataSync()[0]! / seen;
          valAccuracy = validate();
          const rec: [number, number] = [100 - 100 * trainAccuracy, 100 - 100 * valAccuracy];
          record.push(rec);
          opts.onProgress?.({
            type: 'progress',
            epoch,
            batch: b,
            step,
            totalSteps,
            samples: start + n,
            trainSize: train.count,
            percent: (100 * (start + n)) / train.count,
            loss: lossValue,
            trainAccuracy,
            valAccuracy,
            record: rec,
            seconds: (performance.now() - t0) / 1000,
          });
        }
        loss.dispose();
        opts.onStep?.(step, totalSteps, epoch);
        // Lets Ctrl-C / Stop (AbortSignal) and message handlers run between steps.
        await yieldToEventLoop();
      }
      rightTotal.dispose();
      if (cancelled || seen < train.count) break;
      epochsCompleted = epoch;
      opts.onEpoch?.({ type: 'epoch', epoch, seconds: (performance.now() - t0) / 1000, snapshot: kernelSnapshot(net, epoch) });
    }
    valAccuracy = validate();
  } finally {
    valX.dispose();
    opt.dispose();
  }
  return {
    status: cancelled ? 'cancelled' : 'completed',
    steps: step,
    epochsCompleted,
    valAccuracy,
    record,
    seconds: (performance.now() - t0) / 1000,
  };
}
