// The webview's translations. Use t('English text with {0}', value) for every string a user reads;
// the English text is the key, as with vscode.l10n.t on the extension side. The host puts the
// bundle for VS Code's display language into the page (see webviewBridge.ts); without one, the
// English text is shown.

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
  return args.length === 0 ? text : text.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));
}
