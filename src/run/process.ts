/**
 * Telling a live recorder from a dead one. A run whose status is `recording` names its recorder's
 * process id; a reader that finds no such process marks the run interrupted. A pid alone is not
 * enough: after the recorder dies the system may give its pid to another process, and the run would
 * look alive forever. So the recorder also writes when its process started, and a process with the
 * same pid but another start time is not the recorder.
 *
 * The start time comes from Linux's /proc/<pid>/stat (field 22, clock ticks since boot). Where it
 * cannot be read (other systems, /proc mounted with hidepid), only the pid is checked, as before.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

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

function pidExists(pid: number): boolean {
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

/** Whether the process a manifest names (`pid`, and `startTime` when it was recorded) is still running. */
export function isProcessAlive(identity: { pid?: number; startTime?: string }): boolean {
  if (!usablePid(identity.pid) || !pidExists(identity.pid)) return false;
  if (identity.startTime === undefined) return true;
  const now = processStartTime(identity.pid);
  return now === undefined || now === identity.startTime;
}

/** {@link isProcessAlive} without blocking on the disk (for the extension host). */
export async function isProcessAliveAsync(identity: { pid?: number; startTime?: string }): Promise<boolean> {
  if (!usablePid(identity.pid) || !pidExists(identity.pid)) return false;
  if (identity.startTime === undefined) return true;
  const now = await processStartTimeAsync(identity.pid);
  return now === undefined || now === identity.startTime;
}
