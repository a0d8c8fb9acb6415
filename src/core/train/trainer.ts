import type { BackendOptions } from '../backends';
import { confusionMatrix, predictionsAsync } from '../analysis/classify';
import type { LabConfig } from '../config';
import type { LabData } from '../data/mnist';
import type { EpochEvent, KernelSnapshot, ProgressEvent } from '../events';
import { ConvNet, type ConvNetSpec, PARAM_NAMES, type ParamName } from '../model/convnet';
import { torchStateDictOf } from '../model/interchange';
import { Rng } from '../rng';
import { tf } from '../tf';
import { type ReplicaGroup, startReplicas } from './group';
import { flattenValues, unflattenValues } from './replica';
import { Schedule } from './schedule';

export interface TrainOptions {
  config: LabConfig;
  data: LabData;
  /** The network to train; it holds the final weights when train() resolves. */
  net: ConvNet;
  /** Stop after this many steps in all (e.g. a quick check); undefined = all epochs. */
  maxSteps?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  onEpoch?: (e: EpochEvent) => void;
  /** After every step (a progress bar); keep it cheap. */
  onStep?: (step: number, totalSteps: number, epoch: number) => void;
  /** Data-parallel replicas on worker threads; 1 (default) trains on this thread. */
  workers?: number;
  /** The backend the replicas use (worker threads select it themselves). */
  backend?: string;
  backendOptions?: BackendOptions;
  replicaScript?: string;
  /** Add the validation confusion matrix to every epoch event (one validation pass more per epoch). */
  epochConfusion?: boolean;
  /**
   * At each epoch end, before `onEpoch`, with `net` holding that epoch's weights (to read, not to
   * train: the replicas keep their own copy). What it returns rides on the epoch event (the layer
   * histograms: src/core/analysis/layerStats.ts).
   */
  onEpochEnd?: (epoch: number, net: ConvNet) => Promise<Pick<EpochEvent, 'histograms'>>;
}

export interface TrainResult {
  status: 'completed' | 'cancelled';
  steps: number;
  epochsCompleted: number;
  /** Validation accuracy of the final weights. */
  valAccuracy: number;
  record: [number, number][];
  seconds: number;
  workers: number;
}

export function kernelSnapshot(spec: ConvNetSpec, values: Record<ParamName, Float32Array>, epoch: number): KernelSnapshot {
  const sd = torchStateDictOf(spec, values);
  return {
    epoch,
    conv1: { shape: sd['conv1.weight'].shape, weight: Array.from(sd['conv1.weight'].data), bias: Array.from(sd['conv1.bias'].data) },
    conv2: { shape: sd['conv2.weight'].shape, weight: Array.from(sd['conv2.weight'].data), bias: Array.from(sd['conv2.bias'].data) },
  };
}

/** Puts flat weights into the net's variables. */
function loadInto(net: ConvNet, flat: Float32Array): void {
  const values = unflattenValues(net.spec, flat);
  tf.tidy(() => {
    for (const n of PARAM_NAMES) net.params[n].assign(tf.tensor(values[n], net.params[n].shape, 'float32'));
  });
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * The seed's training loop: shuffled batches, an SGD-momentum step each (or the configured
 * optimizer's, at the schedule's rate), every `evalEvery`
 * batches (from batch 0) a validation pass and a progress event with the seed's record entry,
 * a kernel snapshot at each epoch end. Resolves (never rejects) on cancellation, keeping what
 * was done; the final weights are put back into `opts.net`.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, data, net, signal } = opts;
  const { epochs, batchSize, seed, evalEvery } = config.training;
  const train = data.train;
  const batchesPerEpoch = Math.ceil(train.count / batchSize);
  const totalSteps = Math.min(epochs * batchesPerEpoch, opts.maxSteps ?? Infinity);
  const shuffleRng = new Rng(seed + 1);
  // The replicas follow the same schedule; this one says which rate each step used.
  const schedule = new Schedule(config.training, batchesPerEpoch);
  const group: ReplicaGroup = await startReplicas({
    spec: net.spec,
    initial: flattenValues(net.spec, net.values()),
    config,
    train,
    validation: data.validation,
    backend: opts.backend ?? tf.getBackend(),
    backendOptions: opts.backendOptions,
    workers: opts.workers ?? 1,
    replicaScript: opts.replicaScript,
  });
  const record: [number, number][] = [];
  const t0 = performance.now();
  let step = 0;
  let epochsCompleted = 0;
  let valAccuracy: number;
  let cancelled = false;
  const validate = async () => (await group.validate()) / data.validation.count;

  try {
    for (let epoch = 1; epoch <= epochs && step < totalSteps && !cancelled; epoch++) {
      const order = shuffleRng.permutation(train.count);
      let rightTotal = 0;
      let seen = 0;
      for (let b = 0; b < batchesPerEpoch && step < totalSteps; b++) {
        if (signal?.aborted) {
          cancelled = true;
          break;
        }
        const start = b * batchSize;
        const n = Math.min(batchSize, train.count - start);
        const { loss, right } = await group.step(order.subarray(start, start + n), step);
        rightTotal += right;
        seen += n;
        step++;
        if (b % evalEvery === 0) {
          if (!Number.isFinite(loss)) {
            throw new Error(`training diverged: loss is ${loss} at epoch ${epoch}, batch ${b} (lower training.learningRate)`);
          }
          const trainAccuracy = rightTotal / seen;
          valAccuracy = await validate();
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
            loss,
            trainAccuracy,
            valAccuracy,
            record: rec,
            seconds: (performance.now() - t0) / 1000,
            lr: schedule.at(step - 1).lr,
          });
        }
        opts.onStep?.(step, totalSteps, epoch);
        // Lets Ctrl-C / Stop (AbortSignal) and message handlers run between steps.
        await yieldToEventLoop();
      }
      if (cancelled || seen < train.count) break;
      epochsCompleted = epoch;
      if (opts.onEpoch || opts.onEpochEnd) {
        const flat = await group.weights();
        const values = unflattenValues(net.spec, flat);
        let valConfusion: number[][] | undefined;
        if (opts.epochConfusion || opts.onEpochEnd) loadInto(net, flat);
        const extra = (await opts.onEpochEnd?.(epoch, net)) ?? {};
        if (opts.epochConfusion) {
          valConfusion = confusionMatrix(data.validation.labels, await predictionsAsync(net, data.validation), net.spec.numClasses).counts;
        }
        opts.onEpoch?.({
          type: 'epoch',
          epoch,
          seconds: (performance.now() - t0) / 1000,
          snapshot: kernelSnapshot(net.spec, values, epoch),
          ...(valConfusion && { valConfusion }),
          ...extra,
        });
      }
    }
    valAccuracy = await validate();
    loadInto(net, await group.weights());
  } finally {
    await group.dispose();
  }
  return {
    status: cancelled ? 'cancelled' : 'completed',
    steps: step,
    epochsCompleted,
    valAccuracy,
    record,
    seconds: (performance.now() - t0) / 1000,
    workers: group.replicas,
  };
}
