/**
 * The near-duplicate screen's channel correlations on ONNX Runtime's float64 products
 * (src/native/nativeCorrelation.ts) against the WebAssembly kernel's (src/analysis/channelCorrelation.ts):
 * within 1e-12 in both layouts, over blocks of coordinates that cut the inputs' maps; the same
 * undefined cells for a constant channel; no answer where a value is not finite.
 */
import assert from 'node:assert/strict';
import { channelCorrelations } from '../../../src/analysis/channelCorrelation';
import { channelsLast, type LayerValues } from '../../../src/analysis/layout';
import { seededRandom } from '../../../src/analysis/random';
import { nativeChannelCorrelations, usesNativeCorrelations } from '../../../src/native/nativeCorrelation';
import { GRAM_BLOCK_BYTES } from '../../../src/native/nativeGram';
import { nativeRuntime, type OrtModule } from '../../../src/native/ortRuntime';

describe('nativeChannelCorrelations: the screen’s correlations on ONNX Runtime', function () {
  this.timeout(60_000);
  let ort: OrtModule;

  before(function () {
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new Error(`the native runtime does not load here: ${runtime.reason}`);
    ort = runtime.ort;
  });

  const layerOf = (count: number, units: number, channels: number, seed: number, first: boolean): LayerValues => {
    const random = seededRandom(seed);
    const data = Float32Array.from({ length: count * units * channels }, () => Math.max(0, random() - 0.4) * 3);
    return { count, units, channels, data, channelsFirst: first };
  };

  for (const first of [true, false])
    it(`agrees with the WebAssembly kernel within 1e-12, channels ${first ? 'first' : 'last'}; a constant channel is undefined in both`, async () => {
      // 200 inputs of 7 × 7 positions, 96 channels: a block of coordinates (32 MB / (96 · 8)) ends inside an input's map.
      const layer = layerOf(200, 49, 96, first ? 1 : 2, first);
      const data = layer.data as Float32Array;
      // Channel 5 constant.
      for (let x = 0; x < layer.count; x++)
        for (let p = 0; p < layer.units; p++) data[first ? (x * 96 + 5) * 49 + p : (x * 49 + p) * 96 + 5] = 0.25;
      assert.ok(usesNativeCorrelations(layer.count * layer.units, layer.channels));
      assert.ok((200 * 49) % Math.floor(GRAM_BLOCK_BYTES / (96 * 8)) !== 0);
      const native = await nativeChannelCorrelations(ort, layer);
      const wasm = channelCorrelations(channelsLast(layer));
      assert.ok(native);
      for (let k = 0; k < wasm.length; k++) {
        if (Number.isNaN(wasm[k])) assert.ok(Number.isNaN(native[k]), `cell ${k}: undefined in both`);
        else assert.ok(Math.abs(native[k] - wasm[k]) <= 1e-12, `cell ${k}: ${native[k]} native, ${wasm[k]} WebAssembly`);
      }
      assert.ok(Number.isNaN(native[5 * 96 + 7]) && Number.isNaN(native[5 * 96 + 5]));
    });

  it('gives no answer for a layer with a value that is not finite (the WebAssembly path’s rules apply)', async () => {
    const layer = layerOf(50, 16, 8, 3, true);
    (layer.data as Float32Array)[123] = NaN;
    assert.equal(await nativeChannelCorrelations(ort, layer), undefined);
  });
});
