/**
 * The contract TypeScript and Python share, as one JSON text: python/cnn_slicer/contract.json,
 * written by `npm run contract` (scripts/contract-json.mjs) and checked by `npm run lint` and
 * test/unit/contract/sharedContract.test.ts. The Python recorder builds its tables from it
 * (python/cnn_slicer/ops.py, trace.py, recorder.py, measures.py, control.py) and its tests check
 * its code against the known answers. Everything in it is read from its one definition here:
 * the PyTorch tables (pytorchOps.ts), the recording defaults (recordSettings.ts), the loss's clamp
 * (src/analysis/predictions.ts), the control's seed streams (controlFormat.ts) and the seeded
 * generator's answers (src/analysis/random.ts). Pure: no I/O.
 */
import { LOSS_EPSILON, predictionMeasures, seededPermutation, seededRandom, softmaxRows, streamSeed } from '../analysis';
import { CONTROL_STREAMS } from './controlFormat';
import { PYTORCH_METADATA, PYTORCH_MODULES, PYTORCH_OPS, PYTORCH_PASS_FUNCTIONS, RESAMPLE_MODES } from './pytorchOps';
import { DEFAULT_RECORD_SETTINGS } from './recordSettings';

/** Where the contract is written, from the repository's root. */
export const SHARED_CONTRACT_FILE = 'python/cnn_slicer/contract.json';

/** The seeds and sizes the known answers are computed for. */
const GENERATOR_SEEDS = [0, 1, 7, 123456789, 4294967295];
const PERMUTATIONS = [
  { count: 10, seed: 0 },
  { count: 1, seed: 5 },
  { count: 20, seed: 2024 },
];
const PIXEL_PERMUTATIONS = [
  { height: 4, width: 5, seed: 1 },
  { height: 3, width: 3, seed: 123456789 },
];
const LABEL_PERMUTATIONS = [{ count: 8, seed: 7 }];

/**
 * Logits `[4, 3]` and labels whose measures are known answers of the loss: an ordinary row, a tie
 * (the first class wins), a confident row (whose small loss keeps its digits only in float64), and a
 * label whose probability is below the clamp.
 */
const LOGITS = [2, 1, 0, 0, 0, 0, 20, 0, -5, 0, 30, 0];
const LABELS = [0, 2, 0, 0];

/** The probe measures of {@link LOGITS} by src/analysis/predictions.ts: softmaxed rows, then loss, accuracy and confusion. */
function predictionAnswers() {
  const classes = 3;
  const scores = softmaxRows(Float32Array.from(LOGITS), classes);
  const m = predictionMeasures(scores, LABELS, classes);
  return { classes, logits: LOGITS, labels: LABELS, scores: [...scores], loss: m.loss, accuracy: m.accuracy, confusion: m.confusion };
}

/** The known answers of the seeded generator (mulberry32) and the control's permutations, by the TypeScript implementation. */
function knownAnswers() {
  return {
    mulberry32: GENERATOR_SEEDS.map((seed) => {
      const draw = seededRandom(seed);
      return { seed, values: Array.from({ length: 5 }, () => draw()) };
    }),
    seededPermutation: PERMUTATIONS.map(({ count, seed }) => ({ count, seed, permutation: [...seededPermutation(count, seed)] })),
    pixelPermutation: PIXEL_PERMUTATIONS.map(({ height, width, seed }) => ({
      height,
      width,
      seed,
      permutation: [...seededPermutation(height * width, streamSeed(seed, CONTROL_STREAMS.pixels))],
    })),
    predictions: predictionAnswers(),
    labelPermutation: LABEL_PERMUTATIONS.map(({ count, seed }) => ({
      count,
      seed,
      permutation: [...seededPermutation(count, streamSeed(seed, CONTROL_STREAMS.labels))],
    })),
  };
}

function contract() {
  return {
    about: 'Generated from src/contract by `npm run contract` (scripts/contract-json.mjs): do not edit. python/README.md, "The contract".',
    modules: PYTORCH_MODULES,
    ops: PYTORCH_OPS,
    passFunctions: PYTORCH_PASS_FUNCTIONS,
    metadata: PYTORCH_METADATA,
    resampleModes: RESAMPLE_MODES,
    recordDefaults: DEFAULT_RECORD_SETTINGS,
    loss: { epsilon: LOSS_EPSILON },
    controlStreams: CONTROL_STREAMS,
    knownAnswers: knownAnswers(),
  };
}

/** The contract as an object, its keys in a fixed order. */
export type SharedContract = ReturnType<typeof contract>;
export function sharedContract(): SharedContract {
  return contract();
}

/** The contract's text as the file holds it: two-space JSON and a final newline. */
export function sharedContractText(): string {
  return JSON.stringify(sharedContract(), null, 2) + '\n';
}
