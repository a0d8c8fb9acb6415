/**
 * A `*.mnist.json` as text with positions: jsonc-parser's tree (VS Code's own parser) mapped to
 * the core's JSON paths (`model.depth[1]`). Half-typed JSON is a normal state while editing, so
 * nothing here throws: an unparsable text gives `valid: false` and the providers wait.
 * No vscode import.
 */
import { type JSONPath, type Node, type ParseError, findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } from 'jsonc-parser';

/** A stretch of the text, in UTF-16 offsets (what `TextDocument.positionAt` takes). */
export interface TextSpan {
  offset: number;
  length: number;
}

export interface ConfigDocument {
  text: string;
  /** False while the text is not a complete JSON value (the providers then wait). */
  valid: boolean;
  root: Node | undefined;
  /** The parsed value (undefined while invalid). */
  value: unknown;
  errors: { message: string; offset: number; length: number }[];
}

/** The config files the editor features apply to. */
export function isConfigFile(path: string): boolean {
  return /\.mnist\.json$/i.test(path);
}

export function parseConfigDocument(text: string): ConfigDocument {
  const errors: ParseError[] = [];
  // The files are plain JSON (the core reads them with JSON.parse): comments and trailing commas are errors.
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const valid = errors.length === 0 && root !== undefined;
  return {
    text,
    valid,
    root,
    value: valid ? getNodeValue(root!) : undefined,
    errors: errors.map((e) => ({ message: printParseErrorCode(e.error), offset: e.offset, length: e.length })),
  };
}

/** `model.depth[1]` → ['model', 'depth', 1]; '' → [] (the top level). */
export function pathSegments(path: string): JSONPath {
  const out: JSONPath = [];
  // `grid["training.learningRate"][1]`: a quoted key is one segment, dots and all.
  const re = /([^.[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
    else out.push(m[1]!);
  }
  return out;
}

export function pathString(segments: JSONPath): string {
  return segments
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : !/^[\w$]+$/.test(s) ? `[${JSON.stringify(s)}]` : i === 0 ? s : `.${s}`))
    .join('');
}

function span(n: Node): TextSpan {
  return { offset: n.offset, length: n.length };
}

/**
 * Where a JSON path is in the text: its value, or with `key` its property name. A path that
 * is not there (a default, not written in the file) falls back to its nearest written ancestor's
 * key, and finally to the top-level value; null only while the document is invalid.
 */
export function spanOfPath(doc: ConfigDocument, path: string | JSONPath, opts: { key?: boolean } = {}): TextSpan | null {
  if (!doc.root) return null;
  const segments = typeof path === 'string' ? pathSegments(path) : path;
  for (let n = segments.length; n > 0; n--) {
    const node = findNodeAtLocation(doc.root, segments.slice(0, n));
    if (!node) continue;
    const property = node.parent?.type === 'property' ? node.parent : undefined;
    const wantKey = opts.key || n < segments.length;
    if (wantKey && property?.children?.[0]) return span(property.children[0]);
    return span(node);
  }
  return span(doc.root);
}

/** The value node at a path, if written in the file. */
export function nodeAtPath(doc: ConfigDocument, path: string | JSONPath): Node | undefined {
  if (!doc.root) return undefined;
  return findNodeAtLocation(doc.root, typeof path === 'string' ? pathSegments(path) : path);
}

/** Every scalar (or array of scalars, like `depth`) written in the file, with its value's span. */
export function writtenLeaves(doc: ConfigDocument): { path: string; value: unknown; span: TextSpan }[] {
  const out: { path: string; value: unknown; span: TextSpan }[] = [];
  const walk = (n: Node, segments: JSONPath) => {
    if (n.type === 'object') {
      for (const p of n.children ?? []) {
        const [k, v] = p.children ?? [];
        if (k && v) walk(v, [...segments, k.value as string]);
      }
      return;
    }
    if (segments.length) out.push({ path: pathString(segments), value: getNodeValue(n), span: span(n) });
  };
  if (doc.valid && doc.root) walk(doc.root, []);
  return out;
}

/** 0-based line and UTF-16 column of an offset (the same numbers as vscode.Position). */
export function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const nl = before.lastIndexOf('\n');
  let line = 0;
  for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) line++;
  return { line, character: before.length - (nl + 1) };
}

/** The offset at the end of the line that holds `offset` (before \r\n or \n). */
export function endOfLine(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  const end = nl === -1 ? text.length : nl;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

/** A value at a path of a plain object (`model.depth[1]` of SEED_CONFIG), undefined if absent. */
export function valueAtPath(obj: unknown, path: string | JSONPath): unknown {
  let v: unknown = obj;
  for (const s of typeof path === 'string' ? pathSegments(path) : path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}
