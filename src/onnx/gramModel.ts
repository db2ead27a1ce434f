/**
 * The tiny ONNX model behind the native Gram products (src/native/nativeGram.ts): one block of
 * coordinates of some samples, `a` `[M, B]`, and of the samples from the first of them on, `b`
 * `[N, B]`, the products of each row of `a` with each row of `b` added to those of the blocks before
 * it, `c` `[M, N]`, all float64:
 *
 *     g = Gemm(a, b, c, transB = 1) = a·bᵀ + c
 *
 * Built in memory with ONNX's own schema (decode.ts `onnxModelType`, as segments.ts encodes the
 * checkpoint's segments). Every axis is dynamic, so one session serves every sample count, band of
 * rows and block width. Pure: bytes out.
 */
import { onnxModelType } from './decode';

/** The graph's value names: the rows, the columns, the products so far, the products with the block added. */
export const GRAM_ROWS = 'a';
export const GRAM_COLUMNS = 'b';
export const GRAM_ACCUMULATOR = 'c';
export const GRAM_OUTPUT = 'g';

/** TensorProto.DataType DOUBLE. */
const DOUBLE = 11;
/** AttributeProto.AttributeType INT. */
const INT = 2;
/** ONNX's IR version 8 and opset 13 (Gemm of doubles with an optional `c`): ONNX Runtime 1.14 and later run them. */
const IR_VERSION = 8;
const OPSET = 13;

function tensorValue(name: string, dims: readonly string[]): object {
  return { name, type: { tensorType: { elemType: DOUBLE, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } } };
}

/** The model's bytes. */
export function gramModel(): Uint8Array {
  const message = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'cnn-slicer',
    graph: {
      name: 'gram',
      node: [
        {
          name: 'products',
          opType: 'Gemm',
          input: [GRAM_ROWS, GRAM_COLUMNS, GRAM_ACCUMULATOR],
          output: [GRAM_OUTPUT],
          attribute: [{ name: 'transB', type: INT, i: 1 }],
        },
      ],
      input: [tensorValue(GRAM_ROWS, ['M', 'B']), tensorValue(GRAM_COLUMNS, ['N', 'B']), tensorValue(GRAM_ACCUMULATOR, ['M', 'N'])],
      output: [tensorValue(GRAM_OUTPUT, ['M', 'N'])],
    },
  };
  return onnxModelType().encode(message).finish();
}
