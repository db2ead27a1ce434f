// The host↔webview message protocol. Both sides import this file, so it imports only the pure
// query vocabulary (src/service/queries): the extension host must not pull webview code in, and
// the webview bundle must not pull in anything from the host.
//
// Messages are discriminated unions keyed by `type`, named `scope/verb`. Every message that
// crosses the boundary is validated by `parseHostMessage` / `parseWebviewMessage`, because
// `postMessage` delivers whatever the other side (or a stale webview from an older version)
// sent, and TypeScript types say nothing about that at run time. A webview is untrusted input to
// the host: it names layers and channels by index and files by a bare name, never by a path.
import { parseQuery, QueryError } from '../src/service/queries';
import type { Answer, Query, QueryErrorCode } from '../src/service/queries';

/** Bumped whenever a message changes shape; both sides compare it at the handshake. */
export const PROTOCOL_VERSION = 2;

/** Longest string accepted in any plain text field (names, messages). */
export const MAX_STRING_LENGTH = 2000;

/** Largest exported file accepted from a webview (text or base64): 64 MB. */
export const MAX_EXPORT_LENGTH = 64 * 1024 * 1024;

export type WebviewTheme = 'light' | 'dark' | 'high-contrast';

/** The four views of the paper (section 5). */
export type ViewId = 'query' | 'training' | 'layer' | 'channel';
export const VIEW_IDS: readonly ViewId[] = ['query', 'training', 'layer', 'channel'];

/** What the host asks the panel to show: CodeLens "show entropy", the cursor on a layer definition. */
export interface Focus {
  view?: ViewId;
  layer?: number;
  channel?: number;
}

/** A chart export the host writes where the user chooses (webviews cannot download files). */
export type ExportFormat = 'csv' | 'json' | 'svg' | 'png';

export type HostToWebview =
  | { type: 'host/hello'; protocolVersion: number; theme: WebviewTheme; runId: string; focus?: Focus }
  | { type: 'host/theme'; theme: WebviewTheme }
  | { type: 'host/focus'; focus: Focus }
  | { type: 'host/progress'; id: number; fraction: number; message?: string }
  | { type: 'host/answer'; id: number; answer: Answer; cached: boolean; ms: number }
  | { type: 'host/error'; id: number; code: QueryErrorCode | 'protocol'; message: string };

export type WebviewToHost =
  | { type: 'webview/ready'; protocolVersion: number }
  | { type: 'webview/query'; id: number; view: ViewId; query: Query }
  | { type: 'webview/cancel'; id: number }
  | { type: 'webview/revealLayer'; layer: number }
  | { type: 'webview/export'; fileName: string; format: ExportFormat; text?: string; base64?: string };

/** Ends an exhaustive `switch` over a union: adding a message type without handling it fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled protocol message: ${JSON.stringify(value)}`);
}

const ERROR_CODES = new Set<string>(['bad-query', 'unknown-run', 'out-of-range', 'epoch-not-recorded', 'run-format', 'unsupported', 'cancelled', 'internal', 'protocol']);

/** Returns a fresh, validated host message, or undefined for anything malformed. */
export function parseHostMessage(x: unknown): HostToWebview | undefined {
  if (!isRecord(x)) return undefined;
  switch (x.type) {
    case 'host/hello': {
      const { protocolVersion, theme, runId, focus } = x;
      if (!isProtocolVersion(protocolVersion) || !isTheme(theme) || !isBoundedString(runId)) return undefined;
      const f = focus === undefined ? undefined : parseFocus(focus);
      if (focus !== undefined && f === undefined) return undefined;
      return { type: 'host/hello', protocolVersion, theme, runId, ...(f ? { focus: f } : {}) };
    }
    case 'host/theme':
      return isTheme(x.theme) ? { type: 'host/theme', theme: x.theme } : undefined;
    case 'host/focus': {
      const focus = parseFocus(x.focus);
      return focus ? { type: 'host/focus', focus } : undefined;
    }
    case 'host/progress': {
      const { id, fraction, message } = x;
      if (!isIndex(id) || !isFiniteNumber(fraction) || fraction < 0 || fraction > 1) return undefined;
      if (message !== undefined && !isBoundedString(message)) return undefined;
      return { type: 'host/progress', id, fraction, ...(message !== undefined ? { message } : {}) };
    }
    case 'host/answer': {
      // The answer comes from this extension's own service; its envelope is checked here and
      // each view reads only the fields of the kind it asked for.
      const { id, answer, cached, ms } = x;
      if (!isIndex(id) || !isRecord(answer) || typeof cached !== 'boolean' || !isFiniteNumber(ms)) return undefined;
      return { type: 'host/answer', id, answer: answer as unknown as Answer, cached, ms };
    }
    case 'host/error': {
      const { id, code, message } = x;
      if (!isIndex(id) || typeof code !== 'string' || !ERROR_CODES.has(code) || !isBoundedString(message)) return undefined;
      return { type: 'host/error', id, code: code as QueryErrorCode | 'protocol', message };
    }
    default:
      return undefined;
  }
}

/** Returns a fresh, fully validated webview message, or undefined for anything malformed. */
export function parseWebviewMessage(x: unknown): WebviewToHost | undefined {
  if (!isRecord(x)) return undefined;
  switch (x.type) {
    case 'webview/ready':
      return isProtocolVersion(x.protocolVersion) ? { type: 'webview/ready', protocolVersion: x.protocolVersion } : undefined;
    case 'webview/query': {
      const { id, view } = x;
      if (!isIndex(id) || !isView(view)) return undefined;
      try {
        return { type: 'webview/query', id, view, query: parseQuery(x.query) };
      } catch (e) {
        if (e instanceof QueryError) return undefined;
        throw e;
      }
    }
    case 'webview/cancel':
      return isIndex(x.id) ? { type: 'webview/cancel', id: x.id } : undefined;
    case 'webview/revealLayer':
      return isIndex(x.layer) ? { type: 'webview/revealLayer', layer: x.layer } : undefined;
    case 'webview/export': {
      const { fileName, format, text, base64 } = x;
      if (!isExportFormat(format) || !isExportFileName(fileName, format)) return undefined;
      // Exactly one payload: text for CSV, JSON and SVG; base64 for PNG.
      if (format === 'png') {
        if (typeof base64 !== 'string' || base64.length > MAX_EXPORT_LENGTH || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || text !== undefined) return undefined;
        return { type: 'webview/export', fileName, format, base64 };
      }
      if (typeof text !== 'string' || text.length > MAX_EXPORT_LENGTH || base64 !== undefined) return undefined;
      return { type: 'webview/export', fileName, format, text };
    }
    default:
      return undefined;
  }
}

/**
 * A suggested file name for an export: a bare name (no folder, no dots at the start, no
 * separators) ending in its format's extension, so a webview can never name a path.
 */
export function isExportFileName(x: unknown, format: ExportFormat): x is string {
  return typeof x === 'string' && x.length <= 120 && /^[A-Za-z0-9][A-Za-z0-9_\-. ]*$/.test(x) && !x.includes('..') && x.toLowerCase().endsWith(`.${format}`);
}

export function parseFocus(x: unknown): Focus | undefined {
  if (!isRecord(x)) return undefined;
  const { view, layer, channel } = x;
  if (view !== undefined && !isView(view)) return undefined;
  if (layer !== undefined && !isIndex(layer)) return undefined;
  if (channel !== undefined && !isIndex(channel)) return undefined;
  return { ...(view !== undefined ? { view } : {}), ...(layer !== undefined ? { layer } : {}), ...(channel !== undefined ? { channel } : {}) };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function isIndex(x: unknown): x is number {
  return isFiniteNumber(x) && Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER;
}

function isBoundedString(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_STRING_LENGTH;
}

function isProtocolVersion(x: unknown): x is number {
  return isIndex(x) && x >= 1;
}

function isTheme(x: unknown): x is WebviewTheme {
  return x === 'light' || x === 'dark' || x === 'high-contrast';
}

function isView(x: unknown): x is ViewId {
  return typeof x === 'string' && (VIEW_IDS as readonly string[]).includes(x);
}

function isExportFormat(x: unknown): x is ExportFormat {
  return x === 'csv' || x === 'json' || x === 'svg' || x === 'png';
}
