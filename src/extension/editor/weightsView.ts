/**
 * The lab panel on bare weights (a `.safetensors` from the seed's notebook, a `model.json` outside
 * a run): no curves or log, but the model summary, predictions, feature maps and the robustness
 * check (the analysis worker loads the file itself), and, for safetensors, the conv kernels read
 * here without TensorFlow.js. No vscode import.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { SEED_TEST_ACCURACY, type KernelSnapshot } from '../../core/events';
import { readUntrusted, readUntrustedSync } from '../../core/files/untrusted';
import { decodeTensor, readSafetensorsHeader } from '../../core/model/safetensors';
import type { RunView } from '../../core/protocol';
import { pytorchSnippetFor } from '../pytorchView';
import { emptyRunView } from '../runView';

/** Whether a path names a weights file rather than a run directory. */
export async function isWeightsFile(path: string): Promise<boolean> {
  if (!/\.safetensors$/i.test(path) && !/\.json$/i.test(path)) return false;
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** conv1/conv2 of a PyTorch-layout state dict, as the panel's epoch snapshot (epoch 0: the file as it is). */
export function kernelsOfSafetensors(file: string): KernelSnapshot | null {
  return kernelsOfSafetensorsBytes(readUntrustedSync(file, { kind: 'weights' }), file);
}

/** The same from the file's bytes (read by the caller: the extension host reads asynchronously). */
export function kernelsOfSafetensorsBytes(bytes: Buffer, file: string): KernelSnapshot | null {
  // Checked whole (header, offsets, dtypes) first; only conv1/conv2 are decoded (finite values).
  const header = readSafetensorsHeader(bytes, file);
  const layer = (name: 'conv1' | 'conv2') => {
    const w = header.tensors[`${name}.weight`];
    const b = header.tensors[`${name}.bias`];
    if (!w || !b || w.shape.length !== 4 || b.shape.length !== 1 || b.shape[0] !== w.shape[0]) return null;
    if (w.shape[0]! > 256 || w.shape[1]! > 256 || w.shape[2]! > 13 || w.shape[3]! > 13) return null; // not a ConvNet this lab builds
    return {
      shape: [...w.shape],
      weight: Array.from(decodeTensor(bytes, header, `${name}.weight`, file)),
      bias: Array.from(decodeTensor(bytes, header, `${name}.bias`, file)),
    };
  };
  const conv1 = layer('conv1');
  const conv2 = layer('conv2');
  return conv1 && conv2 ? { epoch: 0, conv1, conv2 } : null;
}

/** A finished "run" whose only content is the weights: the analysis target is the file itself. */
export async function runViewFromWeights(file: string): Promise<RunView> {
  const st = await stat(file);
  const stamp = st.mtime.toISOString();
  const v = emptyRunView();
  const snapshot = /\.safetensors$/i.test(file) ? kernelsOfSafetensorsBytes(await readUntrusted(file, { kind: 'weights' }), file) : null;
  v.runDir = file;
  v.name = basename(file);
  v.status = 'completed';
  v.snapshots = snapshot ? [snapshot] : [];
  v.summary = {
    runId: basename(file),
    runDir: file,
    name: basename(file),
    status: 'completed',
    backend: 'weights file',
    device: '',
    epochs: 0,
    epochsCompleted: 0,
    steps: 0,
    totalSteps: 0,
    valAccuracy: null,
    testAccuracy: null,
    seedTestAccuracy: SEED_TEST_ACCURACY,
    seconds: 0,
    msPerStep: null,
    startedAt: stamp,
    finishedAt: stamp,
    model: /\.safetensors$/i.test(file) ? { safetensors: file, tfjs: '' } : { safetensors: '', tfjs: file },
  };
  v.pytorch = await pytorchSnippetFor(v.summary, null);
  return v;
}
