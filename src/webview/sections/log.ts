/** The progress log: one row per progress line of the run. */
import type { ProgressEvent } from '../../core/events';
import { $, h, pct } from '../dom';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, wide } from '../widgets';

function row(p: ProgressEvent): HTMLTableRowElement {
  return h(
    'tr',
    {},
    ...[
      String(p.epoch),
      `${p.samples}/${p.trainSize}`,
      `${p.percent.toFixed(0)} %`,
      p.loss.toFixed(6),
      pct(p.trainAccuracy),
      pct(p.valAccuracy),
    ].map((v) => h('td', { textContent: v })),
  );
}

export const log: SectionFactory = () => {
  const scrollToEnd = () => ($('log-body').parentElement!.parentElement!.scrollTop = 1e9);
  return {
    id: 'log',
    build: () =>
      wide(
        section(
          'log',
          t('Progress log'),
          h(
            'div',
            { className: 'scroll' },
            h(
              'table',
              { id: 'log-table', testid: 'log-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...[t('epoch'), t('samples'), '%', t('loss'), t('train acc'), t('val acc')].map((c) => h('th', { textContent: c })),
                ),
              ),
              h('tbody', { id: 'log-body' }),
            ),
          ),
        ),
      ),
    onState: (state) => {
      $('log-body').replaceChildren(...state.progress.map(row));
      scrollToEnd();
    },
    onProgress: (lines) => {
      $('log-body').append(...lines.map(row));
      scrollToEnd();
    },
  };
};
