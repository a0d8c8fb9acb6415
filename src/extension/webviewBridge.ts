/**
 * The host's end of the webview protocol, shared by the lab panel and the side view: validates
 * every message from the page, answers requests (through the analysis worker), forwards run
 * changes while the view is visible and replays the whole state when it becomes visible again
 * (a hidden webview receives no messages).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { type AnalysisType, isAnalysisType } from '../core/analyses';
import type { RunDeltaMessage, ToWebviewMessage } from '../core/protocol';
import { validateFromWebview } from '../core/protocol';
import { saveFromPanel } from './panelSave';
import type { LabContext } from './ctx';
import { openGridPointFromPanel } from './gridView';
import { l10nDataBlock } from './l10n';
import type { RunViewDelta } from './runView';
import { errorMessage } from '../core/errors';

/** A CSP nonce: 128 bits from the system's CSPRNG (never Math.random), as 32 hex digits. */
export function nonce(): string {
  return randomBytes(16).toString('hex');
}

/** The `messageId` of an invalid message, when it has an own whole one ≥ 0 (to reply to), else -1. */
function ownMessageId(raw: unknown): number {
  if (typeof raw !== 'object' || raw === null || !Object.prototype.hasOwnProperty.call(raw, 'messageId')) return -1;
  const id = (raw as { messageId: unknown }).messageId;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : -1;
}

/**
 * plotly.js 4.1.1 injects maplibre's stylesheet (map traces, unused here) into a <style> element
 * with this id unless one exists: an empty one with our nonce keeps the CSP report clean.
 */
const PLOTLY_MAPLIBRE_STYLE_ID = '9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53';

/** The page shell: strict CSP (nonce scripts, no eval, no inline styles but plotly's one sheet). */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, title: string, body: string): string {
  const n = nonce();
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`, // blob: plotly's toImage draws its SVG through an object URL (Save PNG)
    `style-src ${webview.cspSource} 'nonce-${n}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('media', 'lab.css')}">
<style id="plotly.js-style-global" nonce="${n}"></style>
<style id="${PLOTLY_MAPLIBRE_STYLE_ID}" nonce="${n}"></style>
<title>${title}</title>
</head>
<body>
${body}
${l10nDataBlock(vscode.l10n.bundle)}
<script nonce="${n}" type="module" src="${uri('dist', 'vendor', 'vscode-elements.js')}"></script>
<script nonce="${n}" src="${uri('dist', 'vendor', 'plotly.min.js')}"></script>
<script nonce="${n}" src="${uri('dist', script)}"></script>
</body>
</html>`;
}

/** The least time between two messages of run changes (progress lines, steps, snapshots) to a page. */
const DELTA_MS = 200;

export class WebviewBridge implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private nextId = 1;
  private stale = true;
  private ready = false;
  private pendingReveal: AnalysisType | null = null;
  private deltas: RunDeltaMessage[] = [];
  private deltaTimer: ReturnType<typeof setTimeout> | undefined;
  private deltasSentAt = 0;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly isVisible: () => boolean,
    private readonly ctx: LabContext,
  ) {
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      { dispose: ctx.runView.onChange((d) => this.changed(d)) },
    );
  }

  /** The view became visible again: it may have missed messages, so send everything. */
  visibilityChanged(): void {
    if (!this.isVisible()) {
      // VS Code discards a hidden webview's page (no retainContextWhenHidden): the page that
      // comes back says 'ready' and gets the whole state then.
      this.ready = false;
      this.stale = true;
      return;
    }
    if (this.ready && this.stale) this.replay();
    else this.flushReveal();
  }

  replay(): void {
    this.dropDeltas();
    this.stale = false;
    this.post({ type: 'state', messageId: this.nextId++, state: this.ctx.runView.state });
    this.flushReveal();
  }

  /** Scrolls the page to the section that shows `analysis`. */
  reveal(analysis: AnalysisType): void {
    this.pendingReveal = analysis;
    this.flushReveal();
  }

  private flushReveal(): void {
    if (!this.pendingReveal || !this.ready || !this.isVisible()) return;
    this.post({ type: 'reveal', messageId: this.nextId++, analysis: this.pendingReveal });
    this.pendingReveal = null;
  }

  private changed(d: RunViewDelta | null): void {
    if (!this.ready || !this.isVisible()) {
      this.stale = true;
      this.dropDeltas();
      return;
    }
    // A delta only makes sense on top of everything before it: after a lost message, replay all.
    if (d === null || this.stale) {
      this.replay();
      return;
    }
    // A fast training's changes go out together, at most every DELTA_MS: one message per progress
    // line kept the page's renderer (in a browser, the workbench's) behind by minutes under load.
    this.deltas.push({ ...d, messageId: this.nextId++ } as RunDeltaMessage);
    this.deltaTimer ??= setTimeout(() => this.flushDeltas(), Math.max(0, this.deltasSentAt + DELTA_MS - Date.now()));
  }

  private flushDeltas(): void {
    this.deltaTimer = undefined;
    this.deltasSentAt = Date.now();
    const messages = this.deltas;
    this.deltas = [];
    if (messages.length === 1) this.post(messages[0]!);
    else if (messages.length > 1) this.post({ type: 'batch', messageId: this.nextId++, messages });
  }

  /** Changes not sent yet are dropped where the whole state is sent (or will be) instead. */
  private dropDeltas(): void {
    if (this.deltaTimer !== undefined) clearTimeout(this.deltaTimer);
    this.deltaTimer = undefined;
    this.deltas = [];
  }

  /** Sends a message; one that is not delivered makes the next change a full replay. */
  private post(m: ToWebviewMessage): void {
    void this.webview.postMessage(m).then(
      (delivered) => {
        if (!delivered) this.stale = true;
      },
      () => {
        this.stale = true;
      },
    );
  }

  private receive(raw: unknown): void {
    const v = validateFromWebview(raw);
    if (!v.ok) {
      this.ctx.output.appendLine(`[webview] ignored an invalid message: ${v.error}`);
      const id = ownMessageId(raw);
      if (id >= 0) this.post({ type: 'reply', messageId: this.nextId++, inReplyTo: id, ok: false, error: `invalid message: ${v.error}` });
      return;
    }
    const m = v.value;
    if (m.type === 'ready') {
      this.ready = true;
      this.replay();
    } else if (m.type === 'command') {
      void vscode.commands.executeCommand(`mnistLab.${m.command}`);
    } else if (m.type === 'openGridPoint') {
      void openGridPointFromPanel(this.ctx, m.index);
    } else if (m.type === 'cancelSweep') {
      this.answer(m.messageId, this.ctx.cancelSweep());
    } else if (m.type === 'cancelProjection') {
      this.answer(m.messageId, this.ctx.cancelProjection());
    } else if (m.type === 'saveFile') {
      const { messageId, ...request } = m;
      this.answer(messageId, saveFromPanel(this.ctx, request));
    } else if (isAnalysisType(m.type)) {
      // Every analysis alike: the context adds the run's target (or an overlaid run's) and forwards it (src/core/analyses.ts).
      const { messageId, overlay, ...request } = m;
      const progress = (done: number, total: number) =>
        this.post({ type: 'analysisProgress', messageId: this.nextId++, inReplyTo: messageId, done, total });
      this.answer(
        messageId,
        overlay === undefined ? this.ctx.analyze(request, progress) : this.ctx.analyzeOverlay(overlay, request, progress),
      );
    }
  }

  private answer(inReplyTo: number, p: Promise<unknown>): void {
    p.then(
      (result) => this.post({ type: 'reply', messageId: this.nextId++, inReplyTo, ok: true, result }),
      (e: unknown) => this.post({ type: 'reply', messageId: this.nextId++, inReplyTo, ok: false, error: errorMessage(e) }),
    );
  }

  dispose(): void {
    this.dropDeltas();
    for (const d of this.disposables) d.dispose();
  }
}
