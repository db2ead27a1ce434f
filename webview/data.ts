// Where the views' answers come from. Inside VS Code every slice query goes to the extension host,
// which forwards it to the analysis service; in a standalone report (`cnn-slicer report`) the
// answers were computed when the report was written and are embedded in the page. The views see
// one interface and cannot tell the two apart, except through `mode` (to explain what a report
// cannot do) .
import { canonicalQuery } from '../src/contract/queries';
import type { AnswerOf, Query, QueryErrorCode, QueryKind, QueryOf, QueryPriority } from '../src/contract/queries';
import type { RunManifest } from '../src/contract/runFormat';
import type { InputSubset } from '../src/analysis/subsets';
import {
  assertNever,
  ExportFormat,
  Focus,
  parseAnswer,
  parseHostMessage,
  PROTOCOL_VERSION,
  WebviewTheme,
} from '../src/contract/webviewProtocol';
import type { ViewId } from '../src/contract/views';
import { decodeEntry } from '../src/contract/reportCodec';
import type { ReportData } from '../src/contract/reportCodec';
import { postToHost } from './vscodeApi';

/** A failed query as the views show it: the service's code and its one-line message. */
export class ViewError extends Error {
  constructor(
    readonly code: QueryErrorCode | 'protocol' | 'not-in-report',
    message: string,
    /** A report's answer missing only because the report does not hold the slice's input subset (its view says so once). */
    readonly missingSubset?: InputSubset,
  ) {
    super(message);
    this.name = 'ViewError';
  }
}

export interface QueryOptions {
  view: ViewId;
  /**
   * How soon the answer is needed (default `visible`: it is on screen now). A prefetch says `soon`
   * (a neighbouring epoch) or `background` (off screen), so the service computes what is shown first.
   */
  priority?: QueryPriority;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message?: string) => void;
}

export interface DataSource {
  readonly mode: 'vscode' | 'report';
  query<K extends QueryKind>(q: QueryOf<K>, options: QueryOptions): Promise<AnswerOf[K]>;
  /** Asks the host to reveal the layer's source line (a report shows the location instead). */
  revealLayer(layer: number): void;
  /** Opens the comparison of a control run with its source run (VS Code only; a report says how to write one instead). */
  compareWithSource?(): void;
  /** Saves an exported chart: a save dialog in VS Code, a download in a browser. */
  save(fileName: string, format: ExportFormat, data: string | Uint8Array): void;
  /** A report's input subsets besides all inputs (each class alone), whose answers it holds; absent in VS Code, which computes any. */
  readonly subsets?: readonly InputSubset[];
  /** A report's queries of one kind (answered, refused or left out with a note); absent in VS Code. */
  heldQueries?<K extends QueryKind>(kind: K): QueryOf<K>[];
}

/** Whether `data` holds the views' answers for input subset `x`: always in VS Code; in a report, all inputs and the subsets it lists. */
export function holdsSubset(data: DataSource, x: InputSubset): boolean {
  if (data.mode !== 'report' || x.kind === 'all') return true;
  const key = JSON.stringify(canonicalSubsetKey(x));
  return (data.subsets ?? []).some((s) => JSON.stringify(canonicalSubsetKey(s)) === key);
}

const canonicalSubsetKey = (x: InputSubset) => JSON.parse(canonicalQuery({ kind: 'inputs', x })) as unknown;

/** Events from the host that are not answers: theme changes and focus requests. */
export interface HostEvents {
  /** `runIds` is set in a comparison panel: its runs, each asked through `HostDataSource.forRun`. */
  onHello(hello: {
    theme: WebviewTheme;
    runId: string;
    focus?: Focus;
    protocolVersion: number;
    runIds?: string[];
    runNames?: string[];
  }): void;
  onTheme(theme: WebviewTheme): void;
  onFocus(focus: Focus): void;
  /** The run changed on disk (an epoch landed): read it again. */
  onRunChanged?(): void;
}

interface Pending {
  /** The kind asked: its answer is checked against that kind's answer schema. */
  kind: QueryKind;
  resolve(answer: unknown): void;
  reject(error: ViewError): void;
  onProgress?: (fraction: number, message?: string) => void;
}

/** The VS Code side of a panel: its own run's source, and in a comparison panel one per run. */
export interface HostDataSource extends DataSource {
  /** The source of the comparison panel's run at `run` (its index in the hello's `runIds`). */
  forRun(run: number): DataSource;
}

/** The VS Code side: queries are messages to the host, answered by id. */
export function hostDataSource(events: HostEvents): HostDataSource {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  window.addEventListener('message', (event: MessageEvent) => {
    const message = parseHostMessage(event.data);
    if (message === undefined) {
      console.warn('CNN Slicer: ignored a malformed message from the host:', event.data);
      return;
    }
    switch (message.type) {
      case 'host/hello':
        events.onHello(message);
        return;
      case 'host/theme':
        events.onTheme(message.theme);
        return;
      case 'host/focus':
        events.onFocus(message.focus);
        return;
      case 'host/runChanged':
        events.onRunChanged?.();
        return;
      case 'host/progress':
        pending.get(message.id)?.onProgress?.(message.fraction, message.message);
        return;
      case 'host/answer': {
        const p = pending.get(message.id);
        if (!p) return;
        pending.delete(message.id);
        const checked = parseAnswer(p.kind, message.answer);
        if (checked.problem !== undefined) p.reject(new ViewError('protocol', `the host sent ${checked.problem}`));
        else p.resolve(checked.answer);
        return;
      }
      case 'host/error': {
        const p = pending.get(message.id);
        pending.delete(message.id);
        p?.reject(new ViewError(message.code, message.message));
        return;
      }
      default:
        assertNever(message);
    }
  });
  // Announce readiness only once the listener exists, so the host's reply cannot be lost.
  postToHost({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION });
  const source = (run: number | undefined): DataSource => ({
    mode: 'vscode',
    query<K extends QueryKind>(q: QueryOf<K>, options: QueryOptions): Promise<AnswerOf[K]> {
      const id = nextId++;
      return new Promise<AnswerOf[K]>((resolve, reject) => {
        if (options.signal?.aborted) return reject(new ViewError('cancelled', 'cancelled'));
        pending.set(id, { kind: q.kind, resolve, reject, onProgress: options.onProgress });
        options.signal?.addEventListener('abort', () => {
          if (!pending.has(id)) return;
          pending.delete(id);
          postToHost({ type: 'webview/cancel', id });
          reject(new ViewError('cancelled', 'cancelled'));
        });
        postToHost({
          type: 'webview/query',
          id,
          view: options.view,
          query: q,
          priority: options.priority ?? 'visible',
          ...(run !== undefined ? { run } : {}),
        });
      });
    },
    revealLayer(layer: number): void {
      postToHost({ type: 'webview/revealLayer', layer });
    },
    compareWithSource(): void {
      postToHost({ type: 'webview/compareWithSource' });
    },
    save(fileName: string, format: ExportFormat, data: string | Uint8Array): void {
      if (typeof data === 'string') postToHost({ type: 'webview/export', fileName, format, text: data });
      else postToHost({ type: 'webview/export', fileName, format, base64: bytesToBase64(data) });
    },
  });
  return { ...source(undefined), forRun: (run) => source(run) };
}

/** The runs of a comparison report, each with its own data source; empty for a single-run report. */
export function reportRunSources(data: ReportData): { manifest: RunManifest; data: DataSource }[] {
  return (data.runs ?? []).map((r) => ({
    manifest: r.manifest,
    data: reportDataSource({ ...data, runId: r.runId, manifest: r.manifest, answers: r.answers, coverage: r.coverage, runs: undefined }),
  }));
}

/** The standalone report: answers are looked up, never computed. */
export function reportDataSource(data: ReportData): DataSource {
  const decodedAnswers = new Map<string, ReturnType<typeof decodeEntry>>();
  let held: Query[] | undefined;
  const source: DataSource = {
    mode: 'report',
    subsets: data.subsets ?? [],
    heldQueries<K extends QueryKind>(kind: K): QueryOf<K>[] {
      held ??= Object.keys(data.answers).map((key) => JSON.parse(key) as Query);
      return held.filter((q): q is QueryOf<K> => q.kind === kind);
    },
    query<K extends QueryKind>(q: QueryOf<K>): Promise<AnswerOf[K]> {
      const key = canonicalQuery(q);
      const entry = data.answers[key];
      if (entry === undefined) return Promise.reject(missing(q));
      // Decoded once, when a view first asks: opening the page parses no answer it does not show.
      let decoded = decodedAnswers.get(key);
      if (decoded === undefined) {
        decoded = decodeEntry(entry);
        decodedAnswers.set(key, decoded);
      }
      return decoded.then((d) => {
        // The note names the budget that left the answer out and what to do (src/contract/reportNotes.ts).
        if ('omitted' in d) throw new ViewError('not-in-report', d.omitted);
        if ('error' in d) throw new ViewError(d.error.code, d.error.message);
        return d.answer as AnswerOf[K];
      });
    },
    revealLayer(): void {
      // No editor here: the views show the source location next to the layer name instead.
    },
    save(fileName: string, _format: ExportFormat, data: string | Uint8Array): void {
      const type = fileName.endsWith('.png')
        ? 'image/png'
        : fileName.endsWith('.svg')
          ? 'image/svg+xml'
          : fileName.endsWith('.csv')
            ? 'text/csv'
            : 'application/json';
      const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  };
  /** Why the report holds no entry for `q`: its input subset (said once per view), or the slice otherwise. */
  const missing = (q: QueryOf<QueryKind>): ViewError => {
    const x = 'x' in q ? q.x : undefined;
    if (x && !holdsSubset(source, x)) {
      const held = source.subsets?.length ? ' and each class alone' : '';
      return new ViewError('not-in-report', `This report holds no answer for this slice's inputs: it holds all inputs${held}.`, x);
    }
    return new ViewError(
      'not-in-report',
      `This report holds no answer for this slice (${data.coverage}). Open the run in VS Code, or write the report again with more options (cnn-slicer report --help).`,
    );
  };
  return source;
}

function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
