/**
 * Problems of a `*.mnist.json` that VS Code's JSON schema support cannot report (an even kernel,
 * a batch larger than the validation split, a data directory that is not there), plus every
 * problem the core's checkConfig finds, each on the exact text of the value, with a fix that
 * restores the seed's value. Reads the file system (data directories); no vscode import.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Node } from 'jsonc-parser';
import { SEED_CONFIG, checkConfig } from '../../core/config';
import { MNIST_FILES } from '../../core/data/mnist';
import { t } from '../l10n';
import { type ConfigDocument, type TextSpan, nodeAtPath, pathSegments, spanOfPath, valueAtPath } from './configDocument';

export interface TextEdit extends TextSpan {
  content: string;
}

export interface ConfigDiagnostic {
  /** JSON path of the value, as the core names it (`model.depth[1]`). */
  path: string;
  message: string;
  span: TextSpan;
  severity: 'error' | 'warning';
  /** Which rule: `kernel-even`, `depth`, `batch-validation`, `data-dir`, or `config` (checkConfig). */
  code: string;
  fix?: { title: string; edits: TextEdit[] };
}

export interface DiagnosticContext {
  /** The config file (a relative data.dir is resolved against its folder). */
  file: string;
  /** `mnistLab.dataDir` resolved, used when the file sets no data.dir; null = the MNIST shipped with the extension. */
  defaultDataDir: string | null;
}

/** The embedded MNIST's validation split: the first half of its 10,000 test images. */
export const MNIST_VALIDATION_SIZE = 5000;

/** A JSON value written compactly with spaces, the way a person types it on one line. */
export function compactJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(compactJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.length ? `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${compactJson(x)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(v);
}

/** Edits that remove a property (with its comma) from its object. */
function removeProperty(property: Node): TextEdit {
  const siblings = property.parent?.children ?? [property];
  const i = siblings.indexOf(property);
  const next = siblings[i + 1];
  const prev = siblings[i - 1];
  if (next) return { offset: property.offset, length: next.offset - property.offset, content: '' };
  if (prev) return { offset: prev.offset + prev.length, length: property.offset + property.length - (prev.offset + prev.length), content: '' };
  return { offset: property.offset, length: property.length, content: '' };
}

/** The quick fix for a path: the seed's value in place of the written one, or removing a field the seed does not have. */
export function seedFix(doc: ConfigDocument, path: string): ConfigDiagnostic['fix'] | undefined {
  const node = nodeAtPath(doc, path);
  if (!node) return undefined;
  const seed = path === '' ? SEED_CONFIG : valueAtPath(SEED_CONFIG, path);
  if (seed === undefined) {
    const property = node.parent?.type === 'property' ? node.parent : undefined;
    if (!property) return undefined;
    return { title: t('Remove "{0}" (the seed has no such field)', pathSegments(path).at(-1) ?? path), edits: [removeProperty(property)] };
  }
  const content = path === '' ? `${JSON.stringify(SEED_CONFIG, null, 2)}` : compactJson(seed);
  return { title: path === '' ? t("Restore the seed's config") : t("Restore the seed's value {0}", content), edits: [{ offset: node.offset, length: node.length, content }] };
}

/** 5000 → "5,000" without toLocaleString (its first call in the extension host loads ICU: ≈100 ms blocked). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** `data.dir` as the worker will use it: the file's (relative to the file), else the setting's; null = embedded. */
export function effectiveDataDir(written: unknown, ctx: DiagnosticContext): string | null {
  if (typeof written === 'string' && written.trim()) return isAbsolute(written) ? written : resolve(dirname(ctx.file), written);
  return ctx.defaultDataDir;
}

function idxFile(dir: string, name: string): string | null {
  for (const f of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(f)) return f;
  return null;
}

/** Where a data directory falls short: not there, not a directory, or without one of the four IDX files. */
export function dataDirProblem(dir: string): string | null {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return `the data directory ${dir} does not exist`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  const missing = Object.values(MNIST_FILES).filter((f) => !idxFile(dir, f));
  return missing.length ? `the data directory ${dir} has no ${missing.map((f) => `${f}[.gz]`).join(', ')}` : null;
}

/** The validation split of a data directory (the first half of its test file), from the IDX header; null when unreadable. */
export function validationSize(dir: string | null): number | null {
  if (dir === null) return MNIST_VALIDATION_SIZE;
  const f = idxFile(dir, MNIST_FILES.testLabels);
  if (!f) return null;
  try {
    let bytes: Uint8Array = readFileSync(f);
    if (f.endsWith('.gz')) bytes = gunzipSync(bytes);
    if (bytes.length < 8) return null;
    const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, false);
    return Math.floor(count / 2);
  } catch {
    return null;
  }
}

/** A path's span; the top level is marked at its first character, not over the whole file. */
function spanFor(doc: ConfigDocument, path: string, key = false): TextSpan | null {
  if (path === '') return doc.root ? { offset: doc.root.offset, length: 1 } : null;
  return spanOfPath(doc, path, { key });
}

/** Every problem of the document; none while the JSON itself is incomplete (VS Code's JSON support reports that). */
export function configDiagnostics(doc: ConfigDocument, ctx: DiagnosticContext): ConfigDiagnostic[] {
  if (!doc.valid) return [];
  const out: ConfigDiagnostic[] = [];
  const raw = doc.value;
  const at = (path: string, code: string, message: string, severity: ConfigDiagnostic['severity'] = 'error') => {
    const span = spanFor(doc, path);
    // At the top level nothing in the file is to blame: no fix.
    if (span) out.push({ path, message, span, severity, code, fix: path === '' ? undefined : seedFix(doc, path) });
  };
  const written = (path: string) => (nodeAtPath(doc, path) ? valueAtPath(raw, path) : undefined);

  const kernel = written('model.kernelSize');
  if (typeof kernel === 'number' && Number.isInteger(kernel) && kernel % 2 === 0) {
    at('model.kernelSize', 'kernel-even', `kernelSize ${kernel} is even: "same" padding ((k−1)/2 on each side) needs an odd kernel size (the seed: ${SEED_CONFIG.model.kernelSize})`);
  }
  const depth = written('model.depth');
  if (depth !== undefined && !(Array.isArray(depth) && depth.length === 2 && depth.every(isPositiveInt))) {
    at('model.depth', 'depth', `depth must be two positive integers, the channels of conv1 and conv2 (the seed: ${compactJson(SEED_CONFIG.model.depth)}); got ${compactJson(depth)}`);
  }
  const dataDirWritten = written('data.dir');
  const dataDir = effectiveDataDir(dataDirWritten, ctx);
  const dirProblem = dataDir === null ? null : dataDirProblem(dataDir);
  if (dirProblem) {
    if (typeof dataDirWritten === 'string') at('data.dir', 'data-dir', dirProblem);
    // From the setting: said at the top, where nothing in the file is to blame.
    else at('', 'data-dir', `${dirProblem} (the mnistLab.dataDir setting)`, 'warning');
  }
  const batch = written('training.batchSize');
  if (typeof batch === 'number' && Number.isInteger(batch) && batch >= 1 && !dirProblem) {
    const split = validationSize(dataDir);
    if (split !== null && batch > split) {
      at('training.batchSize', 'batch-validation', `batchSize ${batch} is larger than the validation split (${thousands(split)} images${dataDir ? ` in ${dataDir}` : ' of MNIST'}): a batch must fit in it`);
    }
  }

  // The core's own checks; where a rule above already spoke about a path (or its parent), it is not repeated.
  const covered = out.map((d) => d.path).filter((p) => p !== '');
  for (const p of checkConfig(raw).problems) {
    if (covered.some((c) => p.path === c || p.path.startsWith(`${c}.`) || p.path.startsWith(`${c}[`))) continue;
    const span = spanFor(doc, p.path, p.message.startsWith('unknown field'));
    if (!span) continue;
    out.push({ path: p.path, message: `${p.path || 'config'}: ${p.message}`, span, severity: 'error', code: 'config', fix: seedFix(doc, p.path) });
  }
  return out;
}
