import type { JSX } from 'preact';
import { classLabel } from '../../charts/common';
import { EpochLines } from '../../charts/trainingLines';
import { Card } from '../../ui';
import type { RunAnswers } from './compareData';
import { runSeries } from './runSeries';
import { formatBits } from '../../format';

/** The label entropies of one class picked by the user, one line per run. */
export function ClassEntropyCard(props: {
  answers: RunAnswers[];
  labels: string[];
  /** Whether each run has label entropies (its model predicts classes); the others draw no line. */
  labelMeasures: boolean[];
  cls: number;
  classNames: string[];
  onClass(c: number): void;
}): JSX.Element {
  const c = props.cls;
  const given = runSeries(
    props.answers,
    props.labels,
    (t) => t.hLabelGivenPred[c] ?? t.epochs.map(() => null),
    '',
    false,
    props.labelMeasures,
  );
  const scatter = runSeries(
    props.answers,
    props.labels,
    (t) => t.hPredGivenLabel[c] ?? t.epochs.map(() => null),
    '',
    false,
    props.labelMeasures,
  );
  const name = classLabel(c, props.classNames);
  const picker = (
    <label>
      Class{' '}
      <select aria-label="Class compared" value={String(c)} onChange={(e) => props.onClass(Number((e.target as HTMLSelectElement).value))}>
        {props.classNames.map((n, k) => (
          <option key={k} value={String(k)}>
            {classLabel(k, props.classNames)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <Card
      title={`Label entropies of ${name}`}
      label={`H(label | pred = ${name}) and H(pred | label = ${name}) over the epochs, one line per run`}
      class="label-entropy compare-label-entropy"
      tools={picker}
    >
      {given.epochs.length === 0 ? (
        <p class="muted">No run has a recorded epoch.</p>
      ) : (
        <>
          <EpochLines
            epochs={given.epochs}
            panels={[
              {
                id: 'labelGivenPred',
                title: `H(label | pred = ${name})`,
                yLabel: 'bits',
                format: formatBits,
                series: given.series,
                markUndefined: true,
              },
              {
                id: 'predGivenLabel',
                title: `H(pred | label = ${name})`,
                yLabel: 'bits',
                format: formatBits,
                series: scatter.series,
                markUndefined: true,
              },
            ]}
            selectedEpoch={given.epochs[given.epochs.length - 1]}
            highlight={null}
            panelHeight={140}
            label={`Label entropies of ${name} in bits, one line per run`}
            undefinedText="undefined"
            undefinedNote="no input predicted as (top) or labelled with (bottom) this class at that epoch"
          />
          <p class="muted chart-note">
            Top: how uncertain the true label is among the inputs each run predicts as {name}. Bottom: how scattered each run's predictions
            for the inputs of {name} are. 0 bits = certain; a gap = undefined.
          </p>
        </>
      )}
    </Card>
  );
}
