/**
 * `channelImportanceEstimate`: the Taylor estimate of every channel's Δ loss (src/tfjs/taylor.ts) for
 * the layers asked, at one epoch, over every probe input (docs/estimators.md "The Taylor estimate").
 */
import { QueryError } from '../../contract/queries';
import { taylorEstimates } from '../../tfjs/taylor';
import { nativeTaylorEstimates } from '../../native/nativeTaylor';
import { OnnxError } from '../../onnx/graph';
import { scoredOutput } from '../ablation';
import { Handler, orNull } from './handler';

export const channelImportanceEstimate: Handler<'channelImportanceEstimate'> = async (q, ctx) => {
  ctx.metricsAt(q.epoch);
  const m = ctx.manifest;
  const output = scoredOutput(m);
  const layers = q.layers
    ? [...new Set(q.layers)].sort((a, b) => a - b)
    : m.layers.map((l) => l.index).filter((l) => l >= 1 && l <= output.layer);
  for (const l of layers) {
    ctx.checkLayer(l);
    if (l === 0 || l > output.layer)
      throw new QueryError(
        'unsupported',
        `layer ${l} (${m.layers[l].name}) has no Taylor estimate: it is defined for the layers 1..${output.layer}, up to the output the loss reads (${m.layers[output.layer].name})`,
      );
  }
  const probe = ctx.probe();
  ctx.control.onProgress?.(0.1, `estimating the channels of ${layers.length} layer${layers.length === 1 ? '' : 's'}`);
  const pass = { layers: m.layers, inputs: probe.inputs, labels: probe.labels, count: probe.labels.length, output, targets: layers };
  const signal = ctx.control.signal;
  // A PyTorch run's checkpoint on ONNX Runtime, its backward pass written as ONNX nodes: 5× less CPU
  // than TensorFlow.js's WebAssembly (docs/native-engine.md). A graph with an op that model does not
  // differentiate is estimated on TensorFlow.js, to the same definition.
  const native = await ctx.native(q.epoch);
  let estimates = native ? await nativeTaylorEstimates(native.model, { ...pass, signal }).catch(unlessUnsupported) : undefined;
  if (!estimates) {
    const { tf } = await ctx.tf();
    const { model } = await ctx.model(q.epoch);
    // The second half of the chunks runs on the forward worker: the same sums, added in the same order.
    const elsewhere = await ctx.taylorRunner(q.epoch, output);
    estimates = await taylorEstimates({ tf, model, ...pass, signal }, elsewhere);
  }
  return {
    epoch: q.epoch,
    inputCount: probe.labels.length,
    outputLayer: output.layer,
    layers: layers.map((layer) => {
      // −0 (a channel that is 0 everywhere) is 0: the answer reads the same from memory and from its JSON.
      const values = Array.from(estimates.get(layer)!, (e) => orNull(e + 0));
      const size = (c: number) => (values[c] === null ? -1 : Math.abs(values[c]));
      const ranking = values.map((_, c) => c).sort((a, b) => size(b) - size(a) || a - b);
      return { layer, estimates: values, ranking };
    }),
  };
};

/** Undefined for a graph the native estimate does not differentiate (its OnnxError); anything else propagates. */
function unlessUnsupported(e: unknown): undefined {
  if (OnnxError.is(e) && e.problem === 'unsupported') return undefined;
  throw e;
}
