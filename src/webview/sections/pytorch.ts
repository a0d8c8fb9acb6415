/** The PyTorch loader of the run's weights, with a copy button. Shown only when the run has weights. */
import { $, h } from '../dom';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { button } from '../widgets';

export const pytorch: SectionFactory = () => ({
  id: 'pytorch',
  build: () =>
    h(
      'section',
      { id: 'pytorch', className: 'card wide', hidden: true },
      h(
        'div',
        { className: 'card-head' },
        h('h2', { textContent: t('Load in PyTorch') }),
        button('btn-copy-pytorch', t('Copy'), 'copyPytorchSnippet', true),
      ),
      h('p', { id: 'pytorch-file', className: 'muted', testid: 'pytorch-file' }),
      h('pre', { className: 'code' }, h('code', { id: 'pytorch-code', testid: 'pytorch-code' })),
    ),
  onState: (state) => {
    const p = state.pytorch;
    $('pytorch').hidden = !p;
    if (!p) return;
    $('pytorch-file').textContent = p.written
      ? t('The original lab’s ConvNet loading this run’s weights, saved as {0}: run it with python3 (needs torch and numpy).', p.file)
      : t('The original lab’s ConvNet loading these weights (torch and numpy); Copy puts it on the clipboard.');
    $('pytorch-code').textContent = p.code;
  },
});
