// The webview's translations. Use t('English text with {0}', value) for every string a user reads;
// the English text is the key, as with vscode.l10n.t on the extension side. The host puts the
// bundle for VS Code's display language into the page (see webviewBridge.ts); without one, the
// English text is shown.

import { formatMessage, statusNameIn } from '../core/l10n';

type Bundle = Record<string, string | { message: string; comment?: string[] }>;

let bundle: Bundle | undefined;

/** Installs the translations (called once at start-up with what the host put in the page). */
export function setL10nBundle(contents: Bundle | undefined): void {
  bundle = contents;
}

/** The translation of `message` with {0}, {1}, … replaced by `args`. */
export function t(message: string, ...args: Array<string | number | boolean>): string {
  const entry = bundle?.[message];
  const text = entry === undefined ? message : typeof entry === 'string' ? entry : entry.message;
  return formatMessage(text, args);
}

/** The page, typed loosely: this module is also loaded by the unit tests, in Node (no DOM). */
interface Page {
  getElementById(id: string): { textContent: string | null } | null;
  documentElement: { lang: string };
}
const page = (): Page | undefined => (globalThis as { document?: Page }).document;

/** The bundle the host put into the page (webviewBridge.ts: a JSON data block), if any. */
export function pageBundle(): Bundle | undefined {
  const text = page()?.getElementById('mnist-lab-l10n')?.textContent;
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Bundle) : undefined;
  } catch {
    return undefined;
  }
}

/** VS Code's display language (the page's lang attribute), for numbers and dates. */
export function locale(): string {
  return page()?.documentElement.lang || 'en';
}

/** A run's status (summary.json's English word) as the user reads it. */
export const statusName = (status: string): string => statusNameIn(t, status);
