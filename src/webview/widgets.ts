/** The lab panel's building blocks: a section card, a slider, a command button, probability bars. */
import type { WebviewCommand } from '../core/protocol';
import { h } from './dom';
import { send } from './rpc';

/** A card of the lab panel: `<section id class="card">` with its title. */
export function section(id: string, title: string, ...children: (Node | string)[]): HTMLElement {
  return h('section', { id, className: 'card' }, h('h2', { textContent: title }), ...children);
}

/** A card that spans the columns. */
export function wide(card: HTMLElement): HTMLElement {
  card.classList.add('wide');
  return card;
}

/** A vscode-elements button that sends the host `command`. */
export function button(id: string, label: string, command: WebviewCommand, secondary = false): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.dataset.testid = id;
  b.textContent = label;
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', () => send({ type: 'command', command }));
  return b;
}

/** A labelled range input with its value beside it (`<output id="{id}-value">`). */
export function slider(id: string, label: string, min: number, max: number, value: number, onInput: (v: number) => void): HTMLElement {
  const out = h('output', { id: `${id}-value`, textContent: String(value) });
  const input = h('input', { id, type: 'range', min: String(min), max: String(max), step: '1', value: String(value), testid: id });
  input.addEventListener('input', () => {
    out.textContent = input.value;
    onInput(Number(input.value));
  });
  return h('label', { className: 'slider' }, `${label} `, input, out);
}

/** The class probabilities as bars, the predicted class highlighted; `cls` names a class. */
export function probabilityBars(parent: HTMLElement, probs: number[], predicted: number, cls: (label: number) => string): void {
  parent.replaceChildren(
    ...probs.map((p, c) => {
      const bar = h('span', { className: 'bar' });
      bar.style.width = `${Math.max(0.5, 100 * p)}%`;
      return h(
        'div',
        { className: c === predicted ? 'prob top' : 'prob' },
        h('span', { className: 'cls', textContent: cls(c) }),
        h('span', { className: 'track' }, bar),
        h('span', { className: 'val', textContent: `${(100 * p).toFixed(1)} %` }),
      );
    }),
  );
}
