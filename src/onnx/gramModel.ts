/**
 * The tiny ONNX model behind the native Gram products (src/native/nativeGram.ts): one block of
 * coordinates of every sample, `x` `[N, B]`, widened to float64 and multiplied by its own transpose,
 * added to the products of the blocks before it, `c` `[N, N]` (float64):
 *
 *     g = Gemm(Cast<double>(x), Cast<double>(x), c, transB = 1) = x·xᵀ + c
 *
 * Built in memory with ONNX's own schema (decode.ts `onnxModelType`, as segments.ts encodes the
 * checkpoint's segments). Both axes are dynamic, so one session serves every sample count and block
 * width. Pure: bytes out.
 */
import { onnxModelType } from './decode';

/** The graph's value names: the block of samples, the products so far, the products with the block added. */
export const GRAM_INPUT = 'x';
export const GRAM_ACCUMULATOR = 'c';
export const GRAM_OUTPUT = 'g';

/** The element type of the samples fed to the model. */
export type GramInputType = 'float32' | 'float64';

/** TensorProto.DataType's values used here. */
const FLOAT = 1;
const DOUBLE = 11;
/** AttributeProto.AttributeType INT. */
const INT = 2;
/** ONNX's IR version 8 and opset 13 (Gemm with an optional `c`, Cast of every float type): ONNX Runtime 1.14 and later run them. */
const IR_VERSION = 8;
const OPSET = 13;

function tensorValue(name: string, elemType: number, dims: readonly string[]): object {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } } };
}

/**
 * The model's bytes for samples of `input` type: float32 samples are cast to float64 in the model
 * (exactly: every float32 is a float64), float64 ones are fed as they are.
 */
export function gramModel(input: GramInputType): Uint8Array {
  const widened = input === 'float32' ? 'x64' : GRAM_INPUT;
  const node: object[] = [];
  if (input === 'float32')
    node.push({ name: 'widen', opType: 'Cast', input: [GRAM_INPUT], output: [widened], attribute: [{ name: 'to', type: INT, i: DOUBLE }] });
  node.push({
    name: 'products',
    opType: 'Gemm',
    input: [widened, widened, GRAM_ACCUMULATOR],
    output: [GRAM_OUTPUT],
    attribute: [{ name: 'transB', type: INT, i: 1 }],
  });
  const message = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'cnn-slicer',
    graph: {
      name: 'gram',
      node,
      input: [tensorValue(GRAM_INPUT, input === 'float32' ? FLOAT : DOUBLE, ['N', 'B']), tensorValue(GRAM_ACCUMULATOR, DOUBLE, ['N', 'N'])],
      output: [tensorValue(GRAM_OUTPUT, DOUBLE, ['N', 'N'])],
    },
  };
  return onnxModelType().encode(message).finish();
}
