/**
 * The Taylor estimate of channel importance (docs/estimators.md "The Taylor estimate") of a PyTorch
 * run's checkpoint on ONNX Runtime: one model (src/onnx/taylorModel.ts) runs the forward pass and
 * the backward pass of the loss over a chunk of inputs and writes each target layer's sums
 * `Σ_inputs Σ_positions a · ∂loss/∂a` per channel, in float64; the chunks' sums add up in float64.
 * The same definition as src/tfjs/taylor.ts, which serves TensorFlow.js runs and a checkpoint
 * whose graph holds an op the model does not differentiate (an OnnxError from here); the values
 * differ from it by float rounding alone (test/integration/native/nativeTaylor.test.ts).
 */
import { removableAxisOf, type ScoreKind } from '../analysis';
import { CancelledError } from '../analysis/errors';
import type { RunLayer } from '../contract/runFormat';
import { decodeOnnx } from '../onnx/decode';
import { planCheckpoint } from '../onnx/plan';
import { TAYLOR_LABELS, taylorModel, taylorSumsName } from '../onnx/taylorModel';
import { NativeEngineError, type NativeCheckpoint } from './nativeForward';

/**
 * Most bytes of one chunk's values (every value of the graph, and as much again for their
 * gradients): the runtime's working memory follows it. An object so that a test can make the chunks small.
 */
export const NATIVE_TAYLOR_CHUNK = { bytes: 64 * 1024 * 1024 };

/** Most inputs per chunk, however small the model. */
const MOST_PER_CHUNK = 128;

export interface NativeTaylorOptions {
  /** The run's layer axis (0 = the input), as the checkpoint was opened with. */
  layers: readonly RunLayer[];
  /** Row-major `[count, ...layers[0].outputShape]`. */
  inputs: Float32Array;
  labels: ArrayLike<number>;
  count: number;
  /** The run layer whose values are the class scores, and how. */
  output: { layer: number; kind: ScoreKind };
  /** The run layers to estimate, each in 1..output. */
  targets: readonly number[];
  signal?: AbortSignal;
}

/**
 * `estimate[layer][channel]` for each target: `−(1/N) Σ a · ∂loss/∂a`, NaN for every channel when
 * there are no inputs.
 * @throws OnnxError where the checkpoint's graph holds an op on the way back that the model does not
 * differentiate (the caller estimates on TensorFlow.js instead); NativeEngineError where the runtime
 * cannot load or run the model; CancelledError when `signal` aborts (checked before each chunk).
 */
export async function nativeTaylorEstimates(checkpoint: NativeCheckpoint, o: NativeTaylorOptions): Promise<Map<number, Float64Array>> {
  const { layers } = o;
  const graph = decodeOnnx(checkpoint.bytes);
  const plan = planCheckpoint(graph);
  const targets = [...new Set(o.targets)].sort((a, b) => a - b);
  const axisOf = (l: number) => (removableAxisOf(layers[l].outputShape, layers[l].dataFormat).first ? 1 : layers[l].outputShape.length);
  const model = taylorModel(checkpoint.bytes, graph, {
    targets: targets.map((l) => ({ value: layers[l].name, axis: axisOf(l) })),
    output: { value: layers[o.output.layer].name, kind: o.output.kind },
    shapes: plan.shapes,
  });
  const sums = new Map(targets.map((l) => [l, new Float64Array(removableAxisOf(layers[l].outputShape, layers[l].dataFormat).channels)]));
  const n = o.count;
  if (n > 0) {
    const { session, ort } = await checkpoint.auxiliarySession(model.bytes, "the Taylor estimate's model of the checkpoint");
    try {
      const inputName = graph.inputs[0].name;
      const inputShape = layers[0].outputShape;
      const per = inputShape.reduce((a, b) => a * b, 1);
      const perInput = 2 * 4 * [...plan.shapes.values()].reduce((t, s) => t + s.reduce((a, b) => a * b, 1), 0);
      const chunk = Math.max(1, Math.min(MOST_PER_CHUNK, Math.floor(NATIVE_TAYLOR_CHUNK.bytes / Math.max(1, perInput))));
      const names = targets.map((_, k) => taylorSumsName(k));
      for (let s = 0; s < n; s += chunk) {
        if (o.signal?.aborted) throw new CancelledError();
        const e = Math.min(n, s + chunk);
        const labels = new Float32Array((e - s) * model.labelWidth);
        for (let i = s; i < e; i++) {
          const label = o.labels[i];
          if (o.output.kind === 'binary') labels[i - s] = label;
          else if (label >= 0 && label < model.labelWidth) labels[(i - s) * model.labelWidth + label] = 1;
        }
        let out: Record<string, { data: unknown }>;
        try {
          out = await session.run(
            {
              [inputName]: new ort.Tensor('float32', o.inputs.subarray(s * per, e * per), [e - s, ...inputShape]),
              [TAYLOR_LABELS]: new ort.Tensor('float32', labels, [e - s, model.labelWidth]),
            },
            names,
          );
        } catch (err) {
          throw new NativeEngineError(
            `ONNX Runtime failed on the Taylor estimate's model: ${String((err as Error)?.message ?? err).split('\n')[0]}`,
          );
        }
        targets.forEach((l, k) => {
          const sum = sums.get(l)!;
          const part = out[names[k]].data as Float64Array;
          for (let c = 0; c < sum.length; c++) sum[c] += part[c];
        });
      }
    } finally {
      await session.release();
    }
  }
  for (const sum of sums.values()) for (let c = 0; c < sum.length; c++) sum[c] = n ? -sum[c] / n : NaN;
  return sums;
}
