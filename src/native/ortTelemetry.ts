/**
 * ONNX Runtime's own telemetry, kept off. onnxruntime-node 1.30's Linux build carries Microsoft's
 * 1DS telemetry: from the first session of a process it keeps a device id and an event database
 * under `~/.cache/Microsoft/DeveloperTools/.onnxruntime` (the runtime's version, the OS, each
 * session's runs and run times, the process's CPU time, peak memory and page faults, the execution
 * provider), queues them for upload to `mobile.events.data.microsoft.com`, and leaves an empty
 * `mat-debug-<pid>.log` in the temporary folder. CNN Slicer sends nothing anywhere
 * (docs/native-engine.md "ONNX Runtime's telemetry"): `ORT_DISABLE_TELEMETRY=1` turns all of that
 * off, and a value the user set is kept.
 *
 * The runtime reads the variable from the process's real environment, which only the main thread
 * writes (a worker thread's `process.env` is its own copy): each process entry that can load ONNX
 * Runtime, in any of its threads, calls {@link keepOrtTelemetryOff} first (src/cli/main.ts,
 * src/service/serviceProcess.ts, src/recorder/recorderProcess.ts, bench/bench.ts), and so does the
 * runtime's loader (src/native/ortRuntime.ts) on a main thread.
 */
import { isMainThread } from 'node:worker_threads';

/** The variable ONNX Runtime reads: `1` turns its telemetry off. */
export const ORT_TELEMETRY_VARIABLE = 'ORT_DISABLE_TELEMETRY';

/**
 * Sets `ORT_DISABLE_TELEMETRY=1` in this process's environment unless it is set already; on a
 * worker thread it can only check (its `process.env` does not reach the runtime). Returns whether
 * the variable is set in what this thread sees.
 */
export function keepOrtTelemetryOff(env: NodeJS.ProcessEnv = process.env, mainThread = isMainThread): boolean {
  if (env[ORT_TELEMETRY_VARIABLE] === undefined && mainThread) env[ORT_TELEMETRY_VARIABLE] = '1';
  return env[ORT_TELEMETRY_VARIABLE] !== undefined;
}
