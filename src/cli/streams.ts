/**
 * Where the CLI writes: its answers on stdout, its messages and progress on stderr. main.ts takes
 * them (the process's own when run as `cnn-slicer`) and hands them to every command in its
 * CommandContext (src/cli/commands/descriptor.ts), so a test can run a command in its own process
 * and read what it printed.
 */

/** One output of the CLI: what it writes to, and whether that is a terminal (progress lines are only drawn on one). */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** The CLI's two outputs. */
export interface CliStreams {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
}

/** The process's stdout and stderr: what `cnn-slicer` writes to. */
export const PROCESS_STREAMS: CliStreams = { stdout: process.stdout, stderr: process.stderr };
