import type { TrainingAnswer } from '../../../src/contract/queries';
import type { LineSeries } from '../../charts/epochLinesLayout';
import { alignEpochs, notRecordedEpochs, runColour, runLetter } from '../../compare';
import type { RunAnswers } from './compareData';

/** Series of one measure, one per run, on the union of the runs' epochs. */
export function runSeries(
  answers: RunAnswers[],
  labels: string[],
  pick: (t: TrainingAnswer) => (number | null)[],
  suffix: string,
  dashed = false,
  measured: readonly boolean[] = [],
): { epochs: number[]; series: LineSeries[] } {
  const aligned = alignEpochs(answers.map((a) => ({ epochs: a.training?.epochs ?? [], values: a.training ? pick(a.training) : [] })));
  return {
    epochs: aligned.epochs,
    series: aligned.values
      .map((values, r) => ({
        key: `run-${r}${suffix}`,
        label: `${runLetter(r)} ${suffix.slice(1)}`.trim(),
        colour: runColour(r),
        values,
        dashed,
        notRecorded: notRecordedEpochs(aligned.epochs, answers[r].training?.epochs ?? [], r),
      }))
      // A run without this measure (`measured[r]` false) keeps its place in the alignment but draws no line.
      .filter((_, r) => answers[r].training !== undefined && measured[r] !== false),
  };
}
