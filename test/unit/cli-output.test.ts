import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as util from 'node:util';
import type { SweepResult } from '../../src/core/analysis/sweep';
import {
  ProgressBar,
  clock,
  colorsFor,
  didYouMean,
  drawBar,
  editDistance,
  formatSweep,
  renderProgress,
  seedNote,
  supportsUnicode,
  type TermStream,
} from '../../src/cli/output';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

/** A terminal (or not) that keeps what is written. */
function fakeStream(isTTY: boolean, columns?: number): TermStream & { text: string } {
  return {
    isTTY,
    columns,
    text: '',
    write(t: string) {
      this.text += t;
      return true;
    },
  };
}

const ESC = '\x1b[';
const hasStyleText = typeof (util as { styleText?: unknown }).styleText === 'function';
/** The last redraw, without the carriage return, colour and erase codes. */
const lastLine = (text: string) =>
  text
    .split('\r')
    .filter(Boolean)
    .at(-1)!
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

const state = { label: 'epoch 3/20', step: 312, total: 938, msPerStep: 14.2, eta: 9 * 60 + 5, loss: 0.23456, accuracy: 0.9219 };

test('progress line: steps, ms/step, loss, accuracy and ETA on a wide terminal, within its width', () => {
  const line = renderProgress(state, 120, true);
  assert.ok(line.length <= 119, `${line.length}: ${line}`);
  assert.match(line, /^epoch 3\/20 │█+[▏▎▍▌▋▊▉]? *│ 312\/938 {2}14 ms\/step {2}loss 0\.2346 acc 92\.19% {2}ETA 9:05$/);
});

test('progress line: a narrow terminal drops the metrics, then ms/step, then the bar, never wider than it', () => {
  for (const cols of [20, 30, 40, 50, 60, 70, 80, 100, 200]) {
    const line = renderProgress(state, cols, true);
    assert.ok(line.length <= Math.max(9, cols - 1), `${cols} columns: ${line.length} '${line}'`);
    assert.match(line, /312\/938/, `${cols} columns keep the step count: '${line}'`);
  }
  assert.doesNotMatch(renderProgress(state, 60, true), /loss/);
  assert.match(renderProgress(state, 60, true), /ms\/step {2}ETA/);
  assert.doesNotMatch(renderProgress(state, 40, true), /ms\/step/);
  assert.equal(renderProgress(state, 29, true), 'epoch 3/20 312/938 ETA 9:05');
  assert.equal(renderProgress(state, 25, true), 'epoch 3/20 312/938');
});

test('ASCII fallback: # and . between brackets; Unicode only with a UTF-8 locale and not TERM=dumb', () => {
  const line = renderProgress(state, 100, false);
  assert.match(line, /^epoch 3\/20 \[#+\.+\] 312\/938/);
  assert.ok(
    [...line].every((c) => c.charCodeAt(0) < 128),
    line,
  );
  assert.equal(drawBar(0.5, 10, false), '[#####.....]');
  assert.equal(drawBar(1, 4, true), '│████│');
  assert.equal(drawBar(0.5625, 4, true), '│██▎ │');
  assert.equal(drawBar(Number.NaN, 3, true), '│   │');
  assert.equal(supportsUnicode({ LANG: 'en_US.UTF-8' }, 'linux'), true);
  assert.equal(supportsUnicode({ LANG: 'de_DE.utf8' }, 'linux'), true);
  assert.equal(supportsUnicode({ LANG: 'C' }, 'linux'), false);
  assert.equal(supportsUnicode({ LC_ALL: 'C', LANG: 'en_US.UTF-8' }, 'linux'), false, 'LC_ALL wins');
  assert.equal(supportsUnicode({ LANG: 'en_US.UTF-8', TERM: 'dumb' }, 'linux'), false);
  assert.equal(supportsUnicode({}, 'linux'), false);
  assert.equal(supportsUnicode({}, 'win32'), true);
});

test('colours: only on a TTY, never with NO_COLOR or TERM=dumb', () => {
  assert.equal(colorsFor(fakeStream(false), {}), false);
  assert.equal(colorsFor(fakeStream(true), { NO_COLOR: '1' }), false);
  assert.equal(colorsFor(fakeStream(true), { TERM: 'dumb' }), false);
  assert.equal(colorsFor(fakeStream(true), {}), hasStyleText);
});

test('ProgressBar on a fake TTY: fitted to its columns, redrawn in place, cleared; colour only when asked', () => {
  let now = 1000;
  const narrow = fakeStream(true, 60);
  const bar = new ProgressBar(narrow, { unicode: true, color: false, now: () => now });
  bar.update(0, 100, 'epoch 1/2', { part: { step: 0, total: 50 } });
  now += 500;
  bar.update(10, 100, 'epoch 1/2', { part: { step: 10, total: 50 }, loss: 1.5, accuracy: 0.5 });
  assert.ok(!narrow.text.includes(ESC + '3'), 'no colour');
  const line = lastLine(narrow.text);
  assert.ok(line.length <= 59, line);
  assert.match(line, /^epoch 1\/2 │.+│ 10\/50 {2}50 ms\/step {2}ETA 0:05$/);
  now += 50;
  const before = narrow.text.length;
  bar.update(11, 100, 'epoch 1/2');
  assert.equal(narrow.text.length, before, 'at most 10 redraws a second');
  bar.clear();
  assert.ok(narrow.text.endsWith(`\r${ESC}K`));

  const wide = fakeStream(true, 160);
  const bar2 = new ProgressBar(wide, { unicode: false, color: true, now: () => now });
  bar2.update(1, 10, 'batches');
  now += 200;
  bar2.update(2, 10, 'batches', { loss: 0.5, accuracy: 0.75 });
  if (hasStyleText) assert.ok(wide.text.includes(`${ESC}36m`), 'coloured');
  assert.match(lastLine(wide.text), /^batches \[#+\.+\] 2\/10 {2}200 ms\/step {2}loss 0\.5000 acc 75\.00% {2}ETA 0:02$/);

  // Without columns (a stream that does not say): 80.
  const unknown = fakeStream(true);
  new ProgressBar(unknown, { unicode: false, color: false }).update(5, 10, 'x');
  assert.ok(lastLine(unknown.text).length <= 79);
});

test('clock, edit distance and did-you-mean', () => {
  assert.equal(clock(5), '0:05');
  assert.equal(clock(3725), '1:02:05');
  assert.equal(editDistance('trian', 'train'), 2);
  assert.equal(editDistance('', 'abc'), 3);
  const commands = ['train', 'evaluate', 'robustness', 'export', 'compare', 'help'];
  assert.equal(didYouMean('trian', commands), 'train');
  assert.equal(didYouMean('TRAIN', commands), 'train');
  assert.equal(didYouMean('evalute', commands), 'evaluate');
  assert.equal(didYouMean('robustnes', commands), 'robustness');
  assert.equal(didYouMean('frobnicate', commands), null);
  assert.equal(didYouMean('x', commands), null);
});

test("partial run: the test accuracy line says so instead of comparing with the seed's 99.06 %", () => {
  const full = { steps: 18760, totalSteps: 18760, seedTestAccuracy: 0.9906 };
  assert.equal(seedNote(full, 18760), ' (the original lab: 99.06%)');
  assert.equal(
    seedNote({ steps: 20, totalSteps: 20, seedTestAccuracy: 0.9906 }, 18760, 20),
    " (partial run: 20 of 18760 steps; the original lab's 99.06% is for 20 full epochs)",
  );
  assert.equal(seedNote({ steps: 7, totalSteps: 938, seedTestAccuracy: null }), ' (partial run: 7 of 938 steps)');
  assert.equal(seedNote({ steps: 938, totalSteps: 938, seedTestAccuracy: null }), '');
});

test('robustness --sweep as a table: the shift grid, the worst by radius, rotation and noise rows', () => {
  const r: SweepResult = {
    count: 5000,
    accuracy: 0.9912,
    shift: {
      range: 1,
      offsets: [-1, 0, 1],
      accuracy: [
        [0.969, 0.982, 0.9808],
        [0.9878, 0.9912, 0.9856],
        [0.98, 0.9814, 0.9538],
      ],
      byRadius: [
        { radius: 0, minAccuracy: 0.9912 },
        { radius: 1, minAccuracy: 0.9538 },
      ] as SweepResult['shift']['byRadius'],
    },
    rotation: { angles: [-15, 0, 15], accuracy: [0.957, 0.9912, 0.974] },
    noise: { sigmas: [0, 0.1], accuracy: [0.9912, 0.9906], seed: 1 },
  };
  const lines = formatSweep(r, true);
  const text = lines.join('\n');
  assert.match(text, /test split: 5000 images, accuracy 99\.12% as is/);
  assert.match(
    text,
    /dy \\ dx {4}-1 {5}0 {4}\+1\n-1 {7}96\.9 {2}98\.2 {2}98\.1\n0 {8}98\.8 {2}99\.1 {2}98\.6\n\+1 {7}98\.0 {2}98\.1 {2}95\.4/,
  );
  assert.match(text, /worst within radius {2}0 px {2}1 px\n {21}99\.1 {2}95\.4/);
  assert.match(text, /rotated {2}-15° {4}0° {2}\+15°\n {9}95\.7 {2}99\.1 {2}97\.4/);
  assert.match(text, /noise \(seed 1\) {3}σ 0 {2}σ 0\.1\n {16}99\.1 {3}99\.1/);
  const ascii = formatSweep(r, false).join('\n');
  assert.ok(
    [...ascii].every((c) => c.charCodeAt(0) < 128),
    ascii,
  );
  assert.match(ascii, /-15 deg/);
  assert.match(ascii, /sigma 0\.1/);
});

test('the CLI: --version, per-command help with examples, did you mean, usage errors on stderr', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  for (const args of [['--version'], ['-V'], ['train', '--version']]) {
    const v = cli(args);
    assert.equal(v.status, 0);
    assert.equal(v.stdout, `mnist-lab ${pkg.version}\n`);
  }
  for (const args of [
    ['train', '--help'],
    ['help', 'train'],
    ['train', '-h'],
  ]) {
    const h = cli(args);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /^mnist-lab train \[CONFIG\]/);
    assert.match(h.stdout, /Examples:\n {2}mnist-lab train /);
    assert.match(h.stdout, /--max-steps N/);
    assert.doesNotMatch(h.stdout, /mnist-lab evaluate/, 'only the command asked about');
  }
  for (const c of ['evaluate', 'robustness', 'export', 'compare']) {
    const h = cli(['help', c]);
    assert.equal(h.status, 0);
    assert.match(h.stdout, new RegExp(`^mnist-lab ${c} `));
    assert.match(h.stdout, /Examples?:\n/);
  }
  assert.match(cli(['help']).stdout, /Per command: mnist-lab COMMAND --help/);
  const typo = cli(['trian']);
  assert.equal(typo.status, 2);
  assert.equal(typo.stdout, '');
  assert.match(typo.stderr, /^mnist-lab: unknown command 'trian' — did you mean train\? \(train, evaluate/);
  assert.equal(typo.stderr.trim().split('\n').length, 1);
  const helpTypo = cli(['help', 'compre']);
  assert.equal(helpTypo.status, 2);
  assert.match(helpTypo.stderr, /unknown command 'compre' — did you mean compare\?/);
  assert.doesNotMatch(cli(['frobnicate']).stderr, /did you mean/);
  const none = cli([]);
  assert.equal(none.status, 2);
  assert.equal(none.stdout, '', 'a usage error writes nothing on stdout');
  assert.match(none.stderr, /mnist-lab train \[CONFIG\]/);
  // Not a terminal: no colour codes in an error.
  assert.ok(!cli(['trian']).stderr.includes(ESC));
});

test('compare: epochs, steps (done/asked when stopped early) and status after the accuracies and the time', () => {
  const seedRun = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');
  const root = tempDir();
  const a = join(root, 'a-seed');
  const b = join(root, 'b-stopped');
  cpSync(seedRun, a, { recursive: true });
  cpSync(seedRun, b, { recursive: true });
  const summary = JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8'));
  writeFileSync(join(b, 'summary.json'), JSON.stringify({ ...summary, status: 'cancelled', steps: 20, epochsCompleted: 0 }));
  const r = cli(['compare', a, b]);
  assert.equal(r.status, 0, r.stderr);
  const [, head, rowA, rowB] = r.stdout.trim().split('\n');
  assert.match(head!, /^run\s+validation\s+test\s+time\s+epochs\s+steps\s+status$/);
  assert.match(rowA!, new RegExp(`^a-seed\\s+\\d+\\.\\d\\d%\\s+\\d+\\.\\d\\d%\\s+\\d+\\.\\d s\\s+20/20\\s+${summary.steps}\\s+completed$`));
  assert.match(rowB!, /^b-stopped\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d s\s+0\/20\s+20\/18760\s+cancelled$/);
});
