/**
 * Translations for the host's modules that do not import vscode (the editor logic the unit tests
 * drive without VS Code): `t('English {0}', x)` as vscode.l10n.t, which activation installs.
 * Without it (unit tests, the CLI) the English text is shown.
 */
type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

/** `text` with {0}, {1}, … replaced by `args` (a placeholder without an argument stays). */
export function formatMessage(text: string, args: ReadonlyArray<string | number | boolean>): string {
  return args.length === 0 ? text : text.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));
}

const english: Translate = (message, ...args) => formatMessage(message, args);

let translate: Translate = english;

/** Installs VS Code's translator (vscode.l10n.t) at activation. */
export function setTranslator(f: Translate | undefined): void {
  translate = f ?? english;
}

export function t(message: string, ...args: Array<string | number | boolean>): string {
  return translate(message, ...args);
}

/**
 * A run's status (summary.json's English word) as the user reads it, through translator `t`
 * (this module's, or the webview's: src/webview/l10n.ts).
 */
export function statusNameIn(t: Translate, status: string): string {
  switch (status) {
    case 'running':
      return t('running');
    case 'completed':
      return t('completed');
    case 'cancelled':
      return t('cancelled');
    case 'failed':
      return t('failed');
    case 'interrupted':
      return t('interrupted');
    case 'idle':
      return t('idle');
    default:
      return status;
  }
}

/** A run's status as the user reads it, through the host's translator. */
export const statusName = (status: string): string => statusNameIn(t, status);

/**
 * VS Code's translations for its display language (l10n/bundle.l10n.<lang>.json, the bundle
 * vscode.l10n.t reads) as a JSON data block the webview reads before it renders
 * (src/webview/l10n.ts). A data block is not a script: the CSP does not apply to it. `<` is
 * escaped so that no message can close the element.
 */
export function l10nDataBlock(bundle: Record<string, string> | undefined): string {
  return `<script id="mnist-lab-l10n" type="application/json">${JSON.stringify(bundle ?? {}).replace(/</g, '\\u003c')}</script>`;
}
