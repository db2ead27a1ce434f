/**
 * Entry point of the recorder child process (bundled to dist/recorder.js). The parent forks it,
 * waits for `recorder/hello`, sends `record/start`, and may send `record/cancel`. The process exits
 * when the run ends: 0 after completed or cancelled runs, 1 after a failure.
 */
import { RunWriteError } from '../run/files';
import { RunFormatError } from '../run/format';
import { DatasetError } from '../data/dataset';
import { ModelError } from './modelLoader';
import { FromRecorder, parseToRecorder, RECORDER_PROTOCOL_VERSION } from './protocol';
import { recordRun } from './record';

function send(m: FromRecorder): void {
  process.send?.(m);
}

const controller = new AbortController();
let started = false;
let folder: string | undefined;

process.on('message', (raw) => {
  const m = parseToRecorder(raw);
  if (!m) {
    send({ type: 'record/log', line: `ignored a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}` });
    return;
  }
  switch (m.type) {
    case 'record/cancel':
      controller.abort();
      return;
    case 'record/start':
      if (started) return;
      started = true;
      if (m.protocolVersion !== RECORDER_PROTOCOL_VERSION) {
        send({ type: 'record/error', message: `recorder protocol ${RECORDER_PROTOCOL_VERSION} cannot serve a parent speaking ${m.protocolVersion}; reinstall CNN Slicer` });
        process.exit(1);
      }
      void recordRun(
        { ...m.options, signal: controller.signal },
        {
          onProgress: (progress) => send({ type: 'record/progress', progress }),
          onRunFolder: (f, manifest) => {
            folder = f;
            send({ type: 'record/runFolder', folder: f, runId: manifest.id });
          },
          onEpoch: (metrics) => send({ type: 'record/epoch', epoch: metrics.epoch, trainLoss: metrics.trainLoss, probeAccuracy: metrics.probeAccuracy, recordMs: metrics.timingsMs.record }),
          log: (line) => send({ type: 'record/log', line }),
        },
      ).then(
        (r) => {
          send({ type: 'record/done', folder: r.folder, status: r.manifest.status });
          process.exit(0);
        },
        (e: unknown) => {
          const known = ModelError.is(e) || RunFormatError.is(e) || RunWriteError.is(e) || e instanceof RangeError || DatasetError.is(e);
          send({
            type: 'record/error',
            message: known ? (e as Error).message : `internal error: ${(e as Error)?.stack ?? String(e)}`,
            folder,
            location: ModelError.is(e) ? e.location : undefined,
          });
          process.exit(1);
        },
      );
      return;
    default: {
      const never: never = m;
      void never;
    }
  }
});

// A parent that goes away takes the recording with it, cleanly: cancel, finish the batch, mark the run.
process.on('disconnect', () => controller.abort());
send({ type: 'recorder/hello', protocolVersion: RECORDER_PROTOCOL_VERSION, pid: process.pid });
