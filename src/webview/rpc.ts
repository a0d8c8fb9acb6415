/**
 * The webview's end of the protocol: typed requests to the host (a Promise per messageId,
 * settled by the reply's inReplyTo) and the host's events. The page never posts an untyped object.
 * An analysis request's result type follows from its `type` (src/core/analyses.ts, the table).
 */
import type { AnalysisRequest, AnalysisResult, AnalysisType } from '../core/analyses';
import type { FromWebviewRequest, PersistedPanelState, SaveFileRequest, ToWebviewMessage } from '../core/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let nextId = 1;
const pending = new Map<
  number,
  { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (done: number, total: number) => void }
>();
type EventMessage = Exclude<ToWebviewMessage, { type: 'reply' } | { type: 'batch' }>;
const listeners: ((m: EventMessage) => void)[] = [];

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as ToWebviewMessage;
  if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
  if (m.type === 'reply') {
    const p = pending.get(m.inReplyTo);
    if (!p) return;
    pending.delete(m.inReplyTo);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
    return;
  }
  if (m.type === 'analysisProgress') {
    pending.get(m.inReplyTo)?.onProgress?.(m.done, m.total);
    return;
  }
  if (m.type === 'batch') {
    for (const one of m.messages) for (const l of listeners) l(one);
    return;
  }
  for (const l of listeners) l(m);
});

export function onHostMessage(listener: (m: EventMessage) => void): void {
  listeners.push(listener);
}

export function send(request: FromWebviewRequest): void {
  vscode.postMessage({ messageId: nextId++, ...request });
}

/**
 * Analysis `req.type`, answered by one reply of that analysis's result type; `onProgress` receives
 * its 'analysisProgress' messages meanwhile.
 */
export function request<K extends AnalysisType>(
  /** With `overlay`: of that run among those drawn over the run on show. */
  req: AnalysisRequest<K> & { overlay?: number },
  onProgress?: (done: number, total: number) => void,
): Promise<AnalysisResult<K>> {
  const messageId = nextId++;
  return new Promise<AnalysisResult<K>>((resolve, reject) => {
    pending.set(messageId, { resolve: resolve as (v: unknown) => void, reject, onProgress });
    vscode.postMessage({ messageId, ...req });
  });
}

/** Hands a figure or the metrics to the host, which asks where and writes it: the saved path, or null. */
export function saveFile(req: Omit<SaveFileRequest, 'type'>): Promise<{ saved: string | null }> {
  const messageId = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(messageId, { resolve: resolve as (v: unknown) => void, reject });
    vscode.postMessage({ messageId, type: 'saveFile', ...req });
  });
}

export function savedState(): Partial<PersistedPanelState> {
  const s = vscode.getState();
  return s && typeof s === 'object' ? (s as Partial<PersistedPanelState>) : {};
}

export function saveState(s: PersistedPanelState): void {
  vscode.setState(s);
}
