/**
 * The lab panel's shape: a list of sections (src/webview/sections, one file each) that share one
 * interface, and the page they live on. The page holds what sections share: the run on show
 * (the host owns it; the page keeps the latest copy), the chosen test image and shift (persisted
 * across reloads), the theme's palette, and the host (requests, commands). A section keeps its
 * own state in its closure.
 *
 * Adding a section: one file in src/webview/sections exporting a `SectionFactory`, and one line in
 * the list in src/webview/lab.ts.
 */
import type { AnalysisType } from '../core/analyses';
import { classLabel } from '../core/data/classes';
import type { KernelSnapshot, ProgressEvent } from '../core/events';
import type { FromWebviewRequest, LiveConfusion, PersistedPanelState, RunView } from '../core/protocol';
import { h } from './dom';
import { request, saveState, send } from './rpc';
import { type Palette, palette } from './theme';

/** What changed with a new state from the host. */
export interface StateChange {
  /** Another run is on show (or the first state arrived). */
  runChanged: boolean;
  /** The run on show just stopped running (its weights are saved, if it got that far). */
  finished: boolean;
}

/** The chosen test image and the robustness check's shift. */
export interface Choice {
  index: number;
  dx: number;
  dy: number;
}

export interface Section {
  /** The DOM id of its (first) element. */
  readonly id: string;
  /** 'top': above the columns (the header); otherwise a card in the columns, in list order. */
  readonly area?: 'top';
  /** The analyses (src/core/analyses.ts) it shows: the host's `reveal` of one scrolls here. */
  readonly shows?: readonly AnalysisType[];
  /** Its elements, built once (ids, test ids, classes and texts are what the UI tests select by). */
  build(): HTMLElement | HTMLElement[];
  /** A new state from the host (`page.state` is it). */
  onState?(state: RunView, change: StateChange): void;
  /**
   * Progress lines of the run on show that arrived since the last call (already appended to
   * `page.state.progress`): a fast training's lines are drawn at most a few times a second.
   */
  onProgress?(progress: readonly ProgressEvent[]): void;
  /** A training step (`page.state.step`, `totalSteps` and `epoch` are updated). */
  onStep?(): void;
  /** An epoch's kernel snapshot (already appended to `page.state.snapshots`), with the live validation confusion. */
  onSnapshot?(snapshot: KernelSnapshot, valConfusion: LiveConfusion | undefined): void;
  /** Another test image was chosen (`page.choice.index`). */
  onImageChosen?(index: number): void;
  /** The drawing on the draw-a-digit pad changed (`page.drawing`: preprocessed to 28×28, or null when the pad is empty). */
  onDrawingChanged?(): void;
  /** The theme changed: draw again in `page.palette()` (only called once there is a state). */
  redraw?(): void;
}

/** A section is made once per page; its state lives in the closure. */
export type SectionFactory = (page: LabPage) => Section;

export class LabPage {
  /** The run on show; null until the host's first state. */
  state: RunView | null = null;
  readonly choice: Readonly<Choice>;
  readonly sections: readonly Section[];
  private pal = palette();
  private readonly chosen: Choice;
  private lastStatus: string | null = null;
  private lastRunDir: string | null | undefined;
  private drawn: readonly number[] | null = null;

  constructor(saved: Partial<PersistedPanelState>, factories: readonly SectionFactory[]) {
    this.chosen = { index: saved.index ?? 4, dx: saved.dx ?? -3, dy: saved.dy ?? 0 };
    this.choice = this.chosen;
    this.sections = factories.map((f) => f(this));
  }

  /** Builds every section into `app`: the top ones first, then the cards in their columns. */
  mount(app: HTMLElement): void {
    const top: HTMLElement[] = [];
    const cards: HTMLElement[] = [];
    for (const s of this.sections) {
      const built = s.build();
      (s.area === 'top' ? top : cards).push(...(Array.isArray(built) ? built : [built]));
    }
    app.append(...top, h('div', { className: 'columns' }, ...cards));
  }

  /** The theme's colours (read again on a theme change). */
  palette(): Palette {
    return this.pal;
  }

  /** A new state from the host: kept, persisted, and handed to every section. */
  setState(next: RunView): void {
    const change: StateChange = {
      runChanged: next.runDir !== this.lastRunDir,
      finished: this.lastStatus === 'running' && next.status !== 'running',
    };
    this.state = next;
    this.lastStatus = next.status;
    this.lastRunDir = next.runDir;
    this.persist();
    for (const s of this.sections) s.onState?.(next, change);
  }

  /** The theme changed: new colours, every section draws again. */
  themeChanged(): void {
    this.pal = palette();
    if (!this.state) return;
    for (const s of this.sections) s.redraw?.();
  }

  /** Makes test-file image `index` the chosen one: the sections that show it load it. */
  chooseImage(index: number): void {
    this.chosen.index = index;
    this.persist();
    for (const s of this.sections) s.onImageChosen?.(index);
  }

  /** The drawn digit (src/webview/sections/drawDigit.ts), preprocessed to the model's size; null: nothing drawn. */
  get drawing(): readonly number[] | null {
    return this.drawn;
  }

  /** The draw-a-digit pad has a new drawing (or none): the sections that explain it hear of it. */
  setDrawing(pixels: readonly number[] | null): void {
    this.drawn = pixels;
    for (const s of this.sections) s.onDrawingChanged?.();
  }

  /** The robustness check's shift. */
  setShift(shift: Partial<Pick<Choice, 'dx' | 'dy'>>): void {
    Object.assign(this.chosen, shift);
    this.persist();
  }

  /** True once the run on show has saved weights. */
  hasModel(): boolean {
    return !!this.state?.summary?.model;
  }

  running(): boolean {
    return this.state?.status === 'running';
  }

  /** The config's class names (null or undefined for MNIST's digits). */
  classNames(): readonly string[] | null | undefined {
    return this.state?.config?.data.classNames;
  }

  /** A label as the config names it: `7`, or `7 Sneaker` for a dataset with class names. */
  cls(label: number): string {
    return classLabel(this.classNames(), label);
  }

  /** Scrolls section `id` into view. */
  reveal(id: string): void {
    document.getElementById(id)?.scrollIntoView({ block: 'start' });
  }

  /** Scrolls to the section that shows `analysis` (the host's 'reveal', e.g. MNIST Lab: Robustness Check). */
  revealAnalysis(analysis: AnalysisType): void {
    const section = this.sections.find((s) => s.shows?.includes(analysis));
    if (section) this.reveal(section.id);
  }

  /** Asks the host (the worker) for an analysis; its result type follows from the request's type. */
  readonly request = request;

  /** Tells the host something (a command, a cancellation). */
  send(message: FromWebviewRequest): void {
    send(message);
  }

  private persist(): void {
    saveState({ runDir: this.state?.runDir ?? null, index: this.chosen.index, dx: this.chosen.dx, dy: this.chosen.dy });
  }
}
