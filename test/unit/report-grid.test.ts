// The lab report of a grid's run (issue 16: "the robustness sweep (and, for a grid, its table)"):
// a real grid of four tiny runs trained here, the report of one of its points and of the grid
// record itself (its best run), the table and grid.csv against the runs' own summary.json, both
// languages, and hostile grid records refused with one line naming the file and the field.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backends';
import { writeReport } from '../../src/core/report/report';
import { GRIDS_FOLDER, gridOfRunSync, gridRecordAtSync } from '../../src/core/runs/grid';
import { cli, jsonLines } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const ROOT = join(__dirname, '..', '..', '..');
const tmp = tempDir('mnist-lab-report-grid-');
const runs = join(tmp, 'runs');
const KEYS = ['training.learningRate', 'model.hidden'];

interface Point {
  runDir: string;
  values: Record<string, number>;
  valAccuracy: number;
  testAccuracy: number;
}

/** The grid: four runs of a few steps each (what the report shows of them needs no accuracy). */
const grid = (() => {
  const file = join(tmp, 'lr-width.mnist.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'lr-width',
      model: { depth: [2, 4], hidden: 16 },
      training: { epochs: 1, evalEvery: 1 },
      grid: { 'training.learningRate': [0.01, 0.1], 'model.hidden': [8, 16] },
    }),
  );
  const r = cli(['train', file, '--max-steps', '3', '--workers', '1', '--json', '--out', runs]);
  assert.equal(r.status, 0, r.stderr);
  const line = jsonLines(r.stdout).at(-1)!;
  assert.equal(line.type, 'grid');
  return { file: line.file as string, points: line.runs as Point[] };
})();

/** Each point as its own run folder says (summary.json, read here without the lab's code). */
const summaries = grid.points.map((p) => JSON.parse(readFileSync(join(p.runDir, 'summary.json'), 'utf8')) as Record<string, number>);
const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
/** The best validation accuracy, the first of equals. */
const best = summaries.reduce((b, s, i) => (s.valAccuracy! > summaries[b]!.valAccuracy! ? i : b), 0);
/** A point that is not the best (the report of a run the table does not put in bold). */
const other = best === 0 ? 1 : 0;

/** The rows of report.md's grid table, cells unescaped and without emphasis. */
function gridRows(md: string): { cells: string[]; bold: boolean }[] {
  const section = md.slice(md.indexOf('## 11. ') >= 0 ? md.indexOf('## 11. ') : md.indexOf('## 十一、'));
  const lines = section.split('\n').filter((l) => l.startsWith('| '));
  return lines.slice(2).map((l) => {
    const raw = l.slice(2, -2).split(' | ');
    const bold = raw.every((c) => /^\*\*.*\*\*$/.test(c));
    return { cells: raw.map((c) => c.replace(/^\*\*(.*)\*\*$/, '$1').replace(/\\(.)/g, '$1')), bold };
  });
}

function checkTable(md: string, current: number, thisRun: string, header: string[]): void {
  const section = md.slice(md.search(/## (11\. |十一、)/));
  assert.ok(section.includes(`| ${header.join(' | ')} |`), `the table's header: ${header.join(', ')}`);
  const rows = gridRows(md);
  assert.equal(rows.length, grid.points.length);
  rows.forEach((row, i) => {
    const s = summaries[i]!;
    const v = grid.points[i]!.values;
    assert.deepEqual(
      row.cells,
      [
        i === current ? `${i + 1} ${thisRun}` : String(i + 1),
        String(v['training.learningRate']),
        String(v['model.hidden']),
        pct(s.valAccuracy!),
        pct(s.testAccuracy!),
        row.cells[5]!,
      ],
      `row ${i + 1}`,
    );
    assert.equal(row.bold, i === best, `row ${i + 1} ${i === best ? 'is' : 'is not'} in bold`);
  });
}

function checkCsv(file: string, current: number): void {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(head, `point,${KEYS.join(',')},valAccuracy,testAccuracy,status,run,best,thisRun`);
  assert.equal(rows.length, grid.points.length);
  rows.forEach((row, i) => {
    const s = summaries[i]!;
    const v = grid.points[i]!.values;
    assert.deepEqual(row.split(','), [
      String(i + 1),
      String(v['training.learningRate']),
      String(v['model.hidden']),
      String(s.valAccuracy),
      String(s.testAccuracy),
      'completed',
      basename(grid.points[i]!.runDir),
      i === best ? '1' : '0',
      i === current ? '1' : '0',
    ]);
  });
}

test('the grid trained four distinct points; the newest readable record that lists a run is its grid', () => {
  assert.deepEqual(
    grid.points.map((p) => p.values),
    [
      { 'training.learningRate': 0.01, 'model.hidden': 8 },
      { 'training.learningRate': 0.01, 'model.hidden': 16 },
      { 'training.learningRate': 0.1, 'model.hidden': 8 },
      { 'training.learningRate': 0.1, 'model.hidden': 16 },
    ],
  );
  // A newer record that is not one the lab wrote is passed over, not fatal to a run's report.
  const broken = join(runs, GRIDS_FOLDER, '29991231-235959-broken.json');
  writeFileSync(broken, '{"type": "grid"');
  assert.equal(gridOfRunSync(grid.points[other]!.runDir)?.file, grid.file);
  assert.equal(gridOfRunSync(join(tmp, 'not-a-run')), null);
  rmSync(broken);
});

test("mnist-lab report RUN of a grid's point: the grid's table (best in bold, this run marked) and grid.csv", () => {
  const out = join(tmp, 'point-report');
  const r = cli(['report', grid.points[other]!.runDir, '--out', out, '--range', '0', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const [summary] = jsonLines(r.stdout);
  assert.deepEqual(summary!.grid, { record: grid.file, point: other + 1, best: best + 1 });
  assert.equal(summary!.gridTable, join(out, 'grid.csv'));
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.ok(md.includes('## 10. Robustness sweep\n') && md.includes('## 11. Hyperparameter grid\n'));
  assert.ok(md.indexOf('## 10. ') < md.indexOf('## 11. '), 'the grid after the sweep');
  assert.ok(md.includes(`This run is point ${other + 1} of the 4 runs of the grid “lr-width”, which varied ${KEYS.join(', ')}.`));
  assert.ok(md.includes(`The best validation accuracy (in bold) is point ${best + 1}’s, ${pct(summaries[best]!.valAccuracy!)}.`));
  checkTable(md, other, '(this run)', ['\\#', ...KEYS, 'validation', 'test', 'status']);
  assert.ok(gridRows(md).every((row) => row.cells[5] === 'completed'));
  checkCsv(join(out, 'grid.csv'), other);
  assert.ok(md.includes('The grid’s table is in grid.csv.'));
  // report.html: the same table, the best row in <strong>, this run's row marked.
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const rows = [...html.matchAll(/<tr( class="([^"]*)")?><td>(.*?)<\/tr>/g)].filter((m) => /^(<strong>)?\d/.test(m[3]!));
  const tableRows = rows.slice(-grid.points.length);
  assert.deepEqual(
    tableRows.map((m) => m[2] ?? ''),
    grid.points.map((_, i) => [i === best ? 'best' : '', i === other ? 'current' : ''].filter(Boolean).join(' ')),
  );
  assert.match(tableRows[best]![0], /<td><strong>[\d.]+ %<\/strong><\/td>/);
  assert.match(html, /<h2>11\. Hyperparameter grid<\/h2>/);
});

test('mnist-lab report GRID: the best run’s report, with the table, in that run’s folder by default; a grids folder: its newest record', () => {
  const bestRun = grid.points[best]!.runDir;
  const check = () => {
    const md = readFileSync(join(bestRun, 'report', 'report.md'), 'utf8');
    assert.ok(md.includes('This run has the best validation accuracy of the grid (in bold).'));
    checkTable(md, best, '(this run)', ['\\#', ...KEYS, 'validation', 'test', 'status']);
    checkCsv(join(bestRun, 'report', 'grid.csv'), best);
  };
  const r = cli(['report', grid.file, '--range', '0', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const [summary] = jsonLines(r.stdout);
  assert.equal(summary!.run, bestRun);
  assert.equal(summary!.outDir, join(bestRun, 'report'));
  assert.deepEqual(summary!.grid, { record: grid.file, point: best + 1, best: best + 1 });
  assert.equal(summary!.valAccuracy, summaries[best]!.valAccuracy, "the accuracy measured now is the run's recorded one");
  check();
  rmSync(join(bestRun, 'report'), { recursive: true });
  const human = cli(['report', join(runs, GRIDS_FOLDER), '--range', '0']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^ {2}point ${best + 1} of the grid ${grid.file} \\(the best validation accuracy\\)$`, 'm'));
  assert.ok(human.stdout.split('\n').includes(`  ${join(bestRun, 'report', 'grid.csv')}`), human.stdout);
  check();
});

test('the grid section in Simplified Chinese', async () => {
  await selectBackend('auto', { requireSyncReads: true });
  const out = join(tmp, 'zh');
  const r = await writeReport({
    runDir: grid.points[other]!.runDir,
    outDir: out,
    lang: 'zh-cn',
    root: ROOT,
    sweepRange: 0,
    grid: gridRecordAtSync(grid.file),
  });
  assert.deepEqual(r.grid, { record: grid.file, csvFile: join(out, 'grid.csv'), best, point: other });
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.ok(md.includes('## 十一、超参数网格\n'));
  assert.ok(md.includes(`本次运行是超参数网格“lr-width”的 4 次运行中的第 ${other + 1} 次`));
  assert.ok(!md.includes('Hyperparameter grid') && !md.includes('(this run)'));
  checkTable(md, other, '（本次运行）', ['\\#', ...KEYS, '校验', '测试', '状态']);
  assert.ok(gridRows(md).every((row) => row.cells[5] === '已完成'));
  // grid.csv is data, the same in either language.
  checkCsv(join(out, 'grid.csv'), other);
});

test('a run outside any grid has no grid section and no grid.csv; a grid given for another run is refused', async () => {
  await selectBackend('auto', { requireSyncReads: true });
  const alone = join(tmp, 'alone', 'run');
  cpSync(grid.points[0]!.runDir, alone, { recursive: true });
  const out = join(tmp, 'alone-report');
  const r = await writeReport({ runDir: alone, outDir: out, lang: 'en', root: ROOT, sweepRange: 0 });
  assert.equal(r.grid, null);
  assert.ok(!r.markdown.includes('## 11. '));
  assert.ok(!existsSync(join(out, 'grid.csv')));
  await assert.rejects(
    writeReport({ runDir: alone, outDir: join(tmp, 'never'), lang: 'en', root: ROOT, sweepRange: 0, grid: gridRecordAtSync(grid.file) }),
    (e: Error) => e.message.includes(grid.file) && e.message.includes("is not one of the grid's points"),
  );
});

test('hostile grid records: refused with one line naming the file and the field, exit code 2, nothing written', () => {
  const record = JSON.parse(readFileSync(grid.file, 'utf8')) as Record<string, unknown> & { points: Record<string, unknown>[] };
  const dir = join(runs, GRIDS_FOLDER);
  let n = 0;
  const write = (content: unknown): string => {
    const file = join(dir, `20000101-0000${String(n++).padStart(2, '0')}-hostile.json`);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const withPoint = (i: number, p: Record<string, unknown>) => ({
    ...record,
    points: record.points.map((q, k) => (k === i ? { ...q, ...p } : q)),
  });
  const out = join(tmp, 'refused');
  const refused = (target: string, pattern: RegExp) => {
    const r = cli(['report', target, '--range', '0', '--out', out]);
    assert.equal(r.status, 2, `${target}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
    return r.stderr;
  };
  const named = (file: string, field: string) => new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${field}`);
  const cases: [unknown, string][] = [
    [withPoint(1, { runDir: '../outside' }), 'points\\[1\\]\\.runDir must be the name of a run folder inside the runs folder'],
    [withPoint(0, { runDir: '/etc' }), 'points\\[0\\]\\.runDir must be the name of a run folder'],
    [withPoint(2, { valAccuracy: 1.5 }), 'points\\[2\\]\\.valAccuracy must be a number in \\[0, 1\\]'],
    [withPoint(3, { values: {} }), 'points\\[3\\]\\.values\\["training\\.learningRate"\\] must be a config value'],
    [{ ...record, keys: ['__proto__'] }, 'keys must be a list of 1 to 32 distinct config paths'],
    [{ ...record, keys: [...KEYS, KEYS[0]] }, 'keys must be a list of 1 to 32 distinct config paths'],
    [{ ...record, points: [] }, 'points must be a list of 1 to 64 points'],
    [[record], 'grid record must be a JSON object'],
  ];
  for (const [content, field] of cases) {
    const file = write(content);
    refused(file, named(file, field));
  }
  // Own keys only: "type" and "version" inherited through __proto__ are not the record's.
  const { type: _t, version: _v, ...untyped } = record;
  const proto = write(`{"__proto__": {"type": "grid", "version": 1}, ${JSON.stringify(untyped).slice(1)}`);
  refused(proto, named(proto, 'type must be "grid"'));
  // Not JSON; larger than 1 MiB; a folder; a link out of the grids folder; a file elsewhere.
  const notJson = write('{"type": "grid",');
  refused(notJson, new RegExp(`${notJson}: .*JSON`));
  const big = write(' '.repeat(1.5 * 2 ** 20));
  refused(big, new RegExp(`${big}: .*more than the 1 MiB allowed`));
  mkdirSync(join(dir, '20000102-000000-folder.json'));
  refused(join(dir, '20000102-000000-folder.json'), /not a run directory \(no summary\.json\) nor a grid record/);
  const outside = join(tmp, 'outside.json');
  writeFileSync(outside, JSON.stringify(record));
  symlinkSync(outside, join(dir, '20000103-000000-link.json'));
  refused(join(dir, '20000103-000000-link.json'), /20000103-000000-link\.json: resolves outside its folder/);
  refused(outside, /outside\.json: a grid record is read from a runs folder's grids\/ folder/);
  if (spawnSync('mkfifo', [join(dir, '20000104-000000-fifo.json')]).status === 0)
    refused(join(dir, '20000104-000000-fifo.json'), /20000104-000000-fifo\.json: .*not a regular file/);
  // The best point's run folder is gone; no point has an accuracy; a grids folder without records.
  const gone = write(withPoint(best, { runDir: '20000101-000000-gone' }));
  refused(gone, new RegExp(`${gone}: points\\[${best}\\]\\.runDir: .*20000101-000000-gone is not a run directory`));
  const unfinished = write({ ...record, status: 'running', points: record.points.map((p) => ({ ...p, valAccuracy: null })) });
  refused(unfinished, new RegExp(`${unfinished}: points: no run of the grid has a validation accuracy \\(grid running\\)`));
  // A grids folder names its newest record, which must then be sound.
  const newest = join(dir, '29991231-235959-newest.json');
  writeFileSync(newest, JSON.stringify(withPoint(0, { status: 'done' })));
  refused(dir, named(newest, 'points\\[0\\]\\.status must be one of'));
  rmSync(newest);
  const empty = join(tmp, 'empty-runs', GRIDS_FOLDER);
  mkdirSync(empty, { recursive: true });
  refused(empty, /grids: no grid record in this folder/);
  assert.equal(existsSync(out), false, 'nothing written');
  // The real record is still the grids folder's newest that is the lab's: its run's report still finds it.
  assert.equal(gridOfRunSync(grid.points[0]!.runDir)?.file, grid.file);
  assert.ok(readdirSync(dir).length > 10);
});
