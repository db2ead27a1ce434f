/**
 * Decodes an ONNX model's bytes into an OnnxGraph (graph.ts). Parsing is protobufjs's, with ONNX's
 * own schema (onnx.proto, vendored; onnxSchema.json is its descriptor, written by
 * scripts/onnx-schema.mjs), loaded through protobufjs/light so no .proto is parsed at run time.
 * Everything is checked on the way: each int64 fits a JavaScript number, each tensor's data fits its
 * dims, each node reads values made before it. What does not pass is one OnnxError line naming the
 * node or tensor. Pure: bytes in, graph out (the caller reads the file, with src/run's bounded reads).
 */
import { type Long, Root, type Type } from 'protobufjs/light';
import { OnnxError, type OnnxAttribute, type OnnxDim, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './graph';
/*! The ONNX schema in onnxSchema.json is derived from onnx.proto of the ONNX project
    (https://github.com/onnx/onnx), Copyright (c) ONNX Project Contributors. SPDX-License-Identifier: Apache-2.0 */
import schema from './onnxSchema.json';

/** An int64 field as protobufjs decodes it: a Long when the `long` package is loaded, else a number. */
type Int64 = number | Long;

interface RawTensor {
  name: string;
  dims: Int64[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: Int64[];
  rawData: Uint8Array;
  dataLocation: number;
  segment: unknown;
}

interface RawAttribute {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: RawTensor | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
}

interface RawNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: RawAttribute[];
}

interface RawValueInfo {
  name: string;
  type: {
    tensorType: { elemType: number; shape: { dim: { value?: string; dimValue: Int64; dimParam: string }[] } | null } | null;
  } | null;
}

interface RawModel {
  irVersion: Int64;
  opsetImport: { domain: string; version: Int64 }[];
  producerName: string;
  producerVersion: string;
  graph: {
    name: string;
    node: RawNode[];
    initializer: RawTensor[];
    input: RawValueInfo[];
    output: RawValueInfo[];
  } | null;
}

/** TensorProto.DataType's names, by number. */
const DATA_TYPES = [
  'undefined',
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
];

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const EXTERNAL = 1;

/** AttributeProto.AttributeType's values this reader takes. */
const ATTRIBUTE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;
const ATTRIBUTE_NAMES = ['UNDEFINED', 'FLOAT', 'INT', 'STRING', 'TENSOR', 'GRAPH', 'FLOATS', 'INTS', 'STRINGS', 'TENSORS', 'GRAPHS'];

let modelType: Type | undefined;

/** ONNX's ModelProto message type (protobufjs), e.g. to encode a model in a test or to edit one. */
export function onnxModelType(): Type {
  modelType ??= Root.fromJSON(schema).lookupType('onnx.ModelProto');
  return modelType;
}

/**
 * The model in `bytes` (an .onnx file's contents), decoded and checked.
 * @throws OnnxError when the bytes are not a whole ONNX model or hold what the reader does not take.
 */
export function decodeOnnx(bytes: Uint8Array): OnnxGraph {
  let model: RawModel;
  try {
    model = onnxModelType().decode(bytes) as unknown as RawModel;
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new OnnxError(
      e instanceof RangeError || /index out of range/.test(detail)
        ? `not a whole ONNX model: the data end inside a field (a truncated file?): ${detail}`
        : `not an ONNX model: protobuf decoding failed: ${detail}`,
      'unreadable',
    );
  }
  const irVersion = int(model.irVersion, 'the IR version');
  const opsets = new Map<string, number>();
  for (const o of model.opsetImport)
    opsets.set(o.domain === 'ai.onnx' ? '' : o.domain, int(o.version, `the opset of ${o.domain || 'ai.onnx'}`));
  const opset = opsets.get('');
  if (!model.graph || irVersion <= 0 || opset === undefined)
    throw new OnnxError(
      `not an ONNX model: ${!model.graph ? 'it has no graph' : irVersion <= 0 ? 'it has no IR version' : 'it imports no ai.onnx operator set'}`,
      'unreadable',
    );
  const raw = model.graph;
  const initializers = new Map<string, OnnxTensor>();
  for (const t of raw.initializer) initializers.set(t.name, tensor(t, `initializer ${t.name}`));
  const graph: OnnxGraph = {
    irVersion,
    opsets,
    opset,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    name: raw.name,
    nodes: raw.node.map(node),
    initializers,
    inputs: raw.input.filter((v) => !initializers.has(v.name)).map(valueInfo),
    outputs: raw.output.map(valueInfo),
  };
  checkOrder(graph);
  return graph;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * An int64 value of a tensor as a number, as {@link int} reads it, but INT64_MAX and INT64_MIN as
 * ±Infinity: ONNX's "to the end" of a Slice (torch exports `x[:, a:]` with INT64_MAX), which every
 * use clamps to the axis.
 */
function tensorInt(value: Int64 | bigint, what: string): number {
  if (typeof value !== 'bigint') return int(value, what, true);
  if (value === INT64_MAX) return Infinity;
  if (value === INT64_MIN) return -Infinity;
  const n = Number(value);
  if (Number.isSafeInteger(n)) return n;
  throw tooLarge(what, value);
}

/** An int64 as a number, refused beyond ±(2^53 − 1), where a number stops holding every integer (with `extremes`, INT64_MAX and INT64_MIN are ±Infinity). */
function int(value: Int64, what: string, extremes = false): number {
  let n: number;
  let exact: bigint;
  if (typeof value === 'number') {
    n = value;
    exact = Number.isInteger(value) ? BigInt(value) : 0n;
  } else {
    const high = value.unsigned ? value.high >>> 0 : value.high | 0;
    // Exact whenever the result is a safe integer; beyond, it is rounded but still unsafe.
    n = high * 2 ** 32 + (value.low >>> 0);
    exact = (BigInt(high) << 32n) + BigInt(value.low >>> 0);
  }
  if (Number.isSafeInteger(n)) return n;
  if (extremes && (exact === INT64_MAX || exact === INT64_MIN)) return exact > 0n ? Infinity : -Infinity;
  throw tooLarge(what, exact);
}

function tooLarge(what: string, exact: bigint): OnnxError {
  return new OnnxError(`${what} is ${exact}, beyond the integers a JavaScript number holds exactly (±(2^53 − 1))`, 'too-large');
}

function dataTypeName(type: number): string {
  return DATA_TYPES[type] ?? `data type ${type}`;
}

/** A TensorProto's dims and data. `what` names it in errors ("initializer conv1.weight"). */
function tensor(raw: RawTensor, what: string): OnnxTensor {
  if (raw.dataLocation === EXTERNAL)
    throw new OnnxError(`${what} is stored in an external file, which the reader does not read`, 'unsupported');
  if (raw.segment) throw new OnnxError(`${what} is split into segments, which the reader does not read`, 'unsupported');
  const dims = raw.dims.map((d, i) => {
    const n = int(d, `${what}: dim ${i}`);
    if (n < 0) throw new OnnxError(`${what}: dim ${i} is ${n}`, 'malformed');
    return n;
  });
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = raw.rawData;
  const size = raw.dataType === INT64 ? 8 : 4;
  const fits = (stored: number, per: string) => {
    if (stored !== count)
      throw new OnnxError(`${what} has ${stored} ${per} for dims [${dims.join(', ')}], which need ${count}`, 'malformed');
  };
  switch (raw.dataType) {
    case FLOAT: {
      const data = new Float32Array(count);
      if (bytes.length > 0) {
        fits(bytes.length / size, 'values in raw_data');
        // A copy: raw_data is a view into the file, often not 4-byte aligned. ONNX stores it
        // little-endian, as every platform Node runs on is.
        new Uint8Array(data.buffer).set(bytes);
      } else {
        fits(raw.floatData.length, 'values in float_data');
        data.set(raw.floatData);
      }
      return { name: raw.name, dataType: 'float32', dims, data };
    }
    case INT64:
    case INT32: {
      const type = raw.dataType === INT64 ? 'int64' : 'int32';
      let data: number[];
      if (bytes.length > 0) {
        fits(bytes.length / size, 'values in raw_data');
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        data = Array.from({ length: count }, (_, i) =>
          type === 'int64' ? tensorInt(view.getBigInt64(i * 8, true), `${what}: value ${i}`) : view.getInt32(i * 4, true),
        );
      } else if (type === 'int64') {
        fits(raw.int64Data.length, 'values in int64_data');
        data = raw.int64Data.map((v, i) => tensorInt(v, `${what}: value ${i}`));
      } else {
        fits(raw.int32Data.length, 'values in int32_data');
        data = [...raw.int32Data];
      }
      return { name: raw.name, dataType: type, dims, data };
    }
    default:
      throw new OnnxError(
        `${what} has data type ${dataTypeName(raw.dataType)}, which the reader does not take (float32 tensors, int64 and int32 constants)`,
        'unsupported',
      );
  }
}

const utf8 = new TextDecoder();

function node(raw: RawNode, index: number): OnnxNode {
  const label = `node ${raw.name || `#${index}`} (${raw.opType})`;
  const attributes = new Map<string, OnnxAttribute>();
  for (const a of raw.attribute) attributes.set(a.name, attribute(a, `${label}: attribute ${a.name}`));
  return {
    name: raw.name,
    opType: raw.opType,
    domain: raw.domain === 'ai.onnx' ? '' : raw.domain,
    inputs: [...raw.input],
    outputs: [...raw.output],
    attributes,
  };
}

function attribute(a: RawAttribute, what: string): OnnxAttribute {
  switch (a.type) {
    case ATTRIBUTE.float:
      return a.f;
    case ATTRIBUTE.int:
      return int(a.i, what);
    case ATTRIBUTE.string:
      return utf8.decode(a.s);
    case ATTRIBUTE.tensor:
      if (!a.t) throw new OnnxError(`${what} is a TENSOR attribute without a tensor`, 'malformed');
      return tensor(a.t, what);
    case ATTRIBUTE.floats:
      return [...a.floats];
    case ATTRIBUTE.ints:
      return a.ints.map((v, i) => int(v, `${what}[${i}]`));
    case ATTRIBUTE.strings:
      return a.strings.map((s) => utf8.decode(s));
    default:
      throw new OnnxError(`${what} is of type ${ATTRIBUTE_NAMES[a.type] ?? a.type}, which the reader does not take`, 'unsupported');
  }
}

function valueInfo(raw: RawValueInfo): OnnxValueInfo {
  const tensorType = raw.type?.tensorType;
  const shape = tensorType?.shape
    ? tensorType.shape.dim.map((d, i): OnnxDim => {
        if (d.value === 'dimValue') return int(d.dimValue, `${raw.name}: dim ${i}`);
        if (d.value === 'dimParam') return d.dimParam;
        return null;
      })
    : null;
  return { name: raw.name, elementType: tensorType ? dataTypeName(tensorType.elemType) : 'unknown', shape };
}

/** Each node reads only values made before it (ONNX's topological order), and each output is made. */
function checkOrder(graph: OnnxGraph): void {
  const known = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);
  graph.nodes.forEach((n, index) => {
    for (const input of n.inputs)
      if (input && !known.has(input))
        throw new OnnxError(
          `node ${n.name || `#${index}`} (${n.opType}) reads ${input}, which no graph input, initializer or earlier node makes`,
          'malformed',
        );
    for (const output of n.outputs) if (output) known.add(output);
  });
  for (const output of graph.outputs)
    if (!known.has(output.name)) throw new OnnxError(`graph output ${output.name} is made by no node`, 'malformed');
}
