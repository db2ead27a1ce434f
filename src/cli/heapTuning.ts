/**
 * `cnn-slicer measure` lets V8's old generation grow by a factor of 4 between major collections
 * (`--heap-growing-percent=300`, the top of the range V8 picks from by itself).
 *
 * A measure keeps its layers in typed arrays, outside the JavaScript heap, so the heap itself is
 * small (about 22 MB live). V8 sets the next collection's limit at the live size times a factor it
 * picks from its collections' speed, here about 1.5: 12 MB of room, less than the young
 * generation's capacity, and V8 then starts an incremental marking each time it checks the limit.
 * A ResNet-50 epoch at 224×224 (probe 100) ran about 300 major collections, 4–7 s of concurrent
 * marking. With the factor at 4 the limit sits near 90 MB: 80 collections, 3.5 s less CPU and 2 s
 * less wall time (29.6–30.0 → 27.7–28.0 s, alternately, quiet machine), the same peak memory;
 * the CIFAR ResNet-18 epoch is unchanged within noise (its pass worker's heap behaves the same).
 * The bench's `--only deep` section measures it.
 *
 * The flag is set at run time (`v8.setFlagsFromString`): V8 reads it each time it computes a limit,
 * for every thread of the process. A user's own `--heap-growing-percent` (in Node's flags or
 * NODE_OPTIONS) is left as it is.
 */
import { setFlagsFromString } from 'node:v8';
import { withoutVerbose } from './options';

export const MEASURE_HEAP_FLAG = '--heap-growing-percent=300';

/** The commands whose JavaScript heap is small beside their layers: the others run with V8's defaults. */
const TUNED_COMMANDS = new Set(['measure']);

/** Whether `cnn-slicer <args>` should set {@link MEASURE_HEAP_FLAG}, given Node's flags and environment. */
export function wantsHeapTuning(
  args: readonly string[],
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const name = withoutVerbose(args)[0];
  const own = [...execArgv, env.NODE_OPTIONS ?? ''].some((a) => /--heap[-_]growing[-_]percent/.test(a));
  return name !== undefined && TUNED_COMMANDS.has(name) && !own;
}

/** Sets {@link MEASURE_HEAP_FLAG} for the commands that want it; returns whether it did. */
export function tuneHeap(args: readonly string[], set: (flags: string) => void = setFlagsFromString): boolean {
  if (!wantsHeapTuning(args)) return false;
  set(MEASURE_HEAP_FLAG);
  return true;
}
