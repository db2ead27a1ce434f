// The label entropies over epochs (paper 5.2, Fig. 4(B)/(C), Fig. 6): H(label | pred = i), the
// uncertainty about the true label of the inputs the model predicts as class i, and
// H(pred | label = i), how scattered the model's predictions for the inputs of class i are. One
// line per class; an undefined entropy (nothing predicted as / labelled with the class at that
// epoch) is a gap with a marker, never a 0.
import type { JSX } from 'preact';
import { classColour } from '../colours';
import type { LineSeries } from './epochLinesLayout';

/**
 * The one note a run without label measures shows in their place (see `labelMeasuresAbsent`):
 * neutral, since a regression or embedding model is no mistake, and saying why.
 */
export function LabelMeasuresNote(props: { reason: string; run?: string }): JSX.Element {
  return (
    <p class="status label-measures-absent" role="note">
      <span>
        <strong>{props.run ? `${props.run} has no label measures.` : 'No label measures.'}</strong> {props.reason} Every measure that needs
        no labels is shown as usual.
      </span>
    </p>
  );
}

export type LabelEntropyKind = 'labelGivenPred' | 'predGivenLabel';

/** The words of each label entropy: its titles, what it measures, and why a value can be undefined. */
export const LABEL_ENTROPY_TEXT: Record<
  LabelEntropyKind,
  { title: string; short: string; what: string; undefinedWhy: string; file: string }
> = {
  labelGivenPred: {
    title: 'H(label | pred = i)',
    short: 'H(label|pred)',
    what: 'Uncertainty about the true label of the inputs predicted as class i: 0 bits when every input predicted as i really is an i.',
    undefinedWhy: 'no input predicted as this class at that epoch',
    file: 'label-entropy-given-prediction',
  },
  predGivenLabel: {
    title: 'H(pred | label = i)',
    short: 'H(pred|label)',
    what: 'How scattered the predictions for the inputs of class i are: 0 bits when all of them get one (not necessarily right) prediction.',
    undefinedWhy: 'no probe input labelled with this class',
    file: 'label-entropy-given-label',
  },
};

export function classSeries(values: (number | null)[][], classNames: string[]): LineSeries[] {
  return values.map((v, c) => ({
    key: `class-${c}`,
    label: classNames[c] ?? String(c),
    colour: classColour(c, classNames.length),
    values: v,
    cls: c,
  }));
}

/** "epoch 0: classes 2, 5; epoch 3: class 7": which class each marker stands for, in words. */
export function undefinedList(values: (number | null)[][], epochs: number[], classNames: string[]): string {
  const parts: string[] = [];
  epochs.forEach((e, i) => {
    const classes = values.flatMap((row, c) => (row[i] === null ? [classNames[c] ?? String(c)] : []));
    if (classes.length) parts.push(`epoch ${e}: class${classes.length === 1 ? '' : 'es'} ${classes.join(', ')}`);
  });
  return parts.join('; ');
}
