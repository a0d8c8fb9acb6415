/**
 * The learning rate (and momentum) of each training step, as torch.optim.lr_scheduler computes
 * them. StepLR and CosineAnnealingLR are stepped once per epoch, as PyTorch users call them
 * (`scheduler.step()` after each epoch: the whole epoch trains with one rate); OneCycleLR once
 * per batch over epochs × batches per epoch steps, cycling SGD's momentum or Adam's beta1 too
 * (cycle_momentum, PyTorch's default). A run cut short (--max-steps) follows the full run's
 * schedule: its steps are a prefix of it.
 */
import type { LabConfig } from '../config';
import { LabError } from '../errors';

/** What one optimizer step uses: the rate, SGD's momentum and Adam's beta1 (the schedule may change them). */
export interface StepHyper {
  lr: number;
  momentum: number;
  beta1: number;
}

type Training = Pick<LabConfig['training'], 'learningRate' | 'momentum' | 'epochs' | 'betas' | 'optimizer' | 'schedule'>;

/** OneCycleLR's two phases (three_phase=False) for `total` steps: [end step, start lr, end lr, start momentum, end momentum]. */
function oneCyclePhases(t: Training, total: number) {
  const s = t.schedule;
  const maxLr = s.maxLr ?? t.learningRate;
  const initialLr = maxLr / s.divFactor;
  const minLr = initialLr / s.finalDivFactor;
  return [
    { end: s.pctStart * total - 1, lr: [initialLr, maxLr], momentum: [s.maxMomentum, s.baseMomentum] },
    { end: total - 1, lr: [maxLr, minLr], momentum: [s.baseMomentum, s.maxMomentum] },
  ] as const;
}

function anneal(strategy: 'cos' | 'linear', start: number, end: number, pct: number): number {
  if (strategy === 'linear') return (end - start) * pct + start;
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2.0) * cosOut;
}

/** Whether the rate (or momentum) ever changes during the run. */
export function scheduled(t: Pick<LabConfig['training'], 'schedule'>): boolean {
  return t.schedule.type !== 'none';
}

/**
 * The hyperparameters of step `step` (0-based, over all epochs) of a run with `stepsPerEpoch`
 * batches per epoch. Double precision, as PyTorch's Python scalars; the update rounds them to
 * float32 as PyTorch's kernels do.
 */
export function hyperAt(t: Training, step: number, stepsPerEpoch: number): StepHyper {
  const s = t.schedule;
  const base: StepHyper = { lr: t.learningRate, momentum: t.momentum, beta1: t.betas[0] };
  const epoch = Math.floor(step / stepsPerEpoch);
  switch (s.type) {
    case 'none':
      return base;
    case 'step': {
      // StepLR multiplies the group's rate by gamma at each boundary (its recursive form, to the last bit).
      let lr = t.learningRate;
      const decays = Math.floor(epoch / (s.stepSize ?? 1));
      for (let k = 0; k < decays; k++) lr *= s.gamma;
      return { ...base, lr };
    }
    case 'cosine': {
      // The closed form CosineAnnealingLR documents (its recursive get_lr agrees to ≈1e-15).
      const tMax = s.tMax ?? t.epochs;
      return { ...base, lr: s.etaMin + ((t.learningRate - s.etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2 };
    }
    case 'one-cycle': {
      const total = t.epochs * stepsPerEpoch;
      const phases = oneCyclePhases(t, total);
      let start = 0;
      for (let i = 0; i < phases.length; i++) {
        const p = phases[i]!;
        if (step <= p.end || i === phases.length - 1) {
          if (p.end === start) {
            // PyTorch's get_lr divides by zero here (ZeroDivisionError): the phase has no length.
            throw new LabError(
              `training.schedule.pctStart ${s.pctStart} × ${total} steps leaves a one-cycle phase with no steps; choose another pctStart`,
              { field: 'training.schedule.pctStart' },
            );
          }
          const pct = (step - start) / (p.end - start);
          const lr = anneal(s.annealStrategy, p.lr[0], p.lr[1], pct);
          if (!s.cycleMomentum) return { ...base, lr };
          const m = anneal(s.annealStrategy, p.momentum[0], p.momentum[1], pct);
          return t.optimizer === 'sgd' ? { ...base, lr, momentum: m } : { ...base, lr, beta1: m };
        }
        start = p.end;
      }
      return base;
    }
  }
}

/** A schedule with its steps known: the rates of a run's steps, cached per step (the per-epoch ones change rarely). */
export class Schedule {
  private last = -1;
  private lastHyper: StepHyper;
  constructor(
    private readonly training: Training,
    readonly stepsPerEpoch: number,
  ) {
    this.lastHyper = hyperAt(training, 0, stepsPerEpoch);
  }

  at(step: number): StepHyper {
    if (step !== this.last) {
      this.lastHyper = hyperAt(this.training, step, this.stepsPerEpoch);
      this.last = step;
    }
    return this.lastHyper;
  }
}
