/** The conv1 and conv2 kernels at the end of an epoch (a slider over the run's snapshots). */
import type { KernelSnapshot } from '../../core/events';
import { $, h } from '../dom';
import { drawHeatmap, drawSignedScale, figure, maxAbs } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, slider, wide } from '../widgets';
import { validationActivity } from './channelActivity';

export const kernels: SectionFactory = (page) => {
  /** The snapshot shown (index into the run's snapshots; −1: the latest). */
  let epoch = -1;

  function render(): void {
    const state = page.state!;
    const snaps = state.snapshots;
    const wrap = $('epoch-slider-wrap');
    if (!snaps.length) {
      wrap.textContent =
        state.status === 'running'
          ? t('Kernels appear at the end of each epoch.')
          : t('This run has no kernel snapshots (no epoch finished).');
      $('conv1-kernels').replaceChildren();
      $('conv2-kernels').replaceChildren();
      $('conv1-scale').replaceChildren();
      $('conv2-scale').replaceChildren();
      return;
    }
    if (epoch < 0 || epoch >= snaps.length) epoch = snaps.length - 1;
    wrap.replaceChildren(
      slider('epoch-slider', t('epoch'), 1, snaps.length, epoch + 1, (v) => {
        epoch = v - 1;
        draw(snaps[epoch]!);
      }),
    );
    $('epoch-slider-value').textContent = t('{0} of {1}', snaps[epoch]!.epoch, snaps.at(-1)!.epoch);
    draw(snaps[epoch]!);
  }

  function draw(s: KernelSnapshot): void {
    const pal = page.palette();
    const out = document.getElementById('epoch-slider-value');
    if (out) out.textContent = t('{0} of {1}', s.epoch, page.state!.snapshots.at(-1)!.epoch);
    const [o1, , k1] = s.conv1.shape as [number, number, number, number];
    const c1 = $('conv1-kernels');
    c1.replaceChildren();
    const per1 = k1 * k1;
    const s1 = maxAbs([s.conv1.weight]);
    for (let o = 0; o < o1; o++)
      drawHeatmap(
        figure(c1, t('kernel {0}', o), `conv1-kernel-${o}`, 'kernel'),
        s.conv1.weight.slice(o * per1, (o + 1) * per1),
        k1,
        k1,
        pal,
        'signed',
        s1,
      );
    drawSignedScale($('conv1-scale'), s1, pal, 'kernel-scale-conv1');
    const [o2, i2, k2] = s.conv2.shape as [number, number, number, number];
    const c2 = $('conv2-kernels');
    c2.replaceChildren();
    c2.style.setProperty('--cols', String(o2));
    const per2 = k2 * k2;
    const s2 = maxAbs([s.conv2.weight]);
    for (let i = 0; i < i2; i++)
      for (let o = 0; o < o2; o++) {
        const start = (o * i2 + i) * per2;
        drawHeatmap(
          figure(c2, `${i}→${o}`, `conv2-kernel-${i}-${o}`, 'kernel'),
          s.conv2.weight.slice(start, start + per2),
          k2,
          k2,
          pal,
          'signed',
          s2,
        );
      }
    drawSignedScale($('conv2-scale'), s2, pal, 'kernel-scale-conv2');
    markDead(s);
  }

  /** Marks the kernels of channels that never activate on the validation split (the saved weights: the last epoch only). */
  function markDead(s: KernelSnapshot): void {
    const note = $('kernels-dead');
    note.textContent = '';
    const pending = s === page.state!.snapshots.at(-1) ? validationActivity(page) : null;
    if (!pending) return;
    const [, i2] = s.conv2.shape as [number, number];
    void pending.then(
      (r) => {
        if (s !== page.state?.snapshots.at(-1)) return;
        const dead: string[] = [];
        for (const l of r.layers) {
          if (l.layer === 'fc1' || !l.dead.length) continue;
          dead.push(`${l.layer} ${l.dead.join(', ')}`);
          for (const c of l.dead) {
            const ids = l.layer === 'conv1' ? [`conv1-kernel-${c}`] : Array.from({ length: i2 }, (_, i) => `conv2-kernel-${i}-${c}`);
            for (const id of ids) {
              const fig = document.querySelector(`[data-testid="${id}"]`)?.closest('figure');
              fig?.classList.add('dead');
              fig?.setAttribute('title', t('channel {0} of {1} is dead: 0 for every validation image', c, l.layer));
            }
          }
        }
        note.textContent = dead.length
          ? t('Crossed out: the kernels of dead channels ({0}), see “Layers over time”.', dead.join('; '))
          : '';
      },
      () => undefined,
    );
  }

  return {
    id: 'kernels',
    build: () =>
      wide(
        section(
          'kernels',
          t('Kernels'),
          h('div', { id: 'epoch-slider-wrap' }),
          h('h3', { textContent: t('conv1: 4 kernels, 5×5') }),
          h('div', { id: 'conv1-kernels', className: 'grid', testid: 'conv1-kernels' }),
          h('div', { id: 'conv1-scale', className: 'kernel-scale' }),
          h('h3', { textContent: t('conv2: input channel (row) × output channel (column), 5×5 each') }),
          h('div', { id: 'conv2-kernels', className: 'grid conv2', testid: 'conv2-kernels' }),
          h('div', { id: 'conv2-scale', className: 'kernel-scale' }),
          h('p', { id: 'kernels-dead', className: 'muted', testid: 'kernels-dead' }),
        ),
      ),
    onState: (_state, { runChanged }) => {
      if (runChanged) epoch = -1;
      render();
    },
    onSnapshot: () => {
      epoch = page.state!.snapshots.length - 1;
      render();
    },
    redraw: render,
  };
};
