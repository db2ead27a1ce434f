/**
 * PyTorch checkpoints run by the engine (src/tfjs/onnxModel.ts on src/onnx/plan.ts): each fixture
 * of test/fixtures/onnx/ (exported by torch 1.13 with its own forward pass beside it, written by
 * scripts/onnx-fixtures.py) gives PyTorch's output within 1e-5 as softmax, and each named layer's
 * value is the one PyTorch computed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeOnnx } from '../../../src/onnx/decode';
import { moduleOf } from '../../../src/onnx/planner';
import { planLayers } from '../../../src/onnx/plan';
import { buildPlanModel } from '../../../src/tfjs/onnxModel';

const FIXTURES = path.resolve(__dirname, '../../fixtures/onnx');

interface Facts {
  input: { dims: number[]; data: number[] };
  output: { dims: number[]; data: number[] };
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

describe('onnxModel: PyTorch checkpoints in the engine', () => {
  for (const name of ['lenet', 'residual']) {
    it(`${name}: the imported model gives PyTorch's output within 1e-5 (softmax)`, () => {
      const bytes = readFileSync(path.join(FIXTURES, `${name}.onnx`));
      const facts = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Facts;
      const graph = decodeOnnx(bytes);
      // These two fixtures predate the recorder's named outputs: name each node's value by its module.
      const named = new Map(graph.nodes.filter((n) => moduleOf(n.name)).map((n) => [n.outputs[0], moduleOf(n.name)]));
      const model = buildPlanModel(tf, planLayers(graph, named, graph.outputs[0].name));
      const x = tf.tensor(facts.input.data, facts.input.dims);
      const y = model.predict(x) as tf.Tensor;
      assert.deepEqual(y.shape, facts.output.dims);
      const got = y.dataSync();
      const classes = facts.output.dims[1];
      assert.ok(
        softmaxDistance(got, facts.output.data, classes) < 1e-5,
        `softmax differs by ${softmaxDistance(got, facts.output.data, classes)}`,
      );
      assert.ok(Math.max(...Array.from(got, (v, i) => Math.abs(v - facts.output.data[i]))) < 1e-4);
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
