/**
 * The measurement of an epoch's checkpoint on the measurement worker (measureWorker.ts), so that
 * the recorder measures epoch t on a second core while its own thread trains epoch t + 1. The worker
 * loads a copy of the weights from the checkpoint's bytes (the live model keeps training), runs the
 * probe set's forward pass and computes every summary on its one thread: the recording thread does
 * no part of it, and the two threads together hold the two cores of a small machine.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RpcChannel } from '../rpc/channel';
import { workerPort } from '../rpc/ports';
import type { EpochMetrics, LayerEpochMetrics } from '../contract/runFormat';
import type { CheckpointFiles } from '../run/writer';
import { shareFloat32 } from '../tfjs/forwardHelper';
import type { LayerPart } from './measure';
import { measureCheckpoint, MeasureSetup, measureSetup, measureStart } from '../contract/protocols/measure';

/** The bundled worker next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveMeasureScript(): string | undefined {
  return [join(__dirname, 'measureWorker.js'), resolve(__dirname, '../../dist/measureWorker.js')].find((p) => existsSync(p));
}

/** What the worker is set up with, as the recorder holds it (the probe inputs are shared once). */
export type MeasureWorkerSetup = Omit<MeasureSetup, 'inputs'> & { inputs: Float32Array };

/** The measurement worker as the recording's measurement queue uses it (src/recorder/measurementQueue.ts): MeasureWorkerClient, or a fake in tests. */
export interface EpochWorker {
  measure(epoch: number, checkpoint: CheckpointFiles, inputMetrics: LayerEpochMetrics | undefined, part?: LayerPart): Promise<EpochMetrics>;
  close(): void;
}

/** The recorder's side of the measurement worker: starts it, sends it the probe set, has it measure epochs, stops it. */
export class MeasureWorkerClient implements EpochWorker {
  private readonly worker: Worker;
  private readonly channel: RpcChannel;
  private readonly started: Promise<unknown>;
  private ready?: Promise<unknown>;
  private closed = false;

  private constructor(script: string, backend: MeasureSetup['backend'], log?: (line: string) => void) {
    this.worker = new Worker(script);
    this.channel = new RpcChannel(workerPort(this.worker), { peer: 'the measurement worker', log });
    const fail = (e: Error) => this.channel.close(e);
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the measurement worker stopped (exit code ${code})`)));
    this.started = this.channel.request(measureStart, { backend });
    this.started.catch(() => undefined); // awaited by the setup
  }

  /**
   * Starts the measurement worker for a recording on `backend` (it loads its bundle and its own
   * backend meanwhile), or says why the recorder measures on its own thread: tfjs-node runs its
   * kernels on every core already (and is not known to be safe in a worker thread), and a build
   * without dist/measureWorker.js has no worker. `setUp` gives it the probe set once it is known.
   */
  static start(backend: MeasureSetup['backend'], log?: (line: string) => void): { client: MeasureWorkerClient } | { reason: string } {
    if (backend === 'tensorflow' || backend === 'tensorflow-gpu') return { reason: 'tfjs-node uses every core for each epoch already' };
    const script = resolveMeasureScript();
    if (!script) return { reason: 'dist/measureWorker.js was not found (run npm run build)' };
    return { client: new MeasureWorkerClient(script, backend, log) };
  }

  /** `start` and `setUp` at once. */
  static create(setup: MeasureWorkerSetup, log?: (line: string) => void): { client: MeasureWorkerClient } | { reason: string } {
    const made = MeasureWorkerClient.start(setup.backend, log);
    return 'client' in made ? made.client.setUp(setup) : made;
  }

  /** Sends the worker the probe set and what every measurement shares (once, before the first `measure`). */
  setUp(setup: MeasureWorkerSetup): { client: MeasureWorkerClient } {
    const inputs = shareFloat32(setup.inputs);
    this.ready = this.started.then(() => this.channel.request(measureSetup, { ...setup, inputs }));
    this.ready.catch(() => undefined); // awaited by each measurement
    return { client: this };
  }

  /** Every summary of the epoch whose weights `checkpoint` holds (or of `part` of its layers), measured on the worker. */
  async measure(
    epoch: number,
    checkpoint: CheckpointFiles,
    inputMetrics: LayerEpochMetrics | undefined,
    part?: LayerPart,
  ): Promise<EpochMetrics> {
    if (!this.ready) throw new Error('the measurement worker was asked to measure an epoch before it was set up');
    await this.ready;
    const weights = new SharedArrayBuffer(checkpoint.weights.byteLength);
    new Uint8Array(weights).set(checkpoint.weights);
    const answer = await this.channel.request(measureCheckpoint, { epoch, modelJson: checkpoint.modelJson, weights, inputMetrics, part });
    return answer.metrics;
  }

  /** Stops the worker (its memory, a TensorFlow.js backend of its own, goes with it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
    void this.worker.terminate();
  }
}
