/**
 * The run listing's memory kept on disk, so that the first listing in a new window (or process)
 * reads only the runs that changed since any earlier listing: `<runsFolder>/.index.json`.
 *
 * It lives in the runs folder itself, not in an editor's storage: every window and the CLI list the
 * same folder and can share it, it goes with the runs when the folder is moved or deleted, it never
 * names a place outside the runs folder, and a read-only runs folder simply has none (the listing
 * then reads every run, as without an index).
 *
 * What it holds is the listing cache of ./listingCache.ts for one runs folder: per run folder (by
 * name) the stamp it was read at and the outcome of that read (its record, or why it could not be
 * read). An entry is used only when its stamp equals the run's stamp now (`runStamp`: inode, size,
 * modification and change times of manifest.json and metrics.jsonl), so a changed, added, removed or
 * damaged run is read again, and a run still recording is never stored. Copying or cloning an index
 * cannot forge a stamp (a change time and inode are the file system's own), so an index from
 * elsewhere matches no run.
 *
 * File format: one header line `{"format":"cnn-slicer-run-listing-index","version":1,"sha256":…}`,
 * then the body, `{"runs":[[name, stamp, outcome], …]}`, whose SHA-256 the header gives. A file
 * that is too large, of another format or version, whose body does not match its hash, or that is
 * not valid JSON is ignored (and replaced at the next change); so is any entry that does not have
 * the expected shape. Written atomically (a temporary `.index.json.tmp-<pid>-<random>` renamed over
 * it), without fsync (a file torn by a crash fails its hash and is rebuilt) and without creating the
 * runs folder (a deleted runs folder stays deleted); at most {@link LISTING_INDEX_MAX_BYTES}: when
 * the runs outgrow that, and when no run is left, no index is kept.
 */
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RunListingCache } from './listingCache';
import { readBoundedFileAsync } from './read';
import type { RunReadOutcome, RunRecord } from './store';

/** The index's file name inside the runs folder (a file, so no listing takes it for a run). */
export const LISTING_INDEX_FILE = '.index.json';

/** The largest index read or written: ≈ 25,000 runs of ten epochs. */
export const LISTING_INDEX_MAX_BYTES = 64 * 1024 * 1024;

const FORMAT = 'cnn-slicer-run-listing-index';
// 2: a record keeps `pending` (a PyTorch run's epochs awaiting their measures); a version-1 index lost it.
export const LISTING_INDEX_VERSION = 2;
const VERSION = LISTING_INDEX_VERSION;

type StoredOutcome = { record: Omit<RunRecord, 'folder'> } | { error: string };
type StoredEntry = [name: string, stamp: string, outcome: StoredOutcome];

/** The path of the index of `runsFolder`. */
export function listingIndexPath(runsFolder: string): string {
  return join(runsFolder, LISTING_INDEX_FILE);
}

/**
 * Puts the entries of `runsFolder`'s index into `cache`; returns how many. A missing, damaged or
 * foreign index gives none, never an error: the listing then reads the runs.
 */
export async function loadListingIndex(runsFolder: string, cache: RunListingCache<RunReadOutcome>): Promise<number> {
  let text: string;
  try {
    text = (await readBoundedFileAsync(listingIndexPath(runsFolder), { maxBytes: LISTING_INDEX_MAX_BYTES, within: runsFolder })).toString(
      'utf8',
    );
  } catch {
    return 0;
  }
  const entries = parseListingIndex(text);
  for (const [name, stamp, stored] of entries) {
    const folder = join(runsFolder, name);
    cache.set(folder, stamp, 'record' in stored ? { record: { folder, ...stored.record } } : stored);
  }
  return entries.length;
}

/** The well-formed entries of an index's text; none when the text is no index of this version. */
export function parseListingIndex(text: string): StoredEntry[] {
  const newline = text.indexOf('\n');
  if (newline < 0) return [];
  const body = text.slice(newline + 1);
  try {
    const header = JSON.parse(text.slice(0, newline)) as { format?: unknown; version?: unknown; sha256?: unknown };
    if (header.format !== FORMAT || header.version !== VERSION || header.sha256 !== sha256(body)) return [];
    const runs = (JSON.parse(body) as { runs?: unknown }).runs;
    return Array.isArray(runs) ? runs.filter(isStoredEntry) : [];
  } catch {
    return [];
  }
}

/**
 * Writes the entries `cache` holds for `runsFolder` as its index, atomically. A runs folder that
 * cannot be written keeps no index (the listing works without); runs that outgrow the size limit
 * remove it.
 */
export async function saveListingIndex(runsFolder: string, cache: RunListingCache<RunReadOutcome>): Promise<void> {
  const runs: StoredEntry[] = cache.entriesOf(runsFolder).map(({ folder, stamp, outcome }) => {
    if (!('record' in outcome)) return [basename(folder), stamp, outcome];
    const { manifest, metrics, notes, pending, metricsBytes } = outcome.record;
    return [
      basename(folder),
      stamp,
      { record: { manifest, metrics, notes, ...(pending ? { pending } : {}), ...(metricsBytes !== undefined ? { metricsBytes } : {}) } },
    ];
  });
  const body = JSON.stringify({ runs });
  const text = `${JSON.stringify({ format: FORMAT, version: VERSION, sha256: sha256(body) })}\n${body}`;
  const path = listingIndexPath(runsFolder);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    if (runs.length === 0 || Buffer.byteLength(text) > LISTING_INDEX_MAX_BYTES) {
      await rm(path, { force: true });
      return;
    }
    // 'wx': never through a file or link already there; the folder must exist (it is not created).
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, path);
  } catch {
    // A read-only or vanished runs folder: the listing works without its index.
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The shape of an entry: a plain child name, a stamp, and an error or a record whose manifest has
 * the fields a listing sorts and matches by (the hash has already ruled out damage; this rules out
 * an index some other program wrote under the same name and format).
 */
function isStoredEntry(x: unknown): x is StoredEntry {
  if (!Array.isArray(x) || x.length !== 3) return false;
  const [name, stamp, outcome] = x as unknown[];
  if (typeof name !== 'string' || !isChildName(name) || typeof stamp !== 'string' || !isObject(outcome)) return false;
  if ('error' in outcome) return typeof outcome.error === 'string';
  const record = outcome.record;
  if (!isObject(record) || !Array.isArray(record.metrics) || !Array.isArray(record.notes)) return false;
  if (record.pending !== undefined && !Array.isArray(record.pending)) return false;
  if (record.metricsBytes !== undefined && !(Number.isSafeInteger(record.metricsBytes) && (record.metricsBytes as number) >= 0))
    return false;
  const m = record.manifest;
  return (
    isObject(m) &&
    typeof m.id === 'string' &&
    typeof m.createdAt === 'string' &&
    typeof m.status === 'string' &&
    m.status !== 'recording' &&
    Array.isArray(m.epochs) &&
    isObject(m.model) &&
    isObject(m.settings) &&
    isObject(m.backend)
  );
}

/** A name that stays a direct child of the runs folder. */
function isChildName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && !name.includes('.tmp-');
}
