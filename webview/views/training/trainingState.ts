// The Training view's persisted state: the class highlighted in every chart, the inputs the
// diversity bars measure, and the confusion-matrix cell whose inputs are listed. Class indices are
// checked against the run's class count, so a state saved for another run is dropped.
import * as v from 'valibot';
import { useSchemaViewState } from '../../state';

const classIndex = (classCount: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(classCount - 1));

export const DiversitySourceSchema = v.picklist(['probe', 'dataset']);
export type DiversitySource = v.InferOutput<typeof DiversitySourceSchema>;

/** A confusion-matrix cell: true class `t`, predicted class `p`. */
const cellSchema = (classCount: number) => v.object({ t: classIndex(classCount), p: classIndex(classCount) });
export type CellRef = v.InferOutput<ReturnType<typeof cellSchema>>;

export function useHighlight(classCount: number): [number | null, (c: number | null) => void] {
  return useSchemaViewState('training.highlight', v.nullable(classIndex(classCount)), null);
}

export function useDiversitySource(): [DiversitySource, (s: DiversitySource) => void] {
  return useSchemaViewState('training.diversitySource', DiversitySourceSchema, 'probe');
}

export function useSelectedCell(classCount: number): [CellRef | null, (c: CellRef | null) => void] {
  return useSchemaViewState('training.cell', v.nullable(cellSchema(classCount)), null);
}
