/**
 * The loss of both hand-written training steps (manualStep.ts, convKernel.ts): log-softmax +
 * NLL over n rows of K logits, its gradient (softmax − one-hot) / n, and the fc2 bias gradient
 * (the gradient's column sums, in float64 as PyTorch accumulates them here).
 */
export interface SoftmaxLoss {
  /** The summed NLL (divide by n for the mean). */
  loss: number;
  /** Rows whose largest logit is the label. */
  right: number;
  /** The fc2 bias gradient, K values. */
  db2: Float64Array;
}

/**
 * `lv`: logits, row r at r·stride; `dlog`: the gradient, same layout; `dlogT`, when given: the
 * gradient again, transposed [K, n].
 */
export function softmaxNll(
  lv: ArrayLike<number>,
  labels: ArrayLike<number>,
  n: number,
  K: number,
  stride: number,
  dlog: Float32Array,
  dlogT: Float32Array | null = null,
): SoftmaxLoss {
  let loss = 0;
  let right = 0;
  const db2 = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    const row = r * stride;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < K; c++) {
      if (lv[row + c]! > max) {
        max = lv[row + c]!;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.exp(lv[row + c]! - max);
    const logSum = Math.log(sum);
    const y = labels[r]!;
    loss -= lv[row + y]! - max - logSum;
    if (arg === y) right++;
    for (let c = 0; c < K; c++) {
      const g = (Math.exp(lv[row + c]! - max - logSum) - (c === y ? 1 : 0)) / n;
      dlog[row + c] = g;
      if (dlogT) dlogT[c * n + r] = g;
      db2[c]! += g;
    }
  }
  return { loss, right, db2 };
}
