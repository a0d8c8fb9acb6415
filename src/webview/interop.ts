/**
 * Two sections of the lab panel: the comparison of several runs (a table of the config fields in
 * which they differ, final accuracies and durations, and a bar chart of the accuracies; the curves
 * are drawn over the run's own in the error-rate plot) and the PyTorch loader of the run's weights
 * with a copy button. Shown only when there is something to show.
 */
import type { RunView } from '../core/protocol';
import { h as el } from './dom';
import { t } from './l10n';
import { drawFinalAccuracyPlot, runColour } from './plots';
import { send } from './rpc';
import type { Palette } from './theme';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(2)} %`);

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

export function comparisonSection(): HTMLElement {
  const s = el(
    'section',
    { id: 'comparison', className: 'card wide', hidden: true },
    el('h2', { textContent: t('Run comparison') }),
    el('p', { id: 'comparison-fields', className: 'muted', testid: 'comparison-fields' }),
    el('div', { className: 'hscroll' }, el('table', { id: 'comparison-table', testid: 'comparison-table' })),
    el('div', { id: 'comparison-plot', className: 'plot small', testid: 'comparison-plot' }),
  );
  return s;
}

export function renderComparison(state: RunView, pal: Palette): void {
  const section = document.getElementById('comparison')!;
  const c = state.comparison;
  // The comparison belongs to the run it was made on (a live training or another run replaces it).
  if (!c || c.runs[0]?.runDir !== state.runDir) {
    section.hidden = true;
    section.dataset.runs = '0';
    return;
  }
  section.hidden = false;
  section.dataset.runs = String(c.runs.length);
  document.getElementById('comparison-fields')!.textContent = c.fields.length
    ? t('{0} runs; their configs differ in: {1}', c.runs.length, c.fields.join(', '))
    : t('{0} runs with identical configs (they differ only in chance: run order, or the worker count).', c.runs.length);
  const head = [t('run'), ...c.fields, t('validation'), t('test'), t('time'), t('steps')];
  const table = document.getElementById('comparison-table')!;
  table.replaceChildren(
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { textContent: h })))),
    el(
      'tbody',
      {},
      ...c.runs.map((r, i) => {
        const swatch = el('span', { className: 'swatch' });
        swatch.style.background = runColour(pal, i);
        const name = el('td', {}, swatch, `${r.label}${i === 0 ? ` ${t('(this run)')}` : ''}`);
        const row = el('tr', { testid: `comparison-row-${i}` }, name, ...[...r.values, pct(r.valAccuracy), pct(r.testAccuracy), duration(r.seconds), String(r.steps)].map((v) => el('td', { textContent: v })));
        return row;
      }),
    ),
  );
  void drawFinalAccuracyPlot(document.getElementById('comparison-plot')!, c.runs, pal);
}

export function pytorchSection(): HTMLElement {
  const copy = document.createElement('vscode-button');
  copy.id = 'btn-copy-pytorch';
  copy.dataset.testid = 'btn-copy-pytorch';
  copy.textContent = t('Copy');
  copy.setAttribute('secondary', '');
  copy.addEventListener('click', () => send({ type: 'command', command: 'copyPytorchSnippet' }));
  return el(
    'section',
    { id: 'pytorch', className: 'card wide', hidden: true },
    el('div', { className: 'card-head' }, el('h2', { textContent: t('Load in PyTorch') }), copy),
    el('p', { id: 'pytorch-file', className: 'muted', testid: 'pytorch-file' }),
    el('pre', { className: 'code' }, el('code', { id: 'pytorch-code', testid: 'pytorch-code' })),
  );
}

export function renderPytorch(state: RunView): void {
  const section = document.getElementById('pytorch')!;
  const p = state.pytorch;
  section.hidden = !p;
  if (!p) return;
  document.getElementById('pytorch-file')!.textContent = p.written
    ? t('The seed’s ConvNet loading this run’s weights, saved as {0}: run it with python3 (needs torch and numpy).', p.file)
    : t('The seed’s ConvNet loading these weights (torch and numpy); Copy puts it on the clipboard.');
  document.getElementById('pytorch-code')!.textContent = p.code;
}
