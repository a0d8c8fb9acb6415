/**
 * What the layers hold, over time (TensorBoard's histogram and distribution views): for a chosen
 * layer, the weights, biases, their gradients or the layer's outputs at each epoch's end, from the
 * run's histograms.jsonl (live: from each epoch event). Runs trained before histograms were
 * recorded: the histograms of the saved weights, on request. Below, the channels that never
 * activate on the validation split ("dead").
 */
import {
  type ChannelActivity,
  type EpochHistograms,
  HISTOGRAM_KINDS,
  HISTOGRAM_LAYERS,
  type HistogramKind,
  type HistogramLayer,
} from '../../core/analysis/histograms';
import { errorMessage } from '../../core/errors';
import { $, h, pct, vscodeButton } from '../dom';
import { type HistogramRow, drawDistribution, drawOffsetHistograms } from '../histogramPlots';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, wide } from '../widgets';
import { validationActivity } from './channelActivity';

type View = 'histogram' | 'distribution';

function kindLabel(k: HistogramKind): string {
  switch (k) {
    case 'weight':
      return t('weights');
    case 'bias':
      return t('biases');
    case 'weightGrad':
      return t('weight gradients');
    case 'biasGrad':
      return t('bias gradients');
    case 'activation':
      return t('outputs (activations)');
  }
}

/** "5, 28, 73" (the first `max`, then "…"). */
function channelList(cs: number[], max = 12): string {
  return cs.length > max ? `${cs.slice(0, max).join(', ')}, …` : cs.join(', ');
}

export const layerHistograms: SectionFactory = (page) => {
  let layer: HistogramLayer = 'conv2';
  let kind: HistogramKind = 'activation';
  let view: View = 'histogram';
  let hideZeros = true;
  /** The saved weights' histograms, computed on request for a run that recorded none. */
  let computed: { runDir: string | null; record: EpochHistograms } | null = null;
  let seq = 0;
  let deadSeq = 0;

  const select = <T extends string>(id: string, values: readonly T[], label: (v: T) => string, value: T, set: (v: T) => void) => {
    const s = h('select', { id, className: 'select', testid: id }, ...values.map((v) => h('option', { value: v, textContent: label(v) })));
    s.value = value;
    s.addEventListener('change', () => {
      set(s.value as T);
      draw();
    });
    return s;
  };

  function rows(): HistogramRow[] {
    const recorded = page.state?.histograms ?? [];
    if (recorded.length) return recorded.map((r) => ({ epoch: r.epoch, label: String(r.epoch), h: r.layers[layer][kind] }));
    if (computed && computed.runDir === page.state?.runDir) {
      const done = page.state?.summary?.epochsCompleted ?? 0;
      return [{ epoch: Math.max(1, done), label: t('saved weights'), h: computed.record.layers[layer][kind] }];
    }
    return [];
  }

  function records(): EpochHistograms[] {
    const recorded = page.state?.histograms ?? [];
    if (recorded.length) return recorded;
    return computed && computed.runDir === page.state?.runDir ? [computed.record] : [];
  }

  function draw(): void {
    const state = page.state;
    if (!state) return;
    const recs = records();
    const status = $('hist-status');
    const canCompute = !state.histograms?.length && page.hasModel() && !recs.length;
    $('hist-compute').hidden = !canCompute;
    $('hist-hide-zeros-label').hidden = kind !== 'activation';
    const plot = $('hist-plot');
    if (!recs.length) {
      plot.hidden = true;
      $('hist-caption').textContent = '';
      $('hist-inactive').textContent = '';
      status.textContent = page.running()
        ? t('The histograms appear at the end of each epoch.')
        : state.runDir
          ? t('This run recorded no histograms (it was trained before they were recorded).') +
            (canCompute ? ` ${t('The histograms of its saved weights can be computed now.')}` : '')
          : '';
      return;
    }
    status.textContent = state.histograms?.length
      ? t('{0} epochs recorded.', state.histograms.length)
      : t('This run recorded no histograms: shown are those of its saved weights (one set, not a history).');
    plot.hidden = false;
    const rs = rows();
    const what = `${layer} ${kindLabel(kind)}`;
    const pal = page.palette();
    void (view === 'histogram'
      ? drawOffsetHistograms(plot, rs, pal, what, kind === 'activation' && hideZeros)
      : drawDistribution(plot, rs, pal, what));
    plot.dataset.layer = layer;
    plot.dataset.kind = kind;
    plot.dataset.view = view;
    plot.dataset.epochs = String(rs.length);
    const last = recs.at(-1)!;
    const lastH = last.layers[layer][kind];
    const avgMs = Math.round(recs.reduce((a, r) => a + r.ms, 0) / recs.length);
    const detail =
      kind === 'weightGrad' || kind === 'biasGrad'
        ? t(
            'Gradients of the mean loss over the first {0} training images at each epoch’s end, without dropout (the same images every epoch).',
            last.gradientImages,
          )
        : kind === 'activation'
          ? layer === 'fc2'
            ? t('fc2’s outputs (the logits, before log-softmax) on the first {0} validation images.', last.activationImages)
            : t(
                'ReLU outputs on the first {0} validation images; at the last epoch {1} of them are exactly 0.',
                last.activationImages,
                pct(lastH.count ? lastH.zeros / lastH.count : 0, 1),
              )
          : t('The values at each epoch’s end.');
    const shape =
      view === 'histogram'
        ? t(
            'Histogram view: one curve per epoch (newest on top), {0} bins over that epoch’s range, each scaled to its highest bin.',
            lastH.counts.length,
          )
        : t(
            'Distribution view: the bands hold 100 %, 86 %, 68 % and 38 % of the values (TensorBoard’s quantiles), the line is the median.',
          );
    $('hist-caption').textContent = `${detail} ${shape} ${t('Recording took {0} ms per epoch.', avgMs)}`;
    const inactive = last.layers[layer].inactive;
    $('hist-inactive').textContent =
      inactive === undefined
        ? ''
        : inactive.length
          ? t(
              'At epoch {0}, {1} of {2}’s channels gave 0 on all {3} probe images: {4}.',
              last.epoch,
              inactive.length,
              layer,
              last.activationImages,
              channelList(inactive),
            )
          : t('At epoch {0}, every channel of {1} was active on some of the {2} probe images.', last.epoch, layer, last.activationImages);
  }

  async function compute(): Promise<void> {
    const my = ++seq;
    const runDir = page.state?.runDir ?? null;
    $('hist-status').textContent = t('computing…');
    try {
      const record = await page.request({ type: 'finalHistograms' });
      if (my !== seq) return;
      computed = { runDir, record };
      draw();
    } catch (e) {
      $('hist-status').textContent = errorMessage(e);
    }
  }

  function deadRow(l: ChannelActivity): HTMLElement {
    const dead = l.dead.length ? t('{0}: {1}', l.dead.length, channelList(l.dead)) : t('none');
    const tr = h(
      'tr',
      { testid: `dead-channels-${l.layer}` },
      h('th', { textContent: l.layer }),
      h('td', { className: 'num', textContent: String(l.channels) }),
      h('td', { className: l.dead.length ? 'dead' : '', textContent: dead }),
      h('td', {
        textContent: l.dead.length === l.channels ? '—' : t('{0}: {1} of outputs > 0', nextLeast(l), pct(l.activeShare[nextLeast(l)]!, 1)),
      }),
    );
    tr.dataset.dead = l.dead.join(',');
    return tr;
  }

  /** The least active channel that is not dead. */
  function nextLeast(l: ChannelActivity): number {
    let best = -1;
    l.activeShare.forEach((s, c) => {
      if (l.dead.includes(c)) return;
      if (best < 0 || s < l.activeShare[best]!) best = c;
    });
    return Math.max(0, best);
  }

  async function loadDead(): Promise<void> {
    const target = $('dead-channels');
    const note = $('dead-channels-note');
    const pending = validationActivity(page);
    if (!pending) {
      target.replaceChildren();
      note.textContent = page.running()
        ? t('Needs the trained weights: shown when training ends.')
        : page.state?.runDir
          ? t('No model in this run.')
          : '';
      return;
    }
    const my = ++deadSeq;
    // Another run's table must not stay on show while this one is computed.
    target.replaceChildren();
    note.textContent = t('checking the validation split…');
    try {
      const r = await pending;
      if (my !== deadSeq) return;
      target.replaceChildren(
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { textContent: t('layer') }),
            h('th', { className: 'num', textContent: t('channels') }),
            h('th', { textContent: t('dead (never > 0)') }),
            h('th', { textContent: t('least active of the others') }),
          ),
        ),
        h('tbody', {}, ...r.layers.map(deadRow)),
      );
      const total = r.layers.reduce((a, l) => a + l.dead.length, 0);
      note.textContent = total
        ? t(
            'A dead channel outputs 0 (ReLU) for every one of the {0} validation images: it passes nothing on and its weights no longer learn.',
            r.images,
          )
        : t('No channel is dead: each one is > 0 for some of the {0} validation images.', r.images);
    } catch (e) {
      if (my === deadSeq) note.textContent = errorMessage(e);
    }
  }

  return {
    id: 'layer-histograms',
    build: () => {
      const hide = h('input', { id: 'hist-hide-zeros', type: 'checkbox', checked: hideZeros, testid: 'hist-hide-zeros' });
      hide.addEventListener('change', () => {
        hideZeros = hide.checked;
        draw();
      });
      return wide(
        section(
          'layer-histograms',
          t('Layers over time: weights, gradients, activations'),
          h(
            'div',
            { className: 'row' },
            h(
              'label',
              {},
              `${t('layer')} `,
              select(
                'hist-layer',
                HISTOGRAM_LAYERS,
                (v) => v,
                layer,
                (v) => (layer = v),
              ),
            ),
            h(
              'label',
              {},
              `${t('values')} `,
              select('hist-kind', HISTOGRAM_KINDS, kindLabel, kind, (v) => (kind = v)),
            ),
            h(
              'label',
              {},
              `${t('view')} `,
              select<View>(
                'hist-view',
                ['histogram', 'distribution'],
                (v) => (v === 'histogram' ? t('histogram') : t('distribution')),
                view,
                (v) => (view = v),
              ),
            ),
            h('label', { id: 'hist-hide-zeros-label' }, hide, ` ${t('leave out exact zeros')}`),
          ),
          h('p', { id: 'hist-status', className: 'muted', testid: 'hist-status' }),
          vscodeButton('hist-compute', t('Histograms of the saved weights'), () => void compute(), true),
          h('div', { id: 'hist-plot', className: 'plot', testid: 'hist-plot' }),
          h('p', { id: 'hist-caption', className: 'muted', testid: 'hist-caption' }),
          h('p', { id: 'hist-inactive', testid: 'hist-inactive' }),
          h('h3', { textContent: t('Dead channels on the validation split') }),
          h('table', { id: 'dead-channels', className: 'dead-channels', testid: 'dead-channels' }),
          h('p', { id: 'dead-channels-note', className: 'muted', testid: 'dead-channels-note' }),
        ),
      );
    },
    onState: (_state, { runChanged, finished }) => {
      if (runChanged) computed = null;
      draw();
      if (runChanged || finished) void loadDead();
    },
    onSnapshot: () => draw(),
    redraw: draw,
  };
};
