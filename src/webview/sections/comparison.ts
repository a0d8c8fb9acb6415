/**
 * The comparison of several runs: a table of the config fields in which they differ, final
 * accuracies and durations, and a bar chart of the accuracies (the curves are drawn over the
 * run's own in the error-rate plot). Shown only for the run it was made on.
 */
import { $, h, pct } from '../dom';
import { statusName, t } from '../l10n';
import { stepsOfTotal } from '../../core/format';
import type { SectionFactory } from '../page';
import { drawFinalAccuracyPlot, runColour } from '../plots';
import { section, wide } from '../widgets';

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

export const comparison: SectionFactory = (page) => {
  function render(): void {
    const state = page.state!;
    const pal = page.palette();
    const card = $('comparison');
    const c = state.comparison;
    // The comparison belongs to the run it was made on (a live training or another run replaces it).
    if (!c || c.runs[0]?.runDir !== state.runDir) {
      card.hidden = true;
      card.dataset.runs = '0';
      return;
    }
    card.hidden = false;
    card.dataset.runs = String(c.runs.length);
    $('comparison-fields').textContent = c.fields.length
      ? t('{0} runs; their configs differ in: {1}', c.runs.length, c.fields.join(', '))
      : t('{0} runs with identical configs (they differ only in chance: run order, or the worker count).', c.runs.length);
    const head = [t('run'), ...c.fields, t('validation'), t('test'), t('time'), t('epochs'), t('steps'), t('status')];
    $('comparison-table').replaceChildren(
      h('thead', {}, h('tr', {}, ...head.map((text) => h('th', { textContent: text })))),
      h(
        'tbody',
        {},
        ...c.runs.map((r, i) => {
          const swatch = h('span', { className: 'swatch' });
          swatch.style.background = runColour(pal, i);
          const name = h('td', {}, swatch, `${r.label}${i === 0 ? ` ${t('(this run)')}` : ''}`);
          return h(
            'tr',
            { testid: `comparison-row-${i}` },
            name,
            ...[
              ...r.values,
              pct(r.valAccuracy),
              pct(r.testAccuracy),
              duration(r.seconds),
              `${r.epochsCompleted}/${r.epochs}`,
              stepsOfTotal(r.steps, r.totalSteps),
              statusName(r.status),
            ].map((v) => h('td', { textContent: v })),
          );
        }),
      ),
    );
    void drawFinalAccuracyPlot($('comparison-plot'), c.runs, pal);
  }

  function build(): HTMLElement {
    const card = wide(
      section(
        'comparison',
        t('Run comparison'),
        h('p', { id: 'comparison-fields', className: 'muted', testid: 'comparison-fields' }),
        h('div', { className: 'hscroll' }, h('table', { id: 'comparison-table', testid: 'comparison-table' })),
        h('div', { id: 'comparison-plot', className: 'plot small', testid: 'comparison-plot' }),
      ),
    );
    card.hidden = true;
    return card;
  }

  return { id: 'comparison', build, onState: render, redraw: render };
};
