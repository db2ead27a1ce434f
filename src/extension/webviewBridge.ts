// The host side of one run panel's message protocol (webview/protocol.ts): every message from the
// webview is validated, queries go to the analysis service, answers, progress and errors go back
// by id, and cancels reach the service. It imports no `vscode`, so the same bridge is tested in a
// real browser against the real service (test/browser/hostMode.test.ts); the panel (issue 6) wires
// it to a WebviewPanel and to the editor.
import type { Query } from '../service/queries';
import { QueryError } from '../service/queries';
import type { ClientQueryOptions, ClientResult } from '../service/client';
import { ExportFormat, Focus, HostToWebview, parseWebviewMessage, PROTOCOL_VERSION, WebviewTheme } from '../../webview/protocol';

/** What the bridge needs of the analysis client (AnalysisClient satisfies it). */
export interface QueryClient {
  query<Q extends Query>(run: string, query: Q, options?: ClientQueryOptions): Promise<ClientResult<Q['kind']>>;
}

export interface BridgeOptions {
  runFolder: string;
  runId: string;
  client: QueryClient;
  post(message: HostToWebview): void;
  theme(): WebviewTheme;
  /** Reveal a layer's source line (the panel looks it up in the manifest by index). */
  revealLayer(layer: number): void;
  /** Write an export where the user chooses. */
  save(fileName: string, format: ExportFormat, data: Uint8Array | string): void;
  /** Where the host notes what it ignored (a malformed message is a bug or an attack, never silent). */
  log(line: string): void;
  /** A focus to send with the hello (CodeLens "show entropy" opened the panel). */
  initialFocus?: Focus;
}

export class WebviewBridge {
  private readonly inFlight = new Map<number, AbortController>();
  private ready = false;
  private pendingFocus?: Focus;

  constructor(private readonly o: BridgeOptions) {
    this.pendingFocus = o.initialFocus;
  }

  /** Handles one raw message from the webview. */
  handle(raw: unknown): void {
    const m = parseWebviewMessage(raw);
    if (!m) {
      this.o.log(`ignored a malformed message from the ${this.o.runId} panel: ${preview(raw)}`);
      return;
    }
    switch (m.type) {
      case 'webview/ready':
        if (m.protocolVersion !== PROTOCOL_VERSION)
          this.o.log(`the ${this.o.runId} panel speaks protocol ${m.protocolVersion}, the host ${PROTOCOL_VERSION}`);
        this.ready = true;
        this.o.post({
          type: 'host/hello',
          protocolVersion: PROTOCOL_VERSION,
          theme: this.o.theme(),
          runId: this.o.runId,
          ...(this.pendingFocus ? { focus: this.pendingFocus } : {}),
        });
        this.pendingFocus = undefined;
        return;
      case 'webview/query':
        void this.query(m.id, m.query);
        return;
      case 'webview/cancel':
        this.inFlight.get(m.id)?.abort();
        this.inFlight.delete(m.id);
        return;
      case 'webview/revealLayer':
        this.o.revealLayer(m.layer);
        return;
      case 'webview/export':
        this.o.save(m.fileName, m.format, m.base64 !== undefined ? Uint8Array.from(Buffer.from(m.base64, 'base64')) : (m.text ?? ''));
        return;
    }
  }

  /** Asks the panel to show a view, layer or channel (before it is ready, it goes with the hello). */
  focus(focus: Focus): void {
    if (this.ready) this.o.post({ type: 'host/focus', focus });
    else this.pendingFocus = focus;
  }

  theme(theme: WebviewTheme): void {
    if (this.ready) this.o.post({ type: 'host/theme', theme });
  }

  /** The panel closed or reloaded: cancel what it was waiting for. */
  dispose(): void {
    for (const c of this.inFlight.values()) c.abort();
    this.inFlight.clear();
    this.ready = false;
  }

  private async query(id: number, query: Query): Promise<void> {
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    try {
      const r = await this.o.client.query(this.o.runFolder, query, {
        signal: controller.signal,
        onProgress: (fraction, message) =>
          this.o.post({ type: 'host/progress', id, fraction: Math.max(0, Math.min(1, fraction)), message: message.slice(0, 500) }),
      });
      if (controller.signal.aborted) return;
      this.o.post({ type: 'host/answer', id, answer: r.answer, cached: r.cached, ms: r.ms });
    } catch (e) {
      if (controller.signal.aborted) return;
      const code = e instanceof QueryError ? e.code : 'internal';
      const message = e instanceof Error ? e.message : String(e);
      this.o.post({ type: 'host/error', id, code, message: message.slice(0, 2000) });
    } finally {
      this.inFlight.delete(id);
    }
  }
}

function preview(x: unknown): string {
  try {
    return JSON.stringify(x)?.slice(0, 200) ?? String(x);
  } catch {
    return String(x);
  }
}
