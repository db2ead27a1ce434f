/**
 * Every common CNN building block trains on the WASM backend (tiny models, one per layer kind),
 * and `checkTrainingKernels` (src/tfjs/trainingCheck.ts) finds what cannot train before a run
 * starts: it falls back to the CPU kernel for a kernel the WASM backend lacks, or names the layer.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { seededRandom } from '../../../src/analysis/random';
import { initBackend } from '../../../src/tfjs/backend';
import { withTfjsRandom } from '../../../src/tfjs/tfjsRandom';
import { checkTrainingKernels, TrainingKernelError } from '../../../src/tfjs/trainingCheck';
import { registerWasmTrainingKernels } from '../../../src/tfjs/wasmKernels';
import { createModel as createFashionBn } from '../../fixtures/models/fashionBn';

type Tf = typeof tfjs;
type LayerFactory = (tf: Tf) => tfjs.layers.Layer[];

const CLASSES = 3;

/** A sequential model: `layers` on an input of `inputShape`, then flatten and a softmax. */
function sequentialModel(tf: Tf, inputShape: number[], layers: tfjs.layers.Layer[]): tfjs.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape }));
  for (const layer of layers) model.add(layer);
  if ((model.outputs[0].shape.length ?? 0) > 2) model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: CLASSES, activation: 'softmax' }));
  return model;
}

const image = [8, 8, 2];
const sequence = [10, 3];
const LAYER_KINDS: { name: string; inputShape: number[]; layers: LayerFactory; ids?: number }[] = [
  {
    name: 'depthwiseConv2d (multiplier 2, stride 2)',
    inputShape: image,
    layers: (tf) => [tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })],
  },
  {
    name: 'separableConv2d + globalAveragePooling2d',
    inputShape: image,
    layers: (tf) => [tf.layers.separableConv2d({ kernelSize: 3, filters: 4, activation: 'relu' }), tf.layers.globalAveragePooling2d({})],
  },
  {
    name: 'conv1d + maxPooling1d + globalAveragePooling1d',
    inputShape: sequence,
    layers: (tf) => [
      tf.layers.conv1d({ kernelSize: 3, filters: 4 }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.globalAveragePooling1d({}),
    ],
  },
  {
    name: 'conv1d causal, dilations 1, 2 and 4 (a temporal convolutional network)',
    inputShape: sequence,
    layers: (tf) => [1, 2, 4].map((dilationRate) => tf.layers.conv1d({ kernelSize: 2, filters: 4, padding: 'causal', dilationRate })),
  },
  {
    name: 'conv2d dilated 2, with and without activation',
    inputShape: image,
    layers: (tf) => [
      tf.layers.conv2d({ kernelSize: 3, filters: 4, dilationRate: 2, padding: 'same', activation: 'relu' }),
      tf.layers.conv2d({ kernelSize: 2, filters: 2, dilationRate: [1, 2] }),
    ],
  },
  { name: 'embedding', inputShape: [6], layers: (tf) => [tf.layers.embedding({ inputDim: 20, outputDim: 4 })], ids: 20 },
  {
    name: 'conv2d + batchNormalization',
    inputShape: image,
    layers: (tf) => [tf.layers.conv2d({ kernelSize: 3, filters: 4 }), tf.layers.batchNormalization({})],
  },
  {
    name: 'zeroPadding2d + upSampling2d + averagePooling2d',
    inputShape: image,
    layers: (tf) => [
      tf.layers.zeroPadding2d({ padding: 1 }),
      tf.layers.upSampling2d({ size: [2, 2] }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
    ],
  },
  {
    name: 'activations relu6, elu, leakyReLU, prelu, softmax',
    inputShape: image,
    layers: (tf) => [
      tf.layers.conv2d({ kernelSize: 3, filters: 4, activation: 'relu6' }),
      tf.layers.elu({}),
      tf.layers.leakyReLU({}),
      tf.layers.prelu({}),
      tf.layers.softmax({ axis: -1 }),
    ],
  },
  {
    name: 'dropout',
    inputShape: image,
    layers: (tf) => [tf.layers.conv2d({ kernelSize: 3, filters: 4 }), tf.layers.dropout({ rate: 0.5 })],
  },
  {
    name: 'cropping2D + conv2dTranspose + globalMaxPooling2d',
    inputShape: image,
    layers: (tf) => [
      tf.layers.cropping2D({ cropping: 1 }),
      tf.layers.conv2dTranspose({ kernelSize: 3, filters: 4, strides: 2 }),
      tf.layers.globalMaxPooling2d({}),
    ],
  },
  {
    name: 'activations selu, sigmoid, tanh, softplus, softsign, swish, mish, hardSigmoid',
    inputShape: image,
    layers: (tf) => [
      tf.layers.conv2d({ kernelSize: 3, filters: 4, activation: 'selu' }),
      tf.layers.activation({ activation: 'sigmoid' }),
      tf.layers.activation({ activation: 'tanh' }),
      tf.layers.activation({ activation: 'softplus' }),
      tf.layers.activation({ activation: 'softsign' }),
      tf.layers.activation({ activation: 'swish' }),
      tf.layers.activation({ activation: 'mish' }),
      tf.layers.activation({ activation: 'hardSigmoid' }),
    ],
  },
  {
    name: 'averagePooling1d + layerNormalization',
    inputShape: sequence,
    layers: (tf) => [tf.layers.averagePooling1d({ poolSize: 2 }), tf.layers.layerNormalization({})],
  },
  { name: 'simpleRNN', inputShape: sequence, layers: (tf) => [tf.layers.simpleRNN({ units: 4 })] },
];

describe('training kernels on the WASM backend', function () {
  this.timeout(60_000);
  let tf: Tf;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
  });

  async function trainTwoEpochs(model: tfjs.LayersModel, ids?: number, optimizer: string = 'adam'): Promise<number[]> {
    const random = seededRandom(5);
    const inputShape = model.inputs[0].shape.slice(1) as number[];
    const count = 12;
    const values = Float32Array.from({ length: count * inputShape.reduce((a, b) => a * b, 1) }, () =>
      ids === undefined ? random() : Math.floor(random() * ids),
    );
    const x = tf.tensor(values, [count, ...inputShape]);
    const y = tf.oneHot(
      tf.tensor1d(
        Int32Array.from({ length: count }, (_, i) => i % CLASSES),
        'int32',
      ),
      CLASSES,
    );
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    tf.dispose([x, y]);
    return history.history.loss as number[];
  }

  describe('every common layer kind trains, and the check finds nothing to fall back on', function () {
    for (const kind of LAYER_KINDS) {
      it(kind.name, async function () {
        await tf.setBackend('wasm');
        const model = sequentialModel(tf, kind.inputShape, kind.layers(tf));
        assert.deepEqual(checkTrainingKernels(tf, model), { cpuFallbacks: [], notes: [] });
        const losses = await trainTwoEpochs(model, kind.ids);
        assert.ok(losses.every(Number.isFinite), `losses ${JSON.stringify(losses)}`);
        model.dispose();
      });
    }

    for (const optimizer of ['sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const) {
      it(`conv2d + batchNormalization + maxPooling2d with the ${optimizer} optimiser`, async function () {
        await tf.setBackend('wasm');
        const model = sequentialModel(tf, image, [
          tf.layers.conv2d({ kernelSize: 3, filters: 4 }),
          tf.layers.batchNormalization({}),
          tf.layers.maxPooling2d({ poolSize: 2 }),
        ]);
        const losses = await trainTwoEpochs(model, undefined, optimizer);
        assert.ok(losses.every(Number.isFinite), `losses ${JSON.stringify(losses)}`);
        model.dispose();
      });
    }

    it('a graph model with add, concatenate, multiply, average, maximum and minimum branches', async function () {
      const input = tf.input({ shape: image });
      const a = tf.layers.conv2d({ kernelSize: 3, filters: 4, padding: 'same' }).apply(input) as tfjs.SymbolicTensor;
      const b = tf.layers.conv2d({ kernelSize: 1, filters: 4 }).apply(input) as tfjs.SymbolicTensor;
      const sum = tf.layers.add().apply([a, b]) as tfjs.SymbolicTensor;
      const merged = [tf.layers.multiply(), tf.layers.average(), tf.layers.maximum(), tf.layers.minimum()].map(
        (layer) => layer.apply([a, b]) as tfjs.SymbolicTensor,
      );
      const joined = tf.layers.concatenate().apply([sum, a, ...merged]) as tfjs.SymbolicTensor;
      const pooled = tf.layers.globalAveragePooling2d({}).apply(joined) as tfjs.SymbolicTensor;
      const output = tf.layers.dense({ units: CLASSES, activation: 'softmax' }).apply(pooled) as tfjs.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: output });
      assert.deepEqual(checkTrainingKernels(tf, model), { cpuFallbacks: [], notes: [] });
      assert.ok((await trainTwoEpochs(model)).every(Number.isFinite));
      model.dispose();
    });
  });

  describe('checkTrainingKernels', function () {
    it("leaves the weights (batch normalisation moving statistics included) and the run's seeded random stream as they were", function () {
      const model = createFashionBn();
      const before = model.getWeights().map((w) => Array.from(w.dataSync()));
      const next = withTfjsRandom(seededRandom(42), () => {
        checkTrainingKernels(tf, model);
        return Math.random();
      });
      assert.equal(next, seededRandom(42)(), "the check drew from the run's random source");
      const after = model.getWeights().map((w) => Array.from(w.dataSync()));
      assert.deepEqual(after, before);
      model.dispose();
    });

    it('names every layer that cannot train and what each lacks, in one line: a forward pass (causal Conv2D) or a gradient (thresholdedReLU)', function () {
      const model = sequentialModel(tf, image, [
        tf.layers.conv2d({ kernelSize: 3, filters: 4, padding: 'causal', name: 'causal2d' }),
        tf.layers.conv2d({ kernelSize: 3, filters: 4, dilationRate: 2, name: 'dilated' }),
        tf.layers.thresholdedReLU({ name: 'gate' }),
      ]);
      assert.throws(
        () => checkTrainingKernels(tf, model),
        (e: unknown) => {
          assert.ok(TrainingKernelError.is(e));
          assert.equal(e.layerName, 'causal2d');
          assert.deepEqual(e.layerNames, ['causal2d', 'gate']);
          assert.equal(e.code, 'model');
          assert.match(
            e.message,
            /^2 layers cannot be trained on the wasm backend: layer 'causal2d' \(Conv2D\): TensorFlow.js cannot compute its output \(its forward pass fails\) \(.*CAUSAL.*\); layer 'gate' \(ThresholdedReLU\): TensorFlow.js has no gradient for it on any backend \(.*\); change, replace or remove them$/,
          );
          assert.ok(!e.message.includes('\n'), 'the message is one line');
          return true;
        },
      );
      model.dispose();
    });

    it('names a thresholdedReLU layer, which has no gradient in tfjs 4.22', function () {
      const model = sequentialModel(tf, image, [
        tf.layers.conv2d({ kernelSize: 3, filters: 4 }),
        tf.layers.thresholdedReLU({ name: 'gate' }),
      ]);
      assert.throws(() => checkTrainingKernels(tf, model), /^TrainingKernelError: layer 'gate' \(ThresholdedReLU\) cannot be trained/);
      model.dispose();
    });

    it("falls back to the CPU backend's kernel for a kernel the WASM backend lacks, with a note naming the layer, and the model then trains", async function () {
      await tf.setBackend('wasm');
      // The stock WASM backend lacks UnsortedSegmentSum; CNN Slicer registers one. Taking it away
      // again reproduces the stock situation.
      tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
      try {
        const model = sequentialModel(tf, [6], [tf.layers.embedding({ inputDim: 20, outputDim: 4, name: 'words' })]);
        const check = checkTrainingKernels(tf, model);
        assert.deepEqual(check.cpuFallbacks, ['UnsortedSegmentSum']);
        assert.equal(check.notes.length, 1);
        assert.match(
          check.notes[0],
          /no 'UnsortedSegmentSum' kernel, which training layer 'words' \(Embedding\) needs: it runs on the CPU backend's kernel/,
        );
        const losses = await trainTwoEpochs(model, 20);
        assert.ok(losses.every(Number.isFinite));
        model.dispose();
      } finally {
        tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
        registerWasmTrainingKernels(tf);
      }
    });
  });
});
