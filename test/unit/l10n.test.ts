// Localisation: every message of the sources has its Simplified Chinese translation with the same
// placeholders, package.json's %keys% are all defined (and all used), and no user-visible string
// bypasses t(). The messages are extracted from the sources each run, so the check cannot rot: a
// new t('…') without a translation fails here, naming where it is used.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { l10nDataBlock, setTranslator, t as hostT } from '../../src/extension/l10n';
import { setL10nBundle, t } from '../../src/webview/l10n';

const ROOT = join(__dirname, '..', '..', '..');
const LOCALES = ['zh-cn'];

interface Extractor {
  extractMessages(base: string): { messages: Map<string, string[]>; problems: string[] };
  placeholders(message: string): string[];
  blankComments(src: string): string;
  L10N_SOURCES: string[];
}
const extractor = (): Promise<Extractor> => import(pathToFileURL(join(ROOT, 'scripts', 'l10n-bundle.mjs')).href) as Promise<Extractor>;
const readJson = (...p: string[]) => JSON.parse(readFileSync(join(ROOT, ...p), 'utf8')) as Record<string, string>;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

test('every t()/vscode.l10n.t() message is one string literal', async () => {
  const { extractMessages } = await extractor();
  const { messages, problems } = extractMessages(ROOT);
  assert.deepEqual(problems, []);
  assert.ok(messages.size > 100, `only ${messages.size} messages found: is the extractor still finding the calls?`);
  // Spot checks that the extractor sees all three kinds of call.
  assert.ok(
    messages.get('Test accuracy')?.some((w) => w.startsWith('src/webview/')),
    'webview t() not found',
  );
  assert.ok(
    messages.get('Stop and Train')?.some((w) => w.startsWith('src/extension/commands/training.ts')),
    'vscode.l10n.t() not found',
  );
  assert.ok(
    messages.get('Train the network of {0}')?.some((w) => w.startsWith('src/extension/editor/')),
    "the host modules' t() not found",
  );
});

test('comments are not messages; strings with // stay whole', async () => {
  const { blankComments } = await extractor();
  const src = "const a = 'http://x'; // t('not me')\n/* t('nor me') */ t(`tpl ${'//'} x`); t('yes')";
  const out = blankComments(src);
  assert.equal(out.length, src.length);
  assert.ok(!out.includes('not me') && !out.includes('nor me'));
  assert.ok(out.includes("'http://x'") && out.includes("t('yes')") && out.includes("${'//'} x`"));
});

test('l10n/bundle.l10n.json (the English bundle the build writes) holds exactly the messages of the sources', async () => {
  const { extractMessages } = await extractor();
  const { messages } = extractMessages(ROOT);
  const english = readJson('l10n', 'bundle.l10n.json');
  assert.deepEqual(Object.keys(english).sort(), [...messages.keys()].sort(), 'run the build (node scripts/build.mjs) to regenerate it');
  for (const [k, v] of Object.entries(english)) assert.equal(v, k);
});

for (const locale of LOCALES) {
  test(`l10n/bundle.l10n.${locale}.json translates every message, with the same placeholders`, async () => {
    const { extractMessages, placeholders } = await extractor();
    const { messages } = extractMessages(ROOT);
    const bundle = readJson('l10n', `bundle.l10n.${locale}.json`);
    const missing = [...messages.keys()].filter((k) => !(k in bundle)).map((k) => `${JSON.stringify(k)} (${messages.get(k)!.join(', ')})`);
    assert.deepEqual(missing, [], `messages without a ${locale} translation`);
    const stale = Object.keys(bundle).filter((k) => !messages.has(k));
    assert.deepEqual(stale, [], `${locale} translations of messages no source uses any more`);
    for (const [k, v] of Object.entries(bundle)) {
      assert.equal(typeof v, 'string', k);
      assert.ok(v.trim().length > 0, `empty translation of ${JSON.stringify(k)}`);
      assert.deepEqual(placeholders(v), placeholders(k), `placeholders differ: ${JSON.stringify(k)} → ${JSON.stringify(v)}`);
    }
  });

  test(`package.nls.${locale}.json translates every package.nls.json key, with the same placeholders`, async () => {
    const { placeholders } = await extractor();
    const english = readJson('package.nls.json');
    const translated = readJson(`package.nls.${locale}.json`);
    assert.deepEqual(Object.keys(translated).sort(), Object.keys(english).sort());
    for (const [k, v] of Object.entries(translated)) {
      assert.ok(v.trim().length > 0, `empty translation of ${k}`);
      assert.deepEqual(placeholders(v), placeholders(english[k]!), `placeholders differ in ${k}`);
    }
  });
}

test("package.json's %keys% are all in package.nls.json, every key is used, and contributed titles and descriptions use keys", () => {
  const text = readFileSync(join(ROOT, 'package.json'), 'utf8');
  const pkg = JSON.parse(text);
  const english = readJson('package.nls.json');
  const used = new Set([...text.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]!));
  assert.deepEqual(
    [...used].filter((k) => !(k in english)),
    [],
    'keys used in package.json but not defined in package.nls.json',
  );
  assert.deepEqual(
    Object.keys(english).filter((k) => !used.has(k)),
    [],
    'keys of package.nls.json that package.json does not use',
  );
  assert.equal(pkg.l10n, './l10n', 'package.json must name the l10n folder for vscode.l10n');

  const isKey = (v: unknown) => typeof v === 'string' && /^%[^%]+%$/.test(v);
  const raw: string[] = [];
  const c = pkg.contributes;
  for (const cmd of c.commands ?? []) if (!isKey(cmd.title)) raw.push(`command ${cmd.command}: title ${JSON.stringify(cmd.title)}`);
  for (const [name, p] of Object.entries<Record<string, unknown>>(c.configuration?.properties ?? {})) {
    for (const f of ['description', 'markdownDescription', 'deprecationMessage', 'markdownDeprecationMessage'])
      if (p[f] !== undefined && !isKey(p[f])) raw.push(`setting ${name}: ${f}`);
    for (const f of ['enumDescriptions', 'markdownEnumDescriptions'])
      for (const d of (p[f] as unknown[] | undefined) ?? []) if (!isKey(d)) raw.push(`setting ${name}: ${f} ${JSON.stringify(d)}`);
  }
  for (const views of Object.values<{ id: string; name: string }[]>(c.views ?? {}))
    for (const v of views) if (!isKey(v.name)) raw.push(`view ${v.id}: name`);
  for (const box of Object.values<{ id: string; title: string }[]>(c.viewsContainers ?? {}))
    for (const b of box) if (!isKey(b.title)) raw.push(`views container ${b.id}: title`);
  assert.deepEqual(raw, [], 'user-visible package.json strings not going through package.nls.json');
});

test('no user-visible string literal in the webviews or notifications bypasses t()', async () => {
  const { blankComments, L10N_SOURCES } = await extractor();
  const offenders: string[] = [];
  // (The product name, MNIST Lab, stays as it is.)
  const patterns = [
    // webview text set directly from an English literal
    /(?:textContent|innerText|title|placeholder|ariaLabel)\s*[:=]\s*(['"`])(?!MNIST Lab\1)[^'"`$]*[A-Za-z]{3}/g,
    /setText\(\s*'[^']*',\s*(['"`])(?!MNIST Lab\1)[^'"`$]*[A-Za-z]{3}/g,
    /(?<![\w.])(?:section|button|slider)\(\s*'[^']*',\s*(['"`])(?!MNIST Lab\1)[^'"`$]*[A-Za-z]{3}/g,
    // the host's notifications, pickers and progress titles
    /show(?:Information|Warning|Error)Message\(\s*(['"`])/g,
    /(?:placeHolder|prompt)\s*:\s*(['"`])/g,
  ];
  for (const dir of L10N_SOURCES) {
    for (const file of sources(join(ROOT, dir))) {
      const text = blankComments(readFileSync(file, 'utf8'));
      for (const re of patterns)
        for (const m of text.matchAll(re))
          offenders.push(`${relative(ROOT, file)}:${text.slice(0, m.index).split('\n').length}: ${m[0].slice(0, 70)}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the webview t() shows the translation from the bundle VS Code loads, placeholders filled, English without one', () => {
  const zh = readJson('l10n', 'bundle.l10n.zh-cn.json');
  try {
    setL10nBundle(zh);
    assert.equal(t('epoch {0}/{1} · step {2}/{3}', 2, 20, 1876, 18760), '训练周期 2/20 · 第 1876/18760 步');
    assert.equal(t('Kernels'), '卷积核');
    assert.equal(t('test image #{0}, true label {1}', 4, 4), '测试图像 #4，正确的标签 4');
    assert.equal(t('a message without a translation {0}', 'x'), 'a message without a translation x');
    setL10nBundle({ 'Loss {0}': { message: 'L {0}', comment: ['a comment form, as @vscode/l10n-dev writes'] } });
    assert.equal(t('Loss {0}', 1), 'L 1');
  } finally {
    setL10nBundle(undefined);
  }
  assert.equal(t('epoch {0}/{1} · step {2}/{3}', 2, 20, 1876, 18760), 'epoch 2/20 · step 1876/18760');
});

test('the data block the host puts into the page carries the bundle intact, and no message can close it', () => {
  const zh = readJson('l10n', 'bundle.l10n.zh-cn.json');
  const hostile = { ...zh, 'x</script><script>alert(1)</script>': '<!-- </SCRIPT> -->' };
  const block = l10nDataBlock(hostile);
  const m = /^<script id="mnist-lab-l10n" type="application\/json">([\s\S]*)<\/script>$/.exec(block);
  assert.ok(m, block.slice(0, 80));
  assert.ok(!m[1]!.includes('<'), 'a < inside the block');
  assert.deepEqual(JSON.parse(m[1]!), hostile);
  assert.equal(l10nDataBlock(undefined), '<script id="mnist-lab-l10n" type="application/json">{}</script>');
});

test("the host's vscode-free modules translate through the translator activation installs", () => {
  const zh = readJson('l10n', 'bundle.l10n.zh-cn.json');
  assert.equal(hostT('Train the network of {0}', 'a.mnist.json'), 'Train the network of a.mnist.json');
  try {
    setTranslator((message, ...args) => (zh[message] ?? message).replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)])));
    assert.equal(hostT('Train the network of {0}', 'a.mnist.json'), '训练 a.mnist.json 的网络');
  } finally {
    setTranslator(undefined);
  }
});
