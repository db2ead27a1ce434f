// The two thread boundaries over src/rpc, from both ends: the compute pool and its workers
// (src/contract/protocols/compute.ts), the analysis service and its forward-pass worker
// (src/contract/protocols/forward.ts). Each worker refuses malformed requests with an error naming
// the problem and keeps working; each parent refuses malformed answers instead of using them, and
// a worker that exits fails its requests instead of leaving them pending.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { layerActivations } from '../../../src/analysis';
import { ComputePool } from '../../../src/compute/pool';
import { RpcError } from '../../../src/contract/messages';
import { recordRun } from '../../../src/recorder/record';
import { epochFolder } from '../../../src/run/paths';
import { ForwardHelper, shareFloat32 } from '../../../src/tfjs/forwardHelper';

const computeScript = resolve(__dirname, '../../../dist/computeWorker.js');
const forwardScript = resolve(__dirname, '../../../dist/forwardWorker.js');

interface Answer {
  type: string;
  id: number;
  result?: unknown;
  error?: { code: string; message: string };
}

/** A worker thread under test, with the answers it gave by id. */
function startWorker(script: string) {
  const worker = new Worker(script, { stderr: true });
  worker.stderr.resume();
  const answers = new Map<number, Answer>();
  worker.on('message', (m: Answer) => answers.set(m.id, m));
  const answerTo = async (id: number) => {
    for (let i = 0; i < 400 && !answers.has(id); i++) await new Promise((r) => setTimeout(r, 25));
    return answers.get(id);
  };
  return { worker, answerTo };
}

/** A stand-in worker that answers every request with `answer(id)` (JavaScript source). */
const fakeWorker = (answer: string) => `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => { const id = m.id; ${answer} });
`;

describe('thread boundaries over the typed channel', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    assert.ok(existsSync(computeScript) && existsSync(forwardScript), 'run npm run build first');
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-rpc-workers-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fake = (name: string, answer: string) => {
    const file = join(dir, `${name}.js`);
    writeFileSync(file, fakeWorker(answer));
    return file;
  };

  describe('compute worker', () => {
    it('refuses requests whose buffers are missing, of the wrong type or too short, and keeps working', async () => {
      const { worker, answerTo } = startWorker(computeScript);
      try {
        const n = 100;
        const d = 3;
        const samples = { n, d, type: 'float64', data: new SharedArrayBuffer(n * d * 8) };
        worker.postMessage(42);
        worker.postMessage({
          type: 'request',
          id: 1,
          method: 'distances/tiles',
          params: { samples: { ...samples, data: new SharedArrayBuffer(8) }, matrix: new SharedArrayBuffer(n * n * 8), tiles: [0, 0] },
        });
        worker.postMessage({
          type: 'request',
          id: 2,
          method: 'distances/tiles',
          params: { samples: { ...samples, data: new ArrayBuffer(n * d * 8) }, matrix: new SharedArrayBuffer(n * n * 8), tiles: [0, 0] },
        });
        worker.postMessage({
          type: 'request',
          id: 3,
          method: 'capacity/rows',
          params: { columns: [], rows: [], r0: 0, r1: 5, out: new SharedArrayBuffer(0) },
        });
        worker.postMessage({
          type: 'request',
          id: 4,
          method: 'distances/tiles',
          params: { samples, matrix: new SharedArrayBuffer(n * n * 8), tiles: [0, 0, 500, 0] },
        });
        const [one, two, three, four] = await Promise.all([1, 2, 3, 4].map(answerTo));
        assert.match(`${one?.error?.code}: ${one?.error?.message}`, /^bad-request: .*the samples buffer is shorter than n × d values/);
        assert.match(`${two?.error?.code}: ${two?.error?.message}`, /^bad-request: .*samples\.data: must be a SharedArrayBuffer/);
        assert.match(`${three?.error?.code}: ${three?.error?.message}`, /^bad-request: .*rows must be a range within the rows/);
        assert.match(`${four?.error?.code}: ${four?.error?.message}`, /^bad-request: .*tiles must be pairs of row origins below n/);
        // Still working: a well-formed request fills its tile of the shared matrix.
        const data = new Float64Array(samples.data);
        data.set([0, 0, 0, 3, 4, 0]);
        const matrix = new SharedArrayBuffer(n * n * 8);
        worker.postMessage({ type: 'request', id: 5, method: 'distances/tiles', params: { samples, matrix, tiles: [0, 0] } });
        assert.deepEqual(await answerTo(5), { type: 'result', id: 5, result: {} });
        assert.equal(new Float64Array(matrix)[1], 5);
      } finally {
        await worker.terminate();
      }
    });

    it('the pool refuses a worker answer whose buffers do not match their sizes', async () => {
      const script = fake(
        'shortCodes',
        `parentPort.postMessage({ type: 'result', id, result: { codes: [{ n: 10, bins: 4, codes: new SharedArrayBuffer(1), entropyBits: null, nonFiniteCount: 0 }] } });`,
      );
      const pool = new ComputePool({ workers: 2, workerScript: script, log: () => undefined });
      try {
        const layer = layerActivations([10, 2, 2, 4], new Float32Array(10 * 16));
        await assert.rejects(
          pool.capacityMatrix(layer, layer, { bins: 4 }),
          (e: unknown) =>
            RpcError.is(e, 'bad-response') &&
            /compute worker \d answered "capacity\/codes" with a malformed result \(codes\.0: the codes buffer is shorter/.test(
              (e as Error).message,
            ),
        );
      } finally {
        pool.close();
      }
    });

    it('the pool refuses garbage answers instead of waiting for them', async () => {
      const script = fake('garbage', `parentPort.postMessage({ id, done: 'maybe' });`);
      const log: string[] = [];
      const pool = new ComputePool({ workers: 2, workerScript: script, log: (l) => log.push(l) });
      try {
        const layer = layerActivations([10, 2, 2, 4], new Float32Array(10 * 16));
        await assert.rejects(pool.capacityMatrix(layer, layer, { bins: 4 }), (e: unknown) => RpcError.is(e, 'bad-response'));
        assert.match(log[0], /ignored a malformed message from compute worker \d/);
      } finally {
        pool.close();
      }
    });

    it('the pool fails the computation when a worker exits, and starts new workers for the next one', async () => {
      const script = fake('exits', `process.exit(3);`);
      const pool = new ComputePool({ workers: 2, workerScript: script });
      try {
        const layer = layerActivations([10, 2, 2, 4], new Float32Array(10 * 16));
        await assert.rejects(pool.capacityMatrix(layer, layer, { bins: 4 }), /compute worker \d stopped unexpectedly \(exit code 3\)/);
        await assert.rejects(pool.capacityMatrix(layer, layer, { bins: 4 }), /stopped unexpectedly/);
      } finally {
        pool.close();
      }
    });

    it('keeps a worker RangeError a RangeError', async () => {
      const script = fake(
        'rangeError',
        `parentPort.postMessage({ type: 'error', id, error: { code: 'range-error', message: 'bins must be at least 2' } });`,
      );
      const pool = new ComputePool({ workers: 2, workerScript: script });
      try {
        const layer = layerActivations([10, 2, 2, 4], new Float32Array(10 * 16));
        await assert.rejects(
          pool.capacityMatrix(layer, layer, { bins: 4 }),
          (e: unknown) => e instanceof RangeError && e.message === 'bins must be at least 2',
        );
      } finally {
        pool.close();
      }
    });
  });

  describe('forward-pass worker', () => {
    const layers = [
      { index: 0, name: 'input', className: 'InputLayer', outputShape: [2, 2, 1], channels: 1, parameters: 0 },
      { index: 1, name: 'dense', className: 'Dense', outputShape: [3], channels: 1, parameters: 15 },
    ];

    it('refuses malformed requests naming the problem, and keeps working', async () => {
      const { worker, answerTo } = startWorker(forwardScript);
      try {
        const base = {
          backend: 'cpu',
          checkpoint: join(dir, 'no-such-checkpoint'),
          layers,
          inputs: new SharedArrayBuffer(4 * 4 * 2),
          count: 2,
          last: 1,
          destinations: [],
        };
        worker.postMessage({ type: 'request', id: 1, method: 'forward', params: { ...base, inputs: new SharedArrayBuffer(4) } });
        worker.postMessage({
          type: 'request',
          id: 2,
          method: 'forward',
          params: { ...base, destinations: [{ index: 1, buffer: new SharedArrayBuffer(12), offset: 8, length: 3 }] },
        });
        worker.postMessage({ type: 'request', id: 3, method: 'forward', params: { ...base, backend: 'gpu-please' } });
        worker.postMessage({ type: 'request', id: 4, method: 'forward', params: { ...base, layers: [{ index: 0 }] } });
        worker.postMessage('garbage');
        const [one, two, three, four] = await Promise.all([1, 2, 3, 4].map(answerTo));
        assert.match(
          `${one?.error?.code}: ${one?.error?.message}`,
          /^bad-request: .*the inputs buffer is shorter than count inputs of the input shape/,
        );
        assert.match(`${two?.error?.code}: ${two?.error?.message}`, /^bad-request: .*a destination lies outside its buffer/);
        assert.match(`${three?.error?.code}: ${three?.error?.message}`, /^bad-request: .*backend: Invalid type/);
        assert.match(`${four?.error?.code}: ${four?.error?.message}`, /^bad-request: .*layers\.0\.name: is missing or not a string/);
        // A well-formed request gets to the work itself (here: a checkpoint that does not exist).
        worker.postMessage({ type: 'request', id: 5, method: 'forward', params: base });
        const five = await answerTo(5);
        assert.equal(five?.type, 'error');
        assert.match(five?.error?.message ?? '', /no-such-checkpoint/);
      } finally {
        await worker.terminate();
      }
    });

    it('keeps a checkpoint loaded while a pass uses it, however many others load meanwhile', async () => {
      // Four passes at once over four checkpoints: a worker that keeps two models must not dispose
      // one that a running pass still holds ("Layer ... is already disposed").
      const runs = join(dir, 'runs');
      const model = resolve(__dirname, '../../fixtures/models/multiFile.ts');
      const { folder, manifest } = await recordRun({
        modelFile: model,
        dataset: 'synthetic:120',
        epochs: 3,
        batchSize: 16,
        probeSize: 30,
        runsFolder: runs,
        k: 10,
        backend: 'wasm',
      });
      const count = 400;
      const inputShape = manifest.layers[0].outputShape;
      const per = inputShape.reduce((a, b) => a * b, 1);
      const inputs = shareFloat32(Float32Array.from({ length: count * per }, (_, i) => (i % 7) / 7));
      const helper = new ForwardHelper(forwardScript);
      try {
        const passes = manifest.epochs.map((epoch) =>
          helper.run({
            backend: 'wasm',
            checkpoint: join(folder, 'checkpoints', epochFolder(epoch)),
            layers: manifest.layers,
            inputs,
            count,
            last: manifest.layers.length - 1,
            destinations: [],
          }),
        );
        assert.equal(passes.length, 4);
        const outputs = await Promise.all(passes);
        for (const o of outputs) assert.equal(o.length, manifest.layers.length - 1);
      } finally {
        helper.close();
      }
    });

    const request = {
      backend: 'cpu' as const,
      checkpoint: '/x',
      layers,
      inputs: new SharedArrayBuffer(32),
      count: 2,
      last: 1,
      destinations: [],
    };

    it('the service refuses a malformed answer from the worker', async () => {
      const helper = new ForwardHelper(
        fake('badOutputs', `parentPort.postMessage({ type: 'result', id, result: { outputs: [{ index: 'one' }] } });`),
        () => undefined,
      );
      try {
        await assert.rejects(
          helper.run(request),
          (e: unknown) =>
            RpcError.is(e, 'bad-response') &&
            /the forward-pass worker answered "forward" with a malformed result \(outputs\.0\.index: Invalid type/.test(
              (e as Error).message,
            ),
        );
      } finally {
        helper.close();
      }
    });

    it('fails a pass when the worker exits, and a pass still running when the helper closes', async () => {
      const exits = new ForwardHelper(fake('forwardExits', `process.exit(4);`));
      await assert.rejects(exits.run(request), /the forward-pass worker stopped \(exit code 4\)/);
      exits.close();
      const mute = new ForwardHelper(fake('forwardMute', ``));
      const pass = mute.run(request);
      mute.close();
      await assert.rejects(pass, (e: unknown) => RpcError.is(e, 'closed'));
    });
  });
});
