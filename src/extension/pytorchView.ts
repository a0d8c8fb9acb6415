/**
 * The PyTorch loader the lab panel shows for the run (or weights file) on show: the
 * `load_pytorch.py` written beside the run's model, else one made here from the config or from
 * the safetensors shapes (runs from before the snippet existed, bare weights from the seed's
 * notebook). No vscode import, no TensorFlow.js.
 */
import { realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LabConfig } from '../core/config';
import { classNamesOf } from '../core/data/classes';
import type { RunSummary } from '../core/events';
import { isInside, readUntrusted } from '../core/files/untrusted';
import { SNIPPET_FILE, pytorchSnippet } from '../core/model/pytorchSnippet';
import { readSafetensorsHeaderFile } from '../core/model/safetensors';
import { type ConvNetSpec, specFromTorchShapes, specProblems } from '../core/model/spec';
import type { PytorchSnippetView } from '../core/protocol';

/** A PyTorch loader on disk longer than this is not shown (the lab writes ≈ 3.5 KB). */
const MAX_SNIPPET_BYTES = 256 << 10;

/**
 * The seed's architecture read off a PyTorch state dict's shapes (28×28 inputs: fc1 takes
 * 7·7·depth[1]), from the header alone (checked whole, at most 1 MiB; the shapes within the lab's
 * limits); null for a file whose tensors are not the lab's ConvNet.
 */
export async function specOfSafetensors(file: string): Promise<ConvNetSpec | null> {
  const header = await readSafetensorsHeaderFile(file);
  const shapes = Object.fromEntries(Object.entries(header.tensors).map(([n, t]) => [n, t.shape]));
  try {
    return specFromTorchShapes(shapes, file);
  } catch {
    return null;
  }
}

/**
 * The snippet for a run's saved model (or a weights file, with `config` null). `runDir`: the run
 * the summary was read from; the weights path (read from its summary.json) must then lie inside
 * it (real path), else there is no snippet.
 */
export async function pytorchSnippetFor(
  summary: RunSummary | null,
  config: LabConfig | null,
  runDir?: string,
): Promise<PytorchSnippetView | null> {
  const weights = summary?.model?.safetensors;
  if (typeof weights !== 'string' || !weights || weights.includes('\0')) return null;
  if (runDir !== undefined) {
    try {
      if (!isInside(await realpath(runDir), await realpath(weights))) return null;
    } catch {
      return null;
    }
  }
  const file = join(dirname(weights), SNIPPET_FILE);
  try {
    // A regular file beside the weights (not a link out of the folder, not a FIFO), bounded.
    return {
      file,
      code: (await readUntrusted(file, { kind: 'runJson', maxBytes: MAX_SNIPPET_BYTES, inside: dirname(weights) })).toString('utf8'),
      written: true,
    };
  } catch {
    // No snippet on disk: made from what is known.
  }
  try {
    const spec = await specOfSafetensors(weights);
    if (!spec) return null;
    // The config's dropout only where it is one the lab accepts (it becomes code).
    const dropout = config?.model?.dropout;
    if (dropout !== undefined && specProblems({ ...spec, dropout }).length === 0) spec.dropout = dropout;
    return { file, code: pytorchSnippet(spec, weights, classNamesOf(config, spec.numClasses)), written: false };
  } catch {
    return null;
  }
}
