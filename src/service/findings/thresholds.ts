/**
 * The thresholds of the findings' rules, each named once (docs/estimators.md "Findings"): the
 * findings answer lists them by name, and the docs explain each against the demo's LeNet run.
 */
import {
  NEAR_DUPLICATE_SCREEN_ENERGY_R,
  NEAR_DUPLICATE_SCREEN_LOW_BITS,
  NEAR_DUPLICATE_SCREEN_R,
  NEAR_DUPLICATE_SHARE,
} from '../../analysis/nearDuplicates';
import { UNINFORMATIVE_BITS } from '../../analysis/labelInformation';

export { NEAR_DUPLICATE_SHARE, UNINFORMATIVE_BITS };

/** A layer with at least this many near-duplicate channel pairs says its channels move together, once, naming none… */
export const NEAR_DUPLICATE_MANY_PAIRS = 1000;
/** …as does a layer of at least NEAR_DUPLICATE_MANY_MIN_CHANNELS channels where more than this share of its compared pairs are. */
export const NEAR_DUPLICATE_MANY_SHARE = 0.25;
export const NEAR_DUPLICATE_MANY_MIN_CHANNELS = 16;

/** Label information drops sharply when the layer keeps at most (1 − this) of its input's `I_pair(T; Y)`… */
export const LABEL_DROP_SHARE = 0.5;
/** …and loses at least this many bits (about a tenth of `H(S)` for ten balanced classes, whose ceiling is ≈ 0.47 bit). */
export const LABEL_DROP_MIN_BITS = 0.05;

/** A layer with parameters is inert when its `I_pair(X; T)` and `I_pair(T; Y)` both equal its input's within this many bits. */
export const INERT_TOLERANCE_BITS = 0.01;

/** Inter-sample entropy this close to its ceiling (`log2` of the ordered pairs it can weigh) is at the ceiling. */
export const INTER_SAMPLE_CEILING_TOLERANCE_BITS = 0.05;
/** The probe size suggested for a measure at its ceiling puts the ceiling at least this many bits above the value. */
export const CEILING_HEADROOM_BITS = 2;

/** Probe loss is rising when it is at least this share above its lowest value at an earlier recorded epoch… */
export const PROBE_LOSS_RISE_SHARE = 0.05;
/** …while the training loss fell from that epoch by at least this share. */
export const TRAIN_LOSS_FALL_SHARE = 0;

/** Every threshold by name, as the findings answer carries them. */
export const THRESHOLDS: Record<string, number> = {
  NEAR_DUPLICATE_SHARE,
  NEAR_DUPLICATE_SCREEN_R,
  NEAR_DUPLICATE_SCREEN_ENERGY_R,
  NEAR_DUPLICATE_SCREEN_LOW_BITS,
  NEAR_DUPLICATE_MANY_PAIRS,
  NEAR_DUPLICATE_MANY_SHARE,
  NEAR_DUPLICATE_MANY_MIN_CHANNELS,
  UNINFORMATIVE_BITS,
  LABEL_DROP_SHARE,
  LABEL_DROP_MIN_BITS,
  INERT_TOLERANCE_BITS,
  INTER_SAMPLE_CEILING_TOLERANCE_BITS,
  CEILING_HEADROOM_BITS,
  PROBE_LOSS_RISE_SHARE,
  TRAIN_LOSS_FALL_SHARE,
};
