/**
 * A report's answers: the order they are computed in under a time budget, and how they are
 * embedded in the page (pictures at 8 bits, gzip, and cut down to stay under a size budget).
 */
import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';
import { needsForwardPass } from '../contract/queries';
import type { FeatureMapsAnswer, Query } from '../contract/queries';
import { keepChannels, quantisePictures } from '../contract/reportCodec';
import type { QuantisedFeatureMaps, ReportAnswer, ReportEntry } from '../contract/reportCodec';
import { budgetRemedy, leftOutNote } from '../contract/reportNotes';
import type { ReportResult } from './reportPage';

/**
 * Kinds computed before everything else: the page shows them first (the Findings section heads the
 * report), so the time budget leaves them out only when they are still computing at its deadline.
 */
export const REPORT_FIRST_KINDS: readonly Query['kind'][] = ['findings'];

/**
 * The plan in the order it is computed under a time budget: the kinds of {@link REPORT_FIRST_KINDS}
 * first, then what reads stored summaries, then forward-pass answers (the kinds whose descriptor
 * says `forwardPass`) from the last epoch back (the views open on the last epoch), each epoch in the
 * plan's own order (consecutive pairs before the strips).
 */
export function budgetOrder<T extends { query: Query }>(plan: T[]): T[] {
  const epochOf = (q: Query) => ('epoch' in q && typeof q.epoch === 'number' ? q.epoch : -1);
  const rank = (q: Query) => (REPORT_FIRST_KINDS.includes(q.kind) ? 0 : needsForwardPass(q.kind) ? 2 : 1);
  return plan
    .map((step, index) => ({ step, index, rank: rank(step.query), epoch: epochOf(step.query) }))
    .sort((a, b) => a.rank - b.rank || (a.rank === 2 ? b.epoch - a.epoch : 0) || a.index - b.index)
    .map(({ step }) => step);
}

/** Answers shorter than this stay plain JSON: gzip and base64 would not pay for themselves. */
const GZIP_FROM_BYTES = 1024;
/** Channels a summarised feature-maps answer keeps, tried in turn (largest answers first) while the page is over budget. */
const SUMMARY_CHANNELS = [64, 32, 16, 8, 4];
/** Deconvolved channels per layer kept, tried in turn while the page is still over budget. */
const SUMMARY_DECONVOLUTION_CHANNELS = [8, 4, 2, 1];

/** What the page says about a report over its size budget: how to see what it does not hold. */
export const SEE_EVERYTHING = budgetRemedy('size');

/** An answer as embedded: its pictures at 8 bits, gzipped unless it is short. */
export function encodeEntry(kind: string, entry: ReportAnswer): ReportEntry {
  const small = embeddedJson(kind, entry);
  return small.length < GZIP_FROM_BYTES ? (JSON.parse(small) as ReportAnswer) : { gzip: gzipSync(small, GZIP).toString('base64') };
}

/**
 * {@link encodeEntry}, the same bytes, with the gzip on libuv's thread pool: the report's thread
 * computes the next answer meanwhile (gzip at level 9 was 3.2 s of that thread in a complete
 * quarter-width ResNet-18 report, while a core idled).
 */
export async function encodeEntryAsync(kind: string, entry: ReportAnswer): Promise<ReportEntry> {
  const small = embeddedJson(kind, entry);
  return small.length < GZIP_FROM_BYTES ? (JSON.parse(small) as ReportAnswer) : { gzip: (await gzipAsync(small, GZIP)).toString('base64') };
}

const GZIP = { level: 9 };
const gzipAsync = promisify(gzip);

/**
 * An all-input answer as a report holds it until its page is written ({@link encodeAnswers}): its
 * embedded entry (gzipped off this thread), and the answer itself only where the size budget may
 * cut it — feature maps, pictures at 8 bits. Held whole, with their pictures in float32 and their
 * decoded copies (205 MB of them), the complete MobileNetV2 report's answers took its peak from
 * 2,048 MB to 2,440 MB (docs/views.md "Memory").
 */
export function holdAnswer(
  kind: string,
  answer: unknown,
): { whole: ReportAnswer | undefined; encoded: Promise<{ entry: ReportEntry; rawBytes: number }> } {
  const rawBytes = Buffer.byteLength(JSON.stringify({ answer }));
  const held = { answer: quantisePictures(kind, answer) };
  return {
    whole: kind === 'featureMaps' ? held : undefined,
    encoded: encodeEntryAsync(kind, held).then((entry) => ({ entry, rawBytes })),
  };
}

/** The JSON an answer is embedded as, before any gzip: its pictures at 8 bits. */
function embeddedJson(kind: string, entry: ReportAnswer): string {
  return 'answer' in entry ? JSON.stringify({ answer: quantisePictures(kind, entry.answer) }) : JSON.stringify(entry);
}

/** The bytes an entry adds to the page's embedded answers. */
export function entryBytes(key: string, entry: ReportEntry): number {
  return JSON.stringify(key).length + JSON.stringify(entry).length + 2;
}

/** A size budget in words: "25 MB", "400 kB". */
export function sizeLimit(maxBytes: number): string {
  return maxBytes >= 1e6 ? `${Number((maxBytes / 1e6).toFixed(1))} MB` : `${Math.max(1, Math.round(maxBytes / 1e3))} kB`;
}

/**
 * Optional groups of answers (a report's per-class subsets), added whole and in order while the page
 * stays within `room` bytes; the first group that does not fit and every later one are left out, so
 * they never push out an answer already placed. Returns the entries added and how many groups fit.
 */
export function encodeGroups(
  groups: Readonly<Record<string, ReportAnswer | undefined>>[],
  room: number,
): { entries: Record<string, ReportEntry>; fitted: number } {
  const entries: Record<string, ReportEntry> = {};
  let used = 0;
  let fitted = 0;
  for (const group of groups) {
    const encoded = Object.entries(group).map(([key, entry]) => {
      // computeAnswers holds a group's answers whole: it encodes only the all-input ones as it goes.
      if (!entry) throw new Error(`report: ${key} of an optional group is not held whole`);
      return [key, encodeEntry((JSON.parse(key) as { kind: string }).kind, entry)] as const;
    });
    const bytes = encoded.reduce((n, [key, entry]) => n + entryBytes(key, entry), 0);
    if (used + bytes > room) break;
    used += bytes;
    fitted++;
    for (const [key, entry] of encoded) entries[key] = entry;
  }
  return { entries, fitted };
}

/**
 * The report's answers as embedded: pictures at 8 bits, large answers gzipped, and when the page
 * would exceed `maxBytes` (`fixedBytes` being the page without answers) the largest answers cut
 * down in three steps, each only as far as needed: the feature maps of the widest layers keep
 * their first channels (64, then 32, … 4: `summarised`), then the deconvolutions of the higher
 * channels are left out (each layer keeps channels 0–7, then 0–3, … 0), then the largest
 * remaining answers, one by one. Every answer left out is replaced by a note saying what is
 * missing and why; a summarised one says what it holds.
 *
 * An answer may be held only as embedded (`answers[key]` undefined, its entry in `encoded`) unless
 * the budget may cut it: a feature-maps answer is held whole, its maps float32 or at 8 bits.
 */
export function encodeAnswers(
  answers: Readonly<Record<string, ReportAnswer | undefined>>,
  fixedBytes: number,
  maxBytes: number,
  describe: (key: string) => string = describeQuery,
  /** Answers encoded already ({@link encodeEntry}, as each was computed), with their JSON bytes. */
  encoded?: ReadonlyMap<string, { entry: ReportEntry; rawBytes: number }>,
): { entries: Record<string, ReportEntry>; sizes: ReportResult['sizes']; omitted: string[]; summarised: string[] } {
  const entries: Record<string, ReportEntry> = {};
  const sizes: ReportResult['sizes'] = {};
  const kindOf = (key: string) => (JSON.parse(key) as { kind: string }).kind;
  const embedded = new Map<string, number>();
  let total = fixedBytes;
  const encode = encodeEntry;
  const put = (key: string, entry: ReportEntry) => {
    const bytes = entryBytes(key, entry);
    const change = bytes - (embedded.get(key) ?? 0);
    entries[key] = entry;
    embedded.set(key, bytes);
    total += change;
    sizes[kindOf(key)].embeddedBytes += change;
    return change;
  };
  for (const [key, entry] of Object.entries(answers)) {
    const kind = kindOf(key);
    const s = (sizes[kind] ??= { count: 0, rawBytes: 0, embeddedBytes: 0 });
    s.count++;
    const done = encoded?.get(key) ?? (entry && { entry: encode(kind, entry), rawBytes: Buffer.byteLength(JSON.stringify(entry)) });
    if (!done) throw new Error(`report: ${key} is held neither whole nor encoded`);
    s.rawBytes += done.rawBytes;
    put(key, done.entry);
  }
  const limit = sizeLimit(maxBytes);
  const largestFirst = (keys: string[]) => keys.sort((a, b) => embedded.get(b)! - embedded.get(a)!);
  // 1. The feature maps of wide layers: their first channels only.
  const summaries = new Map<string, string>();
  for (const count of SUMMARY_CHANNELS) {
    const wide = largestFirst(
      Object.keys(answers).filter((k) => {
        const a = answers[k];
        return kindOf(k) === 'featureMaps' && a !== undefined && 'answer' in a && (a.answer as FeatureMapsAnswer).channels.length > count;
      }),
    );
    for (const key of wide) {
      if (total <= maxBytes) break;
      const answer = (answers[key] as { answer: FeatureMapsAnswer | QuantisedFeatureMaps }).answer;
      const kept = keepChannels(answer, count);
      const note = `${describe(key)}: channels 0–${count - 1} of ${answer.channels.length} only, to keep this report under ${limit}`;
      put(key, { ...encode('featureMaps', { answer: kept }), summary: note });
      summaries.set(key, note);
    }
  }
  // 2 and 3. Answers left out, each replaced by a note.
  const omitted: string[] = [];
  const leaveOut = (key: string) => {
    const bytes = embedded.get(key)!;
    put(key, {
      omitted: leftOutNote(describe(key), 'size', `to keep it under ${limit} (it would add ${sizeLimit(bytes)})`),
    });
    omitted.push(`${describe(key)} (${(bytes / 1e6).toFixed(1)} MB)`);
  };
  const isOmitted = (key: string) => 'omitted' in entries[key];
  for (const count of SUMMARY_DECONVOLUTION_CHANNELS) {
    if (total <= maxBytes) break;
    const higher = largestFirst(
      Object.keys(answers).filter((k) => {
        const q = JSON.parse(k) as { kind: string; channel?: number };
        return q.kind === 'deconvolution' && (q.channel ?? 0) >= count && !isOmitted(k);
      }),
    );
    for (const key of higher) {
      if (total <= maxBytes) break;
      leaveOut(key);
    }
  }
  // The run, its training curves and the probe inputs are what every view starts from: kept.
  const keep = new Set(['run', 'training', 'inputs', 'confusion']);
  // The Network view's thumbnails (an `inputs` answer of named probe inputs; the views' sample inputs are drawn per class) may go like any other.
  const kept = (key: string) => {
    const q = JSON.parse(key) as { kind: string; x?: { kind?: string } };
    return keep.has(q.kind) && !(q.kind === 'inputs' && q.x?.kind === 'indices');
  };
  for (const key of largestFirst(Object.keys(answers).filter((k) => !kept(k) && !isOmitted(k)))) {
    if (total <= maxBytes) break;
    leaveOut(key);
  }
  return { entries, sizes, omitted, summarised: [...summaries].filter(([key]) => !isOmitted(key)).map(([, note]) => note) };
}

/** A query in words, for the notes of left-out answers. */
export function describeQuery(key: string): string {
  const q = JSON.parse(key) as Record<string, unknown>;
  const where = ['layer', 'layerI', 'layerJ', 'channel', 'epoch']
    .filter((f) => q[f] !== undefined)
    .map((f) => `${f === 'layerI' ? 'layer' : f === 'layerJ' ? 'against layer' : f} ${String(q[f])}`)
    .join(', ');
  const names: Record<string, string> = {
    featureMaps: 'The feature maps',
    deconvolution: 'The deconvolution',
    capacityMatrix: 'The capacity matrix',
    channelPair: 'The channel pair',
    smallMultiples: 'The small multiples',
    channelLabelInformation: 'The label information per channel',
    informationPlane: 'The information plane',
    networkGraph: 'The network graph',
    findings: 'The findings',
    channelImportance: 'The channel importance',
  };
  return `${names[q.kind as string] ?? `The ${String(q.kind)} answer`}${where ? ` of ${where}` : ''}`;
}
