import type { JSX } from 'preact';
import type { TrainingAnswer } from '../../../src/contract/queries';
import { ClassMultiples } from '../../charts/classMultiples';
import type { ClassMultiplesRun } from '../../charts/classMultiples';
import { classLabel } from '../../charts/common';
import { notRecordedEpochs, runColour, runLetter } from '../../compare';
import { ranges } from '../../slice';
import { EpochLines } from '../../charts/trainingLines';
import { Card } from '../../ui';
import type { RunAnswers } from './compareData';
import { runSeries } from './runSeries';
import { formatBits } from '../../../src/contract/format';

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

/**
 * The label entropies of every class at once (paper Fig. 6): a small chart per class for each of
 * the two entropies, one line per run, every chart on one scale.
 */
export function ClassMultiplesCard(props: {
  answers: RunAnswers[];
  labels: string[];
  labelMeasures: boolean[];
  classNames: string[];
}): JSX.Element {
  const aligned = (pick: (t: TrainingAnswer) => (number | null)[][]) => {
    const runs = props.answers.map((a) => a.training);
    const epochs = [...new Set(runs.flatMap((t) => t?.epochs ?? []))].sort((a, b) => a - b);
    const series: ClassMultiplesRun[] = runs.flatMap((t, r) => {
      if (!t || props.labelMeasures[r] === false) return [];
      const rows = pick(t);
      const values = props.classNames.map((_, c) => {
        const at = new Map(t.epochs.map((e, i) => [e, rows[c]?.[i] ?? null]));
        return epochs.map((e) => at.get(e) ?? null);
      });
      const recorded = notRecordedEpochs(epochs, t.epochs, r).map((sentence) => sentence === undefined);
      return [{ run: r, label: props.labels[r], colour: runColour(r), values, recorded }];
    });
    return { epochs, series };
  };
  const given = aligned((t) => t.hLabelGivenPred);
  const missing = missingEpochsNote(
    given.epochs,
    props.answers.map((a) => a.training?.epochs),
  );
  const scatter = aligned((t) => t.hPredGivenLabel);
  const exportSpec = {
    name: 'label-entropies-every-class',
    table: () => ({
      columns: ['run', 'class', 'epoch', 'H(label | pred = class) (bits)', 'H(pred | label = class) (bits)'],
      rows: given.series.flatMap((s, k) =>
        props.classNames.flatMap((_, c) =>
          given.epochs.map((e, i) => [
            runLetter(s.run),
            classLabel(c, props.classNames),
            e,
            s.values[c][i],
            scatter.series[k].values[c][i],
          ]),
        ),
      ),
    }),
  };
  return (
    <Card
      title="Label entropies of every class"
      label="H(label | pred = i) and H(pred | label = i) of every class i over the epochs, one small chart per class and one line per run"
      class="compare-class-multiples"
      export={exportSpec}
    >
      {given.epochs.length === 0 ? (
        <p class="muted">No run has a recorded epoch.</p>
      ) : (
        <>
          <ClassMultiples
            id="labelGivenPred"
            title="H(label | pred = i): how uncertain the true label is among the inputs predicted as i"
            epochs={given.epochs}
            classNames={props.classNames}
            runs={given.series}
          />
          <ClassMultiples
            id="predGivenLabel"
            title="H(pred | label = i): how scattered the predictions for the inputs of i are"
            epochs={scatter.epochs}
            classNames={props.classNames}
            runs={scatter.series}
          />
          <p class="muted chart-note">
            One chart per class, one line per run in its colour, the epochs across and bits up; every chart of a row shares its scale (0 to
            the largest value shown). 0 bits = certain; a gap = undefined (no input predicted as, or labelled with, the class at that
            epoch). The next card shows one class in detail, picked by its menu.
          </p>
          {missing && (
            <p class="muted chart-note" data-testid="missing-epochs">
              {missing}
            </p>
          )}
        </>
      )}
    </Card>
  );
}

/**
 * The sentence under the small multiples for runs with fewer epochs than the others: "B has no epochs
 * 4–5 (3 epochs recorded): its lines end at epoch 3." Undefined when every run has every epoch.
 */
export function missingEpochsNote(union: readonly number[], runEpochs: readonly (readonly number[] | undefined)[]): string | undefined {
  const sentences = runEpochs.flatMap((recorded, r) => {
    if (!recorded) return [];
    const have = new Set(recorded);
    const lacking = union.filter((e) => !have.has(e));
    if (lacking.length === 0) return [];
    const list = lacking.length === 1 ? `epoch ${lacking[0]}` : `epochs ${ranges(lacking)}`;
    const last = recorded[recorded.length - 1];
    const after = last !== undefined && lacking.every((e) => e > last) ? `: its lines end at epoch ${last}` : ': its lines pass over them';
    return [`${runLetter(r)} has no ${list} (${recorded.length} epoch${recorded.length === 1 ? '' : 's'} recorded)${after}.`];
  });
  return sentences.length ? sentences.join(' ') : undefined;
}
