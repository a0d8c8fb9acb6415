/**
 * The lab panel: everything the seed's notebook shows, for the run the host is showing (live or
 * finished). The host owns the state; this page draws it, section by section (src/webview/page.ts
 * says what a section is), and asks the worker (through the host) for the analyses.
 */
import { $ } from './dom';
import { pageBundle, setL10nBundle } from './l10n';
import { LabPage, type SectionFactory } from './page';
import { onHostMessage, savedState, send } from './rpc';
import { accuracy } from './sections/accuracy';
import { comparison } from './sections/comparison';
import { grid } from './sections/grid';
import { confusion } from './sections/confusion';
import { curves } from './sections/curves';
import { drawDigit } from './sections/drawDigit';
import { explain } from './sections/explain';
import { gallery } from './sections/gallery';
import { header } from './sections/header';
import { kernels } from './sections/kernels';
import { layerHistograms } from './sections/layerHistograms';
import { log } from './sections/log';
import { modelSummary } from './sections/modelSummary';
import { occlusion } from './sections/occlusion';
import { projector } from './sections/projector';
import { pytorch } from './sections/pytorch';
import { robustness } from './sections/robustness';
import { testImage } from './sections/testImage';
import { trainingImage } from './sections/trainingImage';
import { onThemeChange } from './theme';

/** The sections, in the panel's order (the header above the columns; the cards in reading order). */
const SECTIONS: readonly SectionFactory[] = [
  header, // run name, status, commands, progress line, error
  accuracy,
  trainingImage,
  curves,
  comparison,
  grid, // a hyperparameter grid's table and parallel coordinates
  log,
  testImage, // the chosen test image and its prediction, then its feature maps
  kernels,
  layerHistograms, // weights, gradients and outputs per epoch; dead channels
  robustness, // with the sweep
  confusion,
  gallery,
  occlusion,
  projector, // the learned space: fc1 in 2-D
  explain, // why the network decided: saliency and Grad-CAM of the chosen or drawn image
  drawDigit,
  modelSummary,
  pytorch,
];

setL10nBundle(pageBundle());
const page = new LabPage(savedState(), SECTIONS);
page.mount($('app'));
onThemeChange(() => page.themeChanged());
onHostMessage((m) => {
  const state = page.state;
  switch (m.type) {
    case 'state':
      page.setState(m.state);
      break;
    case 'progress':
      if (!state) return;
      state.progress.push(m.progress);
      state.log.push(m.line);
      state.step = m.progress.step;
      state.epoch = m.progress.epoch;
      for (const s of page.sections) s.onProgress?.(m.progress);
      break;
    case 'step':
      if (!state) return;
      state.step = m.step;
      state.totalSteps = m.totalSteps;
      state.epoch = m.epoch;
      for (const s of page.sections) s.onStep?.();
      break;
    case 'reveal':
      page.revealAnalysis(m.analysis);
      break;
    case 'snapshot':
      if (!state) return;
      state.snapshots.push(m.snapshot);
      if (m.valConfusion) state.valConfusion = m.valConfusion;
      if (m.histograms) (state.histograms ??= []).push(m.histograms);
      for (const s of page.sections) s.onSnapshot?.(m.snapshot, m.valConfusion);
      break;
  }
});
send({ type: 'ready' });
