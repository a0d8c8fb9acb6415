/** The test accuracy, beside the original lab's and the latest validation accuracy. */
import { h, pct, setText } from '../dom';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { section } from '../widgets';

export const accuracy: SectionFactory = (page) => {
  function render(): void {
    const s = page.state!;
    const seed = s.seedTestAccuracy;
    const test = s.summary?.testAccuracy ?? null;
    setText('accuracy-value', test === null ? (s.status === 'running' ? t('training…') : '—') : pct(test));
    const lastVal = s.progress.at(-1)?.valAccuracy ?? null;
    setText(
      'accuracy-detail',
      seed === null
        ? test === null
          ? t('latest validation accuracy {0}', pct(lastVal))
          : t(
              'validation {0} · {1}/{2} epochs, {3} steps',
              pct(s.summary?.valAccuracy),
              s.summary?.epochsCompleted ?? 0,
              s.summary?.epochs ?? 0,
              s.summary?.steps ?? 0,
            )
        : test === null
          ? t('the original lab reached {0}; latest validation accuracy {1}', pct(seed), pct(lastVal))
          : t(
              'the original lab: {0} ({1} points) · validation {2} · {3}/{4} epochs, {5} steps',
              pct(seed),
              `${test >= seed ? '+' : ''}${(100 * (test - seed)).toFixed(2)}`,
              pct(s.summary?.valAccuracy),
              s.summary?.epochsCompleted ?? 0,
              s.summary?.epochs ?? 0,
              s.summary?.steps ?? 0,
            ),
    );
  }
  return {
    id: 'accuracy',
    build: () =>
      section(
        'accuracy',
        t('Test accuracy'),
        h('div', { id: 'accuracy-value', className: 'big', testid: 'accuracy-value' }),
        h('div', { id: 'accuracy-detail', className: 'muted' }),
      ),
    onState: render,
    onProgress: render,
  };
};
