/**
 * src/onnx/stableLayout.ts: the nodes ONNX Runtime's blocked layout would compute by where a segment
 * starts (a BatchNormalization, a GlobalAveragePool fed a run layer) rewritten to nodes that take one
 * layout by their own shape, with known constants. That the rewritten sessions give every layer the
 * same bits wherever the plan cuts is test/integration/native/nativeForward.test.ts's (it fails
 * without the rewrite).
 */
import assert from 'node:assert/strict';
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor } from '../../../src/onnx/graph';
import { BLOCKED_MAX_POSITIONS, blockedLayoutPays, stableLayoutRewrites } from '../../../src/onnx/stableLayout';

function floats(name: string, data: number[]): OnnxTensor {
  return { name, dataType: 'float32', dims: [data.length], data: Float32Array.from(data) };
}

function node(opType: string, inputs: string[], outputs: string[], attributes: [string, OnnxAttribute][] = []): OnnxNode {
  return { name: outputs[0], opType, domain: '', inputs, outputs, attributes: new Map(attributes) };
}

function graphOf(nodes: OnnxNode[], tensors: OnnxTensor[]): OnnxGraph {
  return {
    irVersion: 8,
    opsets: new Map([['', 14]]),
    opset: 14,
    producer: 'test',
    name: 'g',
    nodes,
    initializers: new Map(tensors.map((t) => [t.name, t])),
    inputs: [{ name: 'x', elementType: 'float32', shape: ['N', 16, 4, 5] }],
    outputs: [],
  };
}

/** BatchNormalization's four tensors for `channels`: γ = 2, β = 1, μ = 3, σ² = 3 (with ε = 1: scale 1, shift −2), channel 1 γ = 4 (scale 2, shift −5). */
function statistics(prefix: string, channels: number): OnnxTensor[] {
  const gamma = Array.from({ length: channels }, (_, c) => (c === 1 ? 4 : 2));
  return [
    floats(`${prefix}.g`, gamma),
    floats(`${prefix}.b`, new Array<number>(channels).fill(1)),
    floats(`${prefix}.m`, new Array<number>(channels).fill(3)),
    floats(`${prefix}.v`, new Array<number>(channels).fill(3)),
  ];
}

interface Written {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: { name: string; i?: number; ints?: number[] }[];
}

interface WrittenTensor {
  name: string;
  dims: number[];
  rawData: Uint8Array;
}

function valuesOf(tensors: readonly object[], name: string): { dims: number[]; data: number[] } {
  const t = (tensors as WrittenTensor[]).find((x) => x.name === name)!;
  return { dims: t.dims, data: [...new Float32Array(t.rawData.slice().buffer)] };
}

const bn = (input: string, prefix: string, output: string, attributes: [string, OnnxAttribute][] = [['epsilon', 1]]) =>
  node('BatchNormalization', [input, `${prefix}.g`, `${prefix}.b`, `${prefix}.m`, `${prefix}.v`], [output], attributes);

describe('stableLayout: nodes that compute the same bits wherever a segment starts', () => {
  it('a checkpoint runs blocked while no layer has a map past 256 positions (the input and vectors aside)', () => {
    const layers = (...shapes: number[][]) => shapes.map((outputShape) => ({ outputShape }));
    assert.equal(BLOCKED_MAX_POSITIONS, 256);
    assert.ok(blockedLayoutPays(layers([3, 32, 32], [64, 16, 16], [128, 8, 8], [10])));
    assert.ok(!blockedLayoutPays(layers([3, 32, 32], [64, 32, 32], [128, 8, 8], [10])));
    assert.ok(!blockedLayoutPays(layers([3, 224, 224], [64, 112, 112])));
    assert.ok(blockedLayoutPays(layers([784], [100], [10])));
  });

  it('a BatchNormalization over 16 channels fed a run layer becomes a depthwise 1×1 Conv with the folded scale and shift', () => {
    const graph = graphOf([bn('x', 'bn', 'y')], statistics('bn', 16));
    const rewrites = stableLayoutRewrites(graph, new Map([['x', [16, 4, 5]]]));
    const r = rewrites.get(0)!;
    const [conv] = r.nodes as Written[];
    assert.equal(r.nodes.length, 1);
    assert.equal(conv.opType, 'Conv');
    assert.deepEqual(conv.output, ['y']);
    assert.equal(conv.input[0], 'x');
    assert.equal(conv.attribute.find((a) => a.name === 'group')?.i, 16);
    assert.deepEqual(conv.attribute.find((a) => a.name === 'kernel_shape')?.ints, [1, 1]);
    const weight = valuesOf(r.initializers, conv.input[1]);
    const bias = valuesOf(r.initializers, conv.input[2]);
    assert.deepEqual(weight.dims, [16, 1, 1, 1]);
    assert.deepEqual(weight.data, [1, 2, ...new Array<number>(14).fill(1)]);
    assert.deepEqual(bias.dims, [16]);
    assert.deepEqual(bias.data, [-2, -5, ...new Array<number>(14).fill(-2)]);
  });

  it('over 8 channels (no multiple of every block size) it becomes a Mul and an Add by [C, 1, 1] constants', () => {
    const graph = graphOf([bn('x', 'bn', 'y')], statistics('bn', 8));
    const r = stableLayoutRewrites(graph, new Map([['x', [8, 4, 5]]])).get(0)!;
    const [mul, add] = r.nodes as Written[];
    assert.deepEqual(
      (r.nodes as Written[]).map((n) => n.opType),
      ['Mul', 'Add'],
    );
    assert.equal(mul.input[0], 'x');
    assert.equal(add.input[0], mul.output[0]);
    assert.deepEqual(add.output, ['y']);
    assert.deepEqual(valuesOf(r.initializers, mul.input[1]), { dims: [8, 1, 1], data: [1, 2, 1, 1, 1, 1, 1, 1] });
    assert.deepEqual(valuesOf(r.initializers, add.input[1]), { dims: [8, 1, 1], data: [-2, -5, -2, -2, -2, -2, -2, -2] });
  });

  it('the scale and shift are computed in float64 and rounded once; ε defaults to 1e-5', () => {
    const tensors = [floats('bn.g', [0.1]), floats('bn.b', [0.3]), floats('bn.m', [0.7]), floats('bn.v', [0.2])];
    const graph = graphOf([bn('x', 'bn', 'y', [])], tensors);
    const r = stableLayoutRewrites(graph, new Map([['x', [1, 4, 5]]])).get(0)!;
    const [mul, add] = r.nodes as Written[];
    const [g, b, m, v] = tensors.map((t) => t.data[0]);
    const scale = g / Math.sqrt(v + 1e-5);
    assert.deepEqual(valuesOf(r.initializers, mul.input[1]).data, [Math.fround(scale)]);
    assert.deepEqual(valuesOf(r.initializers, add.input[1]).data, [Math.fround(b - m * scale)]);
  });

  it('a GlobalAveragePool fed a run layer becomes an AveragePool whose window is the whole map', () => {
    const graph = graphOf([node('GlobalAveragePool', ['x'], ['y'])], []);
    const r = stableLayoutRewrites(graph, new Map([['x', [16, 4, 5]]])).get(0)!;
    const [pool] = r.nodes as Written[];
    assert.equal(pool.opType, 'AveragePool');
    assert.deepEqual(pool.input, ['x']);
    assert.deepEqual(pool.output, ['y']);
    assert.deepEqual(pool.attribute.find((a) => a.name === 'kernel_shape')?.ints, [4, 5]);
    assert.deepEqual(r.initializers, []);
  });

  it('leaves alone what never starts a segment or is not an inference BatchNormalization over maps', () => {
    const tensors = [...statistics('bn', 16), floats('w', [1])];
    const cases: [string, OnnxNode[], Map<string, readonly number[]>][] = [
      ['fed a value that is no run layer', [node('Relu', ['x'], ['r']), bn('r', 'bn', 'y')], new Map([['x', [16, 4, 5]]])],
      ['in training mode', [bn('x', 'bn', 'y', [['training_mode', 1]])], new Map([['x', [16, 4, 5]]])],
      ['over a vector (BatchNorm1d)', [bn('x', 'bn', 'y')], new Map([['x', [16]]])],
      ['with a statistic that is no constant', [node('Relu', ['x'], ['bn.m']), bn('x', 'bn', 'y')], new Map([['x', [16, 4, 5]]])],
      ['with statistics of another length', [bn('x', 'bn', 'y')], new Map([['x', [32, 4, 5]]])],
      ['a GlobalMaxPool (a maximum has one value in any order)', [node('GlobalMaxPool', ['x'], ['y'])], new Map([['x', [16, 4, 5]]])],
    ];
    for (const [what, nodes, shapes] of cases) {
      const graph = graphOf(
        nodes,
        tensors.filter((t) => !nodes.some((n) => n.outputs.includes(t.name))),
      );
      assert.equal(stableLayoutRewrites(graph, shapes).size, 0, what);
    }
  });
});
