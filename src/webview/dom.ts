/** Small DOM helpers of the webviews (one definition each): elements with test ids, buttons, percentages. */

/** The element with id `id` (the page builds every id it asks for). */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Sets the text of element `id`. */
export function setText(id: string, text: string): void {
  $(id).textContent = text;
}

/** An element with properties and children; `testid` becomes its data-testid (for the UI tests). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { testid?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  const { testid, ...rest } = props;
  Object.assign(e, rest);
  if (testid) e.dataset.testid = testid;
  e.append(...children);
  return e;
}

/** A vscode-elements button that calls `onClick` unless it is disabled. */
export function vscodeButton(id: string, label: string, onClick: () => void, secondary = false): HTMLElement {
  const b = vsButton(id, label);
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

/** Percentages as everywhere in the lab (src/core/format.ts). */
export { pct } from '../core/format';

/** A vscode-elements button with an id that is also its test id. */
export function vsButton(id: string, text: string): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.dataset.testid = id;
  b.textContent = text;
  return b;
}

/** An element with an optional id (also its test id), class and text. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  id?: string,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (id) {
    e.id = id;
    e.dataset.testid = id;
  }
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
