/**
 * ONNX checkpoints cut into segments (src/onnx/segments.ts) on the torch 1.13 exports of
 * test/fixtures/onnx/: every node in one segment, the frontiers of residual and dense branches, the
 * cuts refused where a non-layer value is live, a huge layer alone, and each segment a model of its own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeOnnx } from '../../../src/onnx/decode';
import { OnnxError } from '../../../src/onnx/graph';
import {
  cutAt,
  encodeSegment,
  planSegments,
  segmentable,
  type Segment,
  type SegmentableModel,
  type SegmentLayer,
} from '../../../src/onnx/segments';

const FIXTURES = path.resolve(__dirname, '../../fixtures/onnx');

function bytesOf(name: string): Uint8Array {
  return readFileSync(path.join(FIXTURES, `${name}.onnx`));
}

/** The fixture's run layers: its input, then the layers its facts list (graph outputs named as the layers). */
function fixtureLayers(name: string): SegmentLayer[] {
  const facts = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as {
    input: { dims: number[] };
    layers?: SegmentLayer[];
  };
  if (facts.layers) return [{ name: 'input', outputShape: facts.input.dims.slice(1) }, ...facts.layers];
  // lenet and residual predate the named outputs: each node's value is a layer, of a made-up size.
  const input = { name: 'input', outputShape: facts.input.dims.slice(1) };
  const bare = segmentable(bytesOf(name), [input]);
  const values = bare.raw.graph.node.filter((_, i) => !bare.constant[i]).map((n) => n.output[0]);
  return [input, ...values.map((v) => ({ name: v, outputShape: [4, 8, 8] }))];
}

const FIXTURE_NAMES = ['lenet', 'residual', 'mobilenetv2', 'densenet'];

/** The bytes a segment holds per input, as the plan counts them (every layer wanted). */
function held(model: SegmentableModel, segment: Segment, end: number): number {
  const names = new Set([
    ...(segment.first === 0 ? [model.input] : model.frontiers[segment.first - 1]),
    ...(segment.last === end ? [] : model.frontiers[segment.last]),
    ...segment.layers.map((l) => model.layers[l].name),
  ]);
  return [...names].reduce((sum, name) => sum + (model.bytesOf.get(name) ?? 0), 0);
}

/** Checks what holds for every plan: consecutive segments, each node once, inputs from before, constants closed. */
function assertPlan(model: SegmentableModel, segments: readonly Segment[]): void {
  const nodes = model.raw.graph.node;
  const end = segments[segments.length - 1].last;
  assert.equal(segments[0].first, 0);
  segments.forEach((s, k) => {
    if (k > 0) assert.equal(s.first, segments[k - 1].last + 1, 'consecutive');
    const own = Array.from({ length: s.last - s.first + 1 }, (_, i) => s.first + i).filter((i) => !model.constant[i]);
    assert.deepEqual(s.nodes, own, `segment ${k}: its nodes are the non-constant nodes of its range`);
  });
  const covered = segments.flatMap((s) => s.nodes);
  assert.equal(new Set(covered).size, covered.length, 'each node in one segment');
  const available = new Set<string>([model.input, ...model.raw.graph.initializer.map((t) => t.name)]);
  for (const s of segments) {
    const inside = new Set<string>(s.inputs);
    for (const name of model.raw.graph.initializer.map((t) => t.name)) inside.add(name);
    for (const i of [...s.constants, ...s.nodes].sort((a, b) => a - b)) {
      for (const input of nodes[i].input) {
        if (!input) continue;
        assert.ok(inside.has(input), `segment ${s.first}..${s.last}: node ${i} reads ${input}, which is neither fed in nor made before it`);
      }
      for (const output of nodes[i].output) inside.add(output);
    }
    for (const input of s.inputs) assert.ok(available.has(input), `${input} is fed in before any segment made it`);
    for (const name of s.frontier) {
      assert.ok(model.bytesOf.has(name), `the frontier value ${name} is a run layer`);
      available.add(name);
    }
    for (const l of s.layers) assert.ok(s.nodes.includes(model.layerNode[l]), `layer ${l} is made in the segment that lists it`);
    if (s.last !== end) assert.ok(model.cuttable[s.last], `cut after node ${s.last} is allowed`);
  }
  const layers = segments.flatMap((s) => s.layers);
  assert.deepEqual(
    [...layers].sort((a, b) => a - b),
    model.layerNode.flatMap((node, l) => (l > 0 && node <= end ? [l] : [])),
    'every run layer up to the end in one segment',
  );
}

describe('segments: ONNX checkpoints cut into consecutive models', () => {
  for (const name of FIXTURE_NAMES) {
    describe(name, () => {
      const model = segmentable(bytesOf(name), fixtureLayers(name));
      const nodes = model.raw.graph.node;
      const lastNode = Math.max(...model.layerNode);

      it('within a large budget, the whole model is one segment that makes every layer', () => {
        const segments = planSegments(model, { budgetBytes: 1e12, count: 100 });
        assert.equal(segments.length, 1);
        assertPlan(model, segments);
        assert.equal(segments[0].last, lastNode);
        assert.deepEqual(segments[0].inputs, ['input']);
      });

      for (const budget of [1, 4096, 50_000, 400_000]) {
        it(`with a budget of ${budget} bytes for 10 inputs, the segments cover each node once and stay within it where a cut allows`, () => {
          const segments = planSegments(model, { budgetBytes: budget, count: 10 });
          assertPlan(model, segments);
          assert.equal(segments[segments.length - 1].last, lastNode);
          for (const [k, s] of segments.entries()) {
            if (held(model, s, lastNode) * 10 <= budget) continue;
            // Over the budget only when no shorter segment could be cut: the next allowed cut after its first node is its last.
            const computes = (i: number) => Array.from({ length: i - s.first + 1 }, (_, k) => s.first + k).some((k) => !model.constant[k]);
            const cuts = Array.from({ length: s.last - s.first }, (_, i) => s.first + i).filter((i) => model.cuttable[i] && computes(i));
            assert.deepEqual(cuts, [], `segment ${k} (${s.first}..${s.last}) is over the budget but could be cut at ${cuts.join(', ')}`);
          }
          if (budget === 1) assert.ok(segments.length > nodes.length / 4, `${segments.length} segments for ${nodes.length} nodes`);
        });
      }

      it('each segment encodes as an ONNX model of its own: its nodes, inputs and run layers, the initializers it reads', () => {
        const segments = planSegments(model, { budgetBytes: 50_000, count: 10 });
        assert.ok(segments.length > 1);
        const original = bytesOf(name).length;
        let total = 0;
        for (const s of segments) {
          const bytes = encodeSegment(model, s);
          total += bytes.length;
          const graph = decodeOnnx(bytes);
          assert.deepEqual(
            graph.inputs.map((v) => v.name),
            s.inputs,
          );
          for (const v of graph.inputs) assert.equal(v.shape?.[0], 'N', `${v.name}: the batch axis stays symbolic`);
          assert.deepEqual(
            graph.outputs.map((v) => v.name),
            s.layers.map((l) => model.layers[l].name),
          );
          // Each node once, or the nodes that replace it (stableLayout.ts).
          const written = [...s.nodes, ...s.constants].reduce((sum, i) => sum + (model.rewrites.get(i)?.nodes.length ?? 1), 0);
          assert.equal(graph.nodes.length, written);
          const read = new Set(graph.nodes.flatMap((n) => n.inputs));
          assert.deepEqual(
            [...graph.initializers.keys()].filter((t) => !read.has(t)),
            [],
            'no initializer it does not read',
          );
        }
        // Weights are written about once each (a few small ones, read on both sides of a cut, twice), plus each segment's graph.
        assert.ok(total < original * 1.2 + 300 * segments.length, `segments ${total} bytes, the model ${original}`);
      });
    });
  }

  it('residual: the frontier of a residual block holds the shortcut, and only run layers cross a cut', () => {
    const model = segmentable(bytesOf('residual'), fixtureLayers('residual'));
    // Node 5 is the block's convolution; the block's input (the first relu) waits for the Add and the Concat.
    assert.deepEqual([...model.frontiers[5]].sort(), ['/block/conv/Conv_output_0', '/relu/Relu_output_0']);
    assert.deepEqual([...model.frontiers[8]].sort(), ['/Add_output_0', '/relu/Relu_output_0']);
    assert.deepEqual(model.frontiers[12], []);
    const segments = planSegments(model, { budgetBytes: 1, count: 1 });
    const afterAdd = segments.find((s) => s.first === 9)!;
    assert.deepEqual([...afterAdd.inputs].sort(), ['/Add_output_0', '/relu/Relu_output_0']);
  });

  it('densenet: the concatenations keep their block input across cuts; a cut with a padding or a shape computation live is refused', () => {
    const model = segmentable(bytesOf('densenet'), fixtureLayers('densenet'));
    const at = (value: string) => model.raw.graph.node.findIndex((n) => n.output.includes(value));
    assert.deepEqual([...model.frontiers[at('dense1.0.conv1')]].sort(), ['conv1', 'dense1.0.conv1']);
    assert.deepEqual([...model.frontiers[at('dense1.1.relu-2')]].sort(), ['dense1.0.cat', 'dense1.1.relu-2']);
    assert.equal(model.cuttable[at('/model/trans1/Pad_output_0')], false, 'the Pad output is no run layer');
    assert.equal(model.cuttable[at('/model/Gather_output_0')], false, 'the Reshape shape is no run layer');
    assert.equal(model.cuttable[at('avg_pool2d')], true);
    const segments = planSegments(model, { budgetBytes: 1, count: 1 });
    const padded = segments.find((s) => s.layers.includes(model.layers.findIndex((l) => l.name === 'trans1.avg_pool2d')))!;
    assert.deepEqual(
      padded.nodes.map((i) => model.raw.graph.node[i].output[0]),
      ['/model/trans1/Pad_output_0', 'trans1.avg_pool2d'],
      'the Pad and its pooling in one segment',
    );
    assert.ok(padded.constants.length === 1, 'the Pad constant copied in');
    const reader = segments.find((s) => s.inputs.includes('conv1') && s.first > at('conv1') + 1);
    assert.ok(reader, 'conv1 is fed to the segment of the first concatenation');
  });

  it('a cut at a run layer (an ablation): fed the layer and the values live beside it, its nodes those the last layer needs', () => {
    const layers = fixtureLayers('resnet');
    const model = segmentable(bytesOf('resnet'), layers);
    const index = (name: string) => layers.findIndex((l) => l.name === name);
    const last = layers.length - 1;
    // Inside the first block: its shortcut (the stem's relu) is read beside the layer.
    const inner = cutAt(model, index('layer1.0.bn1'), last);
    assert.deepEqual(inner.sides, [index('relu')]);
    assert.equal(inner.readsLayer, true);
    assert.deepEqual(inner.segment.inputs, ['layer1.0.bn1', 'relu']);
    assert.equal(inner.segment.first, model.layerNode[index('layer1.0.bn1')] + 1);
    assert.ok(inner.segment.layers.includes(last) && !inner.segment.layers.includes(index('layer1.0.bn1')));
    // The projection shortcut: the main branch's last value beside it.
    const shortcut = cutAt(model, index('layer2.0.shortcut.1'), last);
    assert.deepEqual(shortcut.sides, [index('layer2.0.bn2')]);
    // A block's output: nothing beside it.
    assert.deepEqual(cutAt(model, index('layer2.0.relu-2'), last).sides, []);
    // Every node the cut runs comes after it, each needed by the last layer; it encodes as a model of its own.
    const nodes = model.raw.graph.node;
    for (const cut of [inner, shortcut]) {
      assert.ok(cut.segment.nodes.every((i) => i >= cut.segment.first && i <= cut.segment.last && !model.constant[i]));
      const decoded = decodeOnnx(encodeSegment(model, cut.segment));
      assert.deepEqual(
        decoded.inputs.map((v) => v.name),
        cut.segment.inputs,
      );
      assert.equal(nodes.length > cut.segment.nodes.length, true);
    }
    assert.throws(() => cutAt(model, last, index('layer1.0.bn1')), OnnxError);
  });

  it('a layer over the budget alone gets a segment of its own, and the rest stay whole around it', () => {
    const layers = fixtureLayers('mobilenetv2');
    const huge = layers.findIndex((l) => l.name === 'layers.1.conv2');
    layers[huge] = { ...layers[huge], outputShape: [32, 800, 800] };
    const model = segmentable(bytesOf('mobilenetv2'), layers);
    const segments = planSegments(model, { budgetBytes: 10e6, count: 10 });
    assertPlan(model, segments);
    const alone = segments.find((s) => s.layers.includes(huge))!;
    assert.deepEqual(alone.layers, [huge]);
    assert.ok(segments.length <= 4, `${segments.length} segments`);
  });

  it('with wanted layers, the plan stops at the last of them and counts only them', () => {
    const model = segmentable(bytesOf('mobilenetv2'), fixtureLayers('mobilenetv2'));
    const segments = planSegments(model, { budgetBytes: 1e12, count: 10, wanted: new Set([3, 5]) });
    assert.equal(segments.length, 1);
    assert.equal(segments[0].last, model.layerNode[5]);
    assert.deepEqual(planSegments(model, { budgetBytes: 1e12, count: 10, wanted: new Set() }), []);
  });

  it('a run layer the checkpoint does not make, or corrupt bytes, is one OnnxError line', () => {
    const layers = [...fixtureLayers('densenet'), { name: 'no.such.layer', outputShape: [1] }];
    assert.throws(
      () => segmentable(bytesOf('densenet'), layers),
      (e: unknown) => OnnxError.is(e) && /run layer 31 \(no\.such\.layer\) is made by no node/.test(e.message),
    );
    const truncated = bytesOf('densenet').subarray(0, 5000);
    assert.throws(
      () => segmentable(truncated, fixtureLayers('densenet')),
      (e: unknown) => OnnxError.is(e) && !e.message.includes('\n'),
    );
  });
});
