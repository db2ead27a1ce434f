/**
 * An ONNX model as the rest of the engine reads it: plain numbers, arrays and typed arrays, no
 * protobuf objects (decode.ts makes one from a file's bytes). It holds what a CNN checkpoint
 * exported by PyTorch needs, checked: nodes in order, float32 weights, int64 shape constants, and
 * the graph's inputs and outputs with their shapes.
 */
import { CodedError, hasErrorCode } from '../analysis/errors';

/** What is wrong with an ONNX file, for callers that tell the cases apart. */
export type OnnxProblem =
  /** Not an ONNX model at all, or cut short: protobuf decoding failed, or there is no graph. */
  | 'unreadable'
  /** A tensor of a data type or storage the reader does not take (float16, external data, …). */
  | 'unsupported'
  /** The graph contradicts itself: a tensor's data does not fit its dims, a node reads a value nothing makes. */
  | 'malformed'
  /** A weight a node needs is neither an initializer nor a constant made by Identity or Constant nodes. */
  | 'missing-initializer'
  /** An integer beyond what a JavaScript number holds exactly (±(2^53 − 1)). */
  | 'too-large';

/** Why an ONNX file cannot be read: one line that names the node or tensor at fault. */
export class OnnxError extends CodedError {
  constructor(
    message: string,
    readonly problem: OnnxProblem,
  ) {
    super('onnx', message, 'OnnxError');
  }
  static is(e: unknown): e is OnnxError {
    return hasErrorCode(e, 'onnx');
  }
}

/** A float32 tensor (weights, biases, BatchNormalization's statistics). */
export interface OnnxFloatTensor {
  readonly name: string;
  readonly dataType: 'float32';
  readonly dims: readonly number[];
  /** Row-major, a copy of the file's bytes (aligned, owned). */
  readonly data: Float32Array;
}

/** An integer tensor (int64 or int32 in the file): Reshape's shapes, Gather's indices, Unsqueeze's axes. */
export interface OnnxIntTensor {
  readonly name: string;
  readonly dataType: 'int64' | 'int32';
  readonly dims: readonly number[];
  readonly data: readonly number[];
}

export type OnnxTensor = OnnxFloatTensor | OnnxIntTensor;

/** An attribute's value: ONNX's FLOAT, INT, STRING, TENSOR, FLOATS, INTS and STRINGS. */
export type OnnxAttribute = number | string | OnnxTensor | readonly number[] | readonly string[];

export interface OnnxNode {
  /** Its name in the file; torch 1.13 writes the module scope, e.g. `/layer1/layer1.0/conv1/Conv`. */
  readonly name: string;
  readonly opType: string;
  /** '' for the default domain, ai.onnx. */
  readonly domain: string;
  /** Value names; '' is an optional input left out. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

/** A dimension: a size, or the name of a symbolic one (`N` for a dynamic batch), or null when unknown. */
export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  readonly name: string;
  /** 'float32', 'int64', … or 'unknown' when the file gives no tensor type. */
  readonly elementType: string;
  /** The dimensions, or null when the file gives no shape (not even a rank). */
  readonly shape: readonly OnnxDim[] | null;
}

export interface OnnxGraph {
  readonly irVersion: number;
  /** Every operator set the model imports, by domain ('' is ai.onnx). */
  readonly opsets: ReadonlyMap<string, number>;
  /** The ai.onnx operator set version, the one whose operator definitions the nodes follow. */
  readonly opset: number;
  /** Producer name and version, e.g. `pytorch 1.13.0`. */
  readonly producer: string;
  readonly name: string;
  /** In the file's order, which ONNX requires to be topological. */
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  /** The graph's real inputs (initializers listed as inputs, as older exporters do, are left out). */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

/**
 * The constant tensor that the value `name` holds: an initializer, a Constant node's value, or
 * either through a chain of Identity nodes. torch 1.13 merges initializers with equal values (a
 * fresh BatchNorm's bias and running mean are both zeros) and recreates each copy as
 * `Identity(original)`, so a node's weight is often not an initializer by its own name.
 * `user` names the node that reads the value, for the error.
 * @throws OnnxError ('missing-initializer') when the value is made by anything else or by nothing.
 */
export function initializerOf(graph: OnnxGraph, name: string, user?: OnnxNode): OnnxTensor {
  const producers = producersOf(graph);
  let current = name;
  for (let hops = 0; hops <= graph.nodes.length; hops++) {
    const tensor = graph.initializers.get(current);
    if (tensor) return tensor;
    const producer = producers.get(current);
    if (producer?.opType === 'Identity' && producer.domain === '' && producer.inputs.length === 1) {
      current = producer.inputs[0];
      continue;
    }
    if (producer?.opType === 'Constant' && producer.domain === '') {
      const value = producer.attributes.get('value');
      if (isTensor(value)) return value;
    }
    const reader = user ? `node ${user.name || user.opType} reads ${name}, which` : `${name}`;
    const via = current === name ? '' : ` (through Identity to ${current})`;
    const made = producer ? `the output of ${producer.opType} node ${producer.name}` : 'made by no node';
    throw new OnnxError(
      `${reader} is not a constant${via}: it is neither an initializer nor a Constant, but ${made}`,
      'missing-initializer',
    );
  }
  throw new OnnxError(`${name}: the Identity nodes leading to it form a cycle`, 'malformed');
}

/** Whether an attribute's value is a tensor. */
export function isTensor(value: OnnxAttribute | undefined): value is OnnxTensor {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'dataType' in value;
}

const producerCache = new WeakMap<OnnxGraph, Map<string, OnnxNode>>();

/** Which node makes each value (computed once per graph). */
function producersOf(graph: OnnxGraph): Map<string, OnnxNode> {
  let producers = producerCache.get(graph);
  if (!producers) {
    producers = new Map();
    for (const node of graph.nodes) for (const output of node.outputs) if (output) producers.set(output, node);
    producerCache.set(graph, producers);
  }
  return producers;
}
