/**
 * A worker thread that measures a recorded epoch on one core while the recorder's thread trains the
 * next epoch on the other (bundled to dist/measureWorker.js; the caller's side is
 * measureWorkerClient.ts). It loads the epoch's weights from the checkpoint's bytes, runs the probe
 * set's forward pass and computes every summary of measure.ts — the same code as on the recording
 * thread, with the inter-sample entropies on this thread instead of the compute pool's workers, so
 * the measurement of one epoch takes one core and leaves the other to training.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type * as tfType from '@tensorflow/tfjs';
import { backendOfTfjsName } from '../contract/recordSettings';
import type { LayerEpochMetrics } from '../contract/runFormat';
import { RpcChannel } from '../rpc/channel';
import { threadPort } from '../rpc/ports';
import { initBackend } from '../tfjs/backend';
import { loadCheckpointBytes } from '../tfjs/forward';
import { MeasureContext, measureEpoch, measureInputLayer } from './measure';
import { measureCheckpoint, MeasureSetup, measureSetup, measureStart } from '../contract/protocols/measure';
import { OneThreadEntropies } from './oneThreadEntropies';
import { classScoresOf } from './classScores';

let context: { tf: typeof tfType; measure: Omit<MeasureContext, 'model'>; inputMetrics?: LayerEpochMetrics } | undefined;
/** The backend, started by `measure/start` (or by the setup, if it comes first). */
let backend: ReturnType<typeof initBackend> | undefined;

function startBackend(name: MeasureSetup['backend']): ReturnType<typeof initBackend> {
  return (backend ??= initBackend(backendOfTfjsName(name)));
}

async function setUp(setup: MeasureSetup): Promise<void> {
  const { tf } = await startBackend(setup.backend);
  context = {
    tf,
    measure: {
      tf,
      settings: setup.settings,
      layers: setup.layers,
      probeInputs: new Float32Array(setup.inputs),
      probeLabels: setup.labels,
      probeByClass: setup.byClass,
      classes: setup.classes,
      classScores: classScoresOf(setup.output, setup.classes),
      pool: new OneThreadEntropies(),
      timings: { forward: 0, channels: 0, inter: 0 },
    },
  };
  // The input layer's summaries (and the label pairs and input distance codes every layer reads)
  // do not change with the epoch: computed now, while the recorder writes the run folder and
  // serialises epoch 0, instead of inside epoch 0's measurement.
  context.inputMetrics = await measureInputLayer(context.measure);
}

/** Serves the recorder's measurement requests on `port`. */
export function serveMeasureRequests(port: ReturnType<typeof threadPort>): RpcChannel {
  return new RpcChannel(port, { peer: 'the recorder' })
    .onRequest(measureStart, async ({ backend: name }) => {
      await startBackend(name);
      return {};
    })
    .onRequest(measureSetup, async (setup) => {
      await setUp(setup);
      return {};
    })
    .onRequest(measureCheckpoint, async (req) => {
      if (!context) throw new Error('the measurement worker was asked to measure an epoch before it was set up');
      const { tf, measure } = context;
      const model = await loadCheckpointBytes(tf, req.modelJson, new Uint8Array(req.weights));
      try {
        const inputMetrics = req.inputMetrics ?? context.inputMetrics;
        return { metrics: await measureEpoch({ ...measure, model }, req.epoch, inputMetrics, req.part) };
      } finally {
        model.dispose();
      }
    });
}

/**
 * Gives this thread a lower scheduling priority than the recorder's (nice 10, Linux only): the two
 * threads have a core each, but the process has more threads than cores (V8's garbage collector
 * and compiler helpers, libuv's file writes), and whenever a third one runs the kernel shares the
 * cores evenly, slowing the training on the other thread as much as this measurement. With the
 * lower priority the measurement gives way instead: it has until the next epoch is trained, while
 * every moment training loses lengthens the recording.
 */
function giveWayToTraining(): void {
  try {
    // /proc/thread-self is "<pid>/task/<tid>"; setpriority(2) with a thread id sets that thread's nice value on Linux.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, 10);
  } catch {
    // Not Linux (no /proc/thread-self): the thread keeps the process's priority.
  }
}

if (parentPort) {
  giveWayToTraining();
  serveMeasureRequests(threadPort(parentPort));
}
