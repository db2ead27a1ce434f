// How a standalone report stores its answers compactly (docs/views.md, "Report size"). The report
// command quantises the arrays the views only draw (input pictures, feature maps, deconvolution
// projections) to 8 bits per value, each picture with its own (min, max), and gzips every large
// answer; the page decodes an answer only when a view asks for it, so opening stays fast however
// many answers the report holds. Numbers people read (entropies, capacities, the answers' own
// min/max fields) are never quantised. A report over its size budget summarises its largest
// answers (the feature maps of wide layers keep their first channels, `keepChannels`) before it
// leaves any out. Pure: the CLI (Node) and the page (browser) share it.
import { base64ToBytes, bytesToBase64 } from './base64';
import { decodeFloat32, encodeFloat32, encodedValues } from './queries';
import type { EncodedArray, FeatureMapsAnswer, QueryErrorCode } from './queries';
import type { RunManifest } from './runFormat';
import type { InputSubset } from '../analysis/subsets';

/**
 * The embedded format this code writes and reads. 2: a feature-maps answer may hold fewer channels
 * than its query asked (summarised to fit the size budget; the entry's `summary` says so).
 */
export const REPORT_FORMAT_VERSION = 2;

/**
 * Why a page cannot show a report's embedded data, or undefined when it can: the data must carry a
 * format version this page knows (1 and 2 read alike: 2 only adds summarised answers).
 */
export function reportVersionProblem(data: unknown): string | undefined {
  const version = typeof data === 'object' && data !== null ? (data as { formatVersion?: unknown }).formatVersion : undefined;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1 && version <= REPORT_FORMAT_VERSION) return undefined;
  const which = typeof version === 'number' ? `format version ${version}` : 'no format version';
  return `This report cannot be shown: its embedded data has ${which}, and this page reads versions 1 to ${REPORT_FORMAT_VERSION}. Write it again with the cnn-slicer that opens it (cnn-slicer report <run> --out report.html).`;
}

/** An array of pictures at 8 bits per value: picture `p` spans values `[p·blockSize, (p+1)·blockSize)`. */
export interface QuantisedArray {
  dtype: 'uint8';
  shape: number[];
  /** Values per picture (the trailing dimensions that one picture spans). */
  blockSize: number;
  /** Each picture's smallest and largest value: value = min + q·(max − min)/255. */
  mins: number[];
  maxs: number[];
  base64: string;
}

/** A stored answer, or the error the service gave for it, exactly as the views receive it. */
export type ReportAnswer = { answer: unknown } | { error: { code: QueryErrorCode; message: string } };

/**
 * One embedded entry: plain, gzipped (base64 of the gzipped JSON of a ReportAnswer), or left out with
 * a note saying why. A summarised answer (less than its query asked, to fit the size budget) says
 * what it holds in `summary`.
 */
export type ReportEntry = ((ReportAnswer | { gzip: string }) & { summary?: string }) | { omitted: string };

/**
 * A feature-maps answer cut to its first `count` channels (maps, channel list and ranges alike), for
 * a report that cannot hold every channel of a wide layer: the views draw each channel they find
 * and only those. Unchanged when it holds `count` channels or fewer.
 *
 * The maps may be float32 or already quantised ({@link quantisePictures}): each picture is quantised
 * on its own, so cutting the quantised maps gives exactly the bytes of quantising the cut ones (a
 * report holds feature maps at 8 bits until its page is written, a quarter of their float32 size).
 */
export function keepChannels<A extends FeatureMapsAnswer | QuantisedFeatureMaps>(answer: A, count: number): A {
  const [n, c, h, w] = answer.maps.shape;
  if (answer.maps.shape.length !== 4 || c <= count) return answer;
  const size = h * w;
  const cut = <T extends { subarray(a: number, b: number): T; set(t: T, at: number): void }>(values: T, kept: T) => {
    for (let i = 0; i < n; i++) kept.set(values.subarray(i * c * size, (i * c + count) * size), i * count * size);
    return kept;
  };
  const shape = [n, count, h, w];
  let maps: EncodedArray | QuantisedArray;
  if (answer.maps.dtype === 'uint8') {
    const q = answer.maps;
    if (q.blockSize !== size) throw new Error(`quantised feature maps: pictures of ${q.blockSize} values, not ${h}×${w}`);
    const blocks = (values: number[]) => Array.from({ length: n * count }, (_, b) => values[Math.floor(b / count) * c + (b % count)]);
    const bytes = cut(base64ToBytes(q.base64), new Uint8Array(n * count * size));
    maps = { dtype: 'uint8', shape, blockSize: size, mins: blocks(q.mins), maxs: blocks(q.maxs), base64: bytesToBase64(bytes) };
  } else {
    maps = encodeFloat32(shape, cut(decodeFloat32(answer.maps), new Float32Array(n * count * size)));
  }
  return { ...answer, channels: answer.channels.slice(0, count), channelRanges: answer.channelRanges.slice(0, count), maps };
}

/** A feature-maps answer as a report embeds it: its maps quantised to 8 bits ({@link quantisePictures}). */
export type QuantisedFeatureMaps = Omit<FeatureMapsAnswer, 'maps'> & { maps: QuantisedArray };

/**
 * The fields of each answer kind that are pictures and only drawn (webview/charts/deconvolution.tsx,
 * cellInputs.tsx, the Layer view's feature maps), with how many leading dimensions index pictures.
 */
const PICTURE_FIELDS: Record<string, { field: string; pictureDims: number }> = {
  inputs: { field: 'images', pictureDims: 1 }, // [inputs, H, W, C]: one picture per input
  featureMaps: { field: 'maps', pictureDims: 2 }, // [inputs, channels, H, W]: one per input and channel
  deconvolution: { field: 'projections', pictureDims: 1 }, // [inputs, H, W, C]
};

/** The answer with its picture arrays quantised to 8 bits; other kinds come back unchanged. */
export function quantisePictures(kind: string, answer: unknown): unknown {
  const spec = PICTURE_FIELDS[kind];
  if (spec === undefined || typeof answer !== 'object' || answer === null) return answer;
  const a = (answer as Record<string, unknown>)[spec.field] as EncodedArray | undefined;
  if (a?.dtype !== 'float32') return answer;
  return { ...answer, [spec.field]: quantise(a, spec.pictureDims) };
}

export function quantise(a: EncodedArray, pictureDims: number): QuantisedArray {
  const values = decodeFloat32(a);
  const blockSize = a.shape.slice(pictureDims).reduce((p, v) => p * v, 1);
  const blocks = blockSize === 0 ? 0 : values.length / blockSize;
  const bytes = new Uint8Array(values.length);
  const mins: number[] = [];
  const maxs: number[] = [];
  for (let b = 0; b < blocks; b++) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = b * blockSize; i < (b + 1) * blockSize; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 0];
    mins.push(min);
    maxs.push(max);
    const scale = max > min ? 255 / (max - min) : 0;
    for (let i = b * blockSize; i < (b + 1) * blockSize; i++) bytes[i] = Math.round((values[i] - min) * scale);
  }
  return { dtype: 'uint8', shape: a.shape, blockSize, mins, maxs, base64: bytesToBase64(bytes) };
}

export function dequantise(q: QuantisedArray): EncodedArray {
  const bytes = base64ToBytes(q.base64);
  const values = new Float32Array(bytes.length);
  for (let b = 0; b < q.mins.length; b++) {
    const min = q.mins[b];
    const step = (q.maxs[b] - min) / 255;
    for (let i = b * q.blockSize; i < (b + 1) * q.blockSize; i++) values[i] = min + bytes[i] * step;
  }
  return encodedValues(q.shape, values);
}

/** Puts back float32 arrays wherever a quantised one was, so the views read the answer shapes of docs/queries.md. */
export function restorePictures(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(restorePictures);
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  if (o.dtype === 'uint8' && typeof o.base64 === 'string' && Array.isArray(o.mins)) return dequantise(o as unknown as QuantisedArray);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = restorePictures(v);
  return out;
}

/** Decodes a gzipped entry with the platform's DecompressionStream (Chromium, VS Code webviews, Node ≥ 18). */
export async function decodeEntry(entry: ReportEntry): Promise<ReportAnswer | { omitted: string }> {
  if ('omitted' in entry) return entry;
  const plain = 'gzip' in entry ? (JSON.parse(await gunzipText(entry.gzip)) as ReportAnswer) : entry;
  return 'answer' in plain ? { answer: restorePictures(plain.answer) } : plain;
}

async function gunzipText(base64: string): Promise<string> {
  const stream = new Blob([base64ToBytes(base64) as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

/** Every entry decoded, as the views would receive them (for tests and tools that read a report's data). */
export async function decodeEntries(entries: Record<string, ReportEntry>): Promise<Record<string, ReportAnswer | { omitted: string }>> {
  const out: Record<string, ReportAnswer | { omitted: string }> = {};
  for (const [key, entry] of Object.entries(entries)) out[key] = await decodeEntry(entry);
  return out;
}

/** What `cnn-slicer report` embeds: the run's manifest and every precomputed answer by canonical query. */
export interface ReportData {
  /** The embedded format (src/contract/reportCodec.ts `REPORT_FORMAT_VERSION`); the page refuses one it does not know. */
  formatVersion: number;
  runId: string;
  createdAt: string;
  manifest: RunManifest;
  /**
   * Canonical query → answer, or the error the service gave for it; large answers gzipped with
   * their pictures at 8 bits, answers left out to keep the report small replaced by a note
   * (src/contract/reportCodec.ts).
   */
  answers: Record<string, ReportEntry>;
  /** What the report holds, for the message shown when a view asks for something else. */
  coverage: string;
  /**
   * The input subsets the report holds besides all inputs (each class alone, src/contract/plan.ts
   * `reportClassSubsets`), every answer of the views for each: absent in older reports (none).
   */
  subsets?: InputSubset[];
  /**
   * A comparison report (`cnn-slicer report A B …`): each run's manifest and answers, keyed by run.
   * Absent in a single-run report, whose answers are the fields above; in a comparison report the
   * fields above describe the first run and `answers` is empty, so an older page opens it as an
   * empty single-run report instead of failing.
   */
  runs?: ReportRun[];
}

/** One run of a comparison report. */
export interface ReportRun {
  runId: string;
  manifest: RunManifest;
  answers: ReportData['answers'];
  coverage: string;
}
