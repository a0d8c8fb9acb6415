/**
 * Problems of a `*.mnist.json` that VS Code's JSON schema support cannot report (an even kernel,
 * a batch larger than the validation split, a data directory that is not there), plus every
 * problem the core's checkConfig finds, each on the exact text of the value, with a fix that
 * restores the original lab's value. Reads the file system (data directories); no vscode import.
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import type { Node } from 'jsonc-parser';
import { SEED_CONFIG, checkConfig } from '../../core/config';
import { MNIST_FILES } from '../../core/data/mnist';
import { errorMessage } from '../../core/errors';
import {
  FILE_LIMITS,
  type Restriction,
  readUntrusted,
  readUntrustedHead,
  readUntrustedHeadSync,
  readUntrustedSync,
  refuseOutsideWorkspace,
} from '../../core/files/untrusted';
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
  /**
   * The data directory as probed asynchronously beforehand (the extension host: no read there
   * blocks its thread); without it the directory is checked synchronously here (CLI, tests).
   */
  probe?: DataDirProbe;
}

/** What the data directory holds, as far as the diagnostics need it. */
export interface DataDirProbe {
  /** Why it cannot be used (missing, not a directory, an IDX file that is not a regular file…); null: fine. */
  problem: string | null;
  /** Its validation split (half its test labels); null when unknown. */
  validationSize: number | null;
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
  if (prev)
    return { offset: prev.offset + prev.length, length: property.offset + property.length - (prev.offset + prev.length), content: '' };
  return { offset: property.offset, length: property.length, content: '' };
}

/** The quick fix for a path: the original lab's value in place of the written one, or removing a field the seed does not have. */
export function seedFix(doc: ConfigDocument, path: string): ConfigDiagnostic['fix'] | undefined {
  const node = nodeAtPath(doc, path);
  if (!node) return undefined;
  const seed = path === '' ? SEED_CONFIG : valueAtPath(SEED_CONFIG, path);
  if (seed === undefined) {
    const property = node.parent?.type === 'property' ? node.parent : undefined;
    if (!property) return undefined;
    return {
      title: t('Remove "{0}" (the original lab has no such field)', pathSegments(path).at(-1) ?? path),
      edits: [removeProperty(property)],
    };
  }
  const content = path === '' ? `${JSON.stringify(SEED_CONFIG, null, 2)}` : compactJson(seed);
  return {
    title: path === '' ? t("Restore the original lab's config") : t("Restore the original lab's value {0}", content),
    edits: [{ offset: node.offset, length: node.length, content }],
  };
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

function isThere(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function idxFile(dir: string, name: string): string | null {
  for (const f of [join(dir, name), join(dir, `${name}.gz`)]) if (isThere(f)) return f;
  return null;
}

async function idxFileAsync(dir: string, name: string): Promise<string | null> {
  for (const f of [join(dir, name), join(dir, `${name}.gz`)]) {
    if (
      await stat(f).then(
        () => true,
        () => false,
      )
    )
      return f;
  }
  return null;
}

const missingText = (dir: string, missing: string[]) => `the data directory ${dir} has no ${missing.map((f) => `${f}[.gz]`).join(', ')}`;

/**
 * Where a data directory falls short: not there, not a directory, without one of the four IDX
 * files, or with one that is not a regular file within the IDX size limit (a FIFO, a symlink to
 * /dev/zero: named, and never read from).
 */
export function dataDirProblem(dir: string): string | null {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return `the data directory ${dir} does not exist`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  const found = Object.values(MNIST_FILES).map((f) => [f, idxFile(dir, f)] as const);
  const missing = found.filter(([, p]) => !p).map(([f]) => f);
  if (missing.length) return missingText(dir, missing);
  for (const [, p] of found) {
    try {
      readUntrustedHeadSync(p!, 16, { kind: 'idx' });
    } catch (e) {
      return errorMessage(e);
    }
  }
  return null;
}

/** The test labels' count from their header (raw: 8 bytes; gzip: decompressed within the IDX limit). */
function labelCount(bytes: Uint8Array): number | null {
  if (bytes.length < 8) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, false);
}

/** The validation split of a data directory (the first half of its test file), from the IDX header; null when unreadable. */
export function validationSize(dir: string | null): number | null {
  if (dir === null) return MNIST_VALIDATION_SIZE;
  const f = idxFile(dir, MNIST_FILES.testLabels);
  if (!f) return null;
  try {
    const bytes = f.endsWith('.gz')
      ? gunzipSync(readUntrustedSync(f, { kind: 'idx' }), { maxOutputLength: FILE_LIMITS.idx })
      : readUntrustedHeadSync(f, 8, { kind: 'idx' });
    const count = labelCount(bytes);
    return count === null ? null : Math.floor(count / 2);
  } catch {
    return null;
  }
}

const gunzipAsync = promisify(gunzip);

/**
 * The same checks without blocking the calling thread (the extension host): every file opened
 * asynchronously, a FIFO or a device refused by name on its descriptor. In Restricted Mode a data
 * directory outside the workspace is refused before anything in it is touched.
 */
export async function probeDataDir(dir: string | null, restriction: Restriction = null): Promise<DataDirProbe> {
  if (dir === null) return { problem: null, validationSize: MNIST_VALIDATION_SIZE };
  try {
    await refuseOutsideWorkspace(dir, restriction, 'the data directory');
  } catch (e) {
    return { problem: errorMessage(e), validationSize: null };
  }
  let st;
  try {
    st = await stat(dir);
  } catch {
    return { problem: `the data directory ${dir} does not exist`, validationSize: null };
  }
  if (!st.isDirectory()) return { problem: `${dir} is not a directory`, validationSize: null };
  const names = Object.values(MNIST_FILES);
  const found = await Promise.all(names.map((f) => idxFileAsync(dir, f)));
  const missing = names.filter((_, i) => !found[i]);
  if (missing.length) return { problem: missingText(dir, missing), validationSize: null };
  for (const p of found) {
    try {
      await readUntrustedHead(p!, 16, { kind: 'idx' });
    } catch (e) {
      return { problem: errorMessage(e), validationSize: null };
    }
  }
  const labels = found[names.indexOf(MNIST_FILES.testLabels)]!;
  try {
    const bytes = labels.endsWith('.gz')
      ? await gunzipAsync(await readUntrusted(labels, { kind: 'idx' }), { maxOutputLength: FILE_LIMITS.idx })
      : await readUntrustedHead(labels, 8, { kind: 'idx' });
    const count = labelCount(bytes);
    return { problem: null, validationSize: count === null ? null : Math.floor(count / 2) };
  } catch {
    return { problem: null, validationSize: null };
  }
}

/** The data directory a document's diagnostics are about (its data.dir, else the setting's); null = embedded. */
export function documentDataDir(doc: ConfigDocument, ctx: Pick<DiagnosticContext, 'file' | 'defaultDataDir'>): string | null {
  const written = doc.valid && nodeAtPath(doc, 'data.dir') ? valueAtPath(doc.value, 'data.dir') : undefined;
  return effectiveDataDir(written, { file: ctx.file, defaultDataDir: ctx.defaultDataDir });
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
    at(
      'model.kernelSize',
      'kernel-even',
      `kernelSize ${kernel} is even: "same" padding ((k−1)/2 on each side) needs an odd kernel size (the original lab: ${SEED_CONFIG.model.kernelSize})`,
    );
  }
  const depth = written('model.depth');
  if (depth !== undefined && !(Array.isArray(depth) && depth.length === 2 && depth.every(isPositiveInt))) {
    at(
      'model.depth',
      'depth',
      `depth must be two positive integers, the channels of conv1 and conv2 (the original lab: ${compactJson(SEED_CONFIG.model.depth)}); got ${compactJson(depth)}`,
    );
  }
  const dataDirWritten = written('data.dir');
  const dataDir = effectiveDataDir(dataDirWritten, ctx);
  const dirProblem = ctx.probe ? ctx.probe.problem : dataDir === null ? null : dataDirProblem(dataDir);
  if (dirProblem) {
    if (typeof dataDirWritten === 'string') at('data.dir', 'data-dir', dirProblem);
    // From the setting: said at the top, where nothing in the file is to blame.
    else at('', 'data-dir', `${dirProblem} (the mnistLab.dataDir setting)`, 'warning');
  }
  const batch = written('training.batchSize');
  if (typeof batch === 'number' && Number.isInteger(batch) && batch >= 1 && !dirProblem) {
    const split = ctx.probe ? ctx.probe.validationSize : validationSize(dataDir);
    if (split !== null && batch > split) {
      at(
        'training.batchSize',
        'batch-validation',
        `batchSize ${batch} is larger than the validation split (${thousands(split)} images${dataDir ? ` in ${dataDir}` : ' of MNIST'}): a batch must fit in it`,
      );
    }
  }

  // The core's own checks; where a rule above already spoke about a path (or its parent), it is not repeated.
  const covered = out.map((d) => d.path).filter((p) => p !== '');
  for (const p of checkConfig(raw).problems) {
    if (covered.some((c) => p.path === c || p.path.startsWith(`${c}.`) || p.path.startsWith(`${c}[`))) continue;
    const span = spanFor(doc, p.path, p.message.startsWith('unknown field'));
    if (!span) continue;
    out.push({
      path: p.path,
      message: `${p.path || 'config'}: ${p.message}`,
      span,
      severity: 'error',
      code: 'config',
      fix: seedFix(doc, p.path),
    });
  }
  return out;
}
