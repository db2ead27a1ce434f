import assert from 'node:assert/strict';
import { channelEntropies, layerActivations, layerValues, seededRandom } from '../../../src/analysis';
import { measureLabelInformation, labelInformationInputs } from '../../../src/measure/labelInformation';
import { deadChannels, IN_FLIGHT_BYTES, joinParts, measureEpoch, pipelineBytes, splitLayers } from '../../../src/measure/measure';
import { OneThreadEntropies, oneThreadInterSampleEntropies } from '../../../src/measure/oneThreadEntropies';
import { initBackend } from '../../../src/tfjs/backend';
import type { Tensor } from '@tensorflow/tfjs';
import type { EpochMetrics, LayerEpochMetrics, RunLayer, RunSettings } from '../../../src/contract/runFormat';

function layer(index: number, outputShape: number[]): RunLayer {
  return { index, name: `l${index}`, className: 'Dense', outputShape, channels: outputShape.at(-1)!, parameters: 0 };
}

describe('measuring an epoch in two parts on two threads (measure.ts splitLayers, joinParts)', () => {
  it('cuts the layers where the two parts have the most even work, the wide first layer alone against the rest', () => {
    // LeNet's layers: conv1 4,608 values per input, then 1,152, 1,024, 256, 256, 64, 10.
    const lenet = [[28, 28, 1], [24, 24, 8], [12, 12, 8], [8, 8, 16], [4, 4, 16], [256], [64], [10]].map((s, i) => layer(i, s));
    assert.equal(splitLayers(lenet, 500, 1000), 1);
    const even = [[4], [100], [100], [100], [100]].map((s, i) => layer(i, s));
    assert.equal(splitLayers(even, 500, 1000), 2);
  });

  it('does not cut a model of one layer', () => {
    assert.equal(splitLayers([layer(0, [4]), layer(1, [3])], 10, 5), undefined);
  });

  it("joins the first part's layers before the second's, with the second part's label measures and the phases summed", () => {
    const metrics = (layers: number[], probeAccuracy: number, forward: number): EpochMetrics => ({
      epoch: 3,
      trainLoss: null,
      trainAccuracy: null,
      probeLoss: probeAccuracy ? 0.5 : null,
      probeAccuracy,
      confusion: probeAccuracy ? [[1]] : [],
      hLabelGivenPred: [],
      hPredGivenLabel: [],
      layers: layers.map((l) => ({ layer: l }) as LayerEpochMetrics),
      timingsMs: { train: 0, record: 0, forward, channels: 1, inter: 2, labels: 3 },
    });
    const joined = joinParts(metrics([0, 1], 0, 10), metrics([2, 3], 0.9, 20));
    assert.deepEqual(
      joined.layers.map((l) => l.layer),
      [0, 1, 2, 3],
    );
    assert.equal(joined.probeAccuracy, 0.9);
    assert.deepEqual(joined.confusion, [[1]]);
    assert.deepEqual(joined.timingsMs, { train: 0, record: 0, forward: 30, channels: 2, inter: 4, labels: 6 });
  });
});

describe('a layer that repeats the values of the layer before it (measure.ts)', function () {
  this.timeout(120000);

  it('gets the vector summaries of the earlier layer, and its own channel summaries, the same as computed from its own values', async () => {
    const { tf } = await initBackend('cpu');
    const random = seededRandom(7);
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 2, activation: 'relu', name: 'conv' }));
    model.add(tf.layers.flatten({ name: 'flat' }));
    model.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
    const n = 60;
    const probeInputs = Float32Array.from({ length: n * 25 }, () => random());
    const probeLabels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const probeByClass = [0, 1, 2].map((c) => Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === c));
    const run = (index: number, name: string, outputShape: number[]): RunLayer => ({ ...layer(index, outputShape), name });
    const layers = [run(0, 'input', [5, 5, 1]), run(1, 'conv', [4, 4, 3]), run(2, 'flat', [48]), run(3, 'out', [3])];
    const settings = { bins: 16, k: 1000 } as RunSettings;
    const computed: number[] = [];
    const ctx = {
      tf,
      model,
      settings,
      layers,
      probeInputs,
      probeLabels,
      probeByClass,
      classes: 3,
      // Counts the layers whose inter-sample entropies are computed.
      pool: {
        interSampleEntropies: (...args: Parameters<OneThreadEntropies['interSampleEntropies']>) => {
          computed.push(args[2]);
          return new OneThreadEntropies().interSampleEntropies(...args);
        },
      },
      timings: { forward: 0, channels: 0, inter: 0 },
    };
    try {
      const metrics = await measureEpoch(ctx, 0, undefined);
      const flat = metrics.layers[2];
      // Computed from the flattened values themselves, as for any layer.
      const values = (model.getLayer('conv').apply(tf.tensor(probeInputs, [n, 5, 5, 1])) as Tensor).dataSync() as Float32Array;
      const activations = layerActivations([n, 48], values);
      const [all, ...perClass] = oneThreadInterSampleEntropies(values, n, 48, ['all', ...probeByClass], { k: 1000 });
      assert.equal(flat.interSampleBits, all.entropyBits);
      assert.deepEqual(
        flat.interSampleBitsPerClass,
        perClass.map((r) => r.entropyBits),
      );
      const labels = measureLabelInformation(
        activations,
        labelInformationInputs({ probeInputs, probeLabels, inputShape: [5, 5, 1], bins: settings.bins }),
      );
      assert.equal(flat.labelInformationBits, labels.labelInformationBits);
      assert.equal(flat.inputCapacityBits, labels.inputCapacityBits);
      assert.deepEqual(flat.binnedInformation, labels.binnedInformation);
      const channels = channelEntropies(activations, { bins: settings.bins, labels: probeLabels, classes: 3 });
      assert.deepEqual(flat.channelBits, channels.all);
      // Its channels are its own (one of 48 units), not the convolution's three of 16.
      assert.equal(metrics.layers[1].channelBits.length, 3);
      assert.equal(flat.channelBits.length, channels.channels);
      assert.notEqual(channels.channels, 3);
      // The vector summaries are the convolution's, which holds the same values: computed once, for it.
      assert.deepEqual(computed, [25, 48, 3]);
      assert.equal(flat.interSampleBits, metrics.layers[1].interSampleBits);
    } finally {
      model.dispose();
    }
  });
});

describe('the measurement pipeline (measure.ts measureEpoch)', function () {
  this.timeout(120000);

  /** Measures one epoch of a small convnet with a pool that answers late, counting the layers it holds at once. */
  async function measureHeld(inFlightBytes: number | undefined): Promise<{ metrics: EpochMetrics; mostHeld: number; wallMs: number }> {
    const { tf } = await initBackend('cpu');
    const random = seededRandom(11);
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
    model.add(tf.layers.flatten({ name: 'flat' }));
    model.add(tf.layers.dense({ units: 5, activation: 'relu', name: 'dense' }));
    model.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
    model.setWeights(
      model.getWeights().map((w) =>
        tf.tensor(
          Float32Array.from({ length: w.size }, () => random() - 0.5),
          w.shape,
        ),
      ),
    );
    const n = 48;
    const probeInputs = Float32Array.from({ length: n * 36 }, () => random());
    const probeLabels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const probeByClass = [0, 1, 2].map((c) => Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === c));
    const shapes = [[6, 6, 1], [4, 4, 4], [2, 2, 4], [16], [5], [3]];
    const layers = shapes.map((s, i) => ({ ...layer(i, s), name: ['input', 'conv', 'pool', 'flat', 'dense', 'out'][i] }));
    let held = 0;
    let mostHeld = 0;
    const ctx = {
      tf,
      model,
      settings: { bins: 16, k: 1000 } as RunSettings,
      layers,
      probeInputs,
      probeLabels,
      probeByClass,
      classes: 3,
      ...(inFlightBytes === undefined ? {} : { inFlightBytes }),
      // Answers each layer a few milliseconds late, as workers would, and counts the layers it holds.
      pool: {
        interSampleEntropies: async (...args: Parameters<OneThreadEntropies['interSampleEntropies']>) => {
          mostHeld = Math.max(mostHeld, ++held);
          await new Promise((resolve) => setTimeout(resolve, 30));
          held--;
          return new OneThreadEntropies().interSampleEntropies(...args);
        },
      },
      timings: { forward: 0, channels: 0, inter: 0 },
    };
    try {
      const start = performance.now();
      const metrics = await measureEpoch(ctx, 0, undefined);
      return { metrics, mostHeld, wallMs: performance.now() - start };
    } finally {
      model.dispose();
    }
  }

  it("hands small layers' inter-sample entropies on before the layer before them is finished, with the same results as one layer at a time", async () => {
    const pipelined = await measureHeld(undefined);
    const oneAtATime = await measureHeld(0);
    // The flatten repeats the pool's values and is not computed again: input, conv, pool, dense, out.
    assert.ok(pipelined.mostHeld >= 2, `held at most ${pipelined.mostHeld} layer(s) at once`);
    assert.equal(oneAtATime.mostHeld, 1);
    const { timingsMs: _a, ...a } = pipelined.metrics;
    const { timingsMs: _b, ...b } = oneAtATime.metrics;
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.layers.map((l) => l.layer),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(a.layers.every((l) => typeof l.interSampleBits === 'number'));
  });

  it('counts the time during which any layer computes its inter-sample entropies once, however many overlap', async () => {
    const { metrics, mostHeld, wallMs } = await measureHeld(undefined);
    assert.ok(mostHeld >= 2);
    // Summed layer by layer, overlapping layers would count the same milliseconds twice and could
    // exceed the measurement's own wall-clock time.
    const inter = metrics.timingsMs.inter ?? 0;
    assert.ok(inter > 0);
    assert.ok(inter <= wallMs, `inter ${inter} ms in ${wallMs} ms`);
  });

  it('budgets the values, their shared copy and the pair distances with their copy', () => {
    assert.equal(pipelineBytes(500 * 4608, 500), 2 * 500 * 4608 * 4 + 2 * 500 * 500 * 8);
    // A LeNet conv1 of 500 inputs fits the budget beside its successors; a CIFAR conv layer of 1,000 does not.
    assert.ok(pipelineBytes(500 * 4608, 500) + pipelineBytes(500 * 1152, 500) < IN_FLIGHT_BYTES);
    assert.ok(pipelineBytes(1000 * 32 * 32 * 32, 1000) > IN_FLIGHT_BYTES);
  });
});

describe('dead channels in either layout (measure.ts deadChannels)', () => {
  it('finds the channels that are 0 on every input, channels first as channels last', () => {
    // [N, C, H, W] = [3, 4, 2, 2]: channel 1 is 0 everywhere; channel 3 only at input 2, unit 3; channel 0 is -0.
    const [N, C, U] = [3, 4, 4];
    const first = new Float32Array(N * C * U).fill(0.5);
    for (let n = 0; n < N; n++) {
      first.fill(0, (n * C + 1) * U, (n * C + 2) * U);
      first.fill(0, (n * C + 3) * U, (n * C + 4) * U);
      first.fill(-0, (n * C + 0) * U, (n * C + 1) * U);
    }
    first[(2 * C + 3) * U + 3] = 1e-30;
    const inPlace = layerValues([N, C, 2, 2], first, 'channelsFirst');
    assert.deepEqual(deadChannels(inPlace), [0, 1]);
    const copy = layerActivations([N, C, 2, 2], first, 'channelsFirst');
    assert.deepEqual(deadChannels({ ...copy, channelsFirst: false }), [0, 1]);
  });

  it('a layer of no inputs has every channel dead, a vector its one channel', () => {
    assert.deepEqual(deadChannels(layerValues([0, 2, 1, 1], new Float32Array(0), 'channelsFirst')), [0, 1]);
    assert.deepEqual(deadChannels(layerValues([2, 3], new Float32Array([0, 0, 0, 0, 0, 2]))), []);
  });
});
