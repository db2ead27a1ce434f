// The host↔webview message protocol. Both sides import this file, so it imports only the pure
// query vocabulary (src/contract/queries, whose schemas check queries and answers), the views' table
// (src/contract/views.ts: the `view` a message names is one of its tabs) and valibot: the extension host must not pull webview code in, and
// the webview bundle must not pull in anything from the host.
//
// Messages are discriminated unions keyed by `type`, named `scope/verb`. Every message that
// crosses the boundary is validated by `parseHostMessage` / `parseWebviewMessage`, because
// `postMessage` delivers whatever the other side (or a stale webview from an older version)
// sent, and TypeScript types say nothing about that at run time. Each message is a valibot schema
// and its type is inferred from it, so the check and the type cannot drift apart. A webview is
// untrusted input to the host: it names layers and channels by index and files by a bare name,
// never by a path.
import * as v from 'valibot';
import { checkAnswer, QUERY_ERROR_CODES, QUERY_PRIORITIES, QueryMessageSchema } from './queries';
import type { Answer, AnswerOf, QueryKind } from './queries';
import { VIEW_IDS } from './views';

/** Bumped whenever a message changes shape; both sides compare it at the handshake. */
export const PROTOCOL_VERSION = 4;

/** Longest string accepted in any plain text field (names, messages). */
export const MAX_STRING_LENGTH = 2000;

/** Most runs one comparison panel shows (its legend, table columns and bars stay readable). */
export const MAX_COMPARED_RUNS = 8;

/**
 * Where a comparison panel keeps the ids of its runs among the views' saved settings (`views`):
 * VS Code hands the saved state back after a window reload, and the host restores the panel from it.
 */
export const COMPARED_RUNS_STATE_KEY = 'compareRuns';

/** Largest exported file accepted from a webview (text or base64): 64 MB. */
export const MAX_EXPORT_LENGTH = 64 * 1024 * 1024;

const THEMES = ['light', 'dark', 'high-contrast'] as const;
export type WebviewTheme = (typeof THEMES)[number];

/** A chart export the host writes where the user chooses (webviews cannot download files). */
const EXPORT_FORMATS = ['csv', 'json', 'svg', 'png'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Every error code a host/error may carry: a query's, or a broken message between host and webview. */
const ERROR_CODES = [...QUERY_ERROR_CODES, 'protocol'] as const;

const Index = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const BoundedString = v.pipe(v.string(), v.maxLength(MAX_STRING_LENGTH));
const ProtocolVersion = v.pipe(Index, v.minValue(1));
const Theme = v.picklist(THEMES);
const View = v.picklist(VIEW_IDS);
/** Most layers one focus names (a definition's instances): a deep model's block line stands for a few dozen. */
export const MAX_FOCUS_LAYERS = 256;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * What the host asks the panel to show: CodeLens "show entropy", the cursor on a layer definition.
 * `layerClass` is the class of the layer the cursor is on (e.g. "Conv2D"): a comparison panel
 * matches it to its runs by position and type (webview/compare.ts), never by name.
 */
const FocusSchema = v.object({
  view: v.optional(View),
  layer: v.optional(Index),
  channel: v.optional(Index),
  layerClass: v.optional(v.pipe(v.string(), v.maxLength(200))),
  /** The Layer view's pair (I on the columns, J on the rows), e.g. from a hover's "Epoch strip" link. */
  pair: v.optional(v.tuple([Index, Index])),
  /** A part of the view to open as well. */
  open: v.optional(v.picklist(['epochStrip'])),
  /** The Information view's plane estimator to show (a finding about the binned estimator's saturation). */
  estimator: v.optional(v.picklist(['pairwise', 'binned'])),
  /**
   * Several layers the Layer view shows side by side in a small-multiples row: the instances of one
   * definition (a ResNet block's `conv1` line is `layer1.0.conv1` … `layer4.1.conv1`), from its lens.
   */
  layers: v.optional(v.pipe(v.array(Index), v.minLength(1), v.maxLength(MAX_FOCUS_LAYERS))),
});
export type Focus = v.InferOutput<typeof FocusSchema>;

/**
 * The answer's envelope: a host/answer names its query by id only, so the webview checks the answer
 * against the answer schema of the kind it asked with `parseAnswer` once it knows which that was.
 */
const AnswerSchema = v.custom<Answer>(isRecord);

const HostToWebviewSchema = v.variant('type', [
  v.object({
    type: v.literal('host/hello'),
    protocolVersion: ProtocolVersion,
    theme: Theme,
    runId: BoundedString,
    focus: v.optional(FocusSchema),
    /**
     * A comparison panel's runs, in the order the view letters them (A, B, …): the webview then
     * asks each run its queries by its position in this list (`webview/query`'s `run`).
     */
    runIds: v.optional(v.pipe(v.array(BoundedString), v.minLength(2), v.maxLength(MAX_COMPARED_RUNS))),
    /** What the tree and the tabs call each compared run (same order as `runIds`): the legend uses it. */
    runNames: v.optional(v.pipe(v.array(BoundedString), v.minLength(2), v.maxLength(MAX_COMPARED_RUNS))),
  }),
  v.object({ type: v.literal('host/theme'), theme: Theme }),
  v.object({ type: v.literal('host/focus'), focus: FocusSchema }),
  /** The panel's run changed on disk (an epoch landed or was measured, the recording ended): the page asks `run` again. */
  v.object({ type: v.literal('host/runChanged') }),
  v.object({
    type: v.literal('host/progress'),
    id: Index,
    fraction: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1)),
    message: v.optional(BoundedString),
  }),
  v.object({ type: v.literal('host/answer'), id: Index, answer: AnswerSchema, cached: v.boolean(), ms: v.pipe(v.number(), v.finite()) }),
  v.object({
    type: v.literal('host/error'),
    id: Index,
    code: v.picklist(ERROR_CODES),
    message: BoundedString,
  }),
]);
export type HostToWebview = v.InferOutput<typeof HostToWebviewSchema>;

/** A PNG export carries base64, every other format text: exactly one payload, and a file name for its format. */
const ExportSchema = v.pipe(
  v.object({
    type: v.literal('webview/export'),
    fileName: v.string(),
    format: v.picklist(EXPORT_FORMATS),
    text: v.optional(v.pipe(v.string(), v.maxLength(MAX_EXPORT_LENGTH))),
    base64: v.optional(v.pipe(v.string(), v.maxLength(MAX_EXPORT_LENGTH), v.regex(/^[A-Za-z0-9+/]*={0,2}$/))),
  }),
  v.check((m) => isExportFileName(m.fileName, m.format), 'the file name must be a bare name ending in its format'),
  v.check(
    (m) => (m.format === 'png' ? m.base64 !== undefined && m.text === undefined : m.text !== undefined && m.base64 === undefined),
    'a PNG export carries base64, any other text',
  ),
);

const WebviewToHostSchema = v.variant('type', [
  v.object({ type: v.literal('webview/ready'), protocolVersion: ProtocolVersion }),
  v.object({
    type: v.literal('webview/query'),
    id: Index,
    view: View,
    query: QueryMessageSchema,
    /** In a comparison panel, which of its runs is asked (an index into the hello's `runIds`, never a path). */
    run: v.optional(v.pipe(Index, v.maxValue(MAX_COMPARED_RUNS - 1))),
    /**
     * How soon the answer is needed, passed on to the service's queue (docs/queries.md, "Priority"):
     * `visible` on screen now, `soon` a neighbouring epoch, `background` a prefetch of what is off
     * screen. Optional, so a host or webview of the previous version reads the message alike
     * (absent means `visible`): the protocol version stays.
     */
    priority: v.optional(v.picklist(QUERY_PRIORITIES)),
  }),
  v.object({ type: v.literal('webview/cancel'), id: Index }),
  v.object({ type: v.literal('webview/revealLayer'), layer: Index }),
  /** A control run's panel asks for the comparison with its source run (the host finds that run in the manifest, never from the webview). */
  v.object({ type: v.literal('webview/compareWithSource') }),
  ExportSchema,
]);
export type WebviewToHost = v.InferOutput<typeof WebviewToHostSchema>;

/** Ends an exhaustive `switch` over a union: adding a message type without handling it fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled protocol message: ${JSON.stringify(value)}`);
}

/** Returns a fresh, validated host message, or undefined for anything malformed. */
export function parseHostMessage(x: unknown): HostToWebview | undefined {
  const r = v.safeParse(HostToWebviewSchema, x);
  return r.success ? r.output : undefined;
}

/**
 * The answer of a host/answer to a query of `kind`, checked against that kind's answer schema
 * (src/contract/queries/<kind>.ts): the answer, or a problem naming the first field that does not fit.
 */
export function parseAnswer<K extends QueryKind>(
  kind: K,
  answer: unknown,
): { answer: AnswerOf[K]; problem?: undefined } | { answer?: undefined; problem: string } {
  return checkAnswer(kind, answer);
}

/** Returns a fresh, fully validated webview message, or undefined for anything malformed. */
export function parseWebviewMessage(x: unknown): WebviewToHost | undefined {
  const r = v.safeParse(WebviewToHostSchema, x);
  return r.success ? r.output : undefined;
}

/**
 * A suggested file name for an export: a bare name (no folder, no dots at the start, no
 * separators) ending in its format's extension, so a webview can never name a path.
 */
export function isExportFileName(x: unknown, format: ExportFormat): x is string {
  return (
    typeof x === 'string' &&
    x.length <= 120 &&
    /^[A-Za-z0-9][A-Za-z0-9_\-. ]*$/.test(x) &&
    !x.includes('..') &&
    x.toLowerCase().endsWith(`.${format}`)
  );
}
