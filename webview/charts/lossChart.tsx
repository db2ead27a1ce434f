// Loss and accuracy over the epochs (paper Fig. 4(E), Fig. 5(A)): two panels sharing the epoch
// axis in one SVG, training-set values solid, probe-set values dashed. The training values are
// averages over an epoch's batches, so epoch 0 (before any training step) has none: a gap. A run
// without label measures (a model that predicts no class) has neither probe loss nor accuracy: the
// chart is then the training loss alone, under the loss's own name.
import type { JSX } from 'preact';
import { format } from 'd3-format';
import type { TrainingAnswer } from '../../src/contract/queries';
import type { LinePanel } from './epochLinesLayout';

const TRAIN_COLOUR = 'var(--vscode-charts-blue)';
const PROBE_COLOUR = 'var(--vscode-charts-orange)';
const pct = format('.1%');
const loss = format('.4f');

/** The loss panel and the accuracy panel, each with its training-set and probe-set line. */
export function lossPanels(a: TrainingAnswer): LinePanel[] {
  return [
    {
      id: 'loss',
      title: 'Loss (cross-entropy)',
      yLabel: 'loss',
      format: loss,
      series: [
        { key: 'trainLoss', label: 'train loss', colour: TRAIN_COLOUR, values: a.trainLoss },
        { key: 'probeLoss', label: 'probe loss', colour: PROBE_COLOUR, values: a.probeLoss, dashed: true },
      ],
    },
    {
      id: 'accuracy',
      title: 'Accuracy',
      yLabel: 'accuracy',
      yDomain: [0, 1],
      format: pct,
      tick: format('.0%'),
      series: [
        { key: 'trainAccuracy', label: 'train accuracy', colour: TRAIN_COLOUR, values: a.trainAccuracy },
        { key: 'probeAccuracy', label: 'probe accuracy', colour: PROBE_COLOUR, values: a.probeAccuracy, dashed: true },
      ],
    },
  ];
}

/** The training loss alone, titled with the loss's name, for a run whose model predicts no class. */
export function trainingLossPanels(a: TrainingAnswer, title: string): LinePanel[] {
  return [
    {
      id: 'loss',
      title,
      yLabel: 'loss',
      format: loss,
      series: [{ key: 'trainLoss', label: 'train loss', colour: TRAIN_COLOUR, values: a.trainLoss }],
    },
  ];
}

/** The line styles of the two sets: solid for the training set, dashed for the probe set. */
export function SetLegend(): JSX.Element {
  return (
    <div class="series-legend" aria-hidden="true">
      <span>
        <svg width="22" height="8">
          <line x1="0" x2="22" y1="4" y2="4" style={{ stroke: TRAIN_COLOUR }} stroke-width="2" />
        </svg>{' '}
        training set
      </span>
      <span>
        <svg width="22" height="8">
          <line x1="0" x2="22" y1="4" y2="4" style={{ stroke: PROBE_COLOUR }} stroke-width="2" stroke-dasharray="5 3" />
        </svg>{' '}
        probe set
      </span>
    </div>
  );
}
