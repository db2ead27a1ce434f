/**
 * The Taylor estimate's ONNX model (src/onnx/taylorModel.ts), as a graph: what it reads and writes,
 * and what it refuses (its numbers: test/integration/native/nativeTaylor.test.ts). An op without a
 * gradient on the way back from the loss to a target is one OnnxError naming the node; the same op
 * before the first target is only run forward.
 */
import assert from 'node:assert/strict';
import { decodeOnnx, onnxModelType } from '../../../src/onnx/decode';
import { OnnxError } from '../../../src/onnx/graph';
import { planCheckpoint } from '../../../src/onnx/plan';
import { TAYLOR_LABELS, taylorModel, taylorSumsName } from '../../../src/onnx/taylorModel';
import { onnxFixture } from '../../support/onnxFixtures';

interface RawNode {
  opType: string;
  output: string[];
}

/** The resnet fixture with its `k`-th Relu made an Elu (an op the model has no gradient of). */
function withElu(k: number): { bytes: Uint8Array; elu: string } {
  const { bytes } = onnxFixture('resnet');
  const raw = onnxModelType().decode(bytes) as unknown as { graph: { node: RawNode[] } };
  const node = raw.graph.node.filter((n) => n.opType === 'Relu')[k];
  node.opType = 'Elu';
  return { bytes: onnxModelType().encode(raw).finish(), elu: node.output[0] };
}

describe('taylorModel: the backward pass of a checkpoint as ONNX nodes', () => {
  const { bytes, layers } = onnxFixture('resnet');
  const graph = decodeOnnx(bytes);
  const shapes = planCheckpoint(graph).shapes;
  const output = { value: layers[layers.length - 1].name, kind: 'logits' as const };
  const all = layers.slice(1).map((l) => ({ value: l.name, axis: 1 }));

  it('reads the input and the one-hot labels, and writes one float64 vector per target', () => {
    const model = taylorModel(bytes, graph, { targets: all, output, shapes });
    assert.equal(model.labelWidth, 10);
    const written = decodeOnnx(model.bytes);
    assert.deepEqual(
      written.inputs.map((i) => i.name),
      [graph.inputs[0].name, TAYLOR_LABELS],
    );
    assert.deepEqual(
      written.outputs.map((o) => [o.name, o.elementType, o.shape]),
      all.map((t, k) => [taylorSumsName(k), 'float64', [layers[k + 1].outputShape[0]]]),
    );
    // The checkpoint's own nodes come first, unchanged.
    assert.deepEqual(
      written.nodes.slice(0, graph.nodes.length).map((n) => n.name),
      graph.nodes.map((n) => n.name),
    );
  });

  it('refuses an op without a gradient between a target and the loss, naming the node', () => {
    const { bytes: changed, elu } = withElu(2);
    const g = decodeOnnx(changed);
    assert.throws(
      () => taylorModel(changed, g, { targets: all, output, shapes }),
      (e: unknown) => OnnxError.is(e) && e.problem === 'unsupported' && /Elu/.test(e.message) && /no gradient/.test(e.message),
    );
    // Targets after it: the Elu only runs forward.
    const at = layers.findIndex((l) => l.name === elu);
    const later = layers.slice(at + 1).map((l) => ({ value: l.name, axis: 1 }));
    assert.doesNotThrow(() => taylorModel(changed, g, { targets: later, output, shapes }));
  });

  it('refuses a target the loss does not read, and a graph of an opset before 13', () => {
    assert.throws(
      () => taylorModel(bytes, graph, { targets: [{ value: 'no such value', axis: 1 }], output, shapes }),
      (e: unknown) => OnnxError.is(e) && /does not read no such value/.test(e.message),
    );
    assert.throws(
      () => taylorModel(bytes, { ...graph, opset: 11 }, { targets: all, output, shapes }),
      (e: unknown) => OnnxError.is(e) && /opset 11/.test(e.message),
    );
  });
});
