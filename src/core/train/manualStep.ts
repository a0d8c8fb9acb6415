import type { ConvNetSpec, ParamName } from '../model/convnet';
import { flatSize } from '../model/convnet';
import { storageView } from '../backends/memory';
import { tf } from '../tf';
import { softmaxNll } from './softmaxLoss';

/**
 * One training step's gradients of the seed ConvNet written out by hand: the forward pass as
 * direct kernel calls (no gradient tape, no tidy scopes), the loss and its gradient, the ReLU,
 * dropout and max-pool backward passes in JavaScript over the tensors' storage, and the
 * remaining products (fc weight gradients, fc1's input gradient, conv filter and input
 * gradients) as plain, untransposed MatMul/Conv2D kernels, each operand written by JavaScript
 * directly in the layout the kernel wants. A step is then 13 kernels instead of ≈115 (see
 * docs/performance.md); the values are those of autodiff (`Replica.autodiffGradients`, which
 * the tests compare with, and PyTorch, which the fixture tests compare with).
 *
 * Works on the backends whose tensors live in this thread's memory (wasm, cpu); elsewhere the
 * caller uses autodiff.
 */

export interface StepParams {
  /** The parameter tensors the kernels compute with (internal layouts). */
  tensors: Record<ParamName, tf.Tensor>;
  /** The same values, flat (PARAM_NAMES order, internal layouts), and their offsets. */
  values: Float32Array;
  offsets: Record<ParamName, number>;
  /** fc1's weights transposed, [hidden, flat] (`transposeFc1`). */
  fc1T: tf.Tensor;
}

/** fc1.weight [F, H] of the flat values, transposed into `out` [H, F]. */
export function transposeFc1(values: Float32Array, offset: number, F: number, H: number, out: Float32Array): Float32Array {
  for (let f = 0; f < F; f++) {
    const row = offset + f * H;
    for (let j = 0; j < H; j++) out[j * F + f] = values[row + j]!;
  }
  return out;
}

export interface StepResult {
  loss: number;
  right: number;
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

const view = (t: tf.Tensor): Float32Array => {
  const v = storageView(t);
  if (!v) throw new Error(`manual step: backend ${tf.getBackend()} does not keep tensors in memory`);
  return v;
};

/** Whether the manual step can run on the current backend. */
export function manualStepSupported(): boolean {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu';
}

export class ManualStep {
  private readonly k: number;
  private readonly pad: number;
  private readonly c1: number;
  private readonly c2: number;
  private readonly p1: number;
  private readonly f: number;
  private readonly scratch = new Map<string, Float32Array>();

  constructor(private readonly spec: ConvNetSpec) {
    this.k = spec.kernelSize;
    this.pad = (spec.kernelSize - 1) / 2;
    [this.c1, this.c2] = spec.depth;
    this.p1 = Math.floor(spec.imageSize / 2);
    this.f = flatSize(spec);
  }

  /**
   * A buffer to fill and hand to tf.tensor. wasm copies the values into its heap, so buffers
   * are reused; the cpu backend keeps the very array, so it gets a new one each time.
   */
  private buf(name: string, size: number): Float32Array {
    if (tf.getBackend() !== 'wasm') return new Float32Array(size);
    let b = this.scratch.get(name);
    if (!b || b.length < size) this.scratch.set(name, (b = new Float32Array(size)));
    return b.length === size ? b : b.subarray(0, size);
  }

  /**
   * Gradients of the mean NLL loss of images `pixels` ([n, s, s], already scaled) with labels
   * `labels` and dropout keep-mask `mask` ([n, hidden], 0 or 1/(1-p); undefined: no dropout),
   * written into `out` (flat layout of `p.offsets`).
   */
  gradients(p: StepParams, pixels: Float32Array, labels: ArrayLike<number>, mask: Float32Array | undefined, out: Float32Array): StepResult {
    const { k, pad, c1: C1, c2: C2, p1: P1, f: F } = this;
    const S = this.spec.imageSize;
    const H = this.spec.hidden;
    const K = this.spec.numClasses;
    const n = labels.length;
    const W = p.tensors;
    const o = p.offsets;
    const live: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => (live.push(t), t);
    const tensor = (values: Float32Array, shape: number[]) => keep(tf.tensor(values, shape, 'float32'));
    const conv = (x: tf.Tensor, filter: tf.Tensor, pads: unknown) =>
      keep(run('Conv2D', { x, filter }, { strides: [1, 1], pad: pads, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined }));
    const fusedConv = (x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) =>
      keep(
        run(
          'FusedConv2D',
          { x, filter, bias },
          {
            strides: [1, 1],
            pad,
            dataFormat: 'NHWC',
            dilations: [1, 1],
            dimRoundingMode: undefined,
            activation: 'relu',
            leakyreluAlpha: 0,
          },
        ),
      );
    const pool = (x: tf.Tensor) => keep(run('MaxPool', { x }, { filterSize: 2, strides: 2, pad: 'valid', dimRoundingMode: undefined }));
    const matMul = (a: tf.Tensor, b: tf.Tensor) => keep(run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }));
    // The kernel takes rank-3 operands (tf.fused.matMul reshapes to them); reshapes share data.
    const fusedMatMul = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor, activation: string) => {
      const y = keep(
        run(
          '_FusedMatMul',
          { a: keep(tf.reshape(a, [1, ...a.shape])), b: keep(tf.reshape(b, [1, ...b.shape])), bias },
          { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 },
        ),
      );
      return keep(tf.reshape(y, [a.shape[0]!, b.shape[1]!]));
    };
    try {
      // ---- forward ----
      const x = tensor(pixels.length === n * S * S ? pixels : pixels.subarray(0, n * S * S), [n, S, S, 1]);
      const c1 = fusedConv(x, W['conv1.weight'], W['conv1.bias']);
      const p1 = pool(c1);
      const c2 = fusedConv(p1, W['conv2.weight'], W['conv2.bias']);
      const p2 = pool(c2);
      // fc1 as hᵀ [H, n] = W1ᵀ · flatᵀ: the operand XNNPACK packs is then the small flatᵀ
      // [F, n], not the weights (new every step; packing them cost ≈ 0.6 ms). The bias, ReLU
      // and dropout follow in JavaScript, giving h (after ReLU) and hd = h·mask in [n, H].
      const p2v = view(p2);
      const flatT = this.buf('flatT', F * n);
      for (let r = 0; r < n; r++) for (let q = 0; q < F; q++) flatT[q * n + r] = p2v[r * F + q]!;
      const flatTensorT = tensor(flatT, [F, n]);
      const hTv = view(matMul(p.fc1T, flatTensorT));
      const hv = this.buf('h', n * H);
      const hdv = mask ? this.buf('hd', n * H) : hv;
      const b1 = o['fc1.bias'];
      for (let j = 0; j < H; j++) {
        const bias = p.values[b1 + j]!;
        for (let r = 0; r < n; r++) {
          const z = Math.fround(hTv[j * n + r]! + bias);
          const i = r * H + j;
          hv[i] = z > 0 ? z : 0;
          if (mask) hdv[i] = Math.fround(hv[i]! * mask[i]!);
        }
      }
      const hd = tensor(hdv, [n, H]);
      const logits = fusedMatMul(hd, W['fc2.weight'], W['fc2.bias'], 'linear');

      // ---- loss: log-softmax + NLL, and its gradient (softmax − one-hot) / n ----
      const lv = view(logits);
      const dlog = this.buf('dlog', n * K);
      const dlogT = this.buf('dlogT', K * n);
      const { loss, right, db2 } = softmaxNll(lv, labels, n, K, K, dlog, dlogT);
      for (let c = 0; c < K; c++) out[o['fc2.bias'] + c] = db2[c]!;

      // ---- fc2 backward ----
      // dW2ᵀ [K, H] = dlogitsᵀ · hd; written out transposed into fc2.weight's [H, K].
      const dw4t = view(matMul(tensor(dlogT, [K, n]), hd));
      for (let c = 0; c < K; c++) for (let j = 0; j < H; j++) out[o['fc2.weight'] + j * K + c] = dw4t[c * H + j]!;
      // d(hd) [n, H] = dlogits · W2ᵀ, with W2ᵀ transposed here from the flat values.
      const w4t = this.buf('w4t', K * H);
      for (let j = 0; j < H; j++) for (let c = 0; c < K; c++) w4t[c * H + j] = p.values[o['fc2.weight'] + j * K + c]!;
      const dhd = view(matMul(tensor(dlog, [n, K]), tensor(w4t, [K, H])));

      // ---- dropout and ReLU of fc1 ----
      const dh = this.buf('dh', n * H);
      const dhT = this.buf('dhT', H * n);
      const db1 = new Float64Array(H);
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < H; j++) {
          const i = r * H + j;
          const g = hv[i]! > 0 ? (mask ? dhd[i]! * mask[i]! : dhd[i]!) : 0;
          dh[i] = g;
          dhT[j * n + r] = g;
          db1[j]! += g;
        }
      }
      for (let j = 0; j < H; j++) out[o['fc1.bias'] + j] = db1[j]!;

      // ---- fc1 backward ----
      const dhTensor = tensor(dh, [n, H]);
      const dw3 = matMul(flatTensorT, dhTensor); // [F, H], fc1.weight's layout
      // d(flat)ᵀ [F, n] = W1 · dhᵀ
      const dflatT = matMul(W['fc1.weight'], tensor(dhT, [H, n]));
      out.set(view(dw3), o['fc1.weight']);

      // ---- pool2 and ReLU of conv2 backward: dz2 in NHWC and in [Ho, Wo, N, C] ----
      const dz2 = this.buf('dz2', n * P1 * P1 * C2);
      const dz2T = this.buf('dz2T', P1 * P1 * n * C2);
      const db = new Float64Array(Math.max(C1, C2));
      unpoolRelu(view(c2), view(p2), view(dflatT), true, n, P1, C2, dz2, dz2T, db);
      for (let c = 0; c < C2; c++) out[o['conv2.bias'] + c] = db[c]!;

      // ---- conv2 backward ----
      // Filter gradient as one convolution with batch and channels swapped: p1ᵀ [C1, P1, P1, n]
      // convolved with dz2ᵀ [P1, P1, n, C2] gives [C1, k, k, C2].
      const p1v = view(p1);
      const p1T = this.buf('p1T', C1 * P1 * P1 * n);
      for (let r = 0; r < n; r++) {
        for (let q = 0; q < P1 * P1; q++) {
          const src = (r * P1 * P1 + q) * C1;
          for (let c = 0; c < C1; c++) p1T[(c * P1 * P1 + q) * n + r] = p1v[src + c]!;
        }
      }
      const same = [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ];
      const dz2T4 = tensor(dz2T, [P1, P1, n, C2]);
      const dw2 = conv(tensor(p1T, [C1, P1, P1, n]), dz2T4, same);
      // Input gradient: dz2 convolved with the flipped, in/out-swapped filter [k, k, C2, C1].
      const w2f = this.buf('w2f', k * k * C2 * C1);
      const w2 = o['conv2.weight'];
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          for (let ci = 0; ci < C1; ci++) {
            for (let co = 0; co < C2; co++)
              w2f[((a * k + b) * C2 + co) * C1 + ci] = p.values[w2 + (((k - 1 - a) * k + (k - 1 - b)) * C1 + ci) * C2 + co]!;
          }
        }
      }
      const full = [
        [0, 0],
        [k - 1 - pad, k - 1 - pad],
        [k - 1 - pad, k - 1 - pad],
        [0, 0],
      ];
      const dp1 = conv(tensor(dz2, [n, P1, P1, C2]), tensor(w2f, [k, k, C2, C1]), full);
      // [C1, k, k, C2] → conv2.weight's [k, k, C1, C2]
      const dw2v = view(dw2);
      for (let ci = 0; ci < C1; ci++) {
        for (let q = 0; q < k * k; q++) {
          for (let co = 0; co < C2; co++) out[w2 + (q * C1 + ci) * C2 + co] = dw2v[(ci * k * k + q) * C2 + co]!;
        }
      }

      // ---- pool1 and ReLU of conv1 backward: dz1 in [S, S, n, C1] ----
      const dz1T = this.buf('dz1T', S * S * n * C1);
      db.fill(0);
      unpoolRelu(view(c1), view(p1), view(dp1), false, n, S, C1, null, dz1T, db);
      for (let c = 0; c < C1; c++) out[o['conv1.bias'] + c] = db[c]!;

      // ---- conv1 filter gradient: xᵀ [1, S, S, n] convolved with dz1ᵀ [S, S, n, C1] ----
      const xT = this.buf('xT', S * S * n);
      for (let r = 0; r < n; r++) for (let q = 0; q < S * S; q++) xT[q * n + r] = pixels[r * S * S + q]!;
      const dw1 = conv(tensor(xT, [1, S, S, n]), tensor(dz1T, [S, S, n, C1]), same);
      out.set(view(dw1), o['conv1.weight']); // [1, k, k, C1] = conv1.weight's [k, k, 1, C1]
      return { loss: loss / n, right };
    } finally {
      for (const t of live) t.dispose();
    }
  }
}

/**
 * The backward pass of 2×2/stride-2 max pooling followed by the ReLU of the conv before it:
 * each pooled gradient goes to the first maximum of its window (row-major, as PyTorch and
 * tfjs do), kept only where the conv's ReLU output is > 0. `dy` is the pooled gradient, NHWC
 * [n, s/2, s/2, c], or, when `dyTransposed`, [(s/2)·(s/2)·c, n] (d(flat)ᵀ). Writes dz in NHWC
 * (`dz`, if given) and in [s, s, n, c] (`dzT`), and adds Σdz per channel to `db`.
 */
export function unpoolRelu(
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dyTransposed: boolean,
  n: number,
  s: number,
  c: number,
  dz: Float32Array | null,
  dzT: Float32Array,
  db: Float64Array,
): void {
  const ho = Math.floor(s / 2);
  dz?.fill(0);
  dzT.fill(0);
  const row = s * c;
  const pooled = ho * ho * c;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < ho; j++) {
        const q = (i * ho + j) * c;
        const base = ((b * s + 2 * i) * s + 2 * j) * c;
        for (let ch = 0; ch < c; ch++) {
          const m = y[b * pooled + q + ch]!;
          if (!(m > 0)) continue; // ReLU: a window whose maximum is 0 passes no gradient
          const g = dyTransposed ? dy[(q + ch) * n + b]! : dy[b * pooled + q + ch]!;
          const pIdx = base + ch;
          const at = x[pIdx] === m ? 0 : x[pIdx + c] === m ? 1 : x[pIdx + row] === m ? 2 : 3;
          const yy = 2 * i + (at >> 1);
          const xx = 2 * j + (at & 1);
          if (dz) dz[((b * s + yy) * s + xx) * c + ch] = g;
          dzT[((yy * s + xx) * n + b) * c + ch] = g;
          db[ch]! += g;
        }
      }
    }
  }
}
