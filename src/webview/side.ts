/**
 * The side view: the current (or last) run at a glance while editing — curve, accuracy, the
 * latest conv1/conv2 kernels — and a button to the full lab panel.
 */
import type { RunView } from '../core/protocol';
import { $, pct } from './dom';
import { drawHeatmap, figure, maxAbs } from './draw';
import { drawErrorPlot } from './plots';
import { onHostMessage, send } from './rpc';
import { pageBundle, setL10nBundle, statusName, t } from './l10n';
import { onThemeChange, palette } from './theme';

setL10nBundle(pageBundle());

let state: RunView | null = null;
let pal = palette();

function render(): void {
  const s = state;
  if (!s) return;
  $('side-name').textContent = s.runDir ? `${s.name} · ${statusName(s.status)}` : t('No run yet');
  $('side-name').dataset.status = s.status;
  const epochs = s.config?.training.epochs ?? s.summary?.epochs ?? 0;
  $('side-progress').textContent = s.totalSteps
    ? t('epoch {0}/{1} · step {2}/{3}', Math.max(1, s.epoch), epochs, s.step, s.totalSteps)
    : '';
  const last = s.progress.at(-1);
  $('side-accuracy').textContent =
    s.summary?.testAccuracy !== undefined && s.summary?.testAccuracy !== null
      ? s.seedTestAccuracy === null
        ? t('test {0}', pct(s.summary.testAccuracy))
        : t('test {0} (original lab {1})', pct(s.summary.testAccuracy), pct(s.seedTestAccuracy))
      : last
        ? t('validation {0}', pct(last.valAccuracy))
        : '';
  $('side-error').textContent = s.error ?? '';
  $('side-error').hidden = !s.error;
  void drawErrorPlot($('side-plot'), s.progress, pal, true);
  $('side-plot').dataset.points = String(s.progress.length);
  const k = $('side-kernels');
  k.replaceChildren();
  const snap = s.snapshots.at(-1);
  $('side-kernels-caption').textContent = snap ? '' : s.status === 'running' ? t('conv1 kernels appear after the first epoch') : '';
  if (!snap) return;
  const [o1, , k1] = snap.conv1.shape as number[];
  const sc1 = maxAbs([snap.conv1.weight]);
  for (let o = 0; o < o1!; o++)
    drawHeatmap(
      figure(k, `c1·${o}`, `side-conv1-kernel-${o}`, 'kernel'),
      snap.conv1.weight.slice(o * k1! * k1!, (o + 1) * k1! * k1!),
      k1!,
      k1!,
      pal,
      'signed',
      sc1,
    );
  $('side-kernels-caption').textContent = t('conv1 kernels after epoch {0}', snap.epoch);
}

$('side-open').addEventListener('click', () => send({ type: 'command', command: 'openLab' }));
$('side-train').addEventListener('click', () => send({ type: 'command', command: state?.status === 'running' ? 'stop' : 'train' }));
onThemeChange(() => {
  pal = palette();
  render();
});
/** A whole state is drawn at once; progress, steps and snapshots at most every 250 ms (see lab.ts). */
const REDRAW_MS = 250;
let drawnAt = 0;
let drawTimer: ReturnType<typeof setTimeout> | undefined;
function draw(): void {
  if (drawTimer !== undefined) clearTimeout(drawTimer);
  drawTimer = undefined;
  drawnAt = Date.now();
  if (!state) return;
  $('side-train').textContent = state.status === 'running' ? t('■ Stop') : t('▶ Train');
  render();
}
onHostMessage((m) => {
  if (m.type === 'reveal') return;
  if (m.type === 'state') state = m.state;
  else if (!state) return;
  else if (m.type === 'progress') state.progress.push(m.progress);
  else if (m.type === 'snapshot') state.snapshots.push(m.snapshot);
  else if (m.type === 'step') Object.assign(state, { step: m.step, totalSteps: m.totalSteps, epoch: m.epoch });
  if (m.type === 'state') draw();
  else drawTimer ??= setTimeout(draw, Math.max(0, drawnAt + REDRAW_MS - Date.now()));
});
send({ type: 'ready' });
