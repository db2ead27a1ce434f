/**
 * Telling a live recorder from a dead one. A run whose status is `recording` names its recorder's
 * process id; a reader that finds no such process marks the run interrupted. A pid alone is not
 * enough: after the recorder dies the system may give its pid to another process, and the run would
 * look alive forever. So the recorder also writes when its process started, and a process with the
 * same pid but another start time is not the recorder.
 *
 * The start time comes from Linux's /proc/<pid>/stat (field 22, clock ticks since boot).
 *
 * A manifest with a pid but no start time (written by an older recorder, on a system without /proc,
 * or forged) must not look alive forever because some long-lived process holds that pid (pid 1,
 * say). So then the process's command line is read (/proc/<pid>/cmdline): a recorder is a process
 * that runs the recorder bundle, `recorder.js`. Where no command line can be read either, the
 * manifest's age decides: a run whose manifest has not changed for {@link STALE_RECORDING_MS} is
 * taken as interrupted. (A recorder still running rewrites its manifest after its next epoch, so
 * such a misjudgement heals itself.)
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/** A recording manifest without a start time that has not changed for this long is taken as interrupted (24 h). */
export const STALE_RECORDING_MS = 24 * 60 * 60 * 1000;

/** The file name of the recorder's bundle, which a recorder's command line runs. */
const RECORDER_SCRIPT = 'recorder.js';

/** A process as a run manifest records it: `pid`, and `startTime` where the system reports one. */
export interface ProcessIdentity {
  pid: number;
  startTime?: string;
}

/** Field 22 of a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may hold spaces or parentheses itself. */
function startTimeField(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields from 3 (state) on: field 22 is the 20th of them.
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}

/** When process `pid` started (an opaque string), or undefined when the system does not say. */
export function processStartTime(pid: number): string | undefined {
  try {
    return startTimeField(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

async function processStartTimeAsync(pid: number): Promise<string | undefined> {
  try {
    return startTimeField(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * This process's identity, for the recorder to write into the manifest (`pid`, `pidStartTime`)
 * while it records.
 */
export function currentProcessIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

/** Whether a process `pid` exists (`kill(pid, 0)`: ESRCH says it does not; EPERM that it does, as another user's). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function usablePid(pid: unknown): pid is number {
  return Number.isInteger(pid) && (pid as number) > 0;
}

/** What a reader knows of a recording run's recorder: the manifest's `pid`, `pidStartTime` and `updatedAt`. */
export interface RecorderIdentity {
  pid?: number;
  startTime?: string;
  /** The manifest's `updatedAt` (ISO time), for the age rule where nothing else can be checked. */
  updatedAt?: string;
}

/** Whether a /proc/<pid>/cmdline (arguments separated by NUL) runs the recorder bundle. */
export function isRecorderCommandLine(cmdline: string): boolean {
  return cmdline.split('\0').some((arg) => basename(arg) === RECORDER_SCRIPT);
}

/** The age rule: a manifest unchanged for {@link STALE_RECORDING_MS} (or with no readable time) is stale. */
function isStale(updatedAt: string | undefined, now: number): boolean {
  const t = updatedAt === undefined ? NaN : Date.parse(updatedAt);
  return !Number.isFinite(t) || now - t > STALE_RECORDING_MS;
}

/** The decision for a live pid with no recorded start time, from its command line (undefined: unreadable). */
export function aliveWithoutStartTime(cmdline: string | undefined, updatedAt: string | undefined, now = Date.now()): boolean {
  return cmdline !== undefined ? isRecorderCommandLine(cmdline) : !isStale(updatedAt, now);
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

async function commandLineAsync(pid: number): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the recorder a manifest names (`pid`, and `startTime` when it was recorded) is still running. */
export function isProcessAlive(identity: RecorderIdentity): boolean {
  if (!usablePid(identity.pid) || !pidExists(identity.pid)) return false;
  if (identity.startTime === undefined) return aliveWithoutStartTime(commandLine(identity.pid), identity.updatedAt);
  const now = processStartTime(identity.pid);
  return now === undefined || now === identity.startTime;
}

/** {@link isProcessAlive} without blocking on the disk (for the extension host). */
export async function isProcessAliveAsync(identity: RecorderIdentity): Promise<boolean> {
  if (!usablePid(identity.pid) || !pidExists(identity.pid)) return false;
  if (identity.startTime === undefined) return aliveWithoutStartTime(await commandLineAsync(identity.pid), identity.updatedAt);
  const now = await processStartTimeAsync(identity.pid);
  return now === undefined || now === identity.startTime;
}
