import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { format } from 'd3-format';
import { fitWidth, usePanelWidth } from '../../charts/common';
import { EpochLines } from '../../charts/trainingLines';
import type { LinePanel } from '../../charts/epochLinesLayout';
import { runColour, runLetter } from '../../compare';
import { Card } from '../../ui';
import type { RunAnswers } from './compareData';
import { runSeries } from './runSeries';

const pct = format('.1%');
const lossFormat = format('.4f');

/** `labelMeasures[r]`: whether run r has probe loss and accuracies (its model predicts classes). */
export function CurvesCard(props: { answers: RunAnswers[]; labels: string[]; labelMeasures: boolean[] }): JSX.Element {
  const [highlight, setHighlight] = useState<string | null>(null);
  // The chart takes its card's width in a narrow panel (470 px where it has the room).
  const wrap = useRef<HTMLDivElement>(null);
  const width = fitWidth(usePanelWidth(wrap), 470);
  const measured = props.labelMeasures;
  const trainLoss = runSeries(props.answers, props.labels, (t) => t.trainLoss, '-train');
  const probeLoss = runSeries(props.answers, props.labels, (t) => t.probeLoss, '-probe', true, measured);
  const trainAcc = runSeries(props.answers, props.labels, (t) => t.trainAccuracy, '-train', false, measured);
  const probeAcc = runSeries(props.answers, props.labels, (t) => t.probeAccuracy, '-probe', true, measured);
  const epochs = trainLoss.epochs;
  const panels: LinePanel[] = [
    {
      id: 'loss',
      // A run without label measures trained on another loss (mean squared error, say): no common name then.
      title: measured.every(Boolean) ? 'Loss (cross-entropy)' : 'Loss (each run’s own)',
      yLabel: 'loss',
      format: lossFormat,
      series: [...trainLoss.series, ...probeLoss.series],
    },
    {
      id: 'accuracy',
      title: 'Accuracy',
      yLabel: 'accuracy',
      yDomain: [0, 1],
      format: pct,
      tick: format('.0%'),
      series: [...trainAcc.series, ...probeAcc.series],
    },
  ];
  const exportSpec = {
    name: 'loss-and-accuracy-compared',
    table: () => ({
      columns: [
        'epoch',
        ...props.answers.flatMap((_, r) =>
          ['train loss', 'probe loss', 'train accuracy', 'probe accuracy'].map((c) => `run ${runLetter(r)} ${c}`),
        ),
      ],
      rows: epochs.map((e, i) => [
        e,
        ...props.answers.flatMap((_, r) =>
          [trainLoss, probeLoss, trainAcc, probeAcc].map((s) => s.series.find((x) => x.key.startsWith(`run-${r}-`))?.values[i] ?? null),
        ),
      ]),
    }),
  };
  return (
    <Card
      title="Loss and accuracy"
      label="Loss and accuracy over the epochs, every run overlaid"
      class="loss-chart compare-curves"
      export={exportSpec}
    >
      <div class="series-legend compare-legend">
        {props.labels.map((label, r) => (
          <span key={r} data-run={r}>
            <span class="swatch" style={{ background: runColour(r) }} />
            {label}
          </span>
        ))}
        <span class="muted">solid: training set · dashed: probe set</span>
      </div>
      <div ref={wrap}>
        {epochs.length === 0 ? (
          <p class="muted">No run has a recorded epoch.</p>
        ) : (
          <EpochLines
            epochs={epochs}
            width={width}
            panels={panels}
            selectedEpoch={epochs[epochs.length - 1]}
            highlight={highlight}
            onHighlight={(key) => setHighlight(highlight === key ? null : key)}
            panelHeight={160}
            label={`Loss and accuracy over epochs ${epochs[0]}–${epochs[epochs.length - 1]} of runs ${props.labels.join('; ')}`}
            undefinedText="not measured"
          />
        )}
      </div>
    </Card>
  );
}
