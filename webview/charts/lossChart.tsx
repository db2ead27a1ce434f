// Loss and accuracy over the epochs (paper Fig. 4(E), Fig. 5(A)): two panels sharing the epoch
// axis in one SVG, training-set values solid, probe-set values dashed. The training values are
// averages over an epoch's batches, so epoch 0 (before any training step) has none: a gap. A run
// without label measures (a model that predicts no class) has neither probe loss nor accuracy: the
// chart is then the training loss alone, under the loss's own name.
import type { JSX } from 'preact';
import { format } from 'd3-format';
import type { TrainingAnswer } from '../../src/service/queries';
import { shown } from '../state';
import type { QueryResult } from '../state';
import { Card, QueryStatus } from '../ui';
import { EpochLines } from './trainingLines';
import type { LinePanel } from './trainingLines';

const TRAIN_COLOUR = 'var(--vscode-charts-blue)';
const PROBE_COLOUR = 'var(--vscode-charts-orange)';
const pct = format('.1%');
const loss = format('.4f');

export function LossCard(props: {
  result: QueryResult<TrainingAnswer>;
  epoch: number;
  onEpoch: (epoch: number) => void;
  /** False for a run whose model predicts no class: its probe loss and accuracies are not measured (default true). */
  labelMeasures?: boolean;
  /** The loss trained on (the manifest's `training.loss`), named in the title of a run without label measures. */
  lossName?: string;
}): JSX.Element {
  const a = shown(props.result);
  if (props.labelMeasures === false) return <TrainingLossCard {...props} />;
  const missingTrain = a ? a.epochs.filter((_, i) => a.trainLoss[i] === null || a.trainAccuracy[i] === null) : [];
  const panels: LinePanel[] = a
    ? [
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
      ]
    : [];
  const exportSpec = a && {
    name: 'loss-and-accuracy',
    table: () => ({
      columns: ['epoch', 'train loss', 'probe loss', 'train accuracy', 'probe accuracy'],
      rows: a.epochs.map((e, i) => [e, a.trainLoss[i], a.probeLoss[i], a.trainAccuracy[i], a.probeAccuracy[i]]),
    }),
  };
  return (
    <Card title="Loss and accuracy" label="Training and probe loss and accuracy over the epochs" class="loss-chart" export={exportSpec}>
      <QueryStatus result={props.result} what="the training metrics" />
      {a && a.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
      {a && a.epochs.length > 0 && (
        <>
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
          <EpochLines
            epochs={a.epochs}
            panels={panels}
            selectedEpoch={props.epoch}
            highlight={null}
            onEpoch={props.onEpoch}
            panelHeight={160}
            label={`Loss and accuracy of the training set and the probe set over epochs ${a.epochs[0]}–${a.epochs[a.epochs.length - 1]}`}
            undefinedText="not measured"
          />
          {missingTrain.length > 0 && (
            <p class="muted chart-note">
              No training-set value at epoch{missingTrain.length === 1 ? '' : 's'} {missingTrain.join(', ')} (before any training step): the
              solid lines start later.
            </p>
          )}
        </>
      )}
    </Card>
  );
}

/** The training loss alone, for a run whose model predicts no class (no probe loss, no accuracy). */
function TrainingLossCard(props: {
  result: QueryResult<TrainingAnswer>;
  epoch: number;
  onEpoch: (epoch: number) => void;
  lossName?: string;
}): JSX.Element {
  const a = shown(props.result);
  const title = props.lossName && props.lossName !== 'none' ? `Training loss (${props.lossName})` : 'Training loss';
  const missingTrain = a ? a.epochs.filter((_, i) => a.trainLoss[i] === null) : [];
  const panels: LinePanel[] = a
    ? [
        {
          id: 'loss',
          title,
          yLabel: 'loss',
          format: loss,
          series: [{ key: 'trainLoss', label: 'train loss', colour: TRAIN_COLOUR, values: a.trainLoss }],
        },
      ]
    : [];
  const exportSpec = a && {
    name: 'training-loss',
    table: () => ({ columns: ['epoch', 'train loss'], rows: a.epochs.map((e, i) => [e, a.trainLoss[i]]) }),
  };
  return (
    <Card title={title} label="Training loss over the epochs" class="loss-chart training-loss-only" export={exportSpec}>
      <QueryStatus result={props.result} what="the training metrics" />
      {a && a.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
      {a && a.epochs.length > 0 && (
        <>
          <EpochLines
            epochs={a.epochs}
            panels={panels}
            selectedEpoch={props.epoch}
            highlight={null}
            onEpoch={props.onEpoch}
            panelHeight={160}
            label={`Training loss over epochs ${a.epochs[0]}–${a.epochs[a.epochs.length - 1]}`}
            undefinedText="not measured"
          />
          <p class="muted chart-note">
            {missingTrain.length > 0
              ? `No training loss at epoch${missingTrain.length === 1 ? '' : 's'} ${missingTrain.join(', ')} (before any training step). `
              : ''}
            The model predicts no class, so there is no probe loss and no accuracy.
          </p>
        </>
      )}
    </Card>
  );
}
