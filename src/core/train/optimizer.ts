/**
 * torch.optim's SGD (with Nesterov momentum and weight decay), Adam and AdamW, one parameter
 * vector at a time, in float32 as PyTorch 1.13's CPU kernels round (`_single_tensor_sgd`,
 * `_single_tensor_adam`, `_single_tensor_adamw`). The seed's plain SGD-momentum does not come
 * here: it keeps its SIMD kernel (sgdKernel.ts).
 *
 * Rounding: `a.add_(b, alpha=c)` is a fused multiply-add in PyTorch's vectorised kernel
 * (`vec::fmadd`); a product of two float32 values is exact in a double, so `fround(a + c·b)`
 * rounds once as well. Python scalars (lr, betas, bias corrections) are doubles that the kernels
 * cast to float32.
 */
import type { LabConfig } from '../config';
import type { StepHyper } from './schedule';

const f = Math.fround;

export type OptimizerTraining = Pick<LabConfig['training'], 'optimizer' | 'nesterov' | 'weightDecay' | 'betas' | 'eps'>;

/** The weight decay in use: the config's, else torch.optim's default for the optimizer (AdamW 0.01, else 0). */
export function weightDecayOf(t: Pick<LabConfig['training'], 'optimizer' | 'weightDecay'>): number {
  return t.weightDecay ?? (t.optimizer === 'adamw' ? 0.01 : 0);
}

/** Whether the update is the seed's: SGD with plain momentum and no weight decay (the SIMD kernel's). */
export function isPlainSgd(t: Partial<OptimizerTraining>): boolean {
  return (t.optimizer ?? 'sgd') === 'sgd' && !t.nesterov && weightDecayOf({ optimizer: 'sgd', weightDecay: t.weightDecay ?? null }) === 0;
}

/** An optimizer's state for one flat parameter vector: the momentum buffer / exp_avg, exp_avg_sq and the step count. */
export class OptimizerState {
  /** Adam's exp_avg_sq (unused by SGD). */
  private readonly second: Float32Array | null;
  /** Updates applied so far (Adam's `step`); SGD: whether its momentum buffer exists yet. */
  private steps = 0;
  private hasBuffer = false;

  constructor(
    private readonly t: OptimizerTraining,
    /** SGD's momentum buffer or Adam's exp_avg (the replica's velocity array). */
    private readonly first: Float32Array,
  ) {
    this.second = t.optimizer === 'sgd' ? null : new Float32Array(first.length);
  }

  /** One step on `p` with the gradient `g` (the average of the shards already summed). */
  step(p: Float32Array, g: Float32Array, h: StepHyper): void {
    this.steps++;
    if (this.t.optimizer === 'sgd') this.sgd(p, g, h);
    else this.adam(p, g, h, this.t.optimizer === 'adamw');
  }

  private sgd(p: Float32Array, g: Float32Array, h: StepHyper): void {
    const wd = f(weightDecayOf(this.t));
    const mu = f(h.momentum);
    const nlr = f(-h.lr);
    const buf = this.first;
    const nesterov = this.t.nesterov;
    const n = p.length;
    // torch.optim.SGD skips the buffer while momentum is 0 and makes it (a copy of d_p) at the first step with momentum.
    const useBuffer = h.momentum !== 0;
    const first = useBuffer && !this.hasBuffer;
    if (useBuffer) this.hasBuffer = true;
    for (let i = 0; i < n; i++) {
      const pi = p[i]!;
      let d = wd !== 0 ? f(g[i]! + wd * pi) : g[i]!;
      if (useBuffer) {
        const b = first ? d : f(f(mu * buf[i]!) + d);
        buf[i] = b;
        d = nesterov ? f(d + mu * b) : b;
      }
      p[i] = f(pi + nlr * d);
    }
  }

  private adam(p: Float32Array, g: Float32Array, h: StepHyper, decoupled: boolean): void {
    const [, beta2] = this.t.betas;
    const beta1 = h.beta1;
    const wdValue = weightDecayOf(this.t);
    const step = this.steps;
    const b1 = f(beta1);
    const a1 = f(1 - beta1);
    const b2 = f(beta2);
    const a2 = f(1 - beta2);
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const negStepSize = f(-(h.lr / biasCorrection1));
    const bc2Sqrt = f(Math.sqrt(biasCorrection2));
    const eps = f(this.t.eps);
    // AdamW: param.mul_(1 - lr·wd) before the moments; Adam: grad.add(param, alpha=wd).
    const decay = decoupled ? f(1 - h.lr * wdValue) : 1;
    const wd = decoupled ? 0 : f(wdValue);
    const m = this.first;
    const v = this.second!;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      let pi = p[i]!;
      const gi = wd !== 0 ? f(g[i]! + wd * pi) : g[i]!;
      if (decoupled && decay !== 1) pi = f(pi * decay);
      const mi = f(f(b1 * m[i]!) + a1 * gi);
      const vi = f(f(b2 * v[i]!) + f(f(a2 * gi) * gi));
      m[i] = mi;
      v[i] = vi;
      const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps);
      p[i] = f(pi + f(f(negStepSize * mi) / denom));
    }
  }
}
