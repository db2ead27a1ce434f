/**
 * A layer's capacity with itself where the near-duplicate screen keeps a pair (estimators.md
 * "Screening the near-duplicate pairs"): what the `near-duplicate-channels` finding and
 * `channelImportance`'s near-duplicate share read instead of the full matrix. QueryContext keeps one
 * per layer, epoch and inputs (`selfCapacity`), so the findings and the importance of a layer
 * compare its pairs once.
 */
import { channelsLast, type LayerActivations, type LayerValues } from '../analysis';
import { channelCorrelations, channelEnergyCorrelations } from '../analysis/channelCorrelation';
import { NEAR_DUPLICATE_SCREEN, NearDuplicateScreen, ScreenedPairs, ScreenedSelfCapacity, screenedPairs } from '../analysis/nearDuplicates';
import type { ComputePool } from '../compute/pool';
import { nativeChannelCorrelations, usesNativeCorrelations } from '../native/nativeCorrelation';
import { nativeRuntime } from '../native/ortRuntime';
import type { SharedCodes } from '../contract/protocols/compute';

/** A cell's capacity, null where undefined (NaN), as the answers write it. */
const cell = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Bytes a kept screened matrix holds: its diagonal and its compared pairs. */
export function selfCapacityBytes(a: ScreenedSelfCapacity): number {
  return 8 * a.channels + a.pairs.bytes;
}

/**
 * Whether the screen saves work on a layer of `count` inputs and `units` values per channel: its
 * correlations cost about `count · units` multiply-adds per channel pair, the exact comparison of a
 * pair `count²/2` joint-histogram increments. On a layer with wide feature maps and few inputs,
 * every pair is compared exactly (the full matrix's answer).
 */
export function screenSaves(count: number, units: number): boolean {
  return count * units * SCREEN_COST_RATIO < (count * (count - 1)) / 2;
}

/**
 * What a multiply-add of the correlations (this thread, float64) costs against a joint-histogram
 * increment of the exact comparison (the compute pool). First measured at 4–7 ns against 1–3 ns of
 * wall time (quarter-width ResNet-18, two cores: 2.5); the correlations have been summed block by
 * block since, about three times cheaper. Measured again on the CIFAR ResNet-18 (probe 200, two
 * shared cores, `screenedSelfCapacity` with and without the screen): on `layer3.0.relu-2` (256
 * channels of 8 × 8) 270 ms screened against 590–650 ms for every pair; on `layer2.0.relu-2` (128
 * of 16 × 16) 205 against 164–181 ms; on `layer1.0.relu-2` (64 of 32 × 32) 257–319 against
 * 35–88 ms. At 1, 200 inputs screen maps of at most 99 positions (8 × 8, not 16 × 16), where
 * 2.5 screened at most 39 (6 × 6).
 */
const SCREEN_COST_RATIO = 1;

/**
 * A layer's capacity with itself where the screen keeps a pair (src/analysis/nearDuplicates.ts
 * `screenedPairs`): the diagonal, then both cells of every kept pair, from the layer's distance
 * codes (the compute pool's `capacityCells`, each cell the full matrix's bit for bit). `screen`
 * null compares every pair; by default a layer is screened with NEAR_DUPLICATE_SCREEN where that
 * saves work (`screenSaves`).
 */
export async function screenedSelfCapacity(
  pool: ComputePool,
  acts: LayerActivations | LayerValues,
  codes: SharedCodes[],
  options: { screen?: NearDuplicateScreen | null; signal?: AbortSignal } = {},
): Promise<ScreenedSelfCapacity> {
  const screen = options.screen === undefined ? (screenSaves(acts.count, acts.units) ? NEAR_DUPLICATE_SCREEN : null) : options.screen;
  const n = codes.length;
  if (!screen) return everyPair(pool, codes, options.signal);
  // The diagonal on the compute workers while this thread computes the correlations.
  const diagonal = pool.capacityCells(
    codes,
    codes.flatMap((_, c) => [c, c]),
    options.signal,
  );
  diagonal.catch(() => undefined); // awaited below
  const r = await correlations(acts);
  // In the layer's own layout: the same bits as its channels-last copy's.
  const rEnergy = channelEnergyCorrelations(acts);
  const own = Array.from(await diagonal, cell);
  // (Not `push(...pairs)`: a wide layer whose screen keeps most pairs has more of them than a call takes arguments.)
  const kept = screenedPairs(screen, r, rEnergy, own);
  // Both orientations of every kept pair (the rule averages the two cells, as it does the full
  // matrix's), from one joint histogram a pair.
  const values = await pool.capacityPairCells(codes, kept, options.signal);
  const pairs = new ScreenedPairs(kept.length / 2);
  for (let k = 0; k < pairs.length; k++) {
    const [c, d] = [kept[2 * k], kept[2 * k + 1]];
    pairs.set(k, c, d, r[c * n + d], rEnergy[c * n + d], values[2 * k], values[2 * k + 1]);
  }
  return { channels: n, diagonal: own, pairs, screen };
}

/**
 * The position-wise correlations: on the native engine's products for a layer large enough
 * (src/native/nativeCorrelation.ts), else this thread's WebAssembly kernel on the layer channels last.
 */
async function correlations(acts: LayerActivations | LayerValues): Promise<Float64Array> {
  if (usesNativeCorrelations(acts.count * acts.units, acts.channels)) {
    const runtime = nativeRuntime();
    if ('ort' in runtime) {
      const r = await nativeChannelCorrelations(runtime.ort, acts);
      if (r) return r;
    }
  }
  return channelCorrelations(channelsLast(acts));
}

/**
 * Every pair compared (no screen): the full matrix of the layer with itself, whose joint histogram
 * of a pair gives both its cells (the compute pool's symmetric path: half the histograms of asking
 * the cells one by one, each cell the same bits). MobileNetV2's findings spent 100 s of their 184 s
 * here on layers of 8 × 8 maps, which the screen does not pay on.
 */
async function everyPair(pool: ComputePool, codes: SharedCodes[], signal?: AbortSignal): Promise<ScreenedSelfCapacity> {
  const n = codes.length;
  const { values } = await pool.capacityFromCodes(codes, codes, signal);
  const pairs = new ScreenedPairs((n * (n - 1)) / 2);
  let k = 0;
  for (let c = 0; c < n; c++) for (let d = c + 1; d < n; d++) pairs.set(k++, c, d, NaN, NaN, values[c * n + d], values[d * n + c]);
  return { channels: n, diagonal: Array.from({ length: n }, (_, c) => cell(values[c * n + c])), pairs, screen: undefined };
}
