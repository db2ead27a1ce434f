/**
 * Known answers of the Taylor estimate (src/tfjs/taylor.ts): on a two-layer model, −a · ∂loss/∂a
 * summed by hand in plain JS; the label carrier ranked first; a model's graph walk giving what its
 * sequential twin gives; every channel of a PyTorch run (ONNX, channels first) finite.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../../src/analysis';
import type { RunLayer, RunManifest } from '../../../src/contract/runFormat';
import { readProbe } from '../../../src/run/probe';
import { scoredOutput } from '../../../src/service/ablation';
import { initBackend } from '../../../src/tfjs/backend';
import { loadCheckpoint } from '../../../src/tfjs/forward';
import { TAYLOR_CHUNK, taylorChunk, taylorEstimates } from '../../../src/tfjs/taylor';
import { createModel as labelCarrier } from '../../fixtures/models/labelCarrier';

const PYTORCH_RUN = resolve(__dirname, '../../fixtures/pytorch-run/20261125-222759-tiny-lenet');

/** The run layer table of a sequential model (its input, then each layer), channels last. */
function runLayers(model: tf.LayersModel): RunLayer[] {
  const input = model.inputs[0].shape.slice(1) as number[];
  return [
    { index: 0, name: 'input', className: 'InputLayer', outputShape: input, channels: input.at(-1)!, parameters: 0 },
    ...model.layers
      .filter((l) => l.getClassName() !== 'InputLayer')
      .map((l, k) => {
        const shape = (l.outputShape as number[]).slice(1);
        return { index: k + 1, name: l.name, className: l.getClassName(), outputShape: shape, channels: shape.at(-1)!, parameters: 0 };
      }),
  ];
}

/** A 1×1 convolution of 3 filters with ReLU on [2, 2, 1] inputs, flattened, into a 2-class softmax; seeded weights. */
function twoLayer(functional = false): tf.LayersModel {
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'conv' });
  const flat = tf.layers.flatten({ name: 'flat' });
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' });
  let model: tf.LayersModel;
  if (functional) {
    const x = tf.input({ shape: [2, 2, 1] });
    model = tf.model({ inputs: x, outputs: out.apply(flat.apply(conv.apply(x))) as tf.SymbolicTensor });
  } else {
    const s = tf.sequential();
    s.add(tf.layers.inputLayer({ inputShape: [2, 2, 1] }));
    [conv, flat, out].forEach((l) => s.add(l));
    model = s;
  }
  const random = seededRandom(7);
  const draw = (n: number) => Array.from({ length: n }, () => 2 * random() - 1);
  conv.setWeights([tf.tensor4d(draw(3), [1, 1, 1, 3]), tf.tensor1d(draw(3))]);
  out.setWeights([tf.tensor2d(draw(24), [12, 2]), tf.tensor1d(draw(2))]);
  return model;
}

/** A residual graph: two 3×3 convolutions on [6, 6, 2] inputs, the second's output added to the first's, into a 2-class softmax; seeded weights. */
function residual(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 2] });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a' });
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' });
  const sum = tf.layers.add({ name: 'sum' });
  const relu = tf.layers.activation({ activation: 'relu', name: 'relu' });
  const flat = tf.layers.flatten({ name: 'flat' });
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' });
  const ya = a.apply(x) as tf.SymbolicTensor;
  const y = out.apply(flat.apply(relu.apply(sum.apply([ya, b.apply(ya) as tf.SymbolicTensor])))) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: y, name: 'residual' });
  const random = seededRandom(5);
  const draw = (n: number) => Array.from({ length: n }, () => 2 * random() - 1);
  a.setWeights([tf.tensor4d(draw(72), [3, 3, 2, 4]), tf.tensor1d(draw(4))]);
  b.setWeights([tf.tensor4d(draw(144), [3, 3, 4, 4]), tf.tensor1d(draw(4))]);
  out.setWeights([tf.tensor2d(draw(144 * 2), [144, 2]), tf.tensor1d(draw(2))]);
  return model;
}

describe('taylor: the first-order Taylor estimate of channel importance', function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend('wasm');
    await tf.ready();
  });

  const N = 20;
  const random = seededRandom(3);
  const inputs = Float32Array.from({ length: N * 4 }, () => 2 * random() - 1);
  const labels = Int32Array.from({ length: N }, (_, i) => i % 2);

  /** The estimates of the two-layer model, by hand: conv c, flat unit i, output class k. */
  function byHand(model: tf.LayersModel): { conv: number[]; flat: number[]; out: number[] } {
    const [w, b] = model
      .getLayer('conv')
      .getWeights()
      .map((t) => Array.from(t.dataSync()));
    const [W, B] = model
      .getLayer('out')
      .getWeights()
      .map((t) => Array.from(t.dataSync()));
    const conv = [0, 0, 0];
    const flat = new Array<number>(12).fill(0);
    const out = [0, 0];
    for (let x = 0; x < N; x++) {
      // a[p·3 + c] = relu(w_c · input_p + b_c), flattened as the model flattens [2, 2, 3].
      const a = Array.from({ length: 12 }, (_, i) => Math.max(0, w[i % 3] * inputs[x * 4 + Math.floor(i / 3)] + b[i % 3]));
      const z = [0, 1].map((k) => B[k] + a.reduce((t, v, i) => t + v * W[i * 2 + k], 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const p = e.map((v) => v / (e[0] + e[1]));
      const y = labels[x];
      // ∂loss/∂z = p − onehot(y); ∂loss/∂a_i = Σ_k W[i][k] (p_k − [k = y]); ∂loss/∂p_k = −[k = y] / p_y.
      const ga = a.map((_, i) => [0, 1].reduce((t, k) => t + W[i * 2 + k] * (p[k] - (k === y ? 1 : 0)), 0));
      a.forEach((v, i) => {
        conv[i % 3] -= (v * ga[i]) / N;
        flat[i] -= (v * ga[i]) / N;
      });
      out[y] -= (p[y] * (-1 / p[y])) / N;
    }
    return { conv, flat, out };
  }

  const close = (got: ArrayLike<number>, want: readonly number[], what: string) => {
    assert.equal(got.length, want.length, what);
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${got[i]} against ${want[i]} by hand`);
  };

  it('equals −activation × gradient summed by hand on a two-layer model, for every layer', async () => {
    const model = twoLayer();
    const layers = runLayers(model);
    const est = await taylorEstimates({ tf, model, layers, inputs, labels, count: N, output: { layer: 3, kind: 'softmax' } });
    assert.deepEqual([...est.keys()], [1, 2, 3]);
    const hand = byHand(model);
    close(est.get(1)!, hand.conv, 'conv');
    close(est.get(2)!, hand.flat, 'flat');
    // The output's class k: the share of inputs labelled k (p_k · ∂(−ln p_y)/∂p_k is −1 where k = y, else 0).
    close(est.get(3)!, hand.out, 'out');
    close(est.get(3)!, [0.5, 0.5], 'out');
    assert.ok(
      hand.conv.some((v) => Math.abs(v) > 1e-3),
      'the fixture has channels that matter',
    );
  });

  it('gives the same numbers when the inputs run in chunks of one, and for a subset of layers', async () => {
    const model = twoLayer();
    const layers = runLayers(model);
    const output = { layer: 3, kind: 'softmax' as const };
    const whole = await taylorEstimates({ tf, model, layers, inputs, labels, count: N, output });
    const bytes = TAYLOR_CHUNK.bytes;
    // Every chunk one input: the model's layers hold 4 + 12 + 12 + 2 values an input.
    TAYLOR_CHUNK.bytes = 4 * 30;
    try {
      assert.equal(taylorChunk(layers), 1);
      const ones = await taylorEstimates({ tf, model, layers, inputs, labels, count: N, output });
      for (const l of [1, 2, 3]) close(ones.get(l)!, Array.from(whole.get(l)!), `layer ${l} in chunks of one`);
    } finally {
      TAYLOR_CHUNK.bytes = bytes;
    }
    const only = await taylorEstimates({ tf, model, layers, inputs, labels, count: N, output, targets: [1] });
    assert.deepEqual([...only.keys()], [1]);
    close(only.get(1)!, Array.from(whole.get(1)!), 'conv alone');
  });

  it('gives each layer the same numbers, bit for bit, when its pass gates that layer alone (sequential and residual graph)', async () => {
    // channelImportance reads a layer's estimates from the every-layer pass when it is cached and
    // from a pass of that layer alone otherwise: its answer must not depend on which it found.
    for (const model of [twoLayer(), residual()]) {
      const layers = runLayers(model);
      const out = layers.length - 1;
      const count = 40;
      const per = layers[0].outputShape.reduce((a, b) => a * b, 1);
      const random = seededRandom(11);
      const x = Float32Array.from({ length: count * per }, () => 2 * random() - 1);
      const y = Int32Array.from({ length: count }, (_, i) => i % 2);
      const o = { tf, model, layers, inputs: x, labels: y, count, output: { layer: out, kind: 'softmax' as const } };
      const whole = await taylorEstimates(o);
      for (let l = 1; l <= out; l++) {
        const alone = await taylorEstimates({ ...o, targets: [l] });
        assert.deepEqual(Array.from(alone.get(l)!), Array.from(whole.get(l)!), `${model.name} layer ${l} (${layers[l].name})`);
      }
    }
  });

  it('walks a graph model as its sequential twin runs, to the same numbers', async () => {
    const sequential = twoLayer();
    const functional = twoLayer(true);
    const output = { layer: 3, kind: 'softmax' as const };
    const a = await taylorEstimates({ tf, model: sequential, layers: runLayers(sequential), inputs, labels, count: N, output });
    const b = await taylorEstimates({ tf, model: functional, layers: runLayers(functional), inputs, labels, count: N, output });
    for (const l of [1, 2, 3]) close(b.get(l)!, Array.from(a.get(l)!), `layer ${l}`);
  });

  it('ranks the label carrier first and the unread channel last, at exactly 0', async () => {
    const model = labelCarrier();
    const layers = runLayers(model);
    const n = 100;
    const x = new Float32Array(n * 4);
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    for (let i = 0; i < n; i++) x.fill(y[i] ? 1 : -1, i * 4, i * 4 + 4);
    const est = (await taylorEstimates({ tf, model, layers, inputs: x, labels: y, count: n, output: { layer: 3, kind: 'softmax' } })).get(
      1,
    )!;
    const ranking = [0, 1, 2].sort((a, b) => Math.abs(est[b]) - Math.abs(est[a]));
    assert.deepEqual(ranking, [0, 1, 2]);
    assert.equal(Math.abs(est[2]), 0);
    // Zeroing a channel the label flows through raises the loss: both estimates are positive.
    assert.ok(est[0] > 0 && est[1] > 0, `estimates ${Array.from(est).join(', ')}`);
  });

  it('gives a finite estimate for every channel of every layer of a PyTorch run (ONNX, channels first)', async () => {
    const manifest = JSON.parse(readFileSync(join(PYTORCH_RUN, 'manifest.json'), 'utf8')) as RunManifest;
    const probe = readProbe({ folder: PYTORCH_RUN, manifest });
    const model = await loadCheckpoint(tf, join(PYTORCH_RUN, 'checkpoints', 'epoch-0002'), manifest.layers);
    const output = scoredOutput(manifest);
    const est = await taylorEstimates({
      tf,
      model,
      layers: manifest.layers,
      inputs: probe.inputs,
      labels: probe.labels,
      count: probe.labels.length,
      output,
    });
    assert.deepEqual(
      [...est.keys()],
      manifest.layers.slice(1).map((l) => l.index),
    );
    for (const [l, values] of est) {
      const layer = manifest.layers[l];
      const channels =
        layer.dataFormat === 'channelsFirst' && layer.outputShape.length >= 2 ? layer.outputShape[0] : layer.outputShape.at(-1);
      assert.equal(values.length, channels, `${layer.name}: one estimate per channel`);
      assert.ok(
        values.every((v) => Number.isFinite(v)),
        `${layer.name}: ${Array.from(values).join(', ')}`,
      );
    }
    // A trained network's first convolution matters: some channel's estimate is away from 0.
    assert.ok(est.get(1)!.some((v) => Math.abs(v) > 1e-4));
  });
});
