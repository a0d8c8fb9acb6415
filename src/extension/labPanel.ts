/**
 * The "MNIST Lab" panel (after webview-sample): one instance, createOrShow/revive, restored after
 * a window reload by the serializer, media+dist as its only resource roots.
 */
import * as vscode from 'vscode';
import type { AnalysisType } from '../core/analyses';
import type { LabContext } from './ctx';
import { OPENED_RUNS_KEY, checkPersistedRunDir, openedRunsFrom } from './panelState';
import { WebviewBridge, webviewHtml } from './webviewBridge';

export class LabPanel {
  static readonly viewType = 'mnistLab.lab';
  static current: LabPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly bridge: WebviewBridge;

  static createOrShow(ctx: LabContext, preserveFocus = false, column?: vscode.ViewColumn): LabPanel {
    if (LabPanel.current) {
      LabPanel.current.panel.reveal(undefined, preserveFocus);
      return LabPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      LabPanel.viewType,
      'MNIST Lab',
      { viewColumn: column ?? vscode.ViewColumn.Active, preserveFocus },
      LabPanel.options(ctx),
    );
    LabPanel.current = new LabPanel(panel, ctx);
    return LabPanel.current;
  }

  static options(ctx: LabContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(ctx.extensionUri, 'media'), vscode.Uri.joinPath(ctx.extensionUri, 'dist')],
    };
  }

  static revive(panel: vscode.WebviewPanel, ctx: LabContext): void {
    panel.webview.options = LabPanel.options(ctx);
    LabPanel.current = new LabPanel(panel, ctx);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    ctx: LabContext,
  ) {
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'mnist-lab.svg');
    panel.webview.html = webviewHtml(
      panel.webview,
      ctx.extensionUri,
      'webview.js',
      'MNIST Lab',
      '<main id="app" data-testid="lab"></main>',
    );
    this.bridge = new WebviewBridge(panel.webview, () => panel.visible, ctx);
    this.disposables.push(
      this.bridge,
      panel.onDidChangeViewState(() => this.bridge.visibilityChanged()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Scrolls the page to one of its sections (delivered once the page is ready and visible). */
  reveal(analysis: AnalysisType): void {
    this.bridge.reveal(analysis);
  }

  dispose(): void {
    if (LabPanel.current === this) LabPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** After a reload VS Code recreates the panel; the page's saved state says which run it showed. */
export function registerLabPanelSerializer(ctx: LabContext, openRun: (runDir: string) => Promise<unknown>): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(LabPanel.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      // The page saved this state: a hostile page may name any path. Only a run in the runs
      // folder or one the user opened before is read; otherwise the panel opens empty.
      const { runDir, problem } = await checkPersistedRunDir(state, {
        runsDirs: [ctx.runsDir],
        opened: openedRunsFrom(ctx.extension.workspaceState.get<unknown>(OPENED_RUNS_KEY)),
      });
      if (problem) {
        ctx.output.appendLine(`MNIST Lab: ${problem}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('MNIST Lab: {0}', problem));
      } else if (!ctx.training.active && runDir !== null && runDir !== ctx.runView.state.runDir) await openRun(runDir);
      LabPanel.revive(panel, ctx);
    },
  });
}
