/** The panel's header: the run's name and status, the commands, its progress line and its error. */
import { $, h, setText } from '../dom';
import { statusName, t } from '../l10n';
import type { SectionFactory } from '../page';
import { button } from '../widgets';

export const header: SectionFactory = (page) => {
  function render(): void {
    const s = page.state!;
    setText('run-name', s.runDir ? `${s.name} — ${s.runDir.split(/[\\/]/).pop()}` : t('no run yet: press ▶ Train (or MNIST: Train)'));
    setText('run-status', statusName(s.status));
    $('run-status').dataset.status = s.status;
    $('btn-stop').toggleAttribute('disabled', s.status !== 'running');
    $('btn-train').toggleAttribute('disabled', s.status === 'running');
    const backend = s.start
      ? `${s.start.backend} — ${s.start.device}`
      : s.summary
        ? `${s.summary.backend}${s.summary.device ? ` — ${s.summary.device}` : ''}`
        : '';
    const epochs = s.config?.training.epochs ?? s.summary?.epochs ?? 0;
    setText(
      'progress',
      s.totalSteps
        ? `${t('epoch {0}/{1} · step {2}/{3}', Math.max(1, s.epoch), epochs, s.step, s.totalSteps)}${backend ? ` · ${backend}` : ''}${s.summary?.seconds ? ` · ${s.summary.seconds.toFixed(1)} s` : ''}`
        : '',
    );
    const err = $('run-error');
    err.hidden = !s.error;
    err.textContent = s.error ? t('Error: {0}', s.error) : '';
  }
  return {
    id: 'header',
    area: 'top',
    build: () => [
      h(
        'header',
        {},
        h(
          'div',
          { className: 'title' },
          h('h1', { textContent: 'MNIST Lab' }),
          h('span', { id: 'run-name', testid: 'run-name' }),
          h('span', { id: 'run-status', className: 'badge', testid: 'run-status' }),
        ),
        h(
          'div',
          { className: 'actions' },
          button('btn-train', t('▶ Train'), 'train'),
          button('btn-stop', t('■ Stop'), 'stop', true),
          button('btn-evaluate', t('Evaluate'), 'evaluate', true),
          button('btn-open-run', t('Open Run…'), 'openRun', true),
        ),
      ),
      h('div', { id: 'progress', testid: 'progress' }),
      h('div', { id: 'run-error', className: 'error', testid: 'run-error', hidden: true }),
    ],
    onState: render,
    onProgress: render,
    onStep: render,
  };
};
