/**
 * What one `cnn-slicer` command is, in one place: its name, its lines in the main `--help`'s
 * command list, its own `--help`, its options and file arguments, and what it runs. The table of
 * them (`COMMANDS` in index.ts) is the command line: main.ts looks a command up in it and runs it,
 * and the main `--help`'s command list is drawn from it. Adding a command: docs/queries.md,
 * "Adding a command".
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { choicesInWords } from '../../contract/recordSettings';
import { commandLineError } from '../options';
import type { CliStreams } from '../streams';
import { HELP_ASKED, UsageError } from '../usage';

/** A `node:util` parseArgs options object. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** The values parseArgs gives for the options `O`, typed by them. */
export type OptionValues<O extends CommandOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>['values'];

/** One entry of the main `--help`'s command list: the command as typed, and what it does. */
export interface CommandLine {
  readonly usage: string;
  readonly what: string;
}

export interface CommandContext {
  /** --verbose was given (main.ts takes it out of the arguments). */
  readonly verbose: boolean;
  /** Where the command writes: its answer on stdout, its notes and progress on stderr (main.ts's streams). */
  readonly io: CliStreams;
}

/** What running a command gives: its exit code (none: 0), or HELP_ASKED when its arguments ask for its help. */
export type CommandResult = number | void | typeof HELP_ASKED;

/** A command as the table holds it. */
export interface Command {
  /** The word after `cnn-slicer` (for a kind, the word after its group's). */
  readonly name: string;
  /** Its lines in the main `--help`'s command list, in order. */
  readonly lines: readonly CommandLine[];
  /** What `cnn-slicer <name> --help` prints. */
  readonly help: string;
  /** A group's kinds (`entropy intra`), each a command of its own. */
  readonly kinds?: readonly Command[];
  /**
   * The options it takes, the very object its arguments are parsed with (--help/-h among them); a
   * group has none of its own, its kinds have theirs. Its help names each (test/unit/cli/commands.test.ts).
   */
  readonly options?: CommandOptions;
  /**
   * Runs it on the arguments after its name. A command defined with `defineCommand` has them parsed
   * from its `options` and `positionals`; one that parses its own arguments (`record`, `query`, …)
   * returns HELP_ASKED for --help, and the help printed is still this descriptor's.
   */
  readonly run: (argv: string[], context: CommandContext) => Promise<CommandResult>;
}

/** A command whose arguments the CLI parses: its options, --help/-h, and exactly `positionals` file arguments. */
export interface ParsedCommand<O extends CommandOptions> {
  readonly name: string;
  readonly lines: readonly CommandLine[];
  readonly help: string;
  /** Its options (--help/-h is added); any other option is refused in one line. */
  readonly options: O;
  /** How many file arguments it takes. */
  readonly positionals: number;
  readonly run: (
    args: { values: OptionValues<O>; positionals: string[] },
    context: CommandContext,
  ) => Promise<CommandResult> | CommandResult;
}

/** A descriptor whose options the CLI parses, as the table holds it (its options' types kept while it is written). */
export function defineCommand<O extends CommandOptions>(c: ParsedCommand<O>): Command {
  const options: CommandOptions = { ...c.options, help: { type: 'boolean', short: 'h' } };
  return {
    name: c.name,
    lines: c.lines,
    help: c.help,
    options,
    run: async (argv, context) => {
      let parsed: { values: Record<string, unknown>; positionals: string[] };
      try {
        parsed = parseArgs({
          args: argv,
          options,
          allowPositionals: true,
          strict: true,
        });
      } catch (e) {
        throw commandLineError(e, '--help');
      }
      if (parsed.values.help) return HELP_ASKED;
      if (parsed.positionals.length !== c.positionals) {
        throw new UsageError(
          `expected ${c.positionals} file argument${c.positionals === 1 ? '' : 's'}, got ${parsed.positionals.length} (see --help)`,
        );
      }
      return c.run({ values: parsed.values as unknown as OptionValues<O>, positionals: parsed.positionals }, context);
    },
  };
}

/** A command of kinds (`entropy intra|channels|inter`), each kind a command of its own. */
export interface CommandGroup {
  readonly name: string;
  readonly kinds: readonly Command[];
  /** What `cnn-slicer <name> --help` prints; default: every kind's help. */
  readonly help?: string;
  /** Without a kind, its help is printed before the one line that says a kind is needed. */
  readonly helpWithoutKind: boolean;
}

/** A group as the table holds it: its lines are its kinds', and it runs the kind named first. */
export function defineGroup(g: CommandGroup): Command {
  const help = g.help ?? g.kinds.map((k) => k.help).join('\n\n');
  const names = choicesInWords(g.kinds.map((k) => k.name));
  return {
    name: g.name,
    lines: g.kinds.flatMap((k) => k.lines),
    help,
    kinds: g.kinds,
    run: async ([kind, ...rest], context) => {
      if (kind === '--help' || kind === '-h') return HELP_ASKED;
      if (kind === undefined) {
        if (g.helpWithoutKind) context.io.stdout.write(help + '\n');
        throw new UsageError(`${g.name} needs a kind: ${names}`);
      }
      const command = g.kinds.find((k) => k.name === kind);
      if (!command) throw new UsageError(`unknown ${g.name} kind "${kind}"; use ${names}`);
      return runCommand(command, rest, context);
    },
  };
}

/** Runs `command` on `argv`, printing its help when they ask for it; its exit code. */
export async function runCommand(command: Command, argv: string[], context: CommandContext): Promise<number> {
  const result = await command.run(argv, context);
  if (result === HELP_ASKED) {
    context.io.stdout.write(command.help + '\n');
    return 0;
  }
  return result ?? 0;
}

/** The column the main `--help`'s descriptions start at. */
const WHAT_COLUMN = 55;

/** The main `--help`'s command list: one line a command line, its description at a column (below a long one). */
export function commandList(table: readonly Command[]): string[] {
  return table.flatMap((c) =>
    c.lines.flatMap(({ usage, what }) => {
      const head = `  ${usage}`;
      return head.length + 2 <= WHAT_COLUMN ? [head.padEnd(WHAT_COLUMN) + what] : [head, ' '.repeat(WHAT_COLUMN) + what];
    }),
  );
}
