// Which inputs the Training view's curves are over: the slice's input subset when it has one (the
// `training` query with `x`: the probe loss, accuracy and label entropies of those inputs), every
// probe input otherwise. The training set's loss and accuracy never follow a subset of the probe
// set, and a report that does not hold the subset's curves shows every probe input: each chart
// says which it shows, in words, on the chart.
import type { JSX } from 'preact';
import type { InputSubset } from '../../../src/analysis/subsets';
import type { TrainingAnswer } from '../../../src/contract/queries';
import { queries } from '../../../src/contract/plan';
import { describeSubset } from '../../slice';
import { useApp, useQuery } from '../../state';
import type { QueryResult } from '../../state';

export interface TrainingScope {
  /** The slice's input subset. */
  subset: InputSubset;
  /** `all`: the slice is every input; `subset`: the answer is the subset's; `every`: the subset's is not available, every probe input is shown. */
  shows: 'all' | 'subset' | 'every';
}

/**
 * The curves the view draws and what they are over. `withLabels` false (a model that predicts no
 * class) asks every input only: its one chart, the training loss, is the training set's anyway.
 */
export function useTrainingCurves(withLabels: boolean): {
  result: QueryResult<TrainingAnswer>;
  all: QueryResult<TrainingAnswer>;
  scope: TrainingScope;
} {
  const { ui } = useApp();
  const subset = ui.slice.subset;
  const wanted = withLabels && subset.kind !== 'all';
  const all = useQuery(queries.training(), 'training');
  const ofSubset = useQuery(wanted ? queries.training(subset) : null, 'training');
  if (!wanted) return { result: all, all, scope: { subset, shows: 'all' } };
  // A report without the subset's answer: every input, said so on each chart (not an error).
  if (ofSubset.status === 'error' && ofSubset.error.code === 'not-in-report')
    return { result: all, all, scope: { subset, shows: 'every' } };
  return { result: ofSubset, all, scope: { subset, shows: 'subset' } };
}

/**
 * What a chart's values are over, on the chart: the slice's inputs, or every probe input and why.
 * `lead` names what is over them (default "Over"); `also` is said after (the loss chart's
 * training-set lines, which no subset reaches).
 */
export function ScopeNote(props: {
  scope: TrainingScope;
  answer: TrainingAnswer | undefined;
  lead?: string;
  also?: string;
}): JSX.Element | null {
  const { classNames } = useApp();
  const { scope } = props;
  if (scope.shows === 'all') return null;
  const x = describeSubset(scope.subset, classNames);
  const also = props.also ? ` ${props.also}` : '';
  const lead = props.lead ?? 'Over';
  if (scope.shows === 'every')
    return (
      <p class="subset-note" role="note" data-testid="training-scope" data-scope="every">
        {lead} every probe input: this report does not hold these values for the slice's inputs ({x}).{also}
      </p>
    );
  const count = props.answer?.inputCount;
  return (
    <p class="subset-note" role="note" data-testid="training-scope" data-scope="subset">
      {lead} the slice's inputs: {x}
      {count !== undefined ? ` (${count} probe input${count === 1 ? '' : 's'})` : ''}.{also}
    </p>
  );
}
