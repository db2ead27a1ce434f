/**
 * The near-duplicate screen's position-wise channel correlations (docs/estimators.md "Screening the
 * near-duplicate pairs") with the centred Gram matrix of the channels on ONNX Runtime's float64
 * products (nativeGram.ts): the same definition as src/analysis/channelCorrelation.ts
 * `channelCorrelations`, whose single-threaded WebAssembly kernel took 2.8 s of the CIFAR
 * ResNet-18's findings (probe 200) on the query's thread. Each channel is one sample of `N·U`
 * values, each value minus the channel's mean as it is gathered, read in the layer's own layout (a
 * channels-first layer is not copied channels last). The products are summed in the runtime's
 * order: r agrees with the WebAssembly kernel's to about 1e-15, not bit for bit.
 */
import { channelMeans, correlationsFromGram } from '../analysis/channelCorrelation';
import type { LayerActivations, LayerValues } from '../analysis/layout';
import { gramUpperOf } from './nativeGram';
import type { OrtModule } from './ortRuntime';

/**
 * Multiply-adds (`N·U · C² / 2`) from which the correlations are computed natively: below, the
 * runtime's round trips cost more than its faster products save.
 */
export const NATIVE_CORRELATION_WORK = 2e7;

/** Whether a layer of `rows` values per channel (`N·U`) and `channels` channels is correlated natively. */
export function usesNativeCorrelations(rows: number, channels: number): boolean {
  return channels > 1 && (rows * channels * channels) / 2 >= NATIVE_CORRELATION_WORK;
}

/**
 * `channelCorrelations` of `layer` on the native products, or undefined where a channel's mean is
 * not finite (a NaN or infinite value: the WebAssembly path's rules say which cells are undefined).
 */
export async function nativeChannelCorrelations(ort: OrtModule, layer: LayerActivations | LayerValues): Promise<Float64Array | undefined> {
  const { count, units, channels: n, data } = layer;
  const mean = channelMeans(layer);
  if (!mean.every(Number.isFinite)) return undefined;
  const d = count * units;
  const first = 'channelsFirst' in layer && layer.channelsFirst;
  // Coordinates [k0, k0 + width) of every channel, k = x·U + p, minus the channel's mean.
  const gather = (block: Float64Array, k0: number, width: number) => {
    const k1 = k0 + width;
    for (let c = 0; c < n; c++) {
      const m = mean[c];
      const row = c * width - k0;
      if (first)
        for (let k = k0; k < k1;) {
          const x = Math.floor(k / units);
          const p = k - x * units;
          const run = Math.min(units - p, k1 - k);
          const at = (x * n + c) * units + p - k;
          for (const end = k + run; k < end; k++) block[row + k] = data[at + k] - m;
        }
      else for (let k = k0; k < k1; k++) block[row + k] = data[k * n + c] - m;
    }
  };
  const gram = await gramUpperOf(ort, gather, n, d, new Float64Array(n * n));
  return correlationsFromGram(gram, n);
}
