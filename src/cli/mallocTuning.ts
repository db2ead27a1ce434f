/**
 * `cnn-slicer report` and `query` run with glibc's malloc told to map every allocation of 4 MiB or
 * more on its own (MALLOC_MMAP_THRESHOLD_), so that a freed layer's memory goes back to the system
 * at once; `findings` with 64 MiB (below).
 *
 * By default glibc raises that threshold each time a mapped block is freed (up to 32 MiB): after
 * the first layer buffers come and go, the next ones are carved out of malloc's heap, and what is
 * freed there stays resident, in holes between live blocks. A report allocates and frees thousands
 * of layer-sized buffers, so its resident memory climbed to the high-water mark of every phase and
 * stayed there. Measured on the bench's default reports (docs/views.md "Memory"): MobileNetV2
 * 1.75 → 1.53 GB, quarter-width ResNet-18 1.57 → 1.35 GB, in the same time; `cnn-slicer findings`
 * of the MobileNetV2 example 1.63 → 1.44 GB (with the commands' budgets, engineMemory.ts; glibc's
 * default against 4 MiB: `findings` now takes 64 MiB, below).
 *
 * And at most two arenas (MALLOC_ARENA_MAX): by default each thread that allocates (ONNX Runtime's
 * intra-op threads, the worker threads) gets a heap of its own, 64 MB reserved and partly resident
 * each; the CIFAR ResNet-18 report's peak went 1.68 → 1.52 GB with two, in the same time.
 *
 * `cnn-slicer findings` alone maps only blocks of 64 MiB or more: its forward pass, the copies the
 * compute workers read and the ablations' passes allocate and free layer-sized blocks one after the
 * other, and each block mapped on its own is fresh memory that the kernel maps and zeroes page by
 * page as it is first written (1.6 million page faults, 4 s of system time, in the findings of the
 * CIFAR ResNet-18 at probe 200, whose layers are 51 MB). Taken from malloc's heap instead, a block
 * reuses the memory of one freed before it. Measured alternately on that run (3 each, load ≈ 2):
 * 21.0–23.2 s wall (median 21.3), 4.0–4.8 s system time, 1,053–1,073 MB at 4 MiB; 17.9–20.9 s
 * (median 19.0), 1.6 s, 1,208–1,420 MB at 64 MiB (at 32 MiB, below those layers: 20.7–21.8 s).
 * The MobileNetV2 example (width 0.5, probe 200, 2 each): 39.4–40.4 s, 1,219–1,275 MB at 4 MiB;
 * 38.5–38.8 s, 1,261–1,348 MB at 64 MiB. A report keeps 4 MiB: its memory goal (1.5 GB) is the
 * tighter one, and at 64 MiB its peak went 1.4 → 1.7 GB. Blocks larger than the threshold (a
 * ResNet-50's layers at 224 × 224) are mapped either way.
 *
 * The variables are read once, when the process starts, so the CLI starts itself again with them
 * set (and passes on the signals that would stop it). Elsewhere than Linux, with the variable already
 * set (by the user, or by the first launch), or with `CNN_SLICER_SAME_PROCESS=1`, it runs as it is.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { COMMAND_START_VARIABLE, commandStartedAt } from './commandClock';
import { withoutVerbose } from './options';

/** The environment of `report` and `query`'s second launch. */
export const MALLOC_TUNING_ENV = { MALLOC_MMAP_THRESHOLD_: String(4 * 1024 ** 2), MALLOC_ARENA_MAX: '2' };

/** The environment of `findings`'s second launch: blocks under 64 MiB reused from malloc's heap. */
export const FINDINGS_MALLOC_TUNING_ENV = { MALLOC_MMAP_THRESHOLD_: String(64 * 1024 ** 2), MALLOC_ARENA_MAX: '2' };

/** The environment `cnn-slicer <args>` starts again with. */
export function mallocTuningEnv(args: readonly string[]): Record<string, string> {
  return withoutVerbose(args)[0] === 'findings' ? FINDINGS_MALLOC_TUNING_ENV : MALLOC_TUNING_ENV;
}

/** The commands that may allocate layers by the thousand (a deep model's findings): the others start as they are. */
const TUNED_COMMANDS = new Set(['report', 'query', 'findings']);

/** Whether `cnn-slicer <args>` should start again with its {@link mallocTuningEnv}. */
export function wantsMallocTuning(args: readonly string[], env: NodeJS.ProcessEnv = process.env, platform = process.platform): boolean {
  const name = withoutVerbose(args)[0];
  return (
    platform === 'linux' &&
    name !== undefined &&
    TUNED_COMMANDS.has(name) &&
    env.MALLOC_MMAP_THRESHOLD_ === undefined &&
    env.CNN_SLICER_SAME_PROCESS === undefined
  );
}

/**
 * Runs this CLI again as a child with its command's {@link mallocTuningEnv} (same Node, its flags but the
 * inspector's ({@link relaunchFlags}), same arguments, same standard streams) and resolves to its
 * exit code: 128 + the signal's number if a signal stopped it. SIGINT, SIGTERM and SIGHUP sent to
 * this process are passed on to the child, which answers them as the command does (a report stops
 * and exits).
 */
export function runWithMallocTuning(script: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...relaunchFlags(process.execArgv), script, ...args], {
      stdio: 'inherit',
      // The child's clock for --max-seconds starts with this process (commandClock.ts).
      env: { ...process.env, ...mallocTuningEnv(args), [COMMAND_START_VARIABLE]: String(commandStartedAt()) },
    });
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const s of signals) process.on(s, forward);
    const done = () => {
      for (const s of signals) process.off(s, forward);
    };
    child.once('error', (e) => {
      done();
      reject(e);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
    });
  });
}

/**
 * Node's flags for the second process: all but the inspector's, whose port the first process holds
 * (the second would warn and run without one; a debugger attached to the first sees the relaunch).
 */
export function relaunchFlags(execArgv: readonly string[]): string[] {
  return execArgv.filter((a) => !/^--(inspect(-brk|-wait)?|inspect-port|inspect-publish-uid|debug-port)(=|$)/.test(a));
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
