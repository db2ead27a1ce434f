// The host side of one run panel's message protocol (src/contract/webviewProtocol.ts): every message from the
// webview is validated, queries go to the analysis service, answers, progress and errors go back
// by id, and cancels reach the service. It imports no `vscode`, so the same bridge is tested in a
// real browser against the real service (test/browser/hostMode.test.ts); the panel (panels.ts) wires
// it to a WebviewPanel and to the editor. A comparison panel's bridge serves several runs: each
// query names its run by position in the list the hello announced, never by path, so the webview
// can reach only the runs the host chose (all of them checked to lie in a runs folder).
import type { Query, QueryPriority } from '../../contract/queries';
import { QueryError } from '../../contract/queries';
import type { ClientQueryOptions, ClientResult } from '../../service/client';
import { ExportFormat, Focus, HostToWebview, parseWebviewMessage, PROTOCOL_VERSION, WebviewTheme } from '../../contract/webviewProtocol';

/** What the bridge needs of the analysis client (AnalysisClient satisfies it). */
export interface QueryClient {
  query<Q extends Query>(run: string, query: Q, options?: ClientQueryOptions): Promise<ClientResult<Q['kind']>>;
  /** Puts the waiting queries of `asker` behind every other asker's, or back (AnalysisClient.standing). */
  standing?(asker: string, behind: boolean): void;
}

/** Bridges made in this host, each a distinct asker of the service. */
let bridges = 0;

/** A run a bridge answers for: its folder (found by the run index) and id. */
export interface BridgeRun {
  folder: string;
  runId: string;
  /** What the tree and the tabs call the run ("#2", or the user's name): the comparison's legend says the same. */
  name?: string;
}

export interface BridgeOptions {
  runFolder: string;
  runId: string;
  /**
   * A comparison panel's runs (two or more, the first being `runFolder`): the hello announces their
   * ids and every query must name one by its index. Absent for a run panel, whose queries name none.
   */
  comparedRuns?: readonly BridgeRun[];
  client: QueryClient;
  post(message: HostToWebview): void;
  theme(): WebviewTheme;
  /** Reveal a layer's source line (the panel looks it up in the manifest by index). */
  revealLayer(layer: number): void;
  /** Open the comparison of this control run with its source run (a run panel's; absent in a comparison panel). */
  compareWithSource?(): void;
  /** Write an export where the user chooses. */
  save(fileName: string, format: ExportFormat, data: Uint8Array | string): void;
  /** Where the host notes what it ignored (a malformed message is a bug or an attack, never silent). */
  log(line: string): void;
  /** A focus to send with the hello (CodeLens "show entropy" opened the panel). */
  initialFocus?: Focus;
  /** Called after each answer sent, with the run's index (0 in a run panel): what the integration tests count. */
  answered?(run: number, query: Query): void;
}

/**
 * The folder a query goes to: a run panel's own run when the query names none; in a comparison
 * panel, the run at the index it names. Undefined when the query names a run the panel does not
 * show, or a run panel's query names one at all.
 */
export function queryFolder(o: Pick<BridgeOptions, 'runFolder' | 'comparedRuns'>, run: number | undefined): string | undefined {
  if (!o.comparedRuns) return run === undefined ? o.runFolder : undefined;
  return run === undefined ? undefined : o.comparedRuns[run]?.folder;
}

export class WebviewBridge {
  private readonly inFlight = new Map<number, AbortController>();
  /** This panel as the service's queue knows it. */
  private readonly asker = `panel-${++bridges}`;
  private behind = false;
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
          ...(this.o.comparedRuns ? { runIds: this.o.comparedRuns.map((r) => r.runId) } : {}),
          ...(this.o.comparedRuns?.every((r) => r.name !== undefined) ? { runNames: this.o.comparedRuns.map((r) => r.name!) } : {}),
          ...(this.pendingFocus ? { focus: this.pendingFocus } : {}),
        });
        this.pendingFocus = undefined;
        return;
      case 'webview/query': {
        const folder = queryFolder(this.o, m.run);
        if (folder === undefined) {
          this.o.log(`ignored a query of the ${this.o.runId} panel for run ${m.run ?? '(none)'}, which it does not show`);
          this.o.post({
            type: 'host/error',
            id: m.id,
            code: 'protocol',
            message: `This panel shows no run ${m.run ?? '(none named)'}. Close the panel and open the comparison again.`,
          });
          return;
        }
        void this.query(m.id, m.query, folder, m.run ?? 0, m.priority);
        return;
      }
      case 'webview/cancel':
        this.inFlight.get(m.id)?.abort();
        this.inFlight.delete(m.id);
        return;
      case 'webview/revealLayer':
        this.o.revealLayer(m.layer);
        return;
      case 'webview/compareWithSource':
        if (this.o.compareWithSource) this.o.compareWithSource();
        else this.o.log(`ignored a request of the ${this.o.runId} panel to compare with a source run: it is not a run panel`);
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

  /** Tells the page its run changed on disk (a new epoch, an ended recording): it reads the run again. */
  runChanged(): void {
    if (this.ready) this.o.post({ type: 'host/runChanged' });
  }

  /**
   * Whether the panel is the active one: the queries of a panel that is not wait behind every other
   * panel's, whatever their priorities (a hidden panel is disposed instead, cancelling them).
   */
  setActive(active: boolean): void {
    if (this.behind === !active) return;
    this.behind = !active;
    this.o.client.standing?.(this.asker, this.behind);
  }

  /** The panel closed or reloaded: cancel what it was waiting for. */
  dispose(): void {
    for (const c of this.inFlight.values()) c.abort();
    this.inFlight.clear();
    this.ready = false;
    // Nothing of it waits any more; shown again, it says where it stands.
    this.setActive(true);
  }

  private async query(id: number, query: Query, runFolder: string, run: number, priority?: QueryPriority): Promise<void> {
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    try {
      const r = await this.o.client.query(runFolder, query, {
        // The panel's own ordering of its queries (on screen first), passed on to the service's queue.
        ...(priority ? { priority } : {}),
        asker: this.asker,
        signal: controller.signal,
        onProgress: (fraction, message) =>
          this.o.post({ type: 'host/progress', id, fraction: Math.max(0, Math.min(1, fraction)), message: message.slice(0, 500) }),
      });
      if (controller.signal.aborted) return;
      this.o.post({ type: 'host/answer', id, answer: r.answer, cached: r.cached, ms: r.ms });
      this.o.answered?.(run, query);
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
