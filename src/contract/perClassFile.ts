/**
 * The per-class channel entropies of a measured epoch, kept beside metrics.jsonl rather than in its
 * line (docs/run-format.md "The per-class file"). They are the line's bulk, `classes × channels`
 * numbers a layer: 95% of a CIFAR ResNet-18's 3 MB line, most of a ResNet-50's 18 MB. In the line
 * they made every read of a run parse them (a 50-epoch ResNet-18 is 160 MB of lines, 1.3 s a read)
 * and ended a run at METRICS_MAX_BYTES (src/run/limits.ts: about 80 ResNet-18 epochs, 14 ResNet-50
 * ones), though only the Channel view, its small multiples and a hover read them, one layer at a time.
 *
 * The file `per-class/epoch-<epoch>.f64`, named by the line's `perClassFile`, holds for each layer
 * of the line in order, for each class, for each channel, one little-endian float64: the layer's
 * `channelBitsPerClass[class][channel]`, NaN for null (a measured value is never NaN: the measures
 * write null for it). So a layer's block starts at the sum of `classes × channels × 8` bytes of the
 * layers before it, its channels being `channelBits.length`. Pure: the run folder's reads and writes
 * are src/run/perClass.ts.
 */
import type { EpochMetrics, LayerEpochMetrics } from './runFormat';

/** Where an epoch's per-class file lies in its run folder. */
export function perClassFileName(epoch: number): string {
  return `per-class/epoch-${epoch}.f64`;
}

/** Bytes of one value. */
const VALUE_BYTES = 8;

/**
 * The line to write for `metrics` and the per-class file's bytes: the line names the file and its
 * layers leave their `channelBitsPerClass` out. A line whose per-class values are already out is
 * returned as it is, with no bytes.
 */
export function splitPerClass(metrics: EpochMetrics, file = perClassFileName(metrics.epoch)): { line: EpochMetrics; bytes?: Uint8Array } {
  if (metrics.perClassFile !== undefined || metrics.layers.some((l) => l.channelBitsPerClass === undefined)) return { line: metrics };
  const total = metrics.layers.reduce((sum, l) => sum + (l.channelBitsPerClass ?? []).reduce((s, row) => s + row.length, 0), 0);
  const bytes = new Uint8Array(total * VALUE_BYTES);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const layer of metrics.layers)
    for (const row of layer.channelBitsPerClass ?? [])
      for (const v of row) {
        view.setFloat64(at, v ?? NaN, true);
        at += VALUE_BYTES;
      }
  const layers = metrics.layers.map((layer): LayerEpochMetrics => {
    const { channelBitsPerClass: _out, ...rest } = layer;
    return rest;
  });
  return { line: { ...metrics, layers, perClassFile: file }, bytes };
}

/** The byte range of layer `layer`'s block in the per-class file of `line` (a run with `classes` classes), and its channels. */
export function perClassBlock(line: EpochMetrics, classes: number, layer: number): { offset: number; bytes: number; channels: number } {
  if (!Number.isInteger(layer) || layer < 0 || layer >= line.layers.length)
    throw new RangeError(`layer ${layer} is not one of the line's ${line.layers.length}`);
  let offset = 0;
  for (let l = 0; l < layer; l++) offset += classes * line.layers[l].channelBits.length * VALUE_BYTES;
  const channels = line.layers[layer].channelBits.length;
  return { offset, bytes: classes * channels * VALUE_BYTES, channels };
}

/** Bytes of the whole per-class file of `line`. */
export function perClassFileBytes(line: EpochMetrics, classes: number): number {
  return line.layers.reduce((sum, l) => sum + classes * l.channelBits.length * VALUE_BYTES, 0);
}

/** A layer's `[class][channel]` entropies from its block's bytes (NaN back to null). */
export function perClassRows(block: Uint8Array, classes: number, channels: number): (number | null)[][] {
  if (block.length !== classes * channels * VALUE_BYTES)
    throw new RangeError(`a block of ${classes} × ${channels} values needs ${classes * channels * VALUE_BYTES} bytes, got ${block.length}`);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  return Array.from({ length: classes }, (_, k) =>
    Array.from({ length: channels }, (_, c) => {
      const v = view.getFloat64((k * channels + c) * VALUE_BYTES, true);
      return Number.isNaN(v) ? null : v;
    }),
  );
}
