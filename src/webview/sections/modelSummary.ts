/** The model's layers, output shapes and parameter counts (from the live run's start, or the saved model). */
import type { ModelInfo } from '../../core/analyses';
import { $, h, setText } from '../dom';
import { locale, t } from '../l10n';
import type { SectionFactory } from '../page';
import { section, wide } from '../widgets';
import { errorMessage } from '../../core/errors';

export const modelSummary: SectionFactory = (page) => {
  /** The run whose saved model's summary is shown (asked once per run). */
  let shownFor: string | null = null;

  async function render(): Promise<void> {
    const s = page.state!;
    let info: ModelInfo | null = null;
    if (s.start) info = { file: '', layers: s.start.layers, parameters: s.start.parameters };
    else if (page.hasModel() && shownFor !== s.runDir) {
      try {
        info = await page.request({ type: 'modelInfo' });
        shownFor = s.runDir;
      } catch (e) {
        setText('summary-total', errorMessage(e));
      }
    }
    if (!info) {
      if (!page.hasModel()) {
        $('summary-table').replaceChildren();
        setText('summary-total', s.runDir ? t('No model saved in this run.') : '');
      }
      return;
    }
    $('summary-table').replaceChildren(
      h('thead', {}, h('tr', {}, ...[t('layer'), t('module'), t('output shape'), t('parameters')].map((c) => h('th', { textContent: c })))),
      h(
        'tbody',
        {},
        ...info.layers.map((l) =>
          h(
            'tr',
            {},
            ...[l.name, l.layer, l.outputShape.join(' × '), l.params.toLocaleString(locale())].map((v) => h('td', { textContent: v })),
          ),
        ),
      ),
    );
    setText('summary-total', t('{0} trainable parameters', info.parameters.toLocaleString(locale())));
  }

  return {
    id: 'model-summary',
    build: () =>
      wide(
        section(
          'model-summary',
          t('Model summary'),
          h('div', { className: 'hscroll' }, h('table', { id: 'summary-table', testid: 'summary-table' })),
          h('div', { id: 'summary-total', className: 'muted' }),
        ),
      ),
    onState: (_state, { runChanged }) => {
      if (runChanged) shownFor = null;
      void render();
    },
  };
};
