// The loss and accuracy card of the Training view, and for a run whose model predicts no class
// the training loss alone (charts/lossChart.tsx draws both).
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import type { TrainingAnswer } from '../../../src/contract/queries';
import { lossPanels, SetLegend, trainingLossPanels } from '../../charts/lossChart';
import { EpochLines } from '../../charts/trainingLines';
import { fitWidth, usePanelWidth } from '../../charts/common';
import { shown } from '../../state';
import type { QueryResult } from '../../state';
import { Card, QueryStatus } from '../../ui';
import { ScopeNote } from './trainingScope';
import type { TrainingScope } from './trainingScope';

/** The loss chart's width where it has the room; in a narrower panel it takes its card's width. */
const LOSS_WIDTH = 470;

export function LossCard(props: {
  result: QueryResult<TrainingAnswer>;
  epoch: number;
  onEpoch: (epoch: number) => void;
  /** False for a run whose model predicts no class: its probe loss and accuracies are not measured (default true). */
  labelMeasures?: boolean;
  /** The loss trained on (the manifest's `training.loss`), named in the title of a run without label measures. */
  lossName?: string;
  /** Which inputs the probe lines are over (the slice's subset or every probe input). */
  scope?: TrainingScope;
}): JSX.Element {
  const a = shown(props.result);
  const wrap = useRef<HTMLDivElement>(null);
  const width = fitWidth(usePanelWidth(wrap), LOSS_WIDTH);
  if (props.labelMeasures === false) return <TrainingLossCard {...props} />;
  const missingTrain = a ? a.epochs.filter((_, i) => a.trainLoss[i] === null || a.trainAccuracy[i] === null) : [];
  const panels = a ? lossPanels(a) : [];
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
      {props.scope && (
        <ScopeNote
          scope={props.scope}
          answer={a}
          lead="Probe loss and accuracy (dashed) over"
          also="The training-set lines (solid) are over the whole training set: no subset of the probe inputs reaches them."
        />
      )}
      {a && a.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
      {a && a.epochs.length > 0 && <SetLegend />}
      {/* Always there, so the width is measured before the first answer arrives. */}
      <div ref={wrap} class="loss-plot">
        {a && a.epochs.length > 0 && (
          <EpochLines
            epochs={a.epochs}
            panels={panels}
            selectedEpoch={props.epoch}
            highlight={null}
            onEpoch={props.onEpoch}
            width={width}
            panelHeight={160}
            label={`Loss and accuracy of the training set and the probe set over epochs ${a.epochs[0]}–${a.epochs[a.epochs.length - 1]}`}
            undefinedText="not measured"
          />
        )}
      </div>
      {a && a.epochs.length > 0 && missingTrain.length > 0 && (
        <p class="muted chart-note">
          No training-set value at epoch{missingTrain.length === 1 ? '' : 's'} {missingTrain.join(', ')} (before any training step): the
          solid lines start later.
        </p>
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
  const wrap = useRef<HTMLDivElement>(null);
  const width = fitWidth(usePanelWidth(wrap), LOSS_WIDTH);
  const title = props.lossName && props.lossName !== 'none' ? `Training loss (${props.lossName})` : 'Training loss';
  const missingTrain = a ? a.epochs.filter((_, i) => a.trainLoss[i] === null) : [];
  const panels = a ? trainingLossPanels(a, title) : [];
  const exportSpec = a && {
    name: 'training-loss',
    table: () => ({ columns: ['epoch', 'train loss'], rows: a.epochs.map((e, i) => [e, a.trainLoss[i]]) }),
  };
  return (
    <Card title={title} label="Training loss over the epochs" class="loss-chart training-loss-only" export={exportSpec}>
      <QueryStatus result={props.result} what="the training metrics" />
      {a && a.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
      <div ref={wrap} class="loss-plot">
        {a && a.epochs.length > 0 && (
          <EpochLines
            epochs={a.epochs}
            panels={panels}
            selectedEpoch={props.epoch}
            highlight={null}
            onEpoch={props.onEpoch}
            width={width}
            panelHeight={160}
            label={`Training loss over epochs ${a.epochs[0]}–${a.epochs[a.epochs.length - 1]}`}
            undefinedText="not measured"
          />
        )}
      </div>
      {a && a.epochs.length > 0 && (
        <>
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
