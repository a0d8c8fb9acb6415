// The English string bundle (l10n/bundle.l10n.json) from the sources: every t('…') of the webview
// and of the host's vscode-free modules (src/extension/l10n.ts, src/core/l10n.ts) and every vscode.l10n.t('…'),
// the English text being the key as VS Code's l10n wants it. The build writes the bundle; the unit
// test test/unit/l10n.test.ts uses extractMessages() to check the translations against it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Folders whose strings a user reads: the extension host and the webviews (not the core, not the CLI). */
export const L10N_SOURCES = ['src/extension', 'src/webview'];
/** Single files of the core with messages users read: the run status names (src/core/l10n.ts), the lab report's text. */
export const L10N_SHARED_FILES = ['src/core/l10n.ts', 'src/core/report/text.ts'];

const CALL = /(?<![\w$.])(?:vscode\.)?(?:l10n\.)?t\(\s*/g;
const LITERAL = /^(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\$]|\\.|\$(?!\{))*)`)/;

function unescape(body, quote) {
  const json = quote === '"' ? body : body.replace(/\\(['`])/g, '$1').replace(/(^|[^\\])((?:\\\\)*)"/g, '$1$2\\"');
  return JSON.parse(`"${json.replace(/\n/g, '\\n')}"`);
}

/**
 * The source with its comments blanked (newlines kept, so line numbers stay): a t('…') in a
 * comment is an example, not a message. Strings and template literals (with nested ${…}) are
 * skipped over so that a // inside them is not taken for a comment.
 */
export function blankComments(src) {
  const out = src.split('');
  const stack = []; // for each open ${ of a template: the brace depth it started at
  let depth = 0;
  let i = 0;
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  const template = () => {
    // i is just after a backtick (or after the } closing a ${…}): scan to the closing backtick or the next ${.
    while (i < src.length) {
      if (src[i] === '\\') i += 2;
      else if (src[i] === '`') return void i++;
      else if (src[i] === '$' && src[i + 1] === '{') {
        i += 2;
        stack.push(depth);
        depth++;
        return;
      } else i++;
    }
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const to = end < 0 ? src.length : end;
      blank(i, to);
      i = to;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const to = end < 0 ? src.length : end + 2;
      blank(i, to);
      i = to;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '`') {
      i++;
      template();
    } else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      i++;
      if (stack.length && depth === stack[stack.length - 1]) {
        stack.pop();
        template();
      }
    } else i++;
  }
  return out.join('');
}

function sourceFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * Every translatable message of the sources: `messages` maps the English text to where it is
 * used; `problems` lists calls whose message is not one string literal (a computed or
 * interpolated message cannot be translated: pass the values as {0}, {1} arguments).
 */
export function extractMessages(base = root) {
  const messages = new Map();
  const problems = [];
  const files = [...L10N_SOURCES.flatMap((folder) => sourceFiles(join(base, folder))), ...L10N_SHARED_FILES.map((f) => join(base, f))];
  for (const file of files) {
    const text = blankComments(readFileSync(file, 'utf8'));
    const rel = relative(base, file).split('\\').join('/');
    for (const m of text.matchAll(CALL)) {
      const before = text.slice(Math.max(0, m.index - 9), m.index);
      if (/function\s*$/.test(before)) continue;
      const line = text.slice(0, m.index).split('\n').length;
      const rest = text.slice(m.index + m[0].length);
      const lit = LITERAL.exec(rest);
      const after = lit ? rest.slice(lit[0].length).trimStart()[0] : undefined;
      if (!lit || (after !== ',' && after !== ')')) {
        problems.push(
          `${rel}:${line}: the message of ${m[0].trim()}…) must be one string literal, got: ${rest.split('\n')[0].slice(0, 60)}`,
        );
        continue;
      }
      const quote = lit[0][0];
      const message = unescape(lit[1] ?? lit[2] ?? lit[3], quote);
      if (!messages.has(message)) messages.set(message, []);
      messages.get(message).push(`${rel}:${line}`);
    }
  }
  return { messages, problems };
}

/** The {0}, {1}, … of a message, sorted and deduplicated: English and translation must agree. */
export function placeholders(message) {
  return [...new Set(message.match(/\{\d+\}/g) ?? [])].sort();
}

export function writeEnglishBundle(base = root) {
  const { messages, problems } = extractMessages(base);
  if (problems.length) throw new Error(`untranslatable messages:\n${problems.join('\n')}`);
  const bundle = Object.fromEntries([...messages.keys()].sort().map((k) => [k, k]));
  writeFileSync(join(base, 'l10n', 'bundle.l10n.json'), `${JSON.stringify(bundle, null, 2)}\n`);
  return bundle;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = writeEnglishBundle();
  console.log(`l10n/bundle.l10n.json: ${Object.keys(bundle).length} messages`);
}
