import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeOnnx, onnxModelType } from '../../../src/onnx/decode';
import { initializerOf, isTensor, OnnxError, type OnnxGraph, type OnnxProblem } from '../../../src/onnx/graph';

// The ONNX reader on checkpoints exported by torch 1.13 (test/fixtures/onnx/, written by
// scripts/onnx-fixtures.py with the facts PyTorch and the onnx package saw beside each file), and on
// small models encoded here to break one rule each.

const FIXTURES = path.resolve(__dirname, '../../fixtures/onnx');

interface Facts {
  opset: number;
  ops: string[];
  initializers: { name: string; dims: number[] }[];
  stateDict: Record<string, { dims: number[]; first: number[]; sum: number }>;
  input: { dims: number[] };
  output: { dims: number[] };
}

function fixture(name: string): { bytes: Uint8Array; facts: Facts; graph: OnnxGraph } {
  const bytes = readFileSync(path.join(FIXTURES, `${name}.onnx`));
  const facts = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Facts;
  return { bytes, facts, graph: decodeOnnx(bytes) };
}

/** A model around `graph` (protobufjs object form), encoded with ONNX's schema. */
function encode(graph: Record<string, unknown>): Uint8Array {
  const type = onnxModelType();
  return type.encode(type.fromObject({ irVersion: 7, opsetImport: [{ domain: '', version: 14 }], producerName: 'test', graph })).finish();
}

/** float32 little-endian bytes of `values`, as raw_data holds them. */
function rawFloats(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** Asserts that `run` throws a one-line OnnxError of `problem` whose message matches `pattern`. */
function assertOnnxError(run: () => unknown, problem: OnnxProblem, pattern: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(OnnxError.is(e), `not an OnnxError: ${String(e)}`);
    assert.equal(e.problem, problem, e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), `more than one line: ${e.message}`);
    return true;
  });
}

const FLOAT = 1;
const INT64 = 7;
const DOUBLE = 11;

describe('decodeOnnx: torch 1.13 checkpoints', () => {
  for (const name of ['lenet', 'residual']) {
    describe(name, () => {
      const { facts, graph } = fixture(name);

      it('reads the IR version, the ai.onnx opset and the producer', () => {
        assert.equal(graph.irVersion, 7);
        assert.equal(graph.opset, facts.opset);
        assert.equal(graph.opsets.get(''), facts.opset);
        assert.equal(graph.producer, 'pytorch 1.13.0');
      });

      it('has the op types in the order the onnx package read them', () => {
        assert.deepEqual(
          graph.nodes.map((n) => n.opType),
          facts.ops,
        );
      });

      it("has each initializer under its name with the onnx package's dims", () => {
        assert.deepEqual(
          [...graph.initializers.values()].map((t) => ({ name: t.name, dims: t.dims })),
          facts.initializers,
        );
        for (const t of graph.initializers.values()) assert.equal(t.dataType, 'float32', t.name);
      });

      it("reaches every float tensor of the model's state_dict, with PyTorch's dims and values", () => {
        assert.ok(Object.keys(facts.stateDict).length >= 8);
        for (const [key, expected] of Object.entries(facts.stateDict)) {
          const t = initializerOf(graph, key);
          assert.equal(t.dataType, 'float32', key);
          if (t.dataType !== 'float32') continue;
          assert.deepEqual(t.dims, expected.dims, key);
          assert.equal(
            t.data.length,
            expected.dims.reduce((a, b) => a * b, 1),
            key,
          );
          assert.deepEqual([...t.data.subarray(0, expected.first.length)], expected.first, key);
          const sum = t.data.reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - expected.sum) <= 1e-6 * (1 + Math.abs(expected.sum)), `${key}: sum ${sum}, PyTorch ${expected.sum}`);
        }
      });

      it('has the input and output with a symbolic batch dimension', () => {
        assert.deepEqual(graph.inputs, [{ name: 'input', elementType: 'float32', shape: ['N', ...facts.input.dims.slice(1)] }]);
        assert.deepEqual(graph.outputs, [{ name: 'output', elementType: 'float32', shape: ['N', ...facts.output.dims.slice(1)] }]);
      });
    });
  }

  it("decodes a Conv node's attributes to numbers and number arrays", () => {
    const conv = fixture('residual').graph.nodes.find((n) => n.opType === 'Conv');
    assert.ok(conv);
    assert.equal(conv.name, '/conv1/Conv');
    assert.deepEqual(conv.inputs, ['input', 'conv1.weight']);
    assert.deepEqual(Object.fromEntries(conv.attributes), {
      dilations: [1, 1],
      group: 1,
      kernel_shape: [3, 3],
      pads: [1, 1, 1, 1],
      strides: [1, 1],
    });
  });

  it('keeps BatchNormalization as its own node, in inference mode, reading the named statistics', () => {
    const { graph } = fixture('residual');
    const bns = graph.nodes.filter((n) => n.opType === 'BatchNormalization');
    assert.deepEqual(
      bns.map((n) => n.name),
      ['/bn1/BatchNormalization', '/block/bn/BatchNormalization'],
    );
    assert.deepEqual(bns[0].inputs.slice(1), ['bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var']);
    assert.equal(bns[0].outputs.length, 1);
    assert.equal(bns[0].attributes.get('epsilon'), Math.fround(1e-5));
    assert.equal(bns[0].attributes.get('training_mode'), 0);
    assert.equal(graph.nodes[graph.nodes.indexOf(bns[0]) - 1].opType, 'Conv');
  });

  it("resolves the Identity copies torch makes of equal weights to the original's data", () => {
    const { graph, facts } = fixture('residual');
    const identities = graph.nodes.filter((n) => n.opType === 'Identity');
    assert.equal(identities.length, 2);
    // The fresh BatchNorm's running mean equals its bias (zeros) and its variance its weight (ones).
    for (const key of ['block.bn.running_mean', 'block.bn.running_var']) {
      assert.ok(!graph.initializers.has(key), `${key} is an initializer`);
      const copy = identities.find((n) => n.outputs[0] === key);
      assert.ok(copy, `no Identity makes ${key}`);
      const original = graph.initializers.get(copy.inputs[0]);
      assert.ok(original, `${copy.inputs[0]} is not an initializer`);
      const bn = graph.nodes.find((n) => n.opType === 'BatchNormalization' && n.inputs.includes(key));
      assert.ok(bn);
      assert.equal(initializerOf(graph, key, bn), original);
      assert.deepEqual(original.dims, facts.stateDict[key].dims);
    }
  });

  it('reads the int64 constants of the dynamic-batch flatten (Shape, Gather, Unsqueeze, Concat, Reshape)', () => {
    const { graph } = fixture('lenet');
    const gather = graph.nodes.find((n) => n.opType === 'Gather');
    const concat = graph.nodes.find((n) => n.opType === 'Concat');
    assert.ok(gather && concat);
    assert.deepEqual(initializerOf(graph, gather.inputs[1], gather), { name: '', dataType: 'int64', dims: [], data: [0] });
    const flat = concat.inputs.map((name) => graph.nodes.find((n) => n.outputs.includes(name))?.opType);
    assert.deepEqual(flat, ['Unsqueeze', 'Unsqueeze']);
    const minusOne = graph.nodes.filter((n) => n.opType === 'Constant').map((n) => n.attributes.get('value'));
    assert.ok(minusOne.some((v) => isTensor(v) && v.dataType === 'int64' && v.data.length === 1 && v.data[0] === -1));
    assert.equal(concat.attributes.get('axis'), 0);
  });

  it('copies float32 raw_data that is not 4-byte aligned in the bytes given', () => {
    const { bytes, graph } = fixture('lenet');
    const shifted = new Uint8Array(bytes.length + 3).subarray(3);
    shifted.set(bytes);
    const again = decodeOnnx(shifted);
    for (const [name, t] of graph.initializers) assert.deepEqual(again.initializers.get(name), t, name);
  });
});

describe('decodeOnnx: bad input is one line', () => {
  const lenet = readFileSync(path.join(FIXTURES, 'lenet.onnx'));

  it('refuses a truncated file', () => {
    for (const keep of [0.5, 0.9, 0.999]) {
      assertOnnxError(() => decodeOnnx(lenet.subarray(0, Math.floor(lenet.length * keep))), 'unreadable', /^not a whole ONNX model: /);
    }
  });

  it('refuses files that are not ONNX', () => {
    assertOnnxError(() => decodeOnnx(readFileSync(path.join(FIXTURES, 'lenet.json'))), 'unreadable', /^not (a whole|an) ONNX model/);
    assertOnnxError(() => decodeOnnx(new Uint8Array(0)), 'unreadable', /^not an ONNX model: it has no graph$/);
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    assertOnnxError(() => decodeOnnx(garbage), 'unreadable', /^not (a whole|an) ONNX model/);
  });

  it('refuses a model that imports no ai.onnx operator set', () => {
    const type = onnxModelType();
    const bytes = type.encode(type.fromObject({ irVersion: 7, graph: { name: 'g' } })).finish();
    assertOnnxError(() => decodeOnnx(bytes), 'unreadable', /imports no ai\.onnx operator set/);
  });

  it('refuses a weight of a data type it does not take, naming the tensor', () => {
    const bytes = encode({ initializer: [{ name: 'fc.weight', dims: [1], dataType: DOUBLE, doubleData: [1] }] });
    assertOnnxError(
      () => decodeOnnx(bytes),
      'unsupported',
      /^initializer fc\.weight has data type float64, which the reader does not take/,
    );
  });

  it('refuses a tensor whose data do not fit its dims', () => {
    const bytes = encode({ initializer: [{ name: 'w', dims: [2, 3], dataType: FLOAT, rawData: rawFloats([1, 2, 3, 4, 5]) }] });
    assertOnnxError(() => decodeOnnx(bytes), 'malformed', /^initializer w has 5 values in raw_data for dims \[2, 3\], which need 6$/);
  });

  it('reads float_data and int64_data as well as raw_data', () => {
    const graph = decodeOnnx(
      encode({
        initializer: [
          { name: 'w', dims: [2], dataType: FLOAT, floatData: [0.5, -2] },
          { name: 'shape', dims: [2], dataType: INT64, int64Data: [-1, 9007199254740991] },
        ],
      }),
    );
    assert.deepEqual(graph.initializers.get('w'), { name: 'w', dataType: 'float32', dims: [2], data: Float32Array.of(0.5, -2) });
    assert.deepEqual(graph.initializers.get('shape')?.data, [-1, Number.MAX_SAFE_INTEGER]);
  });

  it("reads a tensor's INT64_MAX and INT64_MIN (a Slice's 'to the end': torch's x[:, a:]) as ±Infinity, and refuses other values beyond 2^53", () => {
    const raw = (values: bigint[]) => {
      const bytes = new Uint8Array(values.length * 8);
      values.forEach((v, i) => new DataView(bytes.buffer).setBigInt64(i * 8, v, true));
      return bytes;
    };
    const decoded = (values: bigint[], how: 'raw' | 'int64Data') =>
      decodeOnnx(
        encode({
          initializer: [
            how === 'raw'
              ? { name: 'ends', dims: [values.length], dataType: INT64, rawData: raw(values) }
              : { name: 'ends', dims: [values.length], dataType: INT64, int64Data: values.map(String) },
          ],
        }),
      ).initializers.get('ends')?.data;
    for (const how of ['raw', 'int64Data'] as const) {
      assert.deepEqual(decoded([(1n << 63n) - 1n, -(1n << 63n), 8n], how), [Infinity, -Infinity, 8], how);
      assertOnnxError(
        () => decoded([1n << 60n], how),
        'too-large',
        /^initializer ends: value 0 is 1152921504606846976, beyond the integers/,
      );
    }
  });

  it('refuses an attribute integer beyond 2^53, naming the node and the attribute', () => {
    const node = (i: string) => ({
      name: '/flatten/Flatten',
      opType: 'Flatten',
      input: ['x'],
      output: ['y'],
      attribute: [{ name: 'axis', type: 2, i }],
    });
    const graph = (i: string) => ({ node: [node(i)], input: [{ name: 'x' }], output: [{ name: 'y' }] });
    assert.equal(decodeOnnx(encode(graph('-9007199254740991'))).nodes[0].attributes.get('axis'), -Number.MAX_SAFE_INTEGER);
    assertOnnxError(
      () => decodeOnnx(encode(graph('9007199254740993'))),
      'too-large',
      /^node \/flatten\/Flatten \(Flatten\): attribute axis is 9007199254740993, beyond the integers/,
    );
    assertOnnxError(() => decodeOnnx(encode(graph('-9007199254740992'))), 'too-large', /attribute axis is -9007199254740992/);
  });

  it('refuses a node that reads a value nothing makes before it', () => {
    const bytes = encode({ node: [{ name: '/relu/Relu', opType: 'Relu', input: ['nowhere'], output: ['y'] }], output: [{ name: 'y' }] });
    assertOnnxError(
      () => decodeOnnx(bytes),
      'malformed',
      /^node \/relu\/Relu \(Relu\) reads nowhere, which no graph input, initializer or earlier node makes$/,
    );
  });

  it('refuses a weight that is not a constant, naming the node that reads it', () => {
    const { graph } = fixture('residual');
    const gemm = graph.nodes.find((n) => n.opType === 'Gemm');
    assert.ok(gemm);
    assertOnnxError(
      () => initializerOf(graph, gemm.inputs[0], gemm),
      'missing-initializer',
      /^node \/fc\/Gemm reads \/Flatten_output_0, which is not a constant: .* the output of Flatten node \/Flatten$/,
    );
    assertOnnxError(
      () => initializerOf(graph, 'no.such.weight'),
      'missing-initializer',
      /^no\.such\.weight is not a constant: .* made by no node$/,
    );
  });
});
