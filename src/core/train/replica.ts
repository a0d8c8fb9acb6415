import type { LabConfig } from '../config';
import { type ImageSet, gatherImages } from '../data/mnist';
import { ConvNet, type ConvNetSpec, PARAM_NAMES, type ParamName, paramShapes } from '../model/convnet';
import { storageView } from '../backends/memory';
import { evaluateTensor } from '../analysis/evaluate';
import { Rng, rowSeed } from '../rng';
import { ManualStep, manualStepSupported, transposeFc1 } from './manualStep';
import { ConvKernel, type KernelVariant, convKernelEnabled, convKernelFloats, convKernelSupports, kernelVariant } from './convKernel';
import { Arena, SgdKernel } from './sgdKernel';
import { augmentBatch, augments } from './augment';
import { OptimizerState, type OptimizerTraining, isPlainSgd } from './optimizer';
import type { StepHyper } from './schedule';
import { tf } from '../tf';

/** Offsets of each parameter in the flat vector (PARAM_NAMES order, internal layouts). */
export function paramLayout(spec: ConvNetSpec): { offsets: Record<ParamName, number>; total: number } {
  const shapes = paramShapes(spec);
  const offsets = {} as Record<ParamName, number>;
  let total = 0;
  for (const n of PARAM_NAMES) {
    offsets[n] = total;
    total += shapes[n].reduce((a, b) => a * b, 1);
  }
  return { offsets, total };
}

export function flattenValues(spec: ConvNetSpec, values: Record<ParamName, Float32Array>): Float32Array {
  const { offsets, total } = paramLayout(spec);
  const flat = new Float32Array(total);
  for (const n of PARAM_NAMES) flat.set(values[n], offsets[n]);
  return flat;
}

export function unflattenValues(spec: ConvNetSpec, flat: Float32Array): Record<ParamName, Float32Array> {
  const { offsets } = paramLayout(spec);
  const shapes = paramShapes(spec);
  const out = {} as Record<ParamName, Float32Array>;
  for (const n of PARAM_NAMES) out[n] = flat.slice(offsets[n], offsets[n] + shapes[n].reduce((a, b) => a * b, 1));
  return out;
}

/**
 * The dropout keep-mask of a whole batch for one step ([n, hidden], 0 or 1/(1-p), as F.dropout
 * draws it), rows [from, to) of it: each row from its own seeded stream, so the masks are the
 * same whatever the number of replicas and no replica draws rows it does not use.
 */
export function dropoutRows(
  seed: number,
  step: number,
  hidden: number,
  p: number,
  from: number,
  to: number,
  out?: Float32Array,
): Float32Array {
  const keep = 1 / (1 - p);
  const m = out ?? new Float32Array((to - from) * hidden);
  for (let r = from; r < to; r++) {
    const rng = new Rng(rowSeed(seed, step, r));
    const o = (r - from) * hidden;
    for (let j = 0; j < hidden; j++) m[o + j] = rng.next() < p ? 0 : keep;
  }
  return m;
}

export interface ShardResult {
  /** Mean loss over the shard. */
  loss: number;
  /** Right answers in the shard. */
  right: number;
  n: number;
}

/**
 * One copy of the network that computes gradients on its share of a batch and applies an
 * averaged gradient with PyTorch's SGD-momentum (v = μv + g; p −= lr·v, in float32 as PyTorch
 * rounds), or with the configured torch.optim optimizer (optimizer.ts). Every replica applies
 * the identical update to identical weights, so replicas stay identical: data parallelism is then the same algorithm as one batch.
 */
export class Replica {
  private readonly network: ConvNet;
  /** The tfjs variables lag behind `weights` (the kernel step does not need them). */
  private stale = false;
  readonly size: number;
  private readonly weights: Float32Array;
  private readonly velocity: Float32Array;
  private readonly offsets: Record<ParamName, number>;
  private readonly shapes: Record<ParamName, number[]>;
  private readonly sizes: Record<ParamName, number>;
  private readonly pixels: Float32Array;
  private readonly labelBuf: Int32Array;
  /** One image, for the augmentation's transforms. */
  private readonly scratch: Float32Array;
  private readonly sum: Float32Array;
  private readonly sgd: SgdKernel;
  /** The optimizer other than the seed's plain SGD-momentum; null: the SIMD kernel's update. */
  private readonly optimizer: OptimizerState | null;
  readonly arena: Arena;
  private readonly manual: ManualStep;
  /** The WebAssembly step (wasm backend, shapes it covers), else null: the tfjs manual step. */
  private readonly kernel: ConvKernel | null;
  /** Gradients land here when the caller's buffer is not in the kernel's memory. */
  private readonly kernelGrads: Float32Array | null;
  /** fc1's weights transposed, for the manual step's forward pass (wasm/cpu only). */
  private fc1T: tf.Tensor | null = null;
  private fc1TValues: Float32Array | null = null;

  constructor(
    readonly spec: ConvNetSpec,
    initial: Float32Array,
    readonly training: Pick<LabConfig['training'], 'learningRate' | 'momentum' | 'seed' | 'batchSize' | 'augment'> &
      Partial<OptimizerTraining>,
    /**
     * Where the weights, the velocity and a scratch sum live (views of one WebAssembly memory,
     * for the SIMD update; the gradients applied should live there too). Default: a memory of
     * this replica's own, with room for one gradient buffer (`gradientBuffer`).
     */
    memory?: ReplicaMemory,
    /**
     * With the kernels, put new weights into the tfjs variables only when `net` is next read
     * (the groups: their kernel steps never read it), not after every update (≈ 0.1 ms).
     */
    private readonly lazyNet = false,
    /** The WebAssembly kernels' build (a replica thread: its coordinator's choice). */
    kernel: KernelVariant = kernelVariant(),
  ) {
    const layout = paramLayout(spec);
    if (initial.length !== layout.total) throw new Error(`replica: ${initial.length} initial values, the network has ${layout.total}`);
    this.size = layout.total;
    this.offsets = layout.offsets;
    this.shapes = paramShapes(spec);
    this.sizes = Object.fromEntries(PARAM_NAMES.map((n) => [n, this.shapes[n].reduce((a, b) => a * b, 1)])) as Record<ParamName, number>;
    const P = layout.total;
    const m = memory ?? ReplicaMemory.own(P, replicaWorkFloats(spec, training.batchSize), training.batchSize);
    this.arena = m.arena;
    [this.weights, this.velocity, this.sum] = [m.weights, m.velocity, m.sum];
    m.second.fill(0);
    this.weights.set(initial);
    this.velocity.fill(0);
    this.sgd = new SgdKernel(this.arena);
    this.optimizer = isPlainSgd(training)
      ? null
      : new OptimizerState(
          {
            optimizer: training.optimizer ?? 'sgd',
            nesterov: training.nesterov ?? false,
            weightDecay: training.weightDecay ?? null,
            betas: training.betas ?? [0.9, 0.999],
            eps: training.eps ?? 1e-8,
          },
          this.velocity,
          m.second,
          this.sgd,
          m.sum,
        );
    this.network = ConvNet.fromValues(spec, unflattenValues(spec, this.weights));
    const px = spec.imageSize * spec.imageSize;
    this.pixels = new Float32Array(training.batchSize * px);
    this.labelBuf = new Int32Array(training.batchSize);
    this.scratch = new Float32Array(px);
    this.manual = new ManualStep(spec);
    const capacity = m.capacity;
    const kernelFloats = replicaWorkFloats(spec, capacity);
    if (kernelFloats > 0 && m.work.length >= kernelFloats && this.arena.shared && tf.getBackend() === 'wasm') {
      this.kernelGrads = m.work.subarray(0, P);
      this.kernel = new ConvKernel(this.arena.memory, m.work.subarray(Math.ceil(P / 4) * 4), spec, capacity, kernel);
    } else {
      this.kernel = null;
      this.kernelGrads = null;
    }
  }

  /** Whether this replica's steps run the WebAssembly kernels. */
  get usesKernel(): boolean {
    return this.kernel !== null;
  }

  /** The kernels' build this replica runs, or null (the tfjs step). */
  get kernelVariant(): KernelVariant | null {
    return this.kernel?.variant ?? null;
  }

  /** The network, its variables holding the current weights. */
  get net(): ConvNet {
    if (this.stale) this.syncNet();
    return this.network;
  }

  /** New tensors from `weights` (not writes in place: wasm's XNNPACK caches packed weights per tensor). */
  private syncNet(): void {
    // wasm copies the values into its heap; the cpu backend keeps the very array it is given, so
    // it gets a copy (a copy per step on wasm would be 0.8 MB of garbage per step for nothing).
    const aliases = tf.getBackend() !== 'wasm';
    const p = this.weights;
    tf.tidy(() => {
      for (const name of PARAM_NAMES) {
        const off = this.offsets[name];
        const values = aliases ? p.slice(off, off + this.sizes[name]) : p.subarray(off, off + this.sizes[name]);
        this.network.params[name].assign(tf.tensor(values, this.shapes[name], 'float32'));
      }
    });
    this.stale = false;
  }

  /** The kernel step on the images already in `kernel.pixels` (and its mask), into `out`. */
  private kernelStep(kernel: ConvKernel, labels: ArrayLike<number>, n: number, masked: boolean, out: Float32Array): ShardResult {
    const inMemory = out.buffer === this.arena.memory.buffer;
    const target = inMemory ? out : this.kernelGrads!;
    const r = kernel.gradients(this.weights, labels, n, masked, target);
    if (!inMemory) out.set(target);
    return { ...r, n };
  }

  /**
   * Gradients of the mean loss over images `indices` of `set` (rows [row, row+n) of the step's
   * batch, for the dropout mask and the augmentation), written into `out` (flat layout).
   */
  gradients(set: ImageSet, indices: ArrayLike<number>, step: number, row: number, out: Float32Array, dropout: number): ShardResult {
    const n = indices.length;
    const s = this.spec.imageSize;
    const kernel = this.kernel;
    const augment = this.training.augment;
    if (kernel && n <= kernel.capacity && n > 0) {
      gatherImages(set, indices, kernel.pixels);
      if (augments(augment)) augmentBatch(augment, this.training.seed, step, row, kernel.pixels, n, s, this.scratch);
      for (let k = 0; k < n; k++) this.labelBuf[k] = set.labels[indices[k]!]!;
      if (dropout > 0) kernel.dropoutMask(this.training.seed, step, dropout, row, row + n);
      return this.kernelStep(kernel, this.labelBuf, n, dropout > 0, out);
    }
    gatherImages(set, indices, this.pixels);
    if (augments(augment)) augmentBatch(augment, this.training.seed, step, row, this.pixels, n, s, this.scratch);
    for (let k = 0; k < n; k++) this.labelBuf[k] = set.labels[indices[k]!]!;
    const maskValues = dropout > 0 ? dropoutRows(this.training.seed, step, this.spec.hidden, dropout, row, row + n) : undefined;
    const pixels = this.pixels.subarray(0, n * s * s);
    const labels = this.labelBuf.subarray(0, n);
    if (manualStepSupported()) return { ...this.manual.gradients(this.stepParams(), pixels, labels, maskValues, out), n };
    const x = tf.tensor4d(pixels, [n, s, s, 1]);
    const y = tf.tensor1d(labels, 'int32');
    const mask = maskValues ? tf.tensor2d(maskValues, [n, this.spec.hidden]) : undefined;
    try {
      return this.autodiffGradients(x, y, mask, out);
    } finally {
      tf.dispose([x, y, mask]);
    }
  }

  private stepParams() {
    if (!this.fc1T) {
      const [F, H] = this.shapes['fc1.weight'] as [number, number];
      // wasm copies the values into its heap, so one buffer serves every step; the cpu backend
      // keeps the very array, so it gets a new one.
      const buf = tf.getBackend() === 'wasm' ? (this.fc1TValues ??= new Float32Array(F * H)) : new Float32Array(F * H);
      this.fc1T = tf.tensor(transposeFc1(this.weights, this.offsets['fc1.weight'], F, H, buf), [H, F], 'float32');
    }
    return { tensors: this.net.params, values: this.weights, offsets: this.offsets, fc1T: this.fc1T };
  }

  /** Gradients of the mean NLL of the log-probabilities for a prepared batch. */
  gradientsOf(x: tf.Tensor4D, y: tf.Tensor1D, mask: tf.Tensor2D | undefined, out: Float32Array): ShardResult {
    if (!manualStepSupported()) return this.autodiffGradients(x, y, mask, out);
    const pixels = x.dataSync() as Float32Array;
    const labels = y.dataSync() as Int32Array;
    const m = mask ? (mask.dataSync() as Float32Array) : undefined;
    const n = x.shape[0];
    if (this.kernel && n <= this.kernel.capacity && n > 0) {
      this.kernel.pixels.set(pixels);
      if (m) this.kernel.mask.set(m);
      return this.kernelStep(this.kernel, labels, n, m !== undefined, out);
    }
    return { ...this.manual.gradients(this.stepParams(), pixels, labels, m, out), n: x.shape[0] };
  }

  /** The same gradients by TensorFlow.js's automatic differentiation (GPU backends; tests). */
  autodiffGradients(x: tf.Tensor4D, y: tf.Tensor1D, mask: tf.Tensor2D | undefined, out: Float32Array): ShardResult {
    const n = x.shape[0];
    let right = 0;
    const { value, grads } = tf.variableGrads(() => {
      const logp = this.net.forward(x, mask);
      right = tf.sum(tf.cast(tf.equal(tf.argMax(logp, 1), y), 'int32')).dataSync()[0]!;
      const picked = tf.sum(tf.mul(logp, tf.oneHot(y, this.spec.numClasses)));
      return tf.div(tf.neg(picked), n) as tf.Scalar;
    }, this.net.variables());
    for (const name of PARAM_NAMES) {
      const g = grads[this.net.params[name].name]!;
      out.set(storageView(g) ?? (g.dataSync() as Float32Array), this.offsets[name]);
    }
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, right, n };
  }

  /**
   * Applies Σ weights[r]·grads[r] (summed in replica order) with SGD-momentum: the SIMD kernel
   * when the gradients live in this replica's memory, else the same arithmetic in JavaScript;
   * with another optimizer, its update (optimizer.ts) on the sum. `hyper`: the step's learning
   * rate and momentum (a schedule's); default the config's.
   */
  apply(grads: Float32Array[], weights: number[], hyper?: StepHyper): void {
    const lr = Math.fround(hyper?.lr ?? this.training.learningRate);
    const mu = Math.fround(hyper?.momentum ?? this.training.momentum);
    const p = this.weights;
    const v = this.velocity;
    if (this.optimizer) {
      const f = Math.fround;
      const single = grads.length === 1 && weights[0] === 1;
      let g = grads[0]!;
      if (!single) {
        g = this.sum;
        if (!this.sgd.sum(grads, weights, g)) {
          g.fill(0);
          for (let r = 0; r < grads.length; r++) {
            const w = f(weights[r]!);
            const gr = grads[r]!;
            for (let i = 0; i < g.length; i++) g[i] = f(g[i]! + f(w * gr[i]!));
          }
        }
      }
      this.optimizer.step(
        p,
        g,
        hyper ?? { lr: this.training.learningRate, momentum: this.training.momentum, beta1: this.training.betas?.[0] ?? 0.9 },
      );
    } else if (!this.sgd.update(p, v, grads, weights, lr, mu, this.sum)) {
      const f = Math.fround;
      const len = p.length;
      const single = grads.length === 1 && weights[0] === 1;
      for (let i = 0; i < len; i++) {
        let s = single ? grads[0]![i]! : 0;
        if (!single) for (let r = 0; r < grads.length; r++) s = f(s + f(f(weights[r]!) * grads[r]![i]!));
        const vi = f(f(mu * v[i]!) + s);
        v[i] = vi;
        p[i] = f(p[i]! - f(lr * vi));
      }
    }
    // The tfjs variables follow when next needed (at once for the tfjs step).
    this.stale = true;
    if (!this.kernel || !this.lazyNet) this.syncNet();
    this.fc1T?.dispose();
    this.fc1T = null; // made again, from the new weights, by the next manual step
  }

  /** A gradient buffer in this replica's own memory (once; for a replica with its default memory). */
  gradientBuffer(): Float32Array {
    return this.arena.alloc(this.size);
  }

  /**
   * Right answers on images [start, start+count) of `set` (eval mode): with the kernels in
   * batches of their capacity, else with tfjs on `tensor()` (all of `set`'s images).
   */
  correct(set: ImageSet, tensor: () => tf.Tensor4D, start: number, count: number): number {
    const kernel = this.kernel;
    if (!kernel) return evaluateTensor(this.net, tensor(), set.labels, 1000, start, count).correct;
    const predicted = new Uint8Array(kernel.capacity);
    const indices = new Uint32Array(kernel.capacity);
    let right = 0;
    for (let at = start; at < start + count; at += kernel.capacity) {
      const n = Math.min(kernel.capacity, start + count - at);
      for (let i = 0; i < n; i++) indices[i] = at + i;
      gatherImages(set, indices.subarray(0, n), kernel.pixels);
      kernel.predict(this.weights, n, predicted);
      for (let i = 0; i < n; i++) if (predicted[i] === set.labels[at + i]) right++;
    }
    return right;
  }

  /** The weights the network computes with (flat layout): read back from its variables, or, with the kernels, the weights themselves. */
  values(): Float32Array {
    if (this.kernel) return this.weights.slice();
    return flattenValues(this.spec, this.net.values());
  }

  dispose(): void {
    this.fc1T?.dispose();
    this.network.dispose();
  }
}

/**
 * Floats of a replica's work region for the WebAssembly step with shards of up to `capacity`
 * images (a gradient buffer and the kernels' own region); 0 when the kernels are off or do not
 * cover the shape.
 */
export function replicaWorkFloats(spec: ConvNetSpec, capacity: number): number {
  if (!convKernelEnabled() || !convKernelSupports(spec) || capacity < 1) return 0;
  return Math.ceil(paramLayout(spec).total / 4) * 4 + convKernelFloats(spec, capacity);
}

/** Byte offsets of weights, velocity, sum, second moment and work region, the work region's floats, its capacity in images. */
export type MemoryOffsets = [number, number, number, number, number, number, number];

/**
 * A replica's weights, velocity (Adam: exp_avg), scratch sum, second moment (Adam's exp_avg_sq)
 * and work region (kernels): views of one Arena's memory.
 */
export class ReplicaMemory {
  constructor(
    readonly arena: Arena,
    readonly weights: Float32Array,
    readonly velocity: Float32Array,
    readonly sum: Float32Array,
    readonly second: Float32Array,
    readonly work: Float32Array,
    /** Images per step the work region has room for. */
    readonly capacity: number,
  ) {}

  /** Allocates the regions in `arena`. */
  static alloc(arena: Arena, size: number, workFloats = 0, capacity = 0): ReplicaMemory {
    return new ReplicaMemory(
      arena,
      arena.alloc(size),
      arena.alloc(size),
      arena.alloc(size),
      arena.alloc(size),
      arena.alloc(workFloats),
      capacity,
    );
  }

  /** Floats of an arena holding `replicas` replicas' regions (besides what the caller adds). */
  static floats(size: number, workFloats: number, replicas = 1): number[] {
    return Array.from({ length: replicas }, () => [size, size, size, size, workFloats]).flat();
  }

  /**
   * A memory of its own, with room for one gradient buffer besides (shared when there is a
   * work region: the kernels' module imports a shared memory).
   */
  static own(size: number, workFloats = 0, capacity = 0): ReplicaMemory {
    return ReplicaMemory.alloc(
      new Arena(Arena.floatsFor([...ReplicaMemory.floats(size, workFloats), size]), workFloats > 0),
      size,
      workFloats,
      capacity,
    );
  }

  /** Byte offsets and the work region's length, to rebuild the views on another thread (`at`). */
  offsets(): MemoryOffsets {
    return [
      this.weights.byteOffset,
      this.velocity.byteOffset,
      this.sum.byteOffset,
      this.second.byteOffset,
      this.work.byteOffset,
      this.work.length,
      this.capacity,
    ];
  }

  static at(arena: Arena, size: number, [w, v, s, s2, k, kn, capacity]: MemoryOffsets): ReplicaMemory {
    return new ReplicaMemory(arena, arena.at(w, size), arena.at(v, size), arena.at(s, size), arena.at(s2, size), arena.at(k, kn), capacity);
  }
}
