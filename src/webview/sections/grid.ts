/**
 * A hyperparameter grid: a table of its runs (each key, validation and test accuracy, status;
 * sortable by any column, the best validation accuracy highlighted) and parallel coordinates
 * drawn as SVG (plotly's cartesian bundle has no parcoords: see docs/architecture.md). A row or a
 * line opens that run in the panel (by index: the host knows the folders). Shown while the run on
 * show is one of the grid's.
 */
import type { GridPointView, GridView } from '../../core/protocol';
import { $, h, pct } from '../dom';
import { t } from '../l10n';
import type { SectionFactory } from '../page';
import type { Palette, Rgb } from '../theme';
import { section, wide } from '../widgets';

type Cell = GridPointView['values'][number];

const cellText = (v: Cell): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Sort order of two cells: numbers by value, anything else by its text; nulls last. */
function compareCells(a: Cell | undefined, b: Cell | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
}

/** The index of the best validation accuracy (-1 when none has one). */
export function bestIndex(g: GridView): number {
  let best = -1;
  g.points.forEach((p, i) => {
    if (p.valAccuracy !== null && (best < 0 || p.valAccuracy > g.points[best]!.valAccuracy!)) best = i;
  });
  return best;
}

interface Axis {
  label: string;
  /** Position of each point on the axis, 0 (bottom) … 1 (top); null where it has no value. */
  at: (number | null)[];
  ticks: { at: number; text: string }[];
}

/** An axis for one column: numbers on a linear or (spanning ≥ 10×, all positive) log scale; anything else as categories. */
export function axisOf(label: string, cells: Cell[], format: (v: number) => string = (v) => String(v)): Axis {
  const nums = cells.filter((c): c is number => typeof c === 'number');
  if (nums.length && nums.length === cells.filter((c) => c !== null).length) {
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const log = lo > 0 && hi / lo >= 10;
    const f = (v: number) => (log ? Math.log(v) : v);
    const pos = (v: number) => (hi === lo ? 0.5 : (f(v) - f(lo)) / (f(hi) - f(lo)));
    const distinct = [...new Set(nums)].sort((a, b) => a - b);
    const shown = distinct.length <= 6 ? distinct : [lo, hi];
    return {
      label,
      at: cells.map((c) => (typeof c === 'number' ? pos(c) : null)),
      ticks: shown.map((v) => ({ at: pos(v), text: format(v) })),
    };
  }
  const distinct = [...new Set(cells.filter((c) => c !== null).map(cellText))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  const pos = (s: string) => (distinct.length === 1 ? 0.5 : distinct.indexOf(s) / (distinct.length - 1));
  return {
    label,
    at: cells.map((c) => (c === null ? null : pos(cellText(c)))),
    ticks: distinct.map((s) => ({ at: pos(s), text: s.length > 16 ? `${s.slice(0, 15)}…` : s })),
  };
}

const SVG = 'http://www.w3.org/2000/svg';
function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: Node[]
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

const rgb = ([r, g, b]: Rgb, a = 1) => `rgba(${r}, ${g}, ${b}, ${a})`;

/** Parallel coordinates of the grid: one axis per key, then validation and test accuracy; one line per run. */
function drawParallel(g: GridView, current: string | null, pal: Palette, open: (i: number) => void): SVGSVGElement {
  const axes = [
    ...g.keys.map((k, j) =>
      axisOf(
        k,
        g.points.map((p) => p.values[j] ?? null),
      ),
    ),
    axisOf(
      t('validation'),
      g.points.map((p) => p.valAccuracy),
      (v) => pct(v),
    ),
    axisOf(
      t('test'),
      g.points.map((p) => p.testAccuracy),
      (v) => pct(v),
    ),
  ];
  const W = Math.max(480, 150 * axes.length);
  const H = 260;
  const top = 36;
  const bottom = 16;
  // Room for the first and last axis titles, centred on their axes (≈ 7 px a character at 12 px).
  const left = Math.max(60, 3.6 * axes[0]!.label.length + 8);
  const right = Math.max(60, 3.6 * axes.at(-1)!.label.length + 8);
  const x = (j: number) => left + (j * (W - left - right)) / Math.max(1, axes.length - 1);
  const y = (a: number) => top + (1 - a) * (H - top - bottom);
  const fg = rgb(pal.foreground);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: '100%',
    role: 'img',
    'aria-label': t('Parallel coordinates of the grid'),
    'data-testid': 'grid-parallel',
  });
  root.style.maxWidth = `${W}px`;
  const best = bestIndex(g);
  // Lines first (under the axes); the best and the run on show last, on top of the others.
  const order = g.points
    .map((_, i) => i)
    .sort((a, b) => Number(a === best || g.points[a]!.runDir === current) - Number(b === best || g.points[b]!.runDir === current));
  for (const i of order) {
    const p = g.points[i]!;
    const pts = axes
      .map((a, j) => (a.at[i] === null ? null : `${x(j).toFixed(1)},${y(a.at[i]!).toFixed(1)}`))
      .filter((s): s is string => s !== null);
    const isBest = i === best;
    const isCurrent = p.runDir !== null && p.runDir === current;
    const line = svg(
      'polyline',
      {
        points: pts.join(' '),
        fill: 'none',
        stroke: isBest ? pal.validation : rgb(pal.foreground, 0.45),
        'stroke-width': isBest || isCurrent ? 3 : 1.5,
        'stroke-dasharray': isCurrent && !isBest ? '6 3' : 'none',
        'data-testid': `grid-line-${i}`,
        class: `grid-line${isBest ? ' best' : ''}${isCurrent ? ' current' : ''}`,
      },
      svg(
        'title',
        {},
        document.createTextNode(
          `#${i + 1}: ${g.keys.map((k, j) => `${k} = ${cellText(p.values[j] ?? null)}`).join(', ')}; ${t('validation')} ${pct(p.valAccuracy)}`,
        ),
      ),
    );
    if (p.runDir !== null) {
      line.style.cursor = 'pointer';
      line.addEventListener('click', () => open(i));
    }
    root.append(line);
  }
  axes.forEach((a, j) => {
    root.append(svg('line', { x1: x(j), x2: x(j), y1: y(0), y2: y(1), stroke: fg, 'stroke-width': 1 }));
    root.append(
      svg(
        'text',
        { x: x(j), y: 14, 'text-anchor': 'middle', fill: fg, 'font-size': 12, 'font-weight': 600 },
        document.createTextNode(a.label),
      ),
    );
    for (const tick of a.ticks) {
      root.append(svg('line', { x1: x(j) - 4, x2: x(j), y1: y(tick.at), y2: y(tick.at), stroke: fg }));
      root.append(
        svg(
          'text',
          { x: x(j) - 6, y: y(tick.at) + 4, 'text-anchor': 'end', fill: fg, 'font-size': 11 },
          document.createTextNode(tick.text),
        ),
      );
    }
  });
  return root;
}

export const grid: SectionFactory = (page) => {
  /** The column sorted by (-1: the grid's order) and its direction. */
  let sortBy = -1;
  let descending = false;

  const open = (index: number) => page.send({ type: 'openGridPoint', index });

  function render(): void {
    const state = page.state!;
    const card = $('grid');
    const g = state.grid;
    if (!g || !g.points.some((p) => p.runDir !== null && p.runDir === state.runDir)) {
      card.hidden = true;
      card.dataset.points = '0';
      return;
    }
    card.hidden = false;
    card.dataset.points = String(g.points.length);
    const best = bestIndex(g);
    $('grid-info').textContent = t(
      '{0} runs varying {1}; the best validation accuracy is highlighted. Click a row or a line to open its run.',
      g.points.length,
      g.keys.join(', '),
    );
    const columns = [...g.keys, t('validation'), t('test'), t('status')];
    const valueOf = (p: GridPointView, c: number): Cell =>
      c < g.keys.length ? (p.values[c] ?? null) : c === g.keys.length ? p.valAccuracy : c === g.keys.length + 1 ? p.testAccuracy : p.status;
    const rows = g.points.map((p, i) => ({ p, i }));
    if (sortBy >= 0) {
      rows.sort((a, b) => {
        const va = valueOf(a.p, sortBy);
        const vb = valueOf(b.p, sortBy);
        // Nulls stay last in either direction.
        if (va === null || vb === null) return compareCells(va, vb);
        return (descending ? -1 : 1) * compareCells(va, vb) || a.i - b.i;
      });
    }
    const head = h(
      'tr',
      {},
      h('th', { textContent: '#' }),
      ...columns.map((name, c) => {
        const arrow = sortBy === c ? (descending ? ' ▼' : ' ▲') : '';
        const th = h('th', {
          className: 'sortable',
          textContent: `${name}${arrow}`,
          title: t('Sort by {0}', name),
          testid: `grid-sort-${c}`,
        });
        th.setAttribute('aria-sort', sortBy === c ? (descending ? 'descending' : 'ascending') : 'none');
        th.addEventListener('click', () => {
          if (sortBy === c) descending = !descending;
          else {
            sortBy = c;
            // Accuracies best first; the keys from the smallest.
            descending = c >= g.keys.length;
          }
          render();
        });
        return th;
      }),
    );
    $('grid-table').replaceChildren(
      h('thead', {}, head),
      h(
        'tbody',
        {},
        ...rows.map(({ p, i }) => {
          const current = p.runDir !== null && p.runDir === state.runDir;
          const tr = h(
            'tr',
            { className: `${i === best ? 'best' : ''}${current ? ' current' : ''}`.trim(), testid: `grid-row-${i}` },
            h('td', { textContent: `${i + 1}${current ? ` ${t('(on show)')}` : ''}` }),
            ...g.keys.map((_, c) => h('td', { textContent: cellText(p.values[c] ?? null) })),
            h('td', { textContent: pct(p.valAccuracy) }),
            h('td', { textContent: pct(p.testAccuracy) }),
            h('td', { textContent: p.status }),
          );
          if (p.runDir !== null && !current) {
            tr.classList.add('clickable');
            tr.title = t('Open this run in the panel');
            tr.addEventListener('click', () => open(i));
          }
          return tr;
        }),
      ),
    );
    $('grid-parallel-box').replaceChildren(drawParallel(g, state.runDir, page.palette(), open));
  }

  function build(): HTMLElement {
    const card = wide(
      section(
        'grid',
        t('Hyperparameter grid'),
        h('p', { id: 'grid-info', className: 'muted', testid: 'grid-info' }),
        h('div', { className: 'hscroll' }, h('table', { id: 'grid-table', className: 'grid-table', testid: 'grid-table' })),
        h('div', { id: 'grid-parallel-box', className: 'hscroll', testid: 'grid-parallel-box' }),
      ),
    );
    card.hidden = true;
    return card;
  }

  return { id: 'grid', build, onState: render, redraw: render };
};
