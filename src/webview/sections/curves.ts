/** The seed's record (train and validation error rate per step, other runs' curves over it), the loss and a schedule's learning rate. */
import { $, h } from '../dom';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import { drawErrorPlot, drawLossPlot, learningRates } from '../plots';
import { metricsSaveButton, plotSaveBar } from '../save';
import { section, wide } from '../widgets';

export const curves: SectionFactory = (page) => {
  const errorPlot = h('div', { id: 'error-plot', className: 'plot', testid: 'error-plot' });
  const lossPlot = h('div', { id: 'loss-plot', className: 'plot small', testid: 'loss-plot' });
  function render(): void {
    const s = page.state!;
    const pal = page.palette();
    void drawErrorPlot($('error-plot'), s.progress, pal, false, s.overlay ?? []);
    $('error-plot').dataset.overlays = String(s.overlay?.length ?? 0);
    void drawLossPlot($('loss-plot'), s.progress, pal);
    $('loss-plot').dataset.lrPoints = String(learningRates(s.progress)?.lr.length ?? 0);
    $('error-plot').dataset.points = String(s.progress.length);
  }
  return {
    id: 'curves',
    build: () =>
      wide(
        section(
          'curves',
          t('Error rate (the original lab’s record)'),
          errorPlot,
          h(
            'div',
            { className: 'save-bar' },
            plotSaveBar(errorPlot, 'error-rate'),
            metricsSaveButton(() => page.state?.progress ?? []),
          ),
          h('h3', { textContent: t('Loss') }),
          lossPlot,
          plotSaveBar(lossPlot, 'loss'),
        ),
      ),
    onState: render,
    onProgress: render,
    redraw: render,
  };
};
