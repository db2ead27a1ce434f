/**
 * The CLI's one error type (bad input: exit code 2, one line, no stack), the answer of a command
 * that parses its own arguments when they ask for its help, and `record`'s help. Every other help
 * text is its command's descriptor's (src/cli/commands/).
 */
import { CodedError, hasErrorCode } from '../analysis';
import { RECORD_SETTINGS, type RecordSettingTable, recordSettingsHelp } from '../contract/recordSettings';

export class UsageError extends CodedError {
  constructor(message: string) {
    super('usage', message, 'UsageError');
  }
  static is(e: unknown): e is UsageError {
    return hasErrorCode(e, 'usage');
  }
}

/**
 * What a command that parses its own arguments (`record`, `query`, …) returns when they ask for its
 * help: the CLI prints its descriptor's help (src/cli/commands/descriptor.ts).
 */
export const HELP_ASKED = Symbol('help asked');

/**
 * `record --help`, the `record` descriptor's help (src/cli/commands/runs.ts): its settings' lines
 * come from their table (src/contract/recordSettings.ts).
 */
export function recordHelp(table: RecordSettingTable = RECORD_SETTINGS): string {
  return `Usage: cnn-slicer record <model-file> [options]
       cnn-slicer record <run-folder> --control SPEC [options]

Trains the model defined in <model-file> (a .ts/.js module exporting createModel, or a
TensorFlow.js model.json) and records the run folder: checkpoints, probe set and per-epoch
entropies. Prints the run folder on stdout. Ctrl-C cancels after the current batch.
${recordSettingsHelp(table).join('\n')}
  --out DIR             runs folder (default: .cnnslicer/runs beside the model file)
  --model-timeout S     seconds the model file's factory may take to return its model, 1 to 86400
                        (default 60): a factory that never settles stops with a clear message
  --control SPEC        a control experiment for shortcuts of the run in <run-folder>: its model and
                        settings on the same probe, with border:N (keep an N-pixel border) |
                        mask-centre:F (zero the central fraction F) | shuffle-pixels | shuffle-labels
                        (options given override the run's; the run goes beside it; docs/control.md)
Every option is checked before anything is written. The model runs in a child process: the first
Ctrl-C cancels after the current batch (while loading, within 2 s), a second stops it at once
(exit code 130 when nothing finished). Model outputs holding NaN stop the recording with the
epochs before kept.`;
}
