/**
 * Entry point of the recorder child process (bundled to dist/recorder.js). The parent forks it,
 * waits for `recorder/hello`, sends the `record/start` request, and may cancel it. The process
 * exits when the run ends: 0 after completed or cancelled runs, 1 after a failure. The channel
 * checks every message against src/contract/protocols/recorder.ts; malformed ones are reported as log lines.
 */
import { NonFinitePredictionError, PairwiseSizeError } from '../analysis';
import { RunWriteError } from '../run/files';
import { RunFormatError } from '../contract/runFormat';
import { DatasetError } from '../data/dataset';
import { RpcChannel } from '../rpc/channel';
import { RpcError } from '../contract/messages';
import { processPort } from '../rpc/ports';
import { ModelError } from './modelLoader';
import {
  RECORDER_PROTOCOL_VERSION,
  RecordFailureData,
  recordEpoch,
  recorderHello,
  recordLog,
  recordProgress,
  recordRunFolder,
  recordStart,
} from '../contract/protocols/recorder';
import { recordRun } from './record';
import { keepOrtTelemetryOff } from '../native/ortTelemetry';

// Before the epoch measurer's threads can start ONNX Runtime (src/native/ortTelemetry.ts).
keepOrtTelemetryOff();

const channel: RpcChannel = new RpcChannel(processPort(), {
  peer: 'the parent process',
  log: (line) => channel.notify(recordLog, { line }),
});
let started = false;
let folder: string | undefined;

/** Ends the process once the answer that is being sent has left (the channel sends it after this microtask). */
function exitAfterAnswer(code: number): void {
  setImmediate(() => process.exit(code));
}

channel.onRequest(recordStart, async ({ protocolVersion, options }, { signal }) => {
  if (started) throw new RpcError('bad-request', 'this recorder is already recording a run; start another recorder for another run');
  started = true;
  if (protocolVersion !== RECORDER_PROTOCOL_VERSION) {
    exitAfterAnswer(1);
    throw new RpcError(
      'protocol',
      `recorder protocol ${RECORDER_PROTOCOL_VERSION} cannot serve a parent speaking ${protocolVersion}; reinstall CNN Slicer`,
    );
  }
  try {
    const r = await recordRun(
      { ...options, signal },
      {
        onProgress: (progress) => channel.notify(recordProgress, progress),
        onRunFolder: (f, manifest) => {
          folder = f;
          channel.notify(recordRunFolder, { folder: f, runId: manifest.id });
        },
        onEpoch: (metrics) =>
          channel.notify(recordEpoch, {
            epoch: metrics.epoch,
            trainLoss: metrics.trainLoss,
            probeAccuracy: metrics.probeAccuracy,
            recordMs: metrics.timingsMs.record,
          }),
        log: (line) => channel.notify(recordLog, { line }),
      },
    );
    exitAfterAnswer(0);
    return { folder: r.folder, status: r.manifest.status };
  } catch (e) {
    exitAfterAnswer(1);
    const data: RecordFailureData = { folder, location: ModelError.is(e) ? e.location : undefined };
    // A cancel before the run folder existed stops the loading: nothing was recorded, and the
    // abort's reason surfacing from a loader is not a failure.
    if (signal.aborted && folder === undefined) throw new RpcError('cancelled', 'cancelled before anything was recorded', data);
    // Problems the user can fix are told as they are; anything else is a bug, told with its stack.
    if (ModelError.is(e) || RunFormatError.is(e) || RunWriteError.is(e) || DatasetError.is(e) || NonFinitePredictionError.is(e))
      throw new RpcError(e.code, e.message, data);
    if (e instanceof RangeError || PairwiseSizeError.is(e)) throw new RpcError('bad-options', e.message, data);
    throw new RpcError('internal', `internal error: ${(e as Error)?.stack ?? String(e)}`, data);
  }
});

// A parent that goes away takes the recording with it, cleanly: closing the channel aborts the
// recording's signal, which finishes the batch and marks the run cancelled.
process.on('disconnect', () => channel.close());
// Ctrl-C in a terminal reaches the whole process group, this child too: the parent (the CLI)
// decides what it means — cancel after the current batch, or stop at once — and tells this
// process through the channel, so the signal itself is ignored here.
process.on('SIGINT', () => undefined);
channel.notify(recorderHello, { protocolVersion: RECORDER_PROTOCOL_VERSION, pid: process.pid });
