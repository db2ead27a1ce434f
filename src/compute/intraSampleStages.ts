/**
 * The compute pool's stage of the channel entropies (pool.ts): the feature maps of a channels-first
 * layer that already lives in shared memory (the native pass's layers on the measuring thread,
 * src/native/layerBuffers.ts `shared`), taken by the workers in chunks of maps and read in place.
 * Each map's sums are its own (src/analysis/intraSample.ts `featureMapSums`), so the table is the
 * one `sampleChannelEntropies` computes on one thread, bit for bit; only the schedule differs.
 */
import { CancelledError, checkBins, entropiesFromSums, SMALL_MAP_UNITS, type LayerValues, type SampleChannelEntropies } from '../analysis';
import { binningKernelFor } from '../analysis/binningKernel';
import { featureMapSums } from '../contract/protocols/compute';
import type { StageScheduler } from './scheduler';

/**
 * The fewest values of a layer whose channel entropies go to the workers: below it the round trip
 * and the set-up of each chunk cost more than the threads save (a CIFAR ResNet-18's 64 × 32 × 32
 * layer at probe 100 is 6.6 million values).
 */
export const SHARED_ENTROPY_VALUES = 1 << 22;

/** The fewest values of one chunk of maps (the kernel's own call size). */
const CHUNK_VALUES = 1 << 18;

export class IntraSampleStages {
  constructor(
    private readonly scheduler: StageScheduler,
    /** The fewest values of a layer the workers take (tests make it small). */
    private readonly leastValues = SHARED_ENTROPY_VALUES,
  ) {}

  /**
   * Whether {@link featureMapEntropies} takes `values`: float32 channels first, in shared memory, maps
   * larger than {@link SMALL_MAP_UNITS} values (smaller ones are taken channels last on one thread),
   * at least {@link SHARED_ENTROPY_VALUES} values (by default), and a binning kernel (WebAssembly SIMD) to run.
   */
  takes(values: LayerValues): boolean {
    const { data } = values;
    return (
      this.scheduler.size > 1 &&
      values.channelsFirst &&
      data instanceof Float32Array &&
      data.buffer instanceof SharedArrayBuffer &&
      values.units > SMALL_MAP_UNITS &&
      data.length >= this.leastValues &&
      binningKernelFor() !== undefined
    );
  }

  /**
   * The `[N, C]` table of intra-sample entropies of every feature map of `values` (which
   * {@link takes}), computed by the workers on the layer where it lies: `sampleChannelEntropies`'
   * table, bit for bit.
   * @throws RangeError for bins out of range (as sampleChannelEntropies); CancelledError when `signal` aborts.
   */
  async featureMapEntropies(values: LayerValues, bins: number, signal?: AbortSignal): Promise<SampleChannelEntropies> {
    if (signal?.aborted) throw new CancelledError();
    checkBins(bins);
    const data = values.data as Float32Array;
    const { count, units, channels } = values;
    const maps = count * channels;
    const out = new SharedArrayBuffer(maps * 16);
    const chunk = this.scheduler.chunkOf(maps, Math.ceil(CHUNK_VALUES / units));
    const parts = await this.scheduler.stage(
      featureMapSums,
      maps,
      chunk,
      (claims) => ({
        data: data.buffer as SharedArrayBuffer,
        offset: data.byteOffset / 4,
        maps,
        units,
        bins,
        out,
        claims,
      }),
      signal,
    );
    const joined = {
      sums: new Float64Array(out),
      nonFiniteCount: parts.reduce((a, p) => a + p.nonFiniteCount, 0),
      lo: Math.min(Infinity, ...parts.map((p) => p.lo)),
      hi: Math.max(-Infinity, ...parts.map((p) => p.hi)),
    };
    return entropiesFromSums(joined, count, channels, data.length);
  }
}
