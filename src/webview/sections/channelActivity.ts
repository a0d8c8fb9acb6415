/**
 * The dead-channel analysis of the run on show, asked once per saved model and shared by the
 * sections that show it (the layer histograms list the channels, the kernels mark them).
 */
import type { ChannelActivityPayload } from '../../core/analysis/histograms';
import type { LabPage } from '../page';

let cached: { key: string; result: Promise<ChannelActivityPayload> } | null = null;

/** The validation split's channel activity of the run's saved weights; null while it has none. */
export function validationActivity(page: LabPage): Promise<ChannelActivityPayload> | null {
  const s = page.state;
  if (!s || !page.hasModel()) return null;
  const key = `${s.runDir}|${s.summary?.finishedAt ?? ''}`;
  if (cached?.key !== key) {
    const result = page.request({ type: 'deadChannels', split: 'validation' });
    cached = { key, result };
    // A failure is shown by whoever asked; the next question asks again.
    result.catch(() => {
      if (cached?.result === result) cached = null;
    });
  }
  return cached.result;
}
