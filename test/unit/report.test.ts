// The lab report (mnist-lab report, src/core/report): its files, its links, its metrics table,
// both languages, the comparison with the original lab only on MNIST, refusals of bad input, and
// report.html opened in Chromium with every figure drawn and no request leaving the page.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { MAX_SAVE_CHARS, validateFromWebview, validateToWorker } from '../../src/core/protocol';
import { writeReport } from '../../src/core/report/report';
import { cli, jsonLines } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');
const ROOT = join(__dirname, '..', '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const FIGURES = [
  'error-curves',
  'conv1-kernels',
  'conv2-kernels',
  'feature-maps',
  'shifted-conv1',
  'shifted-conv2',
  'sweep-shifts',
  'sweep-rotation-noise',
];

const tmp = tempDir();
const en = join(tmp, 'en');

/** Width and height from a PNG's IHDR (after the 8-byte signature). */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file}: a PNG signature`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** The local targets of Markdown links and images: `](target)`. */
function linkTargets(md: string): string[] {
  return [...md.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

function checkFolder(dir: string, md: string): void {
  const targets = linkTargets(md);
  assert.ok(targets.length >= 2 * FIGURES.length, `report.md links every figure as PNG and SVG (${targets.length} links)`);
  for (const t of targets) {
    assert.ok(!/^[a-z]+:/i.test(t), `${t}: a local file, no URL`);
    assert.ok(existsSync(join(dir, t)), `${t} exists beside report.md`);
  }
  for (const f of FIGURES) {
    const png = pngSize(join(dir, 'figures', `${f}.png`));
    assert.ok(png.width > 100 && png.height > 50, `${f}.png is ${png.width}×${png.height}`);
    const svg = readFileSync(join(dir, 'figures', `${f}.svg`), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${f}.svg is an SVG document`);
    assert.ok(svg.includes('<rect') || svg.includes('<path'), `${f}.svg draws something`);
    assert.ok(targets.includes(`figures/${f}.png`) && targets.includes(`figures/${f}.svg`), `report.md links ${f}`);
  }
}

test('mnist-lab report: report.md with every linked file present, metrics.csv equal to metrics.jsonl, HTML self-contained', () => {
  const r = cli(['report', FIXTURE, '--out', en, '--range', '1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const [summary] = jsonLines(r.stdout);
  assert.equal(summary!.type, 'summary');
  assert.equal(summary!.command, 'report');
  assert.equal(summary!.markdown, join(en, 'report.md'));
  const md = readFileSync(join(en, 'report.md'), 'utf8');
  checkFolder(en, md);
  for (const h of [
    '## 1. Aim',
    '## 2. Data and split',
    '## 3. The network',
    '## 4. Hyperparameters',
    '## 5. Error curves',
    '## 6. Accuracy',
    '## 7. Kernels',
    '## 8. Feature maps of test image #4',
    '## 9. The shifted digit',
    '## 10. Robustness sweep',
  ])
    assert.ok(md.includes(`${h}\n`), `report.md has the section ${h}`);
  // The parameters per layer (the seed's net: 104 + 808 + 201 216 + 5 130) and the comparison.
  assert.match(md, /\| conv1 \| .* \| 4×28×28 \| 104 \|/);
  assert.match(md, /\| fc1 \| .* \| 512 \| 201,216 \|/);
  assert.match(md, /\| Total \| {2}\| {2}\| 207,258 \|/);
  assert.match(md, /Test accuracy 99\.12 % against the original lab’s 99\.06 %/);
  assert.equal(summary!.testAccuracy, 0.9912);

  // metrics.csv: one row per progress line of metrics.jsonl, the same numbers (read independently).
  const progress = readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.type === 'progress');
  const [head, ...rows] = readFileSync(join(en, 'metrics.csv'), 'utf8').trim().split('\n');
  const cols = head!.split(',');
  assert.equal(rows.length, progress.length);
  assert.ok(progress.length > 100);
  rows.forEach((row, i) => {
    const cells = row.split(',').map(Number);
    const e = progress[i]!;
    for (const k of ['epoch', 'batch', 'step', 'samples', 'loss', 'trainAccuracy', 'valAccuracy', 'seconds'])
      assert.equal(cells[cols.indexOf(k)], e[k], `row ${i + 1}, ${k}`);
    assert.equal(cells[cols.indexOf('trainErrorPercent')], (e.record as number[])[0]);
    assert.equal(cells[cols.indexOf('valErrorPercent')], (e.record as number[])[1]);
  });

  // report.html: every figure inline, nothing that would load from elsewhere.
  const html = readFileSync(join(en, 'report.html'), 'utf8');
  assert.equal([...html.matchAll(/<img [^>]*src="data:image\/png;base64,/g)].length, FIGURES.length);
  assert.doesNotMatch(html, /(src|href)="(?!data:)/, 'no src or href outside data: URIs');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('report in Simplified Chinese; a run on another dataset (no seed accuracy) leaves the comparison out', async () => {
  await selectBackend('auto', { requireSyncReads: true });
  const other = join(tmp, 'other-run');
  cpSync(FIXTURE, other, { recursive: true });
  const s = JSON.parse(readFileSync(join(other, 'summary.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(other, 'summary.json'), JSON.stringify({ ...s, seedTestAccuracy: null }));
  const zh = join(tmp, 'zh');
  const r = await writeReport({
    runDir: other,
    outDir: zh,
    lang: 'zh-cn',
    root: ROOT,
    sweepRange: 0,
    now: new Date('2026-12-01T00:00:00Z'),
  });
  assert.equal(r.seedTestAccuracy, null);
  const md = readFileSync(join(zh, 'report.md'), 'utf8');
  checkFolder(zh, md);
  for (const h of ['## 一、实验目的', '## 三、网络结构', '## 六、准确率', '## 八、测试图像 #4 的特征图', '## 十、鲁棒性扫描'])
    assert.ok(md.includes(h), `zh-cn: ${h}`);
  assert.ok(!md.includes('## 1. Aim'), 'no English heading in the Chinese report');
  assert.ok(!md.includes('99.06'), 'no comparison with the original lab');
  assert.ok(!md.includes('原实验（测试集）'));
  assert.match(readFileSync(join(zh, 'report.html'), 'utf8'), /<html lang="zh-CN">/);
  // The charts' words are Chinese too (Vega draws them as SVG text).
  assert.match(readFileSync(join(zh, 'figures', 'error-curves.svg'), 'utf8'), /训练与校验错误率/);
});

test('mnist-lab report refuses bad input with one line and exit code 2, writing nothing', () => {
  const bad = (args: string[], pattern: RegExp) => {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  };
  const out = join(tmp, 'refused');
  bad(['report', FIXTURE, '--lang', 'fr', '--out', out], /--lang: expected one of en, zh-cn, got 'fr'/);
  bad(['report', FIXTURE, '--range', '99', '--out', out], /--range: at most 14/);
  bad(['report', FIXTURE, '--dx', '2', '--out', out], /--dx: not used by report/);
  bad(['report', '--out', out], /report takes exactly one RUN/);
  bad(['report', join(tmp, 'nowhere'), '--out', out], /not a run directory/);
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  bad(['report', FIXTURE, '--out', file], /--out .*a-file: is a (regular )?file, not a folder/);
  bad(['report', FIXTURE, '--out', join(file, 'below')], /--out .*: a part of the path is a file/);
  // A hostile run: a summary that is not the lab's.
  const hostile = join(tmp, 'hostile');
  mkdirSync(hostile);
  cpSync(join(FIXTURE, 'config.json'), join(hostile, 'config.json'));
  writeFileSync(join(hostile, 'summary.json'), JSON.stringify({ status: 'done', valAccuracy: 'high' }));
  bad(['report', hostile, '--out', out], /summary\.json: status must be one of/);
  assert.equal(existsSync(out), false, 'nothing written');
  const help = cli(['report', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Examples:\n {2}mnist-lab report runs\//);
});

test(
  'report.html opens in Chromium: every figure drawn, no request leaves the page',
  { skip: !existsSync(CHROMIUM) && `${CHROMIUM} missing` },
  async () => {
    assert.ok(existsSync(join(en, 'report.html')), 'the first test wrote the report');
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('data:') && r.url() !== `file://${resolve(en, 'report.html')}`) requests.push(r.url());
      });
      await page.goto(`file://${resolve(en, 'report.html')}`);
      await page.waitForLoadState('load');
      const images = await page.$$eval('figure img', (imgs) =>
        imgs.map((i) => ({
          name: i.closest('figure')!.getAttribute('data-figure'),
          complete: i.complete,
          w: i.naturalWidth,
          h: i.naturalHeight,
        })),
      );
      assert.deepEqual(
        images.map((i) => i.name),
        FIGURES,
      );
      for (const i of images) assert.ok(i.complete && i.w > 100 && i.h > 50, `${i.name} drawn: ${JSON.stringify(i)}`);
      assert.deepEqual(requests, []);
      assert.equal(await page.title(), 'Lab report: seed');
    } finally {
      await browser.close();
    }
  },
);

test('the report folders hold only what the report writes (no temporary files left)', () => {
  for (const dir of [en, join(en, 'figures')]) for (const f of readdirSync(dir)) assert.doesNotMatch(f, /\.tmp$/);
});

test('the worker accepts a report request only in its exact shape', () => {
  const ok = { type: 'report', runDir: '/r', outDir: '/o', lang: 'zh-cn', dataDir: null };
  assert.equal(validateToWorker({ messageId: 1, request: ok }).ok, true);
  const bad = (request: Record<string, unknown>, pattern: RegExp) => {
    const v = validateToWorker({ messageId: 1, request });
    assert.equal(v.ok, false, JSON.stringify(request).slice(0, 80));
    if (!v.ok) assert.match(v.error, pattern);
  };
  bad({ ...ok, lang: 'fr' }, /lang must be one of en, zh-cn/);
  bad({ ...ok, lang: 'toString' }, /lang must be one of/);
  bad({ ...ok, runDir: '' }, /runDir missing/);
  bad({ ...ok, outDir: 'x'.repeat(5000) }, /outDir missing/);
  bad({ ...ok, outDir: '/a\0b' }, /outDir missing/);
  bad({ ...ok, dataDir: 3 }, /dataDir must be a path/);
  bad({ ...ok, shell: 'rm -rf /' }, /unexpected field "shell"/);
  const { dataDir: _omitted, ...noData } = ok;
  bad(noData, /dataDir must be a path/);
});

test('the host accepts a panel save only as a bounded, well-formed saveFile message', () => {
  const ok = { messageId: 3, type: 'saveFile', name: 'error-rate', format: 'png', data: Buffer.from('png bytes!').toString('base64') };
  assert.equal(validateFromWebview(ok).ok, true);
  assert.equal(validateFromWebview({ ...ok, format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' }).ok, true);
  assert.equal(validateFromWebview({ ...ok, format: 'csv', data: 'a,b\n1,2\n' }).ok, true);
  const bad = (m: Record<string, unknown>, pattern: RegExp) => {
    const v = validateFromWebview(m);
    assert.equal(v.ok, false);
    if (!v.ok) assert.match(v.error, pattern);
  };
  bad({ ...ok, name: '../../.bashrc' }, /name must be a file name/);
  bad({ ...ok, name: 'a/b' }, /name must be a file name/);
  bad({ ...ok, format: 'exe' }, /format must be one of png, svg, csv/);
  bad({ ...ok, data: 'not base64!' }, /base64/);
  bad({ ...ok, format: 'svg', data: '<script>alert(1)</script>' }, /SVG document/);
  bad({ ...ok, data: 'A'.repeat(MAX_SAVE_CHARS + 4) }, /data must be 1\.\.16777216 characters/);
  bad({ ...ok, data: '' }, /data must be/);
  bad({ ...ok, path: '/etc/passwd' }, /unexpected field "path"/);
});
