/**
 * The worker's data and model for analyses, kept between requests (the panel asks many small
 * questions about the same run): the data by folder and class count, the latest model by path
 * and modification time. The backend starts on the first question that needs a model.
 */
import { statSync } from 'node:fs';
import { checkModelFitsData } from '../core/analysis/service';
import type { AnalysisTarget } from '../core/analyses';
import { type BackendOptions, selectBackend } from '../core/backends';
import { type LabData, loadLabData } from '../core/data/mnist';
import { LabError } from '../core/errors';
import type { ConvNet } from '../core/model/convnet';
import { loadModel } from '../core/model/interchange';
import { cancelSweep } from './classification';
import { cancelProjection } from './projection';

/** The bundled .wasm files lie beside this file in dist/ (setWasmPaths needs the folder). */
export const backendOptions: BackendOptions = { wasmDir: process.env.MNIST_LAB_WASM_DIR || __dirname };
let backendReady: Promise<unknown> | null = null;
export const ensureBackend = () => (backendReady ??= selectBackend(process.env.MNIST_LAB_BACKEND || 'auto', backendOptions));

const dataCache = new Map<string, LabData>();

/** The target's data (loaded once per folder and class count). */
export function dataFor(target: AnalysisTarget): LabData {
  const key = `${target.dataDir ?? ''}|${target.numClasses}`;
  let d = dataCache.get(key);
  if (!d) {
    d = loadLabData(target.dataDir ?? undefined, target.numClasses);
    dataCache.set(key, d);
  }
  return d;
}

let cachedModel: { key: string; net: ConvNet; file: string } | null = null;

/** The target's model, on a started backend (reloaded when its file changed). */
export async function modelFor(target: AnalysisTarget): Promise<{ net: ConvNet; file: string }> {
  await ensureBackend();
  if (!target.model)
    throw new LabError('no model: this run has not saved its weights yet (they are saved when training ends)', { code: 'not-found' });
  let stamp: string;
  try {
    stamp = String(statSync(target.model).mtimeMs);
  } catch {
    throw new LabError(`${target.model}: no such run directory or weights file`, { file: target.model, code: 'not-found' });
  }
  const key = `${target.model}|${stamp}`;
  if (cachedModel?.key !== key) {
    // A sweep or a projection on the old model stops at its next batch, before it would use the disposed weights.
    cancelSweep();
    cancelProjection();
    cachedModel?.net.dispose();
    cachedModel = null;
    const { net, file } = loadModel(target.model);
    cachedModel = { key, net, file };
  }
  return cachedModel;
}

/** The target's model and data, checked to fit together. */
export async function modelAndData(target: AnalysisTarget, data = dataFor(target)): Promise<{ net: ConvNet; file: string; data: LabData }> {
  const { net, file } = await modelFor(target);
  checkModelFitsData(net, file, data);
  return { net, file, data };
}
