// The extension's manifest follows VS Code's conventions (issue 15): a walkthrough whose every step
// has a picture on disk and completion events, ▶ Train in the editor title of a *.mnist.json,
// no debug command contributed, one category, no activation events VS Code ≥ 1.74 derives itself,
// an icon and notices in the package; and the README is one screen whose links all resolve.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
const nlsZh = JSON.parse(readFileSync(join(ROOT, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
const c = pkg.contributes;
const CONFIG_WHEN = 'resourceFilename =~ /\\.mnist\\.json$/';
const en = (v: string) => (/^%.+%$/.test(v) ? nls[v.slice(1, -1)] : v);

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}

test('a walkthrough of at least six steps, each with a picture on disk and completion events, in English and Chinese', () => {
  const walkthroughs = c.walkthroughs as {
    id: string;
    title: string;
    steps: {
      id: string;
      title: string;
      description: string;
      media: { image?: string; markdown?: string; altText?: string };
      completionEvents?: string[];
    }[];
  }[];
  assert.equal(walkthroughs?.length, 1);
  const w = walkthroughs[0]!;
  assert.ok(w.steps.length >= 6, `${w.steps.length} steps`);
  const commands = new Set((c.commands as { command: string }[]).map((x) => x.command));
  for (const s of w.steps) {
    assert.ok(s.media.image, `step ${s.id} has no image`);
    const image = join(ROOT, s.media.image);
    assert.ok(existsSync(image) && statSync(image).size > 1000, `step ${s.id}: ${s.media.image} is missing or empty`);
    assert.ok(s.media.altText, `step ${s.id} has no altText`);
    assert.ok(s.completionEvents?.length, `step ${s.id} has no completionEvents`);
    for (const e of s.completionEvents!) {
      const m = /^onCommand:(.+)$/.exec(e);
      if (m) assert.ok(commands.has(m[1]!), `step ${s.id}: ${e} names a command that is not contributed`);
    }
    for (const k of [s.title, s.description]) {
      assert.match(k, /^%.+%$/, `step ${s.id}: ${k} is not localised`);
      assert.ok(nls[k.slice(1, -1)] && nlsZh[k.slice(1, -1)], `step ${s.id}: ${k} missing in a package.nls file`);
    }
    // Command links in a description name contributed commands.
    for (const m of en(s.description)!.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(commands.has(m[1]!), `step ${s.id} links ${m[1]}`);
  }
  // The walkthrough's order: config, train, kernels, robustness, draw, history.
  assert.deepEqual(
    w.steps.map((s) => s.id),
    ['config', 'train', 'kernels', 'robustness', 'draw', 'history'],
  );
});

test('▶ Train in the editor title of *.mnist.json files; Train and Evaluate in the explorer and editor context menus', () => {
  const run = c.menus['editor/title/run'] as MenuItem[];
  const train = run.find((m) => m.command === 'mnistLab.train');
  assert.ok(train?.when?.includes(CONFIG_WHEN), `editor/title/run: ${JSON.stringify(train)}`);
  const cmd = (c.commands as { command: string; icon?: string }[]).find((x) => x.command === 'mnistLab.train');
  assert.ok(cmd?.icon, 'mnistLab.train needs an icon for the editor title');
  for (const menu of ['explorer/context', 'editor/context']) {
    for (const id of ['mnistLab.train', 'mnistLab.evaluate']) {
      const item = (c.menus[menu] as MenuItem[]).find((m) => m.command === id);
      assert.ok(item?.when?.includes(CONFIG_WHEN), `${menu}: ${id} for *.mnist.json`);
    }
  }
});

test('no debug command contributed; every command in the category "MNIST Lab"; palette entries name contributed commands', () => {
  const commands = c.commands as { command: string; category?: string }[];
  assert.deepEqual(
    commands.filter((x) => x.command.startsWith('mnistLab.debug')).map((x) => x.command),
    [],
  );
  for (const x of commands) assert.equal(en(x.category ?? ''), 'MNIST Lab', `category of ${x.command}`);
  assert.equal(en(c.configuration.title), 'MNIST Lab');
  for (const box of c.viewsContainers.activitybar as { title: string }[]) assert.equal(en(box.title), 'MNIST Lab');
  const ids = new Set(commands.map((x) => x.command));
  for (const [menu, items] of Object.entries<MenuItem[]>(c.menus))
    for (const m of items) assert.ok(ids.has(m.command), `${menu}: ${m.command} is not contributed`);
});

test('activation events: none that VS Code ≥ 1.74 derives from contributions', () => {
  const events = pkg.activationEvents as string[];
  assert.deepEqual(
    events.filter((e) => /^on(Command|View|Language|CustomEditor|Walkthrough):/.test(e)),
    [],
  );
  assert.ok(events.includes('workspaceContains:**/*.mnist.json'));
});

test('settings: markdownDescription and order on each; backend and workers machine-overridable', () => {
  const props = c.configuration.properties as Record<
    string,
    { markdownDescription?: string; description?: string; order?: number; scope?: string }
  >;
  const orders = Object.values(props).map((p) => p.order);
  for (const [k, p] of Object.entries(props)) {
    assert.ok(p.markdownDescription && !p.description, `${k}: markdownDescription`);
    assert.equal(typeof p.order, 'number', `${k}: order`);
  }
  assert.equal(new Set(orders).size, orders.length, 'two settings share an order');
  assert.equal(props['mnistLab.backend']!.scope, 'machine-overridable');
  assert.equal(props['mnistLab.workers']!.scope, 'machine-overridable');
  assert.equal(props['mnistLab.nodePath']!.scope, 'machine');
});

test('the package: a 128×128 PNG icon, keywords, a gallery banner; notices, changelog and pictures are packed', () => {
  const icon = readFileSync(join(ROOT, pkg.icon));
  assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(icon.readUInt32BE(16), 128);
  assert.equal(icon.readUInt32BE(20), 128);
  assert.ok(pkg.keywords?.length >= 3 && pkg.keywords.length <= 30);
  assert.match(pkg.galleryBanner?.color ?? '', /^#[0-9a-fA-F]{6}$/);
  const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n');
  for (const line of [
    '!README.md',
    '!CHANGELOG.md',
    '!THIRD_PARTY_NOTICES.md',
    '!LICENSE',
    `!${pkg.icon}`,
    '!media/walkthrough/*.png',
    '!docs/screenshots/*.png',
    '!docs/media/*.gif',
  ]) {
    assert.ok(ignore.includes(line), `.vscodeignore lacks ${line}`);
  }
  // The extension page shows the README from the package: each of its pictures must be packed.
  const packed = ignore
    .filter((l) => l.startsWith('!'))
    .map((l) => new RegExp(`^${l.slice(1).replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`));
  for (const src of [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!)) {
    assert.ok(
      packed.some((re) => re.test(src)),
      `README's picture ${src} is not packed (.vscodeignore)`,
    );
  }
  for (const f of ['CHANGELOG.md', 'THIRD_PARTY_NOTICES.md']) assert.ok(existsSync(join(ROOT, f)), f);
});

/** Relative links and pictures of a markdown file (fenced code left out; http(s), mailto, command and anchors skipped). */
function relativeTargets(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const targets = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g), ...text.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
  return targets.filter((t) => !/^(https?:|mailto:|command:|#)/.test(t)).map((t) => t.replace(/#.*$/, ''));
}

test('README: its first screen is at most 80 lines, and every relative link and picture in it and in docs/ exists', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  // The first screen: up to the first "## " heading after the quick start (or all of it).
  const quick = readme.findIndex((l) => /^## Quick start/i.test(l));
  assert.ok(quick > 0, 'the README has no "## Quick start"');
  const next = readme.findIndex((l, i) => i > quick && l.startsWith('## '));
  const firstScreen = next < 0 ? readme.length : next;
  assert.ok(firstScreen <= 80, `the README's first screen is ${firstScreen} lines`);
  assert.ok(readme.length <= 80, `the README is ${readme.length} lines`);
  // The two commands `.ci/run` runs.
  const text = readme.join('\n');
  assert.ok(text.includes('npm install && npm start') && text.includes('npm test'));

  const docs = join(ROOT, 'docs');
  const files = [
    join(ROOT, 'README.md'),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(docs, f)),
  ];
  const broken: string[] = [];
  for (const f of files) {
    for (const t of relativeTargets(f)) {
      const target = resolve(dirname(f), decodeURIComponent(t));
      if (!existsSync(target)) broken.push(`${relative(ROOT, f)} → ${t}`);
    }
  }
  assert.deepEqual(broken, [], 'relative links to missing files');
});
