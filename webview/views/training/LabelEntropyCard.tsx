// A label entropy over the epochs in the Training view, one line per class, with its export and
// the list of the undefined values in words (charts/labelEntropy.tsx says what each measures).
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import type { TrainingAnswer } from '../../../src/contract/queries';
import { useWidth } from '../../charts/common';
import { classSeries, LABEL_ENTROPY_TEXT, undefinedList } from '../../charts/labelEntropy';
import type { LabelEntropyKind } from '../../charts/labelEntropy';
import { EpochLines, UndefinedGlyph } from '../../charts/trainingLines';
import { shown } from '../../state';
import type { QueryResult } from '../../state';
import { Card, QueryStatus } from '../../ui';
import { formatBits } from '../../../src/contract/format';
import { ScopeNote } from './trainingScope';
import type { TrainingScope } from './trainingScope';

export function LabelEntropyCard(props: {
  kind: LabelEntropyKind;
  result: QueryResult<TrainingAnswer>;
  epoch: number;
  highlight: number | null;
  onHighlight(cls: number): void;
  onEpoch: (epoch: number) => void;
  /** Which inputs the values are over (the slice's subset or every probe input). */
  scope?: TrainingScope;
}): JSX.Element {
  const t = LABEL_ENTROPY_TEXT[props.kind];
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
      {props.scope && <ScopeNote scope={props.scope} answer={a} />}
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
                format: formatBits,
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
