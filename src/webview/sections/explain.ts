/**
 * Why the network decided: saliency maps (gradient, gradient × input, SmoothGrad) and Grad-CAM
 * on conv2 of the chosen test image or of the drawn digit, for the predicted class or any other,
 * as a heatmap over the digit with its colour scale. The worker computes them
 * (src/core/analysis/explain.ts); this card chooses and draws.
 */
import { EXPLAIN_METHODS, type ExplainMethod, type ExplainScore, SMOOTHGRAD_DEFAULTS } from '../../core/analysis/explainOptions';
import type { ExplainPayload } from '../../core/analyses';
import { errorMessage } from '../../core/errors';
import { make, vsButton } from '../dom';
import { drawHeatmap, drawOverlay, drawPositiveScale, drawSignedScale, mix, signedColour } from '../draw';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import type { Palette, Rgb } from '../theme';

/** The map in its colours, with the digit's ink as a faint veil of the foreground colour over it. */
const overlayColour =
  (pal: Palette) =>
  (v: number, ink: number): Rgb =>
    mix(signedColour(v, pal), pal.foreground, 0.35 * ink);

/** Shows or hides an element (the panel's CSS gives rows and figures a display, which outranks `hidden`). */
const showIf = (e: HTMLElement, show: boolean): void => {
  e.style.display = show ? '' : 'none';
};

const METHOD_NAMES: Record<ExplainMethod, () => string> = {
  gradient: () => t('gradient (saliency)'),
  gradientTimesInput: () => t('gradient × input'),
  smoothGrad: () => t('SmoothGrad'),
  gradCam: () => t('Grad-CAM on conv2'),
};

export const explain: SectionFactory = (page) => {
  const ui = {
    source: 'test' as 'test' | 'drawing',
    method: 'gradient' as ExplainMethod,
    score: 'logit' as ExplainScore,
    classIndex: null as number | null,
    samples: SMOOTHGRAD_DEFAULTS.samples as number,
    sigma: SMOOTHGRAD_DEFAULTS.sigma as number,
  };
  let last: ExplainPayload | null = null;
  let seq = 0;
  let shown = false;

  const select = (id: string, options: [string, string][], onChange: (v: string) => void) => {
    const s = make('select', id, 'select');
    for (const [value, text] of options) {
      const o = make('option', undefined, undefined, text);
      o.value = value;
      s.append(o);
    }
    s.addEventListener('change', () => onChange(s.value));
    return s;
  };
  const labelled = (text: string, control: HTMLElement) => {
    const l = make('label', undefined, 'slider');
    l.append(`${text} `, control);
    return l;
  };
  const slider = (
    id: string,
    min: number,
    max: number,
    step: number,
    value: number,
    show: (v: number) => string,
    onInput: (v: number) => void,
  ) => {
    const input = make('input', id);
    Object.assign(input, { type: 'range', min: String(min), max: String(max), step: String(step), value: String(value) });
    const out = make('output', `${id}-value`, undefined, show(value));
    input.addEventListener('input', () => {
      out.textContent = show(Number(input.value));
      onInput(Number(input.value));
    });
    const span = make('span');
    span.append(input, out);
    return span;
  };

  const source = select(
    'explain-source',
    [
      ['test', t('the chosen test image')],
      ['drawing', t('the drawn digit')],
    ],
    (v) => {
      ui.source = v as 'test' | 'drawing';
      schedule();
    },
  );
  const method = select(
    'explain-method',
    EXPLAIN_METHODS.map((m) => [m, METHOD_NAMES[m]()]),
    (v) => {
      ui.method = v as ExplainMethod;
      showIf(smooth, ui.method === 'smoothGrad');
      schedule();
    },
  );
  const score = select(
    'explain-score',
    [
      ['logit', t('logit (before the softmax)')],
      ['logProbability', t('log-probability')],
    ],
    (v) => {
      ui.score = v as ExplainScore;
      schedule();
    },
  );
  const classSelect = make('select', 'explain-class', 'select');
  const fillClasses = () => {
    const n = page.classNames()?.length ?? 10;
    const keep = classSelect.value;
    classSelect.replaceChildren();
    const predicted = make('option', undefined, undefined, t('the predicted class'));
    predicted.value = '';
    classSelect.append(predicted);
    for (let c = 0; c < n; c++) {
      const o = make('option', undefined, undefined, page.cls(c));
      o.value = String(c);
      classSelect.append(o);
    }
    classSelect.value = Array.from(classSelect.options).some((o) => o.value === keep) ? keep : '';
    ui.classIndex = classSelect.value === '' ? null : Number(classSelect.value);
  };
  classSelect.addEventListener('change', () => {
    ui.classIndex = classSelect.value === '' ? null : Number(classSelect.value);
    schedule();
  });
  const run = vsButton('explain-run', t('Explain'));
  run.addEventListener('click', () => {
    shown = true;
    void load();
  });

  const smooth = make('div', 'explain-smoothgrad', 'row');
  smooth.append(
    labelled(
      t('samples N'),
      slider(
        'explain-samples',
        5,
        200,
        5,
        ui.samples,
        (v) => String(v),
        (v) => {
          ui.samples = v;
          schedule();
        },
      ),
    ),
    labelled(
      t('noise σ'),
      slider(
        'explain-sigma',
        0,
        50,
        1,
        Math.round(ui.sigma * 100),
        (v) => t('{0} % of the range', v),
        (v) => {
          ui.sigma = v / 100;
          schedule();
        },
      ),
    ),
  );
  showIf(smooth, false);

  const controls = make('div', undefined, 'row');
  controls.append(
    labelled(t('image'), source),
    labelled(t('method'), method),
    labelled(t('score'), score),
    labelled(t('class'), classSelect),
    run,
  );

  const image = make('canvas', 'explain-image');
  const overlay = make('canvas', 'explain-heatmap');
  const coarse = make('canvas', 'explain-coarse');
  const fig = (c: HTMLCanvasElement, caption: string, id: string) => {
    const f = make('figure', undefined, 'image');
    f.append(c, make('figcaption', id, undefined, caption));
    return f;
  };
  const overlayCaption = make('figcaption', 'explain-heatmap-caption');
  const overlayFigure = make('figure', undefined, 'image');
  const legend = make('div', 'explain-scale', 'kernel-scale');
  overlayFigure.append(overlay, overlayCaption);
  const coarseFigure = fig(coarse, t('Grad-CAM at conv2’s resolution (14×14), before upsampling'), 'explain-coarse-caption');
  showIf(coarseFigure, false);
  const figures = make('div', undefined, 'row');
  figures.append(fig(image, t('image'), 'explain-image-caption'), overlayFigure, coarseFigure);
  const summary = make('div', 'explain-summary', 'muted', t('Choose a method and press Explain.'));
  const section = make('section', undefined, 'card wide');
  section.id = 'explain';
  section.append(
    make('h2', undefined, undefined, t('Why the network decided: saliency and Grad-CAM')),
    controls,
    smooth,
    figures,
    legend,
    summary,
    make(
      'p',
      undefined,
      'muted',
      t(
        'Red: more ink there raises the class’s score, blue: lowers it (gradients); Grad-CAM: where conv2’s features speak for the class. The score is the logit unless log-probability is chosen: for a confident prediction its gradient is close to zero.',
      ),
    ),
  );

  let timer: ReturnType<typeof setTimeout> | undefined;
  function schedule(delay = 150): void {
    if (!shown) return;
    clearTimeout(timer);
    timer = setTimeout(() => void load(), delay);
  }

  async function load(): Promise<void> {
    if (!page.hasModel()) {
      summary.textContent = t('Explanations need the trained weights (saved when training ends).');
      return;
    }
    const drawing = page.drawing;
    if (ui.source === 'drawing' && !drawing) {
      summary.textContent = t('Nothing drawn yet: draw a digit on the pad.');
      return;
    }
    const mine = ++seq;
    summary.textContent = t('Computing…');
    run.toggleAttribute('disabled', true);
    try {
      const r = await page.request({
        type: 'explain',
        index: ui.source === 'test' ? page.choice.index : null,
        pixels: ui.source === 'drawing' ? [...drawing!] : null,
        method: ui.method,
        score: ui.score,
        classIndex: ui.classIndex,
        samples: ui.samples,
        sigma: ui.sigma,
        seed: SMOOTHGRAD_DEFAULTS.seed,
      });
      if (mine !== seq) return;
      last = r;
      draw();
    } catch (e) {
      if (mine === seq) summary.textContent = errorMessage(e);
    } finally {
      if (mine === seq) run.toggleAttribute('disabled', false);
    }
  }

  function draw(): void {
    const r = last;
    if (!r) return;
    const pal = page.palette();
    drawHeatmap(image, r.image.pixels, r.image.size, r.image.size, pal, 'intensity', 1);
    drawOverlay(overlay, r.map.values, r.image.pixels, r.map.size, r.scale || 1, overlayColour(pal));
    if (r.signed) drawSignedScale(legend, r.scale, pal, 'explain-scale-bar');
    else drawPositiveScale(legend, r.scale, pal, 'explain-scale-bar');
    showIf(coarseFigure, !!r.gradCam);
    // On its own scale: upsampling lowers the peak, so the 28×28 map's largest value would clip it.
    if (r.gradCam) drawHeatmap(coarse, r.gradCam.values, r.gradCam.size, r.gradCam.size, pal, 'signed');
    const scoreName = r.score === 'logit' ? t('logit') : t('log-probability');
    overlayCaption.textContent = t('{0} of the {1} of class {2}', METHOD_NAMES[r.method](), scoreName, page.cls(r.classIndex));
    const what = r.index === null ? t('the drawn digit') : t('test image #{0} (true class {1})', r.index, page.cls(r.label!));
    let text = t(
      '{0}: predicted {1} ({2} %); explained: class {3}, its {4} {5}.',
      what,
      page.cls(r.predicted),
      (100 * r.probabilities[r.predicted]!).toFixed(2),
      page.cls(r.classIndex),
      scoreName,
      r.scoreValue.toFixed(3),
    );
    if (r.smoothGrad)
      text += ` ${t('SmoothGrad: the mean gradient of {0} noisy copies, σ = {1} % of the image’s range (seed {2}).', r.smoothGrad.samples, Math.round(r.smoothGrad.sigma * 100), r.smoothGrad.seed)}`;
    if (r.gradCam) text += ` ${t('Grad-CAM: conv2 channel weights α = {0}.', r.gradCam.weights.map((w) => w.toFixed(4)).join(', '))}`;
    if (r.scale === 0) text += ` ${t('The map is zero everywhere.')}`;
    summary.textContent = text;
    summary.dataset.method = r.method;
    summary.dataset.classIndex = String(r.classIndex);
    summary.dataset.index = r.index === null ? 'drawing' : String(r.index);
  }

  /** The chosen image, the drawing or the model changed: explain again (once the user has asked). */
  return {
    id: 'explain',
    shows: ['explain'],
    build: () => section,
    onState: (_state, { runChanged, finished }) => {
      fillClasses();
      if (runChanged || finished) schedule(0);
    },
    onImageChosen: () => {
      if (ui.source === 'test') schedule(0);
    },
    onDrawingChanged: () => {
      if (ui.source === 'drawing') schedule(400);
    },
    redraw: draw,
  };
};
