/**
 * Reading run folders: the manifest, the metrics, and the state of a run whose recorder died
 * (`kill -9`, a crash, a closed window): it is reported as interrupted with every completed epoch
 * intact, and the manifest is repaired on disk when the folder is writable.
 *
 * Every file is read through the bounded reader (regular files inside the run folder, with size
 * limits) and checked against the format once, here, so what a reader gets back is consistent.
 * The synchronous functions serve the service and the CLI; the extension host, which must never
 * block on the disk, uses `readRunAsync` and `listRunsAsync`.
 */
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { access, lstat, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EpochMetrics, parseMetricsLines, PendingEpochMetrics, RunFormatError, RunManifest, validateManifest } from '../contract/runFormat';
import { writeFileAtomic, writeFileAtomicAsync } from './files';
import { MANIFEST_MAX_BYTES, METRICS_MAX_BYTES } from './limits';
import { RunListingCache, runStamp } from './listingCache';
import { checkpointFolder, modelDisplayName } from './paths';
import { isProcessAlive, isProcessAliveAsync, type RecorderIdentity } from './process';
import { FileReadError, readBoundedFile, readBoundedFileAsync } from './read';

export interface RunRecord {
  folder: string;
  manifest: RunManifest;
  /** Metrics of the epochs listed in the manifest, in order. */
  metrics: EpochMetrics[];
  /** Notes for the user about what was repaired or ignored. */
  notes: string[];
  /**
   * A PyTorch run's (format version 2) recorded epochs whose measures are not computed yet, as
   * its recorder wrote them (probe numbers, no per-layer measures), ascending; absent when none.
   * Such an epoch is not in `manifest.epochs` until src/measure/measureRun.ts measures it.
   */
  pending?: PendingEpochMetrics[];
  /**
   * How many bytes of metrics.jsonl this record was read from, through its last complete line (0
   * without the file): a measurer reads only what was appended since ({@link metricsAppendedSince}).
   * Absent in a record a listing kept: read from the start then.
   */
  metricsBytes?: number;
}

export interface RunList {
  runs: RunRecord[];
  errors: { folder: string; message: string }[];
}

/** How many damaged metrics lines are named one by one in the notes. */
const DAMAGED_LINES_NAMED = 3;

function manifestPathOf(folder: string): string {
  return join(folder, 'manifest.json');
}

/** The file whose presence says an epoch's checkpoint landed: weights.bin, or a PyTorch run's ONNX file. */
function checkpointWeightsPath(folder: string, epoch: number, manifest: RunManifest): string {
  return join(checkpointFolder(folder, epoch), manifest.checkpoint?.file ?? 'weights.bin');
}

/** A manifest read failure as the run-format error a user sees (never echoing the file's content). */
function manifestReadError(folder: string, e: unknown): RunFormatError {
  if (FileReadError.is(e) && e.problem === 'missing') return new RunFormatError(`${folder} is not a CNN Slicer run (no manifest.json)`);
  if (FileReadError.is(e)) return new RunFormatError(`${e.message}; the run cannot be opened`);
  return new RunFormatError(`${manifestPathOf(folder)} cannot be read: ${(e as Error)?.message ?? String(e)}`);
}

function metricsReadError(e: unknown): RunFormatError {
  return new RunFormatError(`${(e as Error)?.message ?? String(e)}; the run cannot be opened`);
}

function parseManifest(folder: string, bytes: Buffer): RunManifest {
  const path = manifestPathOf(folder);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RunFormatError(`${path} is damaged (not valid JSON); the run cannot be opened — record it again`);
  }
  const manifest = validateManifest(raw, path);
  // Runs of a model.json recorded before the name was its folder's.
  manifest.model.name = modelDisplayName(manifest.model.file, manifest.model.name);
  return manifest;
}

/**
 * The run as a reader should see it, from what is on disk: epochs listed in the manifest but
 * without a metrics line or checkpoint are left out, damaged metrics lines are skipped and named,
 * a run whose recorder is gone is marked interrupted. `repaired` is the manifest to write back when
 * it changed: it keeps listing a PyTorch run's epochs that await their measures, which the reader's
 * view leaves out (else a first read after a crash would drop them from the run for good).
 */
function assemble(
  folder: string,
  manifest: RunManifest,
  metricsBytesRead: Buffer | undefined,
  hasCheckpoint: (epoch: number) => boolean,
  recorderAlive: boolean,
): { record: RunRecord; repaired?: RunManifest } {
  const notes: string[] = [];
  const metricsPath = join(folder, 'metrics.jsonl');
  const parsed =
    metricsBytesRead === undefined
      ? { epochs: [], pending: [], droppedTail: false, damaged: [], duplicates: 0 }
      : parseMetricsLines(metricsBytesRead.toString('utf8'), manifest, metricsPath);
  const metricsBytes = metricsBytesRead === undefined ? 0 : metricsBytesRead.lastIndexOf(0x0a) + 1;
  if (parsed.duplicates)
    notes.push(`${parsed.duplicates} more metrics line(s) of an epoch already recorded were ignored: the first line of each epoch counts`);
  if (parsed.droppedTail) notes.push('an incomplete last metrics line (from an interrupted write) was ignored');
  for (const d of parsed.damaged.slice(0, DAMAGED_LINES_NAMED)) notes.push(`a damaged metrics line was skipped: ${d.message}`);
  if (parsed.damaged.length > DAMAGED_LINES_NAMED)
    notes.push(`${parsed.damaged.length - DAMAGED_LINES_NAMED} more damaged metrics lines were skipped`);
  const byEpoch = new Map(parsed.epochs.map((m) => [m.epoch, m]));
  const usable = manifest.epochs.filter((e) => byEpoch.has(e) && hasCheckpoint(e));
  // A PyTorch run's epochs whose measures are still to be computed from their ONNX checkpoints.
  const pending = new Set(parsed.pending.filter((m) => !byEpoch.has(m.epoch)).map((m) => m.epoch));
  const awaiting = manifest.epochs.filter((e) => !usable.includes(e) && pending.has(e) && hasCheckpoint(e));
  const incomplete = manifest.epochs.filter((e) => !usable.includes(e) && !awaiting.includes(e));
  if (awaiting.length) notes.push(`epochs ${awaiting.join(', ')} were recorded by PyTorch and await their measures`);
  if (incomplete.length) notes.push(`epochs ${incomplete.join(', ')} are incomplete and were ignored`);
  // What the manifest on disk keeps listing: the usable epochs and those awaiting their measures.
  const kept = manifest.epochs.filter((e) => usable.includes(e) || awaiting.includes(e));
  manifest.epochs = usable;
  let repaired: RunManifest | undefined;
  if (manifest.status === 'recording' && !recorderAlive) {
    manifest.status = 'interrupted';
    manifest.error = {
      message: `the recorder stopped unexpectedly after epoch ${kept[kept.length - 1] ?? 'none'}; the recorded epochs are intact`,
    };
    delete manifest.pid;
    delete manifest.pidStartTime;
    notes.push('the recorder process is gone: the run is marked interrupted');
    repaired = { ...manifest, epochs: kept };
  }
  const pendingLines = parsed.pending.filter((m, i, all) => awaiting.includes(m.epoch) && all.findIndex((o) => o.epoch === m.epoch) === i);
  const record: RunRecord = { folder, manifest, metrics: usable.map((e) => byEpoch.get(e)!), notes, metricsBytes };
  if (pendingLines.length) record.pending = pendingLines.sort((a, b) => a.epoch - b.epoch);
  return { record, repaired };
}

function manifestText(manifest: RunManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

/** How a reader tells whether a run's recorder is alive (a seam for tests of the finishing race). */
export interface RecorderCheck {
  isAlive?: (identity: RecorderIdentity) => boolean;
  isAliveAsync?: (identity: RecorderIdentity) => Promise<boolean>;
}

const recorderOf = (m: RunManifest): RecorderIdentity => ({ pid: m.pid, startTime: m.pidStartTime, updatedAt: m.updatedAt });

/** Reads one run folder; throws RunFormatError with what is wrong and what to do. */
export function readRun(folder: string, options: { repair?: boolean } & RecorderCheck = {}, recheck = true): RunRecord {
  let manifestBytes: Buffer;
  try {
    manifestBytes = readBoundedFile(manifestPathOf(folder), { maxBytes: MANIFEST_MAX_BYTES, within: folder });
  } catch (e) {
    throw manifestReadError(folder, e);
  }
  const manifest = parseManifest(folder, manifestBytes);
  let metricsBytes: Buffer | undefined;
  try {
    metricsBytes = readBoundedFile(join(folder, 'metrics.jsonl'), { maxBytes: METRICS_MAX_BYTES, within: folder });
  } catch (e) {
    if (!(FileReadError.is(e) && e.problem === 'missing')) throw metricsReadError(e);
  }
  const alive = manifest.status === 'recording' && (options.isAlive ?? isProcessAlive)(recorderOf(manifest));
  // A recorder writes its last status and then exits: a manifest read just before that write, with
  // the process checked just after the exit, looks like a crash. Now that the process is known to be
  // gone the manifest is final, so it is read again before anything is concluded or repaired; without
  // this the repair overwrote a finished run's "completed" with "interrupted".
  if (manifest.status === 'recording' && !alive && recheck) return readRun(folder, options, false);
  const { record, repaired } = assemble(
    folder,
    manifest,
    metricsBytes,
    (e) => existsSync(checkpointWeightsPath(folder, e, manifest)),
    alive,
  );
  if (repaired && options.repair !== false) {
    try {
      writeFileAtomic(manifestPathOf(folder), manifestText(repaired));
    } catch {
      record.notes.push('the run folder is read-only; the repair was not saved');
    }
  }
  return record;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * What was appended to `folder`'s metrics.jsonl after its first `from` bytes (a record's
 * {@link RunRecord.metricsBytes}, or the `next` of the call before): the epochs of the complete
 * (measured) lines among the new complete lines, and where those lines end. A measurer checks so,
 * before and after each epoch, that no other process measured it meanwhile, reading each line once
 * rather than the whole file each time: a ResNet-50's measured line is 18 MB. The lines are checked
 * as {@link readRun} checks them; a damaged one counts for nothing, as there. Undefined when the file
 * no longer continues the bytes read before (shorter, or no line ending at `from`): the caller reads
 * the run again.
 * @throws RunFormatError when the file cannot be read (a symbolic link, too large a growth).
 */
export function metricsAppendedSince(
  folder: string,
  manifest: RunManifest,
  from: number,
): { complete: number[]; next: number } | undefined {
  const path = join(folder, 'metrics.jsonl');
  let bytes: Buffer;
  try {
    // From the byte before: the end of the last line read, which must still be a line ending.
    bytes = readBoundedFile(path, { maxBytes: METRICS_MAX_BYTES, within: folder, from: Math.max(0, from - 1) });
  } catch (e) {
    if (FileReadError.is(e) && e.problem === 'missing') return from === 0 ? { complete: [], next: 0 } : undefined;
    throw metricsReadError(e);
  }
  if (from > 0 && bytes[0] !== 0x0a) return undefined;
  const start = from > 0 ? 1 : 0;
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end <= start) return { complete: [], next: from };
  const { epochs } = parseMetricsLines(bytes.toString('utf8', start, end), manifest, path);
  return { complete: epochs.map((m) => m.epoch), next: from + (end - start) };
}

/** {@link readRun} without blocking the event loop: every read and the repair are asynchronous. */
export async function readRunAsync(folder: string, options: { repair?: boolean } & RecorderCheck = {}, recheck = true): Promise<RunRecord> {
  let manifestBytes: Buffer;
  try {
    manifestBytes = await readBoundedFileAsync(manifestPathOf(folder), { maxBytes: MANIFEST_MAX_BYTES, within: folder });
  } catch (e) {
    throw manifestReadError(folder, e);
  }
  const manifest = parseManifest(folder, manifestBytes);
  let metricsBytes: Buffer | undefined;
  try {
    metricsBytes = await readBoundedFileAsync(join(folder, 'metrics.jsonl'), { maxBytes: METRICS_MAX_BYTES, within: folder });
  } catch (e) {
    if (!(FileReadError.is(e) && e.problem === 'missing')) throw metricsReadError(e);
  }
  const checkpoints = new Set<number>();
  for (const e of manifest.epochs) if (await exists(checkpointWeightsPath(folder, e, manifest))) checkpoints.add(e);
  const alive = manifest.status === 'recording' && (await (options.isAliveAsync ?? isProcessAliveAsync)(recorderOf(manifest)));
  // The finishing race of readRun: read again once the recorder is known to be gone.
  if (manifest.status === 'recording' && !alive && recheck) return readRunAsync(folder, options, false);
  const { record, repaired } = assemble(folder, manifest, metricsBytes, (e) => checkpoints.has(e), alive);
  if (repaired && options.repair !== false) {
    try {
      await writeFileAtomicAsync(manifestPathOf(folder), manifestText(repaired));
    } catch {
      record.notes.push('the run folder is read-only; the repair was not saved');
    }
  }
  return record;
}

/** Entries of a runs folder worth reading as runs: not temporary, newest (by name) first. */
function candidateNames(names: string[]): string[] {
  return names
    .filter((name) => !name.includes('.tmp-'))
    .sort()
    .reverse();
}

const OUTSIDE = 'points outside its runs folder; it is not read';

/** Every readable run under a runs folder, newest first; unreadable ones are listed with their error. */
export function listRuns(runsFolder: string): RunList {
  const runs: RunRecord[] = [];
  const errors: RunList['errors'] = [];
  if (!existsSync(runsFolder)) return { runs, errors };
  const realRuns = realpathSync(runsFolder);
  for (const name of candidateNames(readdirSync(runsFolder))) {
    const folder = join(runsFolder, name);
    try {
      // A link to a folder elsewhere (a cloned repository can ship one) is not followed.
      if (lstatSync(folder).isSymbolicLink() && dirname(realpathSync(folder)) !== realRuns) {
        if (existsSync(manifestPathOf(folder))) errors.push({ folder, message: `${folder} ${OUTSIDE}` });
        continue;
      }
      if (!existsSync(manifestPathOf(folder))) continue;
      runs.push(readRun(folder));
    } catch (e) {
      errors.push({ folder, message: (e as Error).message });
    }
  }
  return { runs, errors };
}

/** How many run folders a listing reads at once: enough to keep libuv's four threads busy. */
const LISTING_CONCURRENCY = 8;

/** A read of one run folder: its record, or why it could not be read. */
export type RunReadOutcome = { record: RunRecord } | { error: string };

/**
 * `listRuns` for the extension host, which must never block on the disk: every listing, read and
 * repair is asynchronous, and at most {@link LISTING_CONCURRENCY} runs are read at once, so a
 * folder of many runs does not open them all together. With a `cache` (kept by the caller across
 * listings) a run whose manifest and metrics are unchanged on disk is not read again.
 */
export async function listRunsAsync(
  runsFolder: string,
  options: { cache?: RunListingCache<RunReadOutcome>; cacheReady?: Promise<unknown> } = {},
): Promise<RunList> {
  let names: string[];
  let realRuns: string;
  // Entries known to be plain folders need no lstat of their own; files (the listing index) are no runs.
  const plainFolders = new Set<string>();
  try {
    const entries = await readdir(runsFolder, { withFileTypes: true });
    names = entries.filter((e) => !e.isFile()).map((e) => e.name);
    for (const e of entries) if (e.isDirectory()) plainFolders.add(e.name);
    realRuns = await realpath(runsFolder);
  } catch {
    await options.cacheReady;
    options.cache?.retainOnly(runsFolder, new Set());
    return { runs: [], errors: [] };
  }
  const folders = candidateNames(names).map((name) => join(runsFolder, name));
  const outcomes: (RunReadOutcome | undefined)[] = folders.map(() => undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < folders.length) {
      const index = next++;
      outcomes[index] = await listedRun(folders[index], realRuns, options, plainFolders.has(basename(folders[index])));
    }
  };
  await Promise.all(Array.from({ length: Math.min(LISTING_CONCURRENCY, folders.length) }, worker));
  await options.cacheReady;
  options.cache?.retainOnly(runsFolder, new Set(folders));
  const runs: RunRecord[] = [];
  const errors: RunList['errors'] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome === undefined) return;
    if ('record' in outcome) runs.push(outcome.record);
    else errors.push({ folder: folders[i], message: outcome.error });
  });
  return { runs, errors };
}

/** One entry of a runs folder: a run, an error, or undefined when it is no run (no manifest). */
async function listedRun(
  folder: string,
  realRuns: string,
  { cache, cacheReady }: { cache?: RunListingCache<RunReadOutcome>; cacheReady?: Promise<unknown> },
  plainFolder = false,
): Promise<RunReadOutcome | undefined> {
  try {
    // A link to a folder elsewhere (a cloned repository can ship one) is not followed.
    if (!plainFolder && (await lstat(folder)).isSymbolicLink() && dirname(await realpath(folder)) !== realRuns) {
      return (await exists(manifestPathOf(folder))) ? { error: `${folder} ${OUTSIDE}` } : undefined;
    }
    if (!cache) return (await exists(manifestPathOf(folder))) ? { record: await readRunAsync(folder) } : undefined;
    const stamp = await runStamp(folder);
    if (stamp === undefined) return undefined;
    // The cache may still be filling (a persisted index loading while the runs are stamped).
    await cacheReady;
    const known = cache.get(folder, stamp);
    if (known) return known;
    let outcome: RunReadOutcome;
    try {
      outcome = { record: await readRunAsync(folder) };
    } catch (e) {
      outcome = { error: (e as Error).message };
    }
    // A run still recording is read at every listing: whether its recorder is alive can change
    // without any file changing.
    if ('record' in outcome && outcome.record.manifest.status === 'recording') cache.delete(folder);
    else cache.set(folder, stamp, outcome);
    return outcome;
  } catch (e) {
    return { error: (e as Error).message };
  }
}
