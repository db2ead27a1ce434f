/**
 * The `cnn-slicer` command line (dist/cli.js): the analysis core on plain .npy arrays, recorded runs,
 * and the demo. Each command is a descriptor in the table of src/cli/commands/ (its name, help,
 * options and handler); this file takes --verbose out, looks the command up, runs it, and maps what
 * went wrong to an exit code. Bad input prints one line on stderr and exits with 2; a bug prints one
 * line and exits with 1 (its stack only with --verbose).
 */
import { PairwiseSizeError } from '../analysis';
import { QueryError } from '../contract/queries';
import { DatasetError } from '../data/dataset';
import { ModelError } from '../recorder/modelLoader';
import { RunWriteError } from '../run/files';
import { type Command, commandList, runCommand } from './commands/descriptor';
import { COMMANDS } from './commands';
import { PROCESS_STREAMS, type CliStreams } from './streams';
import { UsageError } from './usage';
import { runWithMallocTuning, wantsMallocTuning } from './mallocTuning';
import { withoutVerbose } from './options';
import { tuneHeap } from './heapTuning';
import { keepOrtTelemetryOff } from '../native/ortTelemetry';

/** `cnn-slicer --help`: the command list is drawn from the table. */
export function mainHelp(table: readonly Command[] = COMMANDS): string {
  return `cnn-slicer — information-theoretic analysis of CNNs (Shen & Shen, 2021)

Usage: cnn-slicer <command> [options]

Commands:
${commandList(table).join('\n')}

Arrays are [N, H, W, C] (channels last, one channel = one H×W map) or [N, U] (one channel of U units).
Run "cnn-slicer <command> --help" for details. --verbose (any command) shows the stack of an
internal error. Exit codes: 0 success, 2 bad input, 1 internal error or a failed write,
130 record stopped with Ctrl-C before it finished.`;
}

/**
 * Runs one CLI invocation with the commands of `table`, writing to `io` (default the process's
 * stdout and stderr); returns the exit code.
 */
export async function main(args: string[], table: readonly Command[] = COMMANDS, io: CliStreams = PROCESS_STREAMS): Promise<number> {
  // --verbose, anywhere, shows the stack of an internal error; the commands never see it.
  const verbose = args.includes('--verbose');
  const [name, ...rest] = withoutVerbose(args);
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      io.stdout.write(mainHelp(table) + '\n');
      return 0;
    }
    const command = table.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}" (see cnn-slicer --help)`);
    return await runCommand(command, rest, { verbose, io });
  } catch (e) {
    // RangeErrors from the analysis core name a bad parameter or shape: the user's input.
    if (
      UsageError.is(e) ||
      e instanceof RangeError ||
      PairwiseSizeError.is(e) ||
      ModelError.is(e) ||
      DatasetError.is(e) ||
      (e instanceof QueryError && e.code !== 'internal')
    ) {
      io.stderr.write(`cnn-slicer: ${e.message}\n`);
      return 2;
    }
    // A run folder that could not be written (a full disk): its message says what to do.
    if (RunWriteError.is(e)) {
      io.stderr.write(`cnn-slicer: ${e.message}\n`);
      return 1;
    }
    // Errors from the analysis service already begin with "internal error: ".
    const message = ((e as Error)?.message ?? String(e)).split('\n')[0].replace(/^internal error: /, '');
    io.stderr.write(
      `cnn-slicer: internal error: ${message}. This is a bug in CNN Slicer: ` +
        (verbose ? 'please report it with the stack below\n' : 'run again with --verbose to see where it happened, and report it\n'),
    );
    if (verbose) io.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  // Before any thread can start ONNX Runtime, and inherited by the child of the malloc tuning.
  keepOrtTelemetryOff();
  // `measure` lets V8's heap grow further between major collections (heapTuning.ts).
  tuneHeap(args);
  // `report`, `query` and `findings` run again in a child with malloc tuned for their layers (mallocTuning.ts);
  // if that child cannot start, here as it is.
  const run = wantsMallocTuning(args) ? runWithMallocTuning(process.argv[1], args).catch(() => main(args)) : main(args);
  void run.then((code) => {
    process.exitCode = code;
  });
}
