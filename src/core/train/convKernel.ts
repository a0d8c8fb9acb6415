import { setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import type { ConvNetSpec } from '../model/convnet';
import { CONVNETFMA_WASM_BASE64 } from './kernels/convnetFmaWasm';
import { CONVNET_WASM_BASE64 } from './kernels/convnetWasm';
import { softmaxNll } from './softmaxLoss';

/**
 * The training step and the forward pass of the ConvNet as WebAssembly SIMD kernels built from
 * src/core/train/kernels/convnet.c (scripts/build-kernels.mjs): no TensorFlow.js in the step,
 * no weight packing, the network's zeros (ReLU, max-pool, dropout) skipped. Everything lives in
 * one shared WebAssembly.Memory (the replicas' Arena): the parameters, the gradients and, per
 * replica, a work region (its stack, scratch, pixels and dropout mask). The log-softmax and the
 * loss are computed here, in JavaScript, as the tfjs step (manualStep.ts) does.
 *
 * Shapes: depths multiples of 4 up to 32 and a hidden width that is a multiple of 4 (the seed's
 * [4, 8] and 512); others use the tfjs step (`convKernelSupports`).
 *
 * Two builds of the same source: `fma` (relaxed SIMD's fused multiply-add) where the engine has
 * relaxed SIMD, else `simd` (SIMD128 only). Node 22+ and VS Code's Electron have relaxed SIMD;
 * Node 20 has it behind a V8 flag, which the main thread turns on before its first kernel. A
 * run's replicas all use the coordinator's choice (`ReplicaInit.kernel`): the two builds round
 * differently, and replicas must stay bit-identical. MNIST_LAB_FMA=0 picks `simd`.
 */

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- merges into the global WebAssembly namespace
  namespace WebAssembly {
    class Global {
      value: number;
    }
    function validate(bytes: Uint8Array): boolean;
  }
}

interface Exports {
  __stack_pointer: WebAssembly.Global;
  scratch_floats(n: number, S: number, k: number, C1: number, C2: number, H: number, K: number): number;
  logits_offset(n: number, S: number, k: number, C1: number, C2: number, H: number, K: number): number;
  dlog_offset(n: number, S: number, k: number, C1: number, C2: number, H: number, K: number): number;
  forward(
    P: number,
    pixels: number,
    mask: number,
    n: number,
    s: number,
    S: number,
    k: number,
    C1: number,
    C2: number,
    H: number,
    K: number,
  ): void;
  backward(
    P: number,
    G: number,
    mask: number,
    n: number,
    s: number,
    S: number,
    k: number,
    C1: number,
    C2: number,
    H: number,
    K: number,
  ): void;
  dropout_mask(out: number, seed: number, step: number, hidden: number, p: number, keep: number, from: number, to: number): void;
}

export type KernelVariant = 'fma' | 'simd';
const BASE64: Record<KernelVariant, string> = { fma: CONVNETFMA_WASM_BASE64, simd: CONVNET_WASM_BASE64 };
const compiled: Partial<Record<KernelVariant, WebAssembly.Module>> = {};
const module = (v: KernelVariant): WebAssembly.Module => (compiled[v] ??= new WebAssembly.Module(Buffer.from(BASE64[v], 'base64')));

let relaxed: boolean | null = null;
/**
 * Whether this engine compiles relaxed SIMD. On the main thread of a Node that has it behind a
 * flag (Node 20: `--experimental-wasm-relaxed-simd`), turns the flag on first: flags are the
 * process's, so threads started later see it too. Never on other threads (no flag changes while
 * another thread may compile).
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxed !== null) return relaxed;
  const bytes = Buffer.from(CONVNETFMA_WASM_BASE64, 'base64');
  let ok = WebAssembly.validate(bytes);
  if (!ok && isMainThread) {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    ok = WebAssembly.validate(bytes);
  }
  relaxed = ok;
  return ok;
}

/** The build this thread's new kernels use: `fma` where relaxed SIMD compiles, unless MNIST_LAB_FMA=0. */
export function kernelVariant(): KernelVariant {
  return process.env.MNIST_LAB_FMA !== '0' && relaxedSimdAvailable() ? 'fma' : 'simd';
}

/**
 * What a training run computes on, in words for its header and logs: on wasm, for the shapes the
 * kernels cover, the WebAssembly kernels and their build (not the backend's own words, which
 * describe tfjs's XNNPACK kernels); otherwise the backend's `device`.
 */
export function trainingDevice(backend: string, device: string, spec: ConvNetSpec): string {
  if (backend !== 'wasm' || !convKernelEnabled() || !convKernelSupports(spec)) return device;
  return `CPU (WebAssembly SIMD kernels${kernelVariant() === 'fma' ? ', fused multiply-add' : ''})`;
}

/** Stack of each kernel instance (the kernels keep a few hundred bytes on it). */
const STACK_FLOATS = 16384;

/** Whether the kernels cover this network's shape (else the tfjs step runs). */
export function convKernelSupports(spec: ConvNetSpec): boolean {
  const [c1, c2] = spec.depth;
  const ok4 = (c: number) => c > 0 && c % 4 === 0 && c <= 32;
  return ok4(c1) && ok4(c2) && spec.hidden % 4 === 0 && spec.kernelSize % 2 === 1 && spec.imageSize >= 4 && spec.numClasses >= 1;
}

/** Whether to use the kernels at all: MNIST_LAB_STEP=tfjs turns them off (for comparisons). */
export function convKernelEnabled(): boolean {
  return process.env.MNIST_LAB_STEP !== 'tfjs';
}

const dims = (spec: ConvNetSpec): [number, number, number, number, number, number] => [
  spec.imageSize,
  spec.kernelSize,
  spec.depth[0],
  spec.depth[1],
  spec.hidden,
  spec.numClasses,
];

let probe: Exports | null = null;
/** An instance on a small memory of its own, for the layout functions (pure). */
function layoutFns(): Exports {
  probe ??= new WebAssembly.Instance(module('simd'), { env: { memory: new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true }) } })
    .exports as unknown as Exports;
  return probe;
}

const up4 = (n: number) => Math.ceil(n / 4) * 4;

/** Floats of the work region for batches of up to n images (stack, scratch, pixels, mask). */
export function convKernelFloats(spec: ConvNetSpec, n: number): number {
  const s = layoutFns().scratch_floats(n, ...dims(spec));
  return STACK_FLOATS + up4(s) + up4(n * spec.imageSize * spec.imageSize) + up4(n * spec.hidden) + 16;
}

export interface KernelResult {
  loss: number;
  right: number;
}

/** One instance of the kernels with its work region (one per replica and thread). */
export class ConvKernel {
  private readonly fns: Exports;
  private readonly d: [number, number, number, number, number, number];
  private readonly scratch: number;
  private readonly kp: number;
  /** Pixels of up to `capacity` images, [n][S][S], scaled (gatherImages); filled by the caller. */
  readonly pixels: Float32Array;
  /** The dropout keep-mask [n][H], filled by the caller. */
  readonly mask: Float32Array;

  constructor(
    private readonly memory: WebAssembly.Memory,
    work: Float32Array,
    private readonly spec: ConvNetSpec,
    readonly capacity: number,
    /** The build (default: this thread's `kernelVariant()`); a replica thread gets its coordinator's. */
    readonly variant: KernelVariant = kernelVariant(),
  ) {
    if (work.buffer !== memory.buffer) throw new Error('conv kernel: the work region is not in the memory');
    if (work.length < convKernelFloats(spec, capacity)) throw new Error('conv kernel: work region too small');
    if (variant === 'fma' && !relaxedSimdAvailable()) throw new Error('conv kernel: this engine has no relaxed SIMD for the fma build');
    this.fns = new WebAssembly.Instance(module(variant), { env: { memory } }).exports as unknown as Exports;
    this.d = dims(spec);
    const base = Math.ceil(work.byteOffset / 16) * 16;
    // Its own stack (grows down) at the start of the work region: threads sharing the memory
    // never share a stack.
    this.fns.__stack_pointer.value = base + STACK_FLOATS * 4;
    this.scratch = base + STACK_FLOATS * 4;
    const sFloats = up4(this.fns.scratch_floats(capacity, ...this.d));
    const S = spec.imageSize;
    this.pixels = new Float32Array(memory.buffer, this.scratch + sFloats * 4, capacity * S * S);
    this.mask = new Float32Array(memory.buffer, this.pixels.byteOffset + up4(capacity * S * S) * 4, capacity * spec.hidden);
    this.kp = up4(spec.numClasses);
  }

  /** Rows [from, to) of a step's dropout mask into `mask`: exactly dropoutRows(seed, step, hidden, p, from, to). */
  dropoutMask(seed: number, step: number, p: number, from: number, to: number): void {
    if (to - from > this.capacity) throw new Error(`conv kernel: ${to - from} rows, room for ${this.capacity}`);
    this.fns.dropout_mask(this.mask.byteOffset, seed, step, this.spec.hidden, p, 1 / (1 - p), from, to);
  }

  private check(params: Float32Array, n: number): void {
    if (params.buffer !== this.memory.buffer) throw new Error('conv kernel: parameters not in the memory');
    if (n < 1 || n > this.capacity) throw new Error(`conv kernel: ${n} images, room for ${this.capacity}`);
  }

  /** The logits [n][Kp] of the images in `pixels` (mask applied when `masked`). A view: read it before the next call. */
  forward(params: Float32Array, n: number, masked: boolean): Float32Array {
    this.check(params, n);
    this.fns.forward(params.byteOffset, this.pixels.byteOffset, masked ? this.mask.byteOffset : 0, n, this.scratch, ...this.d);
    return new Float32Array(this.memory.buffer, this.scratch + this.fns.logits_offset(n, ...this.d) * 4, n * this.kp);
  }

  /**
   * Gradients of the mean NLL loss of the images in `pixels` with `labels` (and the dropout
   * mask in `mask` when `masked`) into `out` (flat PARAM_NAMES layout; in the memory).
   */
  gradients(params: Float32Array, labels: ArrayLike<number>, n: number, masked: boolean, out: Float32Array): KernelResult {
    if (out.buffer !== this.memory.buffer) throw new Error('conv kernel: gradients not in the memory');
    const K = this.spec.numClasses;
    const Kp = this.kp;
    const lv = this.forward(params, n, masked);
    const dlog = new Float32Array(this.memory.buffer, this.scratch + this.fns.dlog_offset(n, ...this.d) * 4, n * Kp);
    dlog.fill(0);
    const { loss, right, db2 } = softmaxNll(lv, labels, n, K, Kp, dlog);
    this.fns.backward(params.byteOffset, out.byteOffset, masked ? this.mask.byteOffset : 0, n, this.scratch, ...this.d);
    const b4 = out.length - K;
    for (let c = 0; c < K; c++) out[b4 + c] = db2[c]!;
    return { loss: loss / n, right };
  }

  /** Predicted classes (first maximum of the logits) of the images in `pixels`, into `out`. */
  predict(params: Float32Array, n: number, out: Uint8Array | number[]): void {
    const K = this.spec.numClasses;
    const lv = this.forward(params, n, false);
    for (let r = 0; r < n; r++) {
      const row = r * this.kp;
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < K; c++) {
        if (lv[row + c]! > max) {
          max = lv[row + c]!;
          arg = c;
        }
      }
      out[r] = arg;
    }
  }
}
