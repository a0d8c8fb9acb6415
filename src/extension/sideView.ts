/** The activity-bar view: the current or last run at a glance, and the way to the full panel. */
import * as vscode from 'vscode';
import type { LabContext } from './ctx';
import { WebviewBridge, webviewHtml } from './webviewBridge';

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export class SideViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'mnistLab.sideView';
  private bridge: WebviewBridge | undefined;

  constructor(
    private readonly ctx: LabContext,
    private readonly onFirstShow: () => Promise<void>,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const { ctx } = this;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(ctx.extensionUri, 'media'), vscode.Uri.joinPath(ctx.extensionUri, 'dist')],
    };
    view.webview.html = webviewHtml(
      view.webview,
      ctx.extensionUri,
      'side.js',
      'MNIST Lab',
      `<main id="side" class="side" data-testid="side">
  <div id="side-name" class="side-name" data-testid="side-name">${html(vscode.l10n.t('No run yet'))}</div>
  <div id="side-progress" class="muted" data-testid="side-progress"></div>
  <div id="side-accuracy" class="big" data-testid="side-accuracy"></div>
  <div id="side-error" class="error" data-testid="side-error" hidden></div>
  <div id="side-plot" class="plot side-plot" data-testid="side-plot"></div>
  <div id="side-kernels-caption" class="muted"></div>
  <div id="side-kernels" class="grid" data-testid="side-kernels"></div>
  <div class="actions">
    <vscode-button id="side-open" data-testid="side-open">${html(vscode.l10n.t('Open Lab'))}</vscode-button>
    <vscode-button id="side-train" data-testid="side-train" secondary>${html(vscode.l10n.t('▶ Train'))}</vscode-button>
  </div>
</main>`,
    );
    this.bridge?.dispose();
    const bridge = new WebviewBridge(view.webview, () => view.visible, ctx);
    this.bridge = bridge;
    const sub = view.onDidChangeVisibility(() => bridge.visibilityChanged());
    view.onDidDispose(() => {
      sub.dispose();
      bridge.dispose();
      if (this.bridge === bridge) this.bridge = undefined;
    });
    void this.onFirstShow();
  }

  dispose(): void {
    this.bridge?.dispose();
  }
}
