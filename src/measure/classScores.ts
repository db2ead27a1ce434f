/**
 * Class scores from the values of a model's classification output, for the label measures: the
 * output's kind (src/contract/runFormat.ts `RunOutput`) says how its values predict a class. The
 * recorder chooses the output (src/recorder/outputs.ts `chooseOutput`); a PyTorch run's manifest
 * names it; the measurement worker is sent its kind and width (src/contract/protocols/measure.ts).
 */
import { classScores } from '../analysis/predictions';
import type { RunOutput } from '../contract/runFormat';

/** What the class scores of an output depend on: its kind, and its values per input (the last axis). */
export interface ScoredOutput {
  kind: RunOutput['kind'];
  units: number;
}

/**
 * Class scores `[n, classes]` (rows of probabilities) from the output's values, for the label
 * measures; undefined when the output's values already are that.
 */
export function classScoresOf(output: ScoredOutput, classes: number): ((values: Float32Array) => Float32Array | Float64Array) | undefined {
  switch (output.kind) {
    case 'softmax':
      return undefined;
    case 'logits':
    case 'binary': {
      const kind = output.kind;
      return (values) => classScores(kind, values, classes);
    }
    case 'none':
      // No predictions: uniform scores keep the label measures computable; the recorder then
      // replaces them with their "absent" values (src/recorder/outputs.ts `withoutLabelMeasures`).
      return (values) => new Float32Array((values.length / Math.max(1, output.units)) * classes).fill(1 / classes);
  }
}
