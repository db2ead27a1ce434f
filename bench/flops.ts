/**
 * FLOP counts of a model's convolutions and dense layers, shared by the benchmarks that report
 * GFLOP/s (bench/batchNormBench.ts, bench/zooBench.ts), so every figure counts work the same way.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** Layers whose first weight is a kernel applied once per output position: the work counted. */
const COUNTED_LAYERS = ['Conv2D', 'Conv1D', 'DepthwiseConv2D', 'Dense'];

/**
 * Multiply-adds ×2 of the convolution, depthwise convolution and dense layers for one input's
 * forward pass. A training step costs about three times this (forward, input gradient, weight
 * gradient); normalisation, pooling and activations are left out, as is usual.
 */
export function forwardFlops(model: tfjs.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    if (!COUNTED_LAYERS.includes(layer.getClassName())) continue;
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    // A kernel holds one multiply-add per output position per entry (a depthwise kernel's entries
    // each meet one input channel, so the same product counts its work too).
    const kernelSize = weights[0].size;
    const out = layer.outputShape as number[];
    const positions = out.slice(1, -1).reduce((p, d) => p * d, 1);
    flops += 2 * positions * kernelSize;
  }
  return flops;
}
