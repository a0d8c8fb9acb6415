/**
 * The lab panel: everything the seed's notebook shows, for the run the host is showing (live or
 * finished). The host owns the state; this page draws it, section by section (src/webview/page.ts
 * says what a section is), and asks the worker (through the host) for the analyses.
 */
import type { ProgressEvent } from '../core/events';
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

/**
 * The least time between two redraws for progress lines. A small network validating every few
 * steps sends dozens of lines a second; drawing the plots for each kept the page (and, in a
 * browser that runs the webview in the workbench's process, the whole workbench) busy.
 */
const PROGRESS_REDRAW_MS = 250;

setL10nBundle(pageBundle());
const page = new LabPage(savedState(), SECTIONS);
page.mount($('app'));
onThemeChange(() => page.themeChanged());

/** Progress lines appended to the state but not drawn yet, and when they were last drawn. */
let undrawn: ProgressEvent[] = [];
let drawnAt = 0;
let drawTimer: ReturnType<typeof setTimeout> | undefined;
function drawProgress(): void {
  drawTimer = undefined;
  drawnAt = Date.now();
  const lines = undrawn;
  undrawn = [];
  if (lines.length) for (const s of page.sections) s.onProgress?.(lines);
}

onHostMessage((m) => {
  const state = page.state;
  switch (m.type) {
    case 'state':
      // A whole state is drawn whole: lines not drawn yet are in it (or belong to another run).
      undrawn = [];
      page.setState(m.state);
      break;
    case 'progress':
      if (!state) return;
      state.progress.push(m.progress);
      state.log.push(m.line);
      state.step = m.progress.step;
      state.epoch = m.progress.epoch;
      undrawn.push(m.progress);
      drawTimer ??= setTimeout(drawProgress, Math.max(0, drawnAt + PROGRESS_REDRAW_MS - Date.now()));
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
