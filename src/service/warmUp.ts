/**
 * The layer the engine's compute workers are warmed up on before the first query (engine.ts): a
 * capacity matrix of it runs every branch of the distance codes and joint histograms that real
 * layers take. V8 optimises a function on the types and branches it has seen; a branch first taken
 * by real activations throws the optimised code away ("insufficient type feedback") and costs its
 * compilation again, on the query's time. The channels of trained ReLU layers differ widely
 * (measured on examples/cifar-cnn.ts at epoch 1: dead channels whose 500 inputs are all zero,
 * channels active on a handful of inputs, dense channels without a single zero row), so the
 * warm-up layer has one channel of each kind, each kind on several channels so that both workers,
 * which take channels on demand, are likely to meet every kind.
 */
import { LayerActivations, layerActivations, seededRandom } from '../analysis';

/** Inputs, values per channel and channels of the warm-up layer (a few hundred ms of work on the workers). */
export const WARM_UP_LAYER = [500, 256, 16] as const;

/** How many kinds of channel the warm-up layer cycles through (`warmUpValue`). */
const CHANNEL_KINDS = 8;

/**
 * The warm-up layer, `[count, 1, units, channels]`, deterministic. Channel `c` is of kind
 * `floor(c / 2) mod 8`, so neighbouring channels (which the two workers tend to take one each)
 * are of the same kind.
 */
export function warmUpLayer(count = WARM_UP_LAYER[0], units = WARM_UP_LAYER[1], channels = WARM_UP_LAYER[2]): LayerActivations {
  const random = seededRandom(1);
  // One matrix per kind, shared by that kind's channels (the layer is built on the service's
  // thread while the backend loads: a value per element costs 0.15 s, a copy 0.01 s).
  const kinds = Array.from({ length: Math.min(channels, CHANNEL_KINDS) }, (_, kind) => kindMatrix(kind, count, units, random));
  const values = new Float32Array(count * units * channels);
  for (let c = 0; c < channels; c++) {
    const m = kinds[Math.floor(c / 2) % kinds.length];
    for (let r = 0, at = c; r < m.length; r++, at += channels) values[at] = m[r];
  }
  return layerActivations([count, 1, units, channels], values);
}

/** The `[count, units]` matrix of a channel of `kind`. */
function kindMatrix(kind: number, count: number, units: number, random: () => number): Float32Array {
  const m = new Float32Array(count * units);
  for (let i = 0; i < count; i++) for (let u = 0; u < units; u++) m[i * units + u] = warmUpValue(kind, i, u, random);
  // Repeated inputs (identical rows give distances of exactly 0) in the kinds that vary.
  if (kind !== 3 && kind !== 6) for (let i = 6; i < count; i += 7) m.copyWithin(i * units, (i - 1) * units, i * units);
  return m;
}

/** Value `u` of input `i` in a channel of `kind`. */
function warmUpValue(kind: number, i: number, u: number, random: () => number): number {
  switch (kind) {
    case 0:
      // ReLU-like: half the values 0, every fifth input's feature map all 0 (the rows of zeros are
      // left out of the float32 kernel).
      return i % 5 === 4 ? 0 : Math.max(0, random() - 0.5);
    case 1:
      // Dense: no value 0, no row of zeros (every row through the kernel).
      return random() + 0.01;
    case 2:
      // Sparse but no row of zeros: a few values per input, one of them always set.
      return u === i % 7 || random() < 0.03 ? random() : 0;
    case 3:
      // Dead: every value 0 (every distance 0, one bin).
      return 0;
    case 4:
      // Nearly dead: three inputs active, the others all 0.
      return i % 167 === 3 ? random() : 0;
    case 5:
      // A few rows of zeros, too few to be left out of the kernel.
      return i % 40 === 39 ? 0 : Math.max(0, random() - 0.3);
    case 6:
      // Constant: every input the same non-zero feature map (every distance 0, non-zero norms).
      return 1.25 + 0.37 * (u % 3);
    default:
      // Large values on half the inputs, the others all 0.
      return i % 2 === 0 ? 0 : 50 * random();
  }
}
