import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type BackendOptions, readsSynchronously } from '../backends';
import type { LabConfig } from '../config';
import { LabError } from '../errors';
import { MAX_WORKERS } from '../protocol';
import type { ImageSet } from '../data/mnist';
import { imagesTensor } from '../analysis/evaluate';
import type { ConvNetSpec } from '../model/convnet';
import { tf } from '../tf';
import { DeviceGroup } from './deviceGroup';
import { type KernelVariant, kernelVariant } from './convKernel';
import { type MemoryOffsets, Replica, ReplicaMemory, type ShardResult, paramLayout, replicaWorkFloats } from './replica';
import { Arena } from './sgdKernel';
import { Schedule } from './schedule';

/** Batches per epoch of a run (the last one may be short): what the schedules count steps in. */
export function stepsPerEpochOf(o: Pick<GroupOptions, 'config' | 'train'>): number {
  return Math.ceil(o.train.count / o.config.training.batchSize);
}

/** What the training loop needs from its replicas, however many and wherever they run. */
export interface ReplicaGroup {
  readonly replicas: number;
  /** One SGD step on the batch `indices` (positions in the training set). */
  step(indices: Uint32Array, step: number): Promise<{ loss: number; right: number }>;
  /** Right answers on the whole validation split. */
  validate(): Promise<number>;
  /** The current weights (flat layout); every replica holds the same. */
  weights(): Promise<Float32Array>;
  /** Every replica's weights (to check that they do not drift apart). */
  allWeights(): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface GroupOptions {
  spec: ConvNetSpec;
  initial: Float32Array;
  config: LabConfig;
  train: ImageSet;
  validation: ImageSet;
  backend: string;
  backendOptions?: BackendOptions;
  /** Replicas (worker threads); 1 trains on the calling thread. */
  workers: number;
  /** The bundled replica worker script (default: replica-worker.js beside this bundle). */
  replicaScript?: string;
}

/** Sizes of the contiguous shards of n items over r replicas (first ones one larger). */
export function shardSizes(n: number, r: number): number[] {
  return Array.from({ length: r }, (_, i) => Math.floor(n / r) + (i < n % r ? 1 : 0));
}

export { MAX_WORKERS };

/** One replica per core, at most MAX_WORKERS. */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
}

/** Refuses a replica count the shared buffers must not grow to (each replica holds 4 parameter copies). */
export function checkWorkers(workers: number, source = 'workers'): number {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new LabError(`${source}: data-parallel replicas must be a whole number 1..${MAX_WORKERS}, got ${String(workers).slice(0, 40)}`, {
      field: source,
    });
  }
  return workers;
}

/** One replica on the calling thread: no copies, no messages. */
class LocalGroup implements ReplicaGroup {
  readonly replicas = 1;
  private readonly replica: Replica;
  private readonly grads: Float32Array;
  private readonly schedule: Schedule;
  private valX: tf.Tensor4D | null = null;
  constructor(private readonly o: GroupOptions) {
    this.replica = new Replica(o.spec, o.initial, o.config.training, undefined, true);
    this.grads = this.replica.gradientBuffer();
    this.schedule = new Schedule(o.config.training, stepsPerEpochOf(o));
  }
  async step(indices: Uint32Array, step: number) {
    const r = this.replica.gradients(this.o.train, indices, step, 0, this.grads, this.o.config.model.dropout);
    this.replica.apply([this.grads], [1], this.schedule.at(step));
    return { loss: r.loss, right: r.right };
  }
  async validate() {
    return this.replica.correct(this.o.validation, () => (this.valX ??= imagesTensor(this.o.validation)), 0, this.o.validation.count);
  }
  async weights() {
    return this.replica.values();
  }
  async allWeights() {
    return [this.replica.values()];
  }
  async dispose() {
    this.valX?.dispose();
    this.replica.dispose();
  }
}

/** Messages between the coordinator and a replica thread (src/core/train/replicaWorker.ts). */
export type ToReplica =
  | { type: 'step'; step: number; slot: number; batch: number; row: number; n: number }
  | { type: 'validate'; start: number; count: number }
  | { type: 'weights' }
  | { type: 'exit' };
export type FromReplica =
  | { type: 'ready' }
  | ({ type: 'stepped' } & ShardResult)
  | { type: 'validated'; right: number }
  | { type: 'weights'; values: Float32Array }
  | { type: 'error'; message: string };

export interface ReplicaInit {
  index: number;
  replicas: number;
  spec: ConvNetSpec;
  initial: Float32Array;
  config: LabConfig;
  backend: string;
  backendOptions?: BackendOptions;
  train: ImageSet;
  validation: ImageSet;
  /** The current epoch's batch order (shared; the coordinator writes it each epoch). */
  order: Int32Array;
  /** The kernels' build every replica uses (the coordinator's choice: replicas must round alike). */
  kernel: KernelVariant;
  /**
   * One shared WebAssembly memory (for the SIMD update) holding the gradients, [2 slots]
   * [replicas][params] (double-buffered by step parity) at byte offset `gradsOffset`, and each
   * replica's weights, velocity and scratch sum at `memoryOffsets[index]`.
   */
  memory: WebAssembly.Memory;
  gradsOffset: number;
  memoryOffsets: MemoryOffsets[];
  /** Shard sizes of the pending step per slot, [2][replicas], to weight the average. */
  counts: Int32Array;
}

function toShared(set: ImageSet): ImageSet {
  const images = new Uint8Array(new SharedArrayBuffer(set.images.length));
  images.set(set.images);
  const labels = new Uint8Array(new SharedArrayBuffer(set.labels.length));
  labels.set(set.labels);
  return { ...set, images, labels };
}

/**
 * Replicas on worker threads. Each step: every replica computes the gradients of its shard
 * into shared memory (not messages); the next command makes each replica first average all
 * shards of that step (in replica order, so identically everywhere) and apply the update.
 */
class ThreadGroup implements ReplicaGroup {
  private readonly workers: Worker[] = [];
  /** Each worker's end, watched from its start: a worker may have exited before dispose(). */
  private readonly exited: Promise<unknown>[] = [];
  private readonly order: Int32Array;
  private readonly counts: Int32Array;
  private failure: Error | null = null;
  private readonly waiting = new Map<Worker, { resolve: (m: FromReplica) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly o: GroupOptions,
    readonly replicas: number,
  ) {
    this.order = new Int32Array(new SharedArrayBuffer(4 * o.config.training.batchSize));
    this.counts = new Int32Array(new SharedArrayBuffer(4 * 2 * replicas));
  }

  static async start(o: GroupOptions): Promise<ThreadGroup> {
    const g = new ThreadGroup(o, o.workers);
    const { total } = paramLayout(o.spec);
    // Each replica's work region holds the WebAssembly step's data for a shard of the batch.
    const shard = shardSizes(o.config.training.batchSize, g.replicas)[0]!;
    const work = replicaWorkFloats(o.spec, shard);
    const arena = new Arena(Arena.floatsFor([2 * g.replicas * total, ...ReplicaMemory.floats(total, work, g.replicas)]), true);
    const grads = arena.alloc(2 * g.replicas * total);
    const memoryOffsets = Array.from({ length: g.replicas }, () => ReplicaMemory.alloc(arena, total, work, shard).offsets());
    const train = toShared(o.train);
    const validation = toShared(o.validation);
    const script = o.replicaScript ?? join(__dirname, 'replica-worker.js');
    const kernel = kernelVariant();
    for (let index = 0; index < g.replicas; index++) {
      const init: ReplicaInit = {
        index,
        replicas: g.replicas,
        spec: o.spec,
        initial: o.initial,
        config: o.config,
        backend: o.backend,
        backendOptions: o.backendOptions,
        train,
        validation,
        order: g.order,
        kernel,
        counts: g.counts,
        memory: arena.memory,
        gradsOffset: grads.byteOffset,
        memoryOffsets,
      };
      const w = new Worker(script, { workerData: init });
      g.exited.push(new Promise((r) => w.once('exit', r)));
      w.on('message', (m: FromReplica) => {
        const pending = g.waiting.get(w);
        g.waiting.delete(w);
        if (m.type === 'error') pending?.reject(new Error(m.message));
        else pending?.resolve(m);
      });
      const fail = (e: Error) => {
        g.failure ??= e;
        g.waiting.get(w)?.reject(e);
        g.waiting.delete(w);
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`replica ${index} exited (code ${code})`)));
      g.workers.push(w);
    }
    try {
      await Promise.all(g.workers.map((w) => g.expect(w)));
    } catch (e) {
      await g.dispose();
      throw e;
    }
    return g;
  }

  private expect(w: Worker): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.set(w, { resolve, reject }));
  }

  private async all(msg: (i: number) => ToReplica | null): Promise<FromReplica[]> {
    const replies: Promise<FromReplica>[] = [];
    this.workers.forEach((w, i) => {
      const m = msg(i);
      if (!m) return;
      const p = this.expect(w);
      w.postMessage(m);
      replies.push(p);
    });
    return Promise.all(replies);
  }

  async step(indices: Uint32Array, step: number) {
    const n = indices.length;
    this.order.set(indices);
    const sizes = shardSizes(n, this.replicas);
    const slot = step % 2;
    let row = 0;
    const rows = sizes.map((s) => ((row += s), row - s));
    sizes.forEach((s, i) => (this.counts[slot * this.replicas + i] = s));
    const replies = (await this.all((i) => ({ type: 'step', step, slot, batch: n, row: rows[i]!, n: sizes[i]! }))) as (FromReplica & {
      type: 'stepped';
    })[];
    let loss = 0;
    let right = 0;
    for (const r of replies) {
      loss += (r.loss * r.n) / n;
      right += r.right;
    }
    return { loss, right };
  }

  async validate() {
    const sizes = shardSizes(this.o.validation.count, this.replicas);
    let start = 0;
    const starts = sizes.map((s) => ((start += s), start - s));
    const replies = (await this.all((i) =>
      sizes[i] ? { type: 'validate', start: starts[i]!, count: sizes[i]! } : null,
    )) as (FromReplica & { type: 'validated' })[];
    return replies.reduce((a, r) => a + r.right, 0);
  }

  async weights() {
    const [w] = (await this.all((i) => (i === 0 ? { type: 'weights' } : null))) as (FromReplica & { type: 'weights' })[];
    return w!.values;
  }

  async allWeights() {
    const replies = (await this.all(() => ({ type: 'weights' }))) as (FromReplica & { type: 'weights' })[];
    return replies.map((r) => r.values);
  }

  async dispose() {
    await Promise.all(
      this.workers.map(async (w, i) => {
        w.postMessage({ type: 'exit' } satisfies ToReplica);
        const t = setTimeout(() => void w.terminate(), 2000);
        await this.exited[i];
        clearTimeout(t);
      }),
    );
  }
}

export async function startReplicas(o: GroupOptions): Promise<ReplicaGroup> {
  // GPU backends (webgpu) keep the whole step on the device and cannot read synchronously.
  if (!readsSynchronously()) return new DeviceGroup(o);
  if (o.workers <= 1) return new LocalGroup(o);
  checkWorkers(o.workers);
  return ThreadGroup.start(o);
}
