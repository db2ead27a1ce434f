// The label entropies over epochs (paper 5.2, Fig. 4(B)/(C), Fig. 6): H(label | pred = i), the
// uncertainty about the true label of the inputs the model predicts as class i, and
// H(pred | label = i), how scattered the model's predictions for the inputs of class i are. One
// line per class; an undefined entropy (nothing predicted as / labelled with the class at that
// epoch) is a gap with a marker, never a 0.
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import type { TrainingAnswer } from '../../src/service/queries';
import { classColour } from '../colours';
import { shown } from '../state';
import type { QueryResult } from '../state';
import { Card, fmtBits, QueryStatus } from '../ui';
import { useWidth } from './common';
import { EpochLines, UndefinedGlyph } from './trainingLines';
import type { LineSeries } from './trainingLines';

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

const TEXT: Record<LabelEntropyKind, { title: string; short: string; what: string; undefinedWhy: string; file: string }> = {
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

export function LabelEntropyCard(props: {
  kind: LabelEntropyKind;
  result: QueryResult<TrainingAnswer>;
  epoch: number;
  highlight: number | null;
  onHighlight(cls: number): void;
  onEpoch: (epoch: number) => void;
}): JSX.Element {
  const t = TEXT[props.kind];
  const a = shown(props.result);
  const values = a ? (props.kind === 'labelGivenPred' ? a.hLabelGivenPred : a.hPredGivenLabel) : [];
  const undefinedCount = values.reduce((n, row) => n + row.filter((v) => v === null).length, 0);
  // The chart takes its card's width (at least the 470 px it was drawn for): one epoch per few
  // pixels would crowd the lines and the undefined markers of a long run.
  const wrap = useRef<HTMLDivElement>(null);
  const available = useWidth(wrap, 470);
  const width = Math.max(470, Math.min(1100, available));
  const exportSpec = a && {
    name: t.file,
    table: () => ({
      columns: ['epoch', ...a.classNames.map((n) => `class ${n} (bits)`)],
      rows: a.epochs.map((e, i) => [e, ...values.map((row) => row[i])]),
    }),
    json: () => ({
      measure: t.title,
      unit: 'bits',
      epochs: a.epochs,
      classNames: a.classNames,
      values,
      note: 'values[class][epoch index]; null = undefined',
    }),
  };
  return (
    <Card
      title={t.title}
      label={`${t.title} over the epochs, one line per class`}
      class={`label-entropy ${props.kind}`}
      export={exportSpec}
    >
      <QueryStatus result={props.result} what="the training metrics" />
      {a && a.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
      {/* Always there, so its width is measured before the first answer arrives. */}
      <div ref={wrap} class="label-entropy-plot">
        {a && a.epochs.length > 0 && (
          <EpochLines
            epochs={a.epochs}
            width={width}
            panels={[
              {
                id: props.kind,
                yLabel: `${t.short} (bits)`,
                series: classSeries(values, a.classNames),
                format: fmtBits,
                markUndefined: true,
              },
            ]}
            selectedEpoch={props.epoch}
            highlight={props.highlight === null ? null : `class-${props.highlight}`}
            onHighlight={(key) => props.onHighlight(Number(key.slice('class-'.length)))}
            onEpoch={props.onEpoch}
            label={`${t.title} in bits over epochs ${a.epochs[0]}–${a.epochs[a.epochs.length - 1]}, one line per class; ${undefinedCount} undefined value${undefinedCount === 1 ? '' : 's'}`}
            undefinedText="undefined"
            undefinedNote={t.undefinedWhy}
          />
        )}
      </div>
      {a && a.epochs.length > 0 && (
        <>
          <p class="muted chart-note">
            {t.what} Hover for every class's value in bits; click a line to highlight its class, the plot to pick an epoch.
          </p>
          {undefinedCount > 0 && (
            <p class="chart-note undefined-note">
              <UndefinedGlyph />
              <span>
                = undefined: {t.undefinedWhy} (the line has a gap there; {undefinedCount} such point
                {undefinedCount === 1 ? '' : 's'}):{' '}
                <span data-testid="undefined-list">{undefinedList(values, a.epochs, a.classNames)}</span>.
              </span>
            </p>
          )}
        </>
      )}
    </Card>
  );
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
