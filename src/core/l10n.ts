/**
 * What the host's translations (src/extension/l10n.ts) and the webviews' (src/webview/l10n.ts)
 * share: filling a message's {0}, {1}, … and the table of run status names. No vscode, no DOM:
 * both sides import it. The status names are t('…') messages like any other (scripts/l10n-bundle.mjs
 * reads this file as well as src/extension and src/webview).
 */

/** A translator: vscode.l10n.t on the host, the page's bundle in a webview, English elsewhere. */
export type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

/** `text` with {0}, {1}, … replaced by `args` (a placeholder without an argument stays). */
export function formatMessage(text: string, args: ReadonlyArray<string | number | boolean>): string {
  return args.length === 0
    ? text
    : text.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));
}

/**
 * A run's status (summary.json's English word) as the user reads it, through translator `t`
 * (the host's, src/extension/l10n.ts, or the webview's, src/webview/l10n.ts).
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
