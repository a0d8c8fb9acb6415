/**
 * torch.optim's SGD (with Nesterov momentum and weight decay), Adam and AdamW, one parameter
 * vector at a time, in float32 as PyTorch 1.13's CPU kernels round (`_single_tensor_sgd`,
 * `_single_tensor_adam`, `_single_tensor_adamw`). The seed's plain SGD-momentum does not come
 * here: it keeps its SIMD kernel (sgdKernel.ts).
 *
 * Rounding: SGD's `a.add_(b, alpha=c)` is a fused multiply-add in PyTorch's vectorised kernel
 * (`vec::fmadd`); a product of two float32 values is exact in a double, so `fround(a + c·b)`
 * rounds once as well. Adam runs as a WebAssembly SIMD loop (sgdKernel.ts), which has no fused
 * multiply-add without relaxed SIMD: there every product is rounded, at most an ulp from
 * PyTorch's. Python scalars (lr, betas, bias corrections) are doubles that the kernels cast to
 * float32.
 */
import type { LabConfig } from '../config';
import type { StepHyper } from './schedule';
import { type AdamScalars, type SgdKernel, adamElement } from './sgdKernel';

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
    /** Room for Adam's exp_avg_sq (beside `first` in the kernel's memory: the SIMD update runs). */
    second: Float32Array,
    /** The SIMD module (Adam), when the arrays are views of its memory. */
    private readonly kernel: SgdKernel | null = null,
    /** Scratch room for Adam's gradient with its L2 term (in the kernel's memory; may be the gradient itself). */
    private readonly scratch: Float32Array | null = null,
  ) {
    this.second = t.optimizer === 'sgd' ? null : second;
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
    const wd = weightDecayOf(this.t);
    const step = this.steps;
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const c: AdamScalars = {
      b1: f(beta1),
      a1: f(1 - beta1),
      b2: f(beta2),
      a2: f(1 - beta2),
      negStepSize: f(-(h.lr / biasCorrection1)),
      bc2Sqrt: f(Math.sqrt(biasCorrection2)),
      eps: f(this.t.eps),
      // AdamW: param.mul_(1 - lr·wd) before the moments; Adam: grad.add(param, alpha=wd).
      decay: decoupled ? f(1 - h.lr * wd) : 1,
      wd: decoupled ? 0 : f(wd),
    };
    const m = this.first;
    const v = this.second!;
    if (c.wd !== 0 && this.scratch) {
      // grad.add(param, alpha=wd) is fused in PyTorch (vec::fmadd) and Adam magnifies its last bit
      // where a gradient is near eps: added here, rounded once, before the SIMD loop.
      const s = this.scratch;
      for (let i = 0; i < p.length; i++) s[i] = f(g[i]! + c.wd * p[i]!);
      g = s;
      c.wd = 0;
    }
    if (this.kernel?.adam(p, m, v, g, c)) return;
    for (let i = 0; i < p.length; i++) adamElement(p, m, v, g, i, c);
  }
}

const OPTIMIZER_NAMES = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW' } as const;

/**
 * The optimizer and schedule in a few words, for the CLI and the panel: "AdamW (lr 0.001,
 * weight decay 0.01), cosine schedule". Null for the seed's (SGD-momentum at a constant rate).
 */
export function describeOptimizer(t: LabConfig['training'], lr: (v: number) => string = String): string | null {
  if (isPlainSgd(t) && t.schedule.type === 'none') return null;
  const parts = [`lr ${lr(t.learningRate)}`];
  if (t.optimizer === 'sgd') parts.push(`momentum ${t.momentum}${t.nesterov ? ', Nesterov' : ''}`);
  else parts.push(`betas ${t.betas[0]}/${t.betas[1]}, eps ${t.eps}`);
  const wd = weightDecayOf(t);
  if (wd !== 0) parts.push(`weight decay ${wd}`);
  const s = t.schedule;
  const schedule =
    s.type === 'step'
      ? `, step schedule (×${s.gamma} every ${s.stepSize} epochs)`
      : s.type === 'cosine'
        ? `, cosine schedule (to ${lr(s.etaMin)} over ${s.tMax ?? t.epochs} epochs)`
        : s.type === 'one-cycle'
          ? `, one-cycle schedule (max lr ${lr(s.maxLr ?? t.learningRate)}, per batch)`
          : '';
  return `${OPTIMIZER_NAMES[t.optimizer]} (${parts.join(', ')})${schedule}`;
}
