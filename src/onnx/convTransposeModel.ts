/**
 * The tiny ONNX model behind the deconvolution's transposed convolutions on ONNX Runtime
 * (src/native/nativeConvTranspose.ts): the adjoint of a 2-D convolution (no bias, no groups), in the
 * deconvolution walk's channels-last layout:
 *
 *     y = Transpose(ConvTranspose(Transpose(x, NHWC → NCHW), Transpose(w, [kh, kw, C, M] → [M, C, kh, kw])), NCHW → NHWC)
 *
 * `x` `[N, OH, OW, M]` is a signal at the convolution's output, `w` `[KH, KW, C, M]` the
 * convolution's kernel as TensorFlow.js holds it, `y` `[N, H, W, C]` the signal at its input. The
 * strides, the padding `[top, left, bottom, right]` and the output padding (rows and columns added
 * at the bottom and right, so that `H = (OH − 1)·sh + KH − top − bottom + extraH`) are the node's
 * attributes; every axis is dynamic, so one session serves every batch, map and channel count of a
 * geometry. Built in memory with ONNX's own schema (decode.ts `onnxModelType`). Pure: bytes out.
 */
import { onnxModelType } from './decode';

/** The graph's value names: the signal, the kernel, the signal sent back. */
export const CONV_T_SIGNAL = 'x';
export const CONV_T_KERNEL = 'w';
export const CONV_T_OUTPUT = 'y';

/** A transposed convolution's geometry (the node's attributes). */
export interface ConvTransposeGeometry {
  readonly strides: readonly [number, number];
  /** `[top, left, bottom, right]`, each ≥ 0. */
  readonly pads: readonly [number, number, number, number];
  /** Rows and columns added at the bottom and the right, each below its stride. */
  readonly outputPadding: readonly [number, number];
}

/** TensorProto.DataType FLOAT; AttributeProto.AttributeType INTS. */
const FLOAT = 1;
const INTS = 7;
/** ONNX's IR version 8 and opset 13: ONNX Runtime 1.14 and later run them. */
const IR_VERSION = 8;
const OPSET = 13;

function tensorValue(name: string, dims: readonly string[]): object {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } } };
}

const ints = (name: string, values: readonly number[]) => ({ name, type: INTS, ints: values });

/** The model's bytes for one geometry. */
export function convTransposeModel(g: ConvTransposeGeometry): Uint8Array {
  const [top, left, bottom, right] = g.pads;
  const message = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'cnn-slicer',
    graph: {
      name: 'conv_transpose',
      node: [
        { name: 'signal_nchw', opType: 'Transpose', input: [CONV_T_SIGNAL], output: ['xt'], attribute: [ints('perm', [0, 3, 1, 2])] },
        { name: 'kernel_mckk', opType: 'Transpose', input: [CONV_T_KERNEL], output: ['wt'], attribute: [ints('perm', [3, 2, 0, 1])] },
        {
          name: 'transposed',
          opType: 'ConvTranspose',
          input: ['xt', 'wt'],
          output: ['yt'],
          attribute: [ints('strides', g.strides), ints('pads', [top, left, bottom, right]), ints('output_padding', g.outputPadding)],
        },
        { name: 'output_nhwc', opType: 'Transpose', input: ['yt'], output: [CONV_T_OUTPUT], attribute: [ints('perm', [0, 2, 3, 1])] },
      ],
      input: [tensorValue(CONV_T_SIGNAL, ['N', 'OH', 'OW', 'M']), tensorValue(CONV_T_KERNEL, ['KH', 'KW', 'C', 'M'])],
      output: [tensorValue(CONV_T_OUTPUT, ['N', 'H', 'W', 'C'])],
    },
  };
  return onnxModelType().encode(message).finish();
}

/**
 * The geometry of the transpose of a convolution with TensorFlow.js's `padding` (`same`: the
 * smaller half of the padding before the first row and column) from an output `[OH, OW]` back to an
 * input `[H, W]`, with a kernel of `[KH, KW]` (dilated already) and `strides`.
 */
export function convTransposeGeometry(
  input: readonly [number, number],
  output: readonly [number, number],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  padding: 'same' | 'valid',
): ConvTransposeGeometry {
  const axis = (k: 0 | 1) => {
    const total = padding === 'same' ? Math.max(0, (output[k] - 1) * strides[k] + kernel[k] - input[k]) : 0;
    const before = Math.floor(total / 2);
    const extra = input[k] - ((output[k] - 1) * strides[k] + kernel[k] - total);
    if (extra < 0 || extra >= Math.max(1, strides[k]))
      throw new RangeError(
        `no transposed convolution takes [${output.join(', ')}] back to [${input.join(', ')}] with a ${kernel.join('×')} kernel, strides ${strides.join('×')}, padding ${padding}`,
      );
    return { before, after: total - before, extra };
  };
  const [h, w] = [axis(0), axis(1)];
  return { strides: [strides[0], strides[1]], pads: [h.before, w.before, h.after, w.after], outputPadding: [h.extra, w.extra] };
}
