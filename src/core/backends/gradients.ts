import { tf } from '../tf';

/**
 * Faster gradients for conv nets on backends whose stock kernels are missing or slow (wasm):
 * - Conv2D's filter gradient as a convolution (wasm has no Conv2DBackpropFilter kernel): x and
 *   dy are transposed so that the batch becomes the channel axis, then one conv2d on XNNPACK.
 * - Conv2D's input gradient as a convolution of dy with the flipped, in/out-swapped filter
 *   (the stock Conv2DBackpropInput kernel is ~10× slower on wasm).
 * - BatchMatMul's gradients with explicit transposes (wasm's MatMul uses XNNPACK only when
 *   neither operand is transposed).
 * They compute the same values as the stock gradients on any backend (tests compare them).
 */
type GradConfig = ReturnType<typeof tf.getGradient>;
export type Pads = [[number, number], [number, number], [number, number], [number, number]];

/** Explicit [top,bottom],[left,right] padding of a stride-1 conv, or null if not expressible. */
function explicitPads(pad: unknown, kh: number, kw: number): Pads | null {
  if (typeof pad === 'number')
    return [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ];
  if (pad === 'valid')
    return [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
  if (pad === 'same') {
    // TensorFlow's "same" for stride 1: total k-1, the extra one at the bottom/right.
    const t = Math.floor((kh - 1) / 2);
    const l = Math.floor((kw - 1) / 2);
    return [
      [0, 0],
      [t, kh - 1 - t],
      [l, kw - 1 - l],
      [0, 0],
    ];
  }
  if (Array.isArray(pad) && pad.length === 4) return pad as Pads;
  return null;
}

/** dL/dx of a stride-1 conv2d as a convolution of dy with the flipped, in/out-swapped filter. */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, pads: Pads): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const [, [pt, pb], [pl, pr]] = pads;
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(dy, flipped, 1, [
      [0, 0],
      [kh - 1 - pt, kh - 1 - pb],
      [kw - 1 - pl, kw - 1 - pr],
      [0, 0],
    ]);
  });
}

/** dL/dfilter of a stride-1 conv2d as one convolution with batch and channels swapped. */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, pads: Pads): tf.Tensor4D {
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, H, W, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, N, Co]
    const dw = tf.conv2d(xT, dyT, 1, pads); // [Ci, kh, kw, Co]
    return tf.transpose(dw, [1, 2, 0, 3]);
  });
}

export const symmetricPads = (p: number): Pads => [
  [0, 0],
  [p, p],
  [p, p],
  [0, 0],
];

const ones = (v: unknown): boolean => v === undefined || v === 1 || (Array.isArray(v) && v.every((d) => d === 1));

function conv2dGrad(stock: GradConfig): GradConfig {
  return {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as { strides: unknown; pad: unknown; dataFormat?: string; dilations: unknown };
      const [kh, kw] = filter.shape;
      const pads = explicitPads(a.pad, kh, kw);
      if (!ones(a.strides) || !ones(a.dilations) || (a.dataFormat && a.dataFormat !== 'NHWC') || !pads) {
        return stock.gradFunc(dy, saved, attrs);
      }
      const g = dy as tf.Tensor4D;
      const [, [pt, pb], [pl, pr]] = pads;
      // tfjs sizes a numeric pad by the filter height alone; use our form only where it agrees.
      if (x.shape[1] + pt + pb - kh + 1 !== g.shape[1] || x.shape[2] + pl + pr - kw + 1 !== g.shape[2]) {
        return stock.gradFunc(dy, saved, attrs);
      }
      return {
        x: () => conv2dInputGrad(g, filter, pads),
        filter: () => conv2dFilterGrad(x, g, pads),
      };
    },
  };
}

const matMulGrad: GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    // 2-D or batched (rank ≥ 3) operands: transpose the last two axes.
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const g = dy as tf.Tensor;
    const T = (t: tf.Tensor) => {
      const perm = t.shape.map((_, i) => i);
      [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1]!, perm[t.rank - 2]!];
      return tf.transpose(t, perm);
    };
    const mm = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q);
    if (!transposeA && !transposeB) return { a: () => mm(g, T(b)), b: () => mm(T(a), g) };
    if (!transposeA && transposeB) return { a: () => mm(g, b), b: () => mm(T(g), a) };
    if (transposeA && !transposeB) return { a: () => mm(b, T(g)), b: () => mm(a, g) };
    return { a: () => mm(T(b), T(g)), b: () => mm(T(g), T(a)) };
  },
};

let stockGrads: GradConfig[] | null = null;

/** Installs the fast gradients (idempotent). Gradients are global in tfjs, not per backend. */
export function installFastGradients(): void {
  if (stockGrads) return;
  const conv = tf.getGradient('Conv2D');
  const mm = tf.getGradient('BatchMatMul');
  stockGrads = [conv, mm];
  tf.registerGradient(conv2dGrad(conv));
  tf.registerGradient(matMulGrad);
}

/** Puts TensorFlow.js's own gradients back (tests compare both). */
export function restoreStockGradients(): void {
  if (!stockGrads) return;
  for (const g of stockGrads) tf.registerGradient(g);
  stockGrads = null;
}
