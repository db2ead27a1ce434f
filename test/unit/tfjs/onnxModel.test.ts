/**
 * PyTorch checkpoints run by the engine (src/tfjs/onnxModel.ts on src/onnx/plan.ts). Each fixture of
 * test/fixtures/onnx/ was exported by torch 1.13 with PyTorch's own forward pass beside it
 * (scripts/onnx-fixtures.py): the imported model's output is PyTorch's within 1e-5 as softmax, and
 * every layer the recorder names has PyTorch's shape and values (sums within 1e-4 relative).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeOnnx } from '../../../src/onnx/decode';
import { OnnxError } from '../../../src/onnx/graph';
import { planCheckpoint, planLayers, type LayerPlan, type PlanStep } from '../../../src/onnx/plan';
import { moduleOf } from '../../../src/onnx/planner';
import { buildPlanModel } from '../../../src/tfjs/onnxModel';

const FIXTURES = path.resolve(__dirname, '../../fixtures/onnx');

interface Facts {
  ops: string[];
  input: { dims: number[]; data: number[] };
  output: { dims: number[]; data: number[] };
  layers?: { name: string; className: string; outputShape: number[] }[];
  layerOutputs?: { name: string; first: number[]; sum: number; sumAbs: number }[];
}

function fixture(name: string): { facts: Facts; bytes: Uint8Array } {
  return {
    bytes: readFileSync(path.join(FIXTURES, `${name}.onnx`)),
    facts: JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Facts,
  };
}

function softmaxRows(data: ArrayLike<number>, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / classes; r++) {
    const row = Array.from({ length: classes }, (_, k) => data[r * classes + k]);
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / sum));
  }
  return out;
}

/** The largest difference of the softmax of two [N, K] outputs. */
function softmaxDistance(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): number {
  const [sa, sb] = [softmaxRows(a, classes), softmaxRows(b, classes)];
  return Math.max(...sa.map((v, i) => Math.abs(v - sb[i])));
}

function assertOutput(model: tf.LayersModel, facts: Facts): void {
  const x = tf.tensor(facts.input.data, facts.input.dims);
  const y = model.predict(x) as tf.Tensor;
  try {
    assert.deepEqual(y.shape, facts.output.dims);
    const got = y.dataSync();
    const distance = softmaxDistance(got, facts.output.data, facts.output.dims[1]);
    assert.ok(distance < 1e-5, `softmax differs by ${distance}`);
  } finally {
    tf.dispose([x, y]);
  }
}

describe('onnxModel: PyTorch checkpoints in the engine', () => {
  for (const name of ['lenet', 'residual']) {
    it(`${name} (named by module scope): the imported model gives PyTorch's output within 1e-5 (softmax)`, () => {
      const { bytes, facts } = fixture(name);
      const graph = decodeOnnx(bytes);
      // These two fixtures predate the recorder's named outputs: name each node's value by its module.
      const named = new Map(graph.nodes.filter((n) => moduleOf(n.name)).map((n) => [n.outputs[0], moduleOf(n.name)]));
      const model = buildPlanModel(tf, planLayers(graph, named, graph.outputs[0].name));
      assertOutput(model, facts);
      model.dispose();
    });
  }

  for (const name of ['vgg_bn', 'resnet', 'mobilenetv2', 'densenet', 'se', 'ops']) {
    it(`${name}: the channels-last twin the deconvolution walks gives each of its layers' values, moved channels last`, () => {
      const plan = planCheckpoint(decodeOnnx(fixture(name).bytes));
      const { facts } = fixture(name);
      const model = buildPlanModel(tf, plan);
      const twin = buildPlanModel(tf, plan, 'twin', 'channelsLast');
      try {
        const shared = facts.layers!.filter((l) => twin.layers.some((t) => t.name === l.name));
        // Every layer up to the first flatten or reshape of a map is in the twin: the convolutional part (up to
        // the channel shuffle of `ops`, its 7th layer).
        const expected = name === 'ops' ? 6 : facts.layers!.length / 2;
        assert.ok(shared.length >= expected, `${shared.length} of ${facts.layers!.length} layers in the twin`);
        const probe = (m: tf.LayersModel) =>
          tf.model({ inputs: m.inputs, outputs: shared.map((l) => m.getLayer(l.name).output as tf.SymbolicTensor) });
        const x = tf.tensor(facts.input.data, facts.input.dims);
        const own = probe(model).predict(x) as tf.Tensor[];
        const last = probe(twin).predict(tf.transpose(x, [0, 2, 3, 1])) as tf.Tensor[];
        shared.forEach((l, i) => {
          const moved = own[i].rank === 4 ? tf.transpose(own[i], [0, 2, 3, 1]) : own[i];
          assert.deepEqual(last[i].shape, moved.shape, l.name);
          const difference = tf.max(tf.abs(tf.sub(last[i], moved))).dataSync()[0];
          assert.ok(difference <= 1e-4, `${l.name}: ${difference}`);
        });
        tf.dispose([x, ...own, ...last]);
      } finally {
        model.dispose();
        twin.dispose();
      }
    });

    it(`${name}: PyTorch's output within 1e-5, and every recorded layer's shape and values`, () => {
      const { bytes, facts } = fixture(name);
      const model = buildPlanModel(tf, planCheckpoint(decodeOnnx(bytes)));
      try {
        assertOutput(model, facts);
        const layers = facts.layers!;
        const outputs = layers.map((l) => model.getLayer(l.name).output as tf.SymbolicTensor);
        layers.forEach((l, i) => assert.deepEqual(outputs[i].shape.slice(1), l.outputShape, l.name));
        const probe = tf.model({ inputs: model.inputs, outputs });
        const values = tf.tidy(() =>
          (probe.predict(tf.tensor(facts.input.data, facts.input.dims)) as tf.Tensor[]).map((t) => t.dataSync()),
        );
        for (const [i, expected] of facts.layerOutputs!.entries()) {
          const got = values[i];
          const sum = Array.from(got).reduce((a, b) => a + b, 0);
          const sumAbs = Array.from(got).reduce((a, b) => a + Math.abs(b), 0);
          const scale = Math.max(1, expected.sumAbs);
          assert.ok(Math.abs(sumAbs - expected.sumAbs) <= 1e-4 * scale, `${expected.name}: Σ|x| ${sumAbs} vs ${expected.sumAbs}`);
          assert.ok(Math.abs(sum - expected.sum) <= 1e-4 * scale, `${expected.name}: Σx ${sum} vs ${expected.sum}`);
          expected.first.forEach((v, k) => assert.ok(Math.abs(got[k] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${expected.name}[${k}]`));
        }
      } finally {
        model.dispose();
      }
    });
  }
  it('ChannelSlice takes channels begin .. begin + size, channels first and in the channels-last twin', () => {
    const piece: PlanStep = {
      name: 'right',
      layer: true,
      className: 'ChannelSlice',
      config: { begin: 1, size: 2 },
      inputs: ['input'],
      weights: [],
      outputShape: [2, 2, 2],
      channelsLast: { begin: 1, size: 2, channelsLast: true },
      node: '/Slice',
    };
    const plan: LayerPlan = { inputShape: [3, 2, 2], steps: [piece], output: piece, shapes: new Map() };
    const x = tf.tensor4d(
      Array.from({ length: 12 }, (_, i) => i),
      [1, 3, 2, 2],
    );
    for (const layout of ['channelsFirst', 'channelsLast'] as const) {
      const model = buildPlanModel(tf, plan, 'slice', layout);
      const input = layout === 'channelsFirst' ? x : tf.transpose(x, [0, 2, 3, 1]);
      const got = model.predict(input) as tf.Tensor;
      const want =
        layout === 'channelsFirst' ? x.slice([0, 1, 0, 0], [1, 2, 2, 2]) : tf.transpose(x.slice([0, 1, 0, 0], [1, 2, 2, 2]), [0, 2, 3, 1]);
      assert.deepEqual(got.arraySync(), want.arraySync(), layout);
      model.dispose();
    }
  });

  it('TorchLayerNorm normalises over the channels of each position, and ChannelScale scales each channel, in both layouts', () => {
    // Channels [1, 3] and [2, 2] at two positions: means 2 and 2, variances 1 and 0.
    const eps = 1e-6;
    const norm: PlanStep = {
      name: 'norm',
      layer: true,
      className: 'TorchLayerNorm',
      config: { epsilon: eps },
      inputs: ['input'],
      weights: [
        { shape: [2], data: Float32Array.from([2, 3]) },
        { shape: [2], data: Float32Array.from([0.5, 0]) },
      ],
      outputShape: [2, 1, 2],
      channelsLast: { epsilon: eps, channelsLast: true },
      node: '/norm/Add_1',
    };
    const scale: PlanStep = {
      name: 'scale',
      layer: true,
      className: 'ChannelScale',
      config: {},
      inputs: [norm],
      weights: [{ shape: [2], data: Float32Array.from([10, -1]) }],
      outputShape: [2, 1, 2],
      channelsLast: { channelsLast: true },
      node: '/Mul',
    };
    const plan: LayerPlan = { inputShape: [2, 1, 2], steps: [norm, scale], output: scale, shapes: new Map() };
    const x = tf.tensor4d([1, 2, 3, 2], [1, 2, 1, 2]);
    const r = 1 / Math.sqrt(1 + eps);
    // Position 0: (x − 2)·r = [−r, r], · [2, 3] + [0.5, 0], · [10, −1]; position 1: zeros, the bias, scaled.
    const want = [[[10 * (-2 * r + 0.5), 10 * 0.5]], [[-3 * r, -0]]];
    for (const layout of ['channelsFirst', 'channelsLast'] as const) {
      const model = buildPlanModel(tf, plan, 'ln', layout);
      const input = layout === 'channelsFirst' ? x : tf.transpose(x, [0, 2, 3, 1]);
      const out = model.predict(input) as tf.Tensor;
      const got = (layout === 'channelsFirst' ? out : tf.transpose(out, [0, 3, 1, 2])).arraySync() as number[][][][];
      got[0].flat(2).forEach((v, i) => assert.ok(Math.abs(v - want.flat(2)[i]) < 1e-5, `${layout} [${i}]: ${v} vs ${want.flat(2)[i]}`));
      model.dispose();
    }
  });

  it("TorchResize gives F.interpolate's values (torch 1.13): nearest and bilinear, by scale or size, align_corners, in both layouts", () => {
    // F.interpolate of this 1×1×3×4 map, as PyTorch computed it (6 decimals).
    const x = tf.tensor4d([0, 1, 4, 9, 2, -3, 5, 7, -1, 6, 8, -2], [1, 1, 3, 4]);
    const cases: [string, Record<string, unknown>, number[]][] = [
      [
        'nearest, size (5, 3)',
        { mode: 'nearest', size: [5, 3], scales: null, coordinates: 'asymmetric' },
        [0, 1, 4, 0, 1, 4, 2, -3, 5, 2, -3, 5, -1, 6, 8],
      ],
      [
        'bilinear, scale_factor 1.5',
        { mode: 'bilinear', size: [4, 6], scales: [1.5, 1.5], coordinates: 'half_pixel' },
        [
          0, 0.5, 1.5, 3.5, 6.5, 9, 1, 0, -0.083333, 3.583333, 6.25, 8, 1.5, 0, -0.333333, 4.333334, 5.5, 5.5, -0.5, 2, 5, 7, 3.499999,
          -0.5,
        ],
      ],
      [
        'bilinear, size (2, 7)',
        { mode: 'bilinear', size: [2, 7], scales: null, coordinates: 'half_pixel' },
        [0.5, 0.321429, 0.035714, 2.125, 4.553572, 6.982143, 8.5, -0.25, 1.178572, 3.464286, 5.5, 6.75, 2.749999, 0.25],
      ],
      // 3×4 by 0.5 is 1×2, read with PyTorch's ratio 2 (1 / scale_factor), not tfjs's in / out (3 and 2).
      ['bilinear, scale_factor 0.5', { mode: 'bilinear', size: [1, 2], scales: [0.5, 0.5], coordinates: 'half_pixel' }, [0, 6.25]],
      [
        'bilinear, align_corners, scale_factor 2 (first two rows)',
        { mode: 'bilinear', size: [6, 8], scales: [2, 2], coordinates: 'align_corners' },
        [
          0, 0.428571, 0.857143, 1.857143, 3.142857, 4.714286, 6.857143, 9, 0.8, 0.2, -0.4, 0.828572, 2.971429, 4.942857, 6.571429,
          8.200001,
        ],
      ],
    ];
    for (const [what, config, want] of cases) {
      const size = config.size as number[];
      const step: PlanStep = {
        name: 'up',
        layer: true,
        className: 'TorchResize',
        config,
        inputs: ['input'],
        weights: [],
        outputShape: [1, ...size],
        channelsLast: { ...config, channelsLast: true },
        node: '/up/Resize',
      };
      const plan: LayerPlan = { inputShape: [1, 3, 4], steps: [step], output: step, shapes: new Map() };
      for (const layout of ['channelsFirst', 'channelsLast'] as const) {
        const model = buildPlanModel(tf, plan, 'resize', layout);
        const out = model.predict(layout === 'channelsFirst' ? x : tf.transpose(x, [0, 2, 3, 1])) as tf.Tensor;
        assert.deepEqual(out.shape, layout === 'channelsFirst' ? [1, 1, ...size] : [1, ...size, 1], `${what}, ${layout}`);
        const got = out.dataSync();
        want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 2e-6, `${what}, ${layout} [${i}]: ${got[i]} vs ${v}`));
        tf.dispose(out);
        model.dispose();
      }
    }
    x.dispose();
  });

  it("Activation('gelu_new') gives F.gelu(x, approximate='tanh') (torch 1.13)", () => {
    const step: PlanStep = {
      name: 'act',
      layer: true,
      className: 'Activation',
      config: { activation: 'gelu_new' },
      inputs: ['input'],
      weights: [],
      outputShape: [7],
      channelsLast: { activation: 'gelu_new' },
      node: '/act/Mul_5',
    };
    const model = buildPlanModel(tf, { inputShape: [7], steps: [step], output: step, shapes: new Map() });
    const out = model.predict(tf.tensor2d([[-3, -1, -0.5, 0, 0.3, 1, 2.5]])) as tf.Tensor;
    const want = [-0.0036374, -0.158808, -0.154286, 0, 0.1853709, 0.841192, 2.4849157];
    const got = out.dataSync();
    want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-6, `[${i}]: ${got[i]} vs ${v}`));
    tf.dispose(out);
    model.dispose();
  });

  it('a step TensorFlow.js will not build is one OnnxError line naming the node, not an internal error', () => {
    const relu: PlanStep = {
      name: 'relu',
      layer: true,
      className: 'ReLU',
      config: {},
      inputs: ['input'],
      weights: [],
      outputShape: [2, 3, 3],
      channelsLast: {},
      node: '/relu/Relu',
    };
    // A Concatenate of one value, which tf.layers refuses (the plan passes such a Concat on instead).
    const cat: PlanStep = {
      name: 'cat',
      layer: true,
      className: 'Concatenate',
      config: { axis: 1 },
      inputs: [relu],
      weights: [],
      outputShape: [2, 3, 3],
      channelsLast: null,
      node: '/block/Concat',
    };
    const plan: LayerPlan = { inputShape: [2, 3, 3], steps: [relu, cat], output: cat, shapes: new Map() };
    assert.throws(
      () => buildPlanModel(tf, plan),
      (e: Error) => {
        assert.ok(OnnxError.is(e), String(e));
        assert.match(e.message, /^\/block\/Concat \(Concatenate\): TensorFlow\.js cannot build this step: /);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
  });
});
