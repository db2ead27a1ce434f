/**
 * Run by test/integration/tfjs/kernelThread.test.ts in a fresh process (a process sets its tfjs heap up
 * once): `plain` sets the WebAssembly backend up as everything but the recorder does and says
 * whether its heap is shared and why a kernel thread is refused; `shared` sets it up as the
 * recorder does and computes every split kernel (and trains a small CNN two epochs) without and
 * with a kernel thread, printing which outputs differ. One JSON line on stdout.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../src/tfjs/backend';
import { startKernelThread } from '../../src/tfjs/wasmTrainingInstances';
import { rng } from './reference';

type Tf = typeof tfjs;
type Engine = { runKernel(name: string, inputs: object, attrs: object): tfjs.Tensor };

/** Each split kernel's outputs on fixed random inputs. */
function kernelOutputs(tf: Tf): Float32Array[] {
  const random = rng(5);
  const t = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
      shape,
    );
  const engine = tf.engine() as unknown as Engine;
  const outputs: Float32Array[] = [];
  for (const [xs, fs, pad] of [
    [[32, 32, 32, 16], [3, 3, 16, 16], 'same'],
    [[13, 12, 12, 8], [5, 5, 8, 16], 'valid'],
    [[9, 28, 28, 1], [5, 5, 1, 8], 'valid'],
    [[7, 10, 10, 3], [3, 3, 3, 8], 'same'],
    [[6, 9, 9, 12], [3, 3, 12, 16], 'same'],
  ] as [number[], number[], 'valid' | 'same'][]) {
    const x = t(xs) as tfjs.Tensor4D;
    const f = t(fs) as tfjs.Tensor4D;
    const y = tf.conv2d(x, f, 1, pad);
    const dy = t(y.shape);
    const dw = engine.runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad, dataFormat: 'NHWC', filterShape: fs });
    const dx = engine.runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: 1, pad, dataFormat: 'NHWC', inputShape: xs });
    const pooled = tf.maxPool(x, 2, 2, 'valid');
    const dPool = t(pooled.shape);
    const dxPool = engine.runKernel('MaxPoolGrad', { dy: dPool, input: x, output: pooled }, { filterSize: 2, strides: 2, pad: 'valid' });
    for (const r of [y, dw, dx, dxPool]) outputs.push(r.dataSync() as Float32Array);
    tf.dispose([x, f, y, dy, dw, dx, pooled, dPool, dxPool]);
  }
  return outputs;
}

/** A small CNN's weights after two epochs of Adam from fixed weights. */
async function trainedWeights(tf: Tf): Promise<Float32Array[]> {
  const random = rng(9);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [14, 14, 1], filters: 8, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  const size = (shape: (number | null)[]) => shape.reduce<number>((a, b) => a * (b ?? 1), 1);
  model.setWeights(
    model.weights.map((w) =>
      tf.tensor(
        Float32Array.from({ length: size(w.shape) }, () => random() * 0.4 - 0.2),
        w.shape as number[],
      ),
    ),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const x = tf.tensor4d(
    Float32Array.from({ length: 96 * 196 }, () => random()),
    [96, 14, 14, 1],
  );
  const y = tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: 96 }, (_, i) => i % 4),
      'int32',
    ),
    4,
  );
  await model.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}

/** Indices of the arrays of `a` and `b` whose bits differ. */
function differing(a: Float32Array[], b: Float32Array[]): string[] {
  const bits = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return a.map((v, i) => (b[i] && bits(v) === bits(b[i]) ? '' : String(i))).filter(Boolean);
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const { tf } = await initBackend('wasm', undefined, { sharedHeap: mode === 'shared' });
  const backend = tf.backend() as BackendWasm;
  const shared = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer instanceof SharedArrayBuffer;
  if (mode !== 'shared') {
    let refusal = '';
    try {
      startKernelThread(backend).close();
    } catch (e) {
      refusal = (e as Error).message;
    }
    console.log(JSON.stringify({ shared, kernelThread: refusal }));
    return;
  }
  const alone = kernelOutputs(tf);
  const trainedAlone = await trainedWeights(tf);
  const thread = startKernelThread(backend);
  await thread.ready;
  const withThread = kernelOutputs(tf);
  const trainedWithThread = await trainedWeights(tf);
  const workerChunks = thread.workerChunks();
  thread.close();
  console.log(
    JSON.stringify({ shared, kernels: differing(alone, withThread), workerChunks, training: differing(trainedAlone, trainedWithThread) }),
  );
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
