/**
 * Reading run folders: the manifest, the metrics, and the state of a run whose recorder died
 * (`kill -9`, a crash, a closed window): it is reported as interrupted with every completed epoch
 * intact, and the manifest is repaired on disk when the folder is writable.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EpochMetrics, parseMetricsLines, RunFormatError, RunManifest, validateManifest } from './format';
import { writeFileAtomic } from './files';

export interface RunRecord {
  folder: string;
  manifest: RunManifest;
  /** Metrics of the epochs listed in the manifest, in order. */
  metrics: EpochMetrics[];
  /** Notes for the user about what was repaired or ignored. */
  notes: string[];
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads one run folder; throws RunFormatError with what is wrong and what to do. */
export function readRun(folder: string, options: { repair?: boolean } = {}): RunRecord {
  const manifestPath = join(folder, 'manifest.json');
  if (!existsSync(manifestPath)) throw new RunFormatError(`${folder} is not a CNN Slicer run (no manifest.json)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    throw new RunFormatError(`${manifestPath} is damaged (not valid JSON); the run cannot be opened — record it again`);
  }
  const manifest = validateManifest(raw, manifestPath);
  const notes: string[] = [];
  const metricsPath = join(folder, 'metrics.jsonl');
  const parsed = existsSync(metricsPath) ? parseMetricsLines(readFileSync(metricsPath, 'utf8'), metricsPath) : { epochs: [], droppedTail: false };
  if (parsed.droppedTail) notes.push('an incomplete last metrics line (from an interrupted write) was ignored');
  const byEpoch = new Map(parsed.epochs.map((m) => [m.epoch, m]));
  const usable = manifest.epochs.filter((e) => byEpoch.has(e) && existsSync(join(folder, 'checkpoints', `epoch-${String(e).padStart(4, '0')}`, 'weights.bin')));
  if (usable.length !== manifest.epochs.length) notes.push(`epochs ${manifest.epochs.filter((e) => !usable.includes(e)).join(', ')} are incomplete and were ignored`);
  manifest.epochs = usable;
  if (manifest.status === 'recording' && !alive(manifest.pid)) {
    manifest.status = 'interrupted';
    manifest.error = { message: `the recorder stopped unexpectedly after epoch ${usable[usable.length - 1] ?? 'none'}; the recorded epochs are intact` };
    delete manifest.pid;
    notes.push('the recorder process is gone: the run is marked interrupted');
    if (options.repair !== false) {
      try {
        writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
      } catch {
        notes.push('the run folder is read-only; the repair was not saved');
      }
    }
  }
  return { folder, manifest, metrics: usable.map((e) => byEpoch.get(e)!), notes };
}

/** Every readable run under a runs folder, newest first; unreadable ones are listed with their error. */
export function listRuns(runsFolder: string): { runs: RunRecord[]; errors: { folder: string; message: string }[] } {
  const runs: RunRecord[] = [];
  const errors: { folder: string; message: string }[] = [];
  if (!existsSync(runsFolder)) return { runs, errors };
  for (const name of readdirSync(runsFolder).sort().reverse()) {
    const folder = join(runsFolder, name);
    if (name.includes('.tmp-') || !existsSync(join(folder, 'manifest.json'))) continue;
    try {
      runs.push(readRun(folder));
    } catch (e) {
      errors.push({ folder, message: (e as Error).message });
    }
  }
  return { runs, errors };
}

/**
 * `listRuns` for the extension host, which must never block on the disk: the folder listing is
 * asynchronous and each run is read on its own turn of the event loop.
 */
export async function listRunsAsync(runsFolder: string): Promise<{ runs: RunRecord[]; errors: { folder: string; message: string }[] }> {
  const runs: RunRecord[] = [];
  const errors: { folder: string; message: string }[] = [];
  let names: string[];
  try {
    names = await readdir(runsFolder);
  } catch {
    return { runs, errors };
  }
  for (const name of names.sort().reverse()) {
    const folder = join(runsFolder, name);
    if (name.includes('.tmp-')) continue;
    try {
      await stat(join(folder, 'manifest.json'));
    } catch {
      continue;
    }
    await new Promise((done) => setImmediate(done));
    try {
      runs.push(readRun(folder));
    } catch (e) {
      errors.push({ folder, message: (e as Error).message });
    }
  }
  return { runs, errors };
}
