/**
 * The PyTorch loader the lab panel shows for the run (or weights file) on show: the
 * `load_pytorch.py` written beside the run's model, else one made here from the config or from
 * the safetensors shapes (runs from before the snippet existed, bare weights from the seed's
 * notebook). No vscode import, no TensorFlow.js.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabConfig } from '../core/config';
import { classNamesOf } from '../core/data/classes';
import type { RunSummary } from '../core/events';
import type { ConvNetSpec } from '../core/model/convnet';
import { SNIPPET_FILE, pytorchSnippet } from '../core/model/pytorchSnippet';
import { decodeSafetensors } from '../core/model/safetensors';
import type { PytorchSnippetView } from '../core/protocol';

/** The seed's architecture read off a PyTorch state dict's shapes (28×28 inputs: fc1 takes 7·7·depth[1]). */
export function specOfSafetensors(file: string): ConvNetSpec | null {
  const { tensors } = decodeSafetensors(readFileSync(file), file);
  const shape = (n: string) => tensors[n]?.shape ?? [];
  const [d0, , k] = shape('conv1.weight');
  const [d1] = shape('conv2.weight');
  const [hidden, flat] = shape('fc1.weight');
  const [numClasses] = shape('fc2.weight');
  if (!d0 || !k || !d1 || !hidden || !flat || !numClasses) return null;
  const side = Math.round(Math.sqrt(flat / d1));
  if (side * side * d1 !== flat) return null;
  return { depth: [d0, d1], kernelSize: k, hidden, dropout: 0.5, imageSize: side * 4, numClasses };
}

/** The snippet for a run's saved model (or a weights file, with `config` null). */
export function pytorchSnippetFor(summary: RunSummary | null, config: LabConfig | null): PytorchSnippetView | null {
  const weights = summary?.model?.safetensors;
  if (!weights) return null;
  const file = join(dirname(weights), SNIPPET_FILE);
  try {
    return { file, code: readFileSync(file, 'utf8'), written: true };
  } catch {
    // No snippet on disk: made from what is known.
  }
  try {
    const spec = specOfSafetensors(weights);
    if (!spec) return null;
    if (config) spec.dropout = config.model.dropout;
    return { file, code: pytorchSnippet(spec, weights, classNamesOf(config, spec.numClasses)), written: false };
  } catch {
    return null;
  }
}
