/**
 * `cnn-slicer` run in this process (src/cli/main.ts) on streams that keep what it writes: what a
 * user would see of a command, without dist/ or a process of its own.
 */
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
