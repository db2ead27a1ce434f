/**
 * `cnn-slicer` run in this process (src/cli/main.ts) on streams that keep what it writes: what a
 * user would see of a command, without dist/ or a process of its own.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { COMMANDS } from '../../src/cli/commands';
import type { Command } from '../../src/cli/commands/descriptor';
import { main } from '../../src/cli/main';
import type { CliStreams } from '../../src/cli/streams';

/** Streams (not terminals) that keep what is written to them, and what they kept. */
export interface CaughtStreams {
  readonly io: CliStreams;
  stdout(): string;
  stderr(): string;
}

export function caughtStreams(): CaughtStreams {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (text: string) => out.push(text), isTTY: false },
      stderr: { write: (text: string) => err.push(text), isTTY: false },
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** What one `cnn-slicer` invocation printed and its exit code (`status`, as spawnSync names it). */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cnn-slicer <args>` in this process with the commands of `table`. */
export async function runCli(args: string[], table: readonly Command[] = COMMANDS): Promise<CliRun> {
  const caught = caughtStreams();
  const status = await main(args, table, caught.io);
  return { status, stdout: caught.stdout(), stderr: caught.stderr() };
}

/** The lines of stderr that are not progress: the last is the command's message. */
export function messageLines(stderr: string): string[] {
  return stderr.split(/[\n\r]/).filter((l) => l.startsWith('cnn-slicer: '));
}

/**
 * Checks one refusal, in this process or of a spawned `dist/cli.js` (spawnSync's `status`): exit
 * `code`, no stack anywhere, and exactly one "cnn-slicer: " line mentioning each of `mentions`; returns that line.
 */
export function expectOneLine(r: { status: number | null; stderr: string }, code: number, ...mentions: string[]): string {
  const shown = `status ${r.status}\nstderr:\n${r.stderr}`;
  assert.equal(r.status, code, shown);
  assert.ok(!r.stderr.includes('    at '), `a stack was printed:\n${shown}`);
  const lines = messageLines(r.stderr);
  assert.equal(lines.length, 1, shown);
  for (const m of mentions) assert.ok(lines[0].includes(m), `expected "${m}" in: ${lines[0]}`);
  return lines[0];
}

/** The run folders under a runs folder (none when it was never made; not its .gitignore). */
export function runsIn(runs: string): string[] {
  return existsSync(runs) ? readdirSync(runs).filter((name) => !name.startsWith('.')) : [];
}
