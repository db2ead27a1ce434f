/**
 * When the command started, for the bounds a user times from the shell (`report --max-seconds`).
 * `report`, `query` and `findings` run again in a child process with malloc tuned
 * (mallocTuning.ts): the child starts Node and loads the CLI a second time, half a second that the
 * user's clock counts and the child's does not. The first process hands its start to the child in
 * {@link COMMAND_START_VARIABLE}.
 */

/** The environment variable holding the first process's start, in milliseconds since the epoch (`performance.timeOrigin`). */
export const COMMAND_START_VARIABLE = 'CNN_SLICER_COMMAND_START';

/** The most a handed-down start may lie before this process's own: more is not this command's (a variable left in a shell). */
const MOST_BEFORE_MS = 60_000;

/**
 * The command's start in milliseconds since the epoch: the first process's where it handed one down
 * ({@link COMMAND_START_VARIABLE}: a number at most a minute before this process started, and not
 * after it), else this process's own start.
 */
export function commandStartedAt(env: NodeJS.ProcessEnv = process.env, ownStart = performance.timeOrigin): number {
  const raw = env[COMMAND_START_VARIABLE];
  const handed = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(handed) && handed <= ownStart && ownStart - handed <= MOST_BEFORE_MS ? handed : ownStart;
}
