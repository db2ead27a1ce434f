// The training performance view (paper 5.2, Fig. 4): the confusion matrix at the shared epoch, the
// label entropies H(label | pred = i) and H(pred | label = i) over the epochs, the input diversity
// bars and the loss / accuracy curves. A class picked in the legend (or by clicking a line) is
// emphasised in every chart of the view; the epoch is the one all views share. A run whose model
// predicts no class (a regression or an embedding) has no label measures: one note says why in
// place of the confusion matrix and the label entropies, and the loss chart shows the training loss only.
// The slice's input subset reaches the confusion matrix, the label entropies and the probe lines
// (trainingScope.tsx); each chart says which inputs it is over.
import type { JSX } from 'preact';
import { classColour } from '../../colours';
import { LabelMeasuresNote } from '../../charts/labelEntropy';
import { shown, useApp } from '../../state';
import { ConfusionCard } from './ConfusionCard';
import { DiversityCard } from './DiversityCard';
import { LabelEntropyCard } from './LabelEntropyCard';
import { LossCard } from './LossCard';
import { useHighlight } from './trainingState';
import { useTrainingCurves } from './trainingScope';
import { labelMeasuresAbsent } from '../../../src/contract/format';

export function TrainingView(): JSX.Element {
  const { classNames, manifest, ui, update } = useApp();
  const absent = labelMeasuresAbsent(manifest);
  const { result: training, scope } = useTrainingCurves(absent === undefined);
  const answer = shown(training);
  const names = answer?.classNames ?? classNames;
  const [highlight, setHighlight] = useHighlight(names.length);
  const toggle = (c: number) => setHighlight(highlight === c ? null : c);
  const onEpoch = (epoch: number) => update({ epoch });
  return (
    <>
      <ClassLegend classNames={names} highlight={highlight} onToggle={toggle} />
      {absent !== undefined ? (
        <>
          <LabelMeasuresNote reason={absent} />
          <LossCard result={training} epoch={ui.epoch} onEpoch={onEpoch} labelMeasures={false} lossName={manifest.training?.loss} />
          <DiversityCard highlight={highlight} />
        </>
      ) : (
        <>
          <ConfusionCard highlight={highlight} subset={ui.slice.subset} />
          <LabelEntropyCard
            kind="labelGivenPred"
            result={training}
            epoch={ui.epoch}
            highlight={highlight}
            onHighlight={toggle}
            onEpoch={onEpoch}
            scope={scope}
          />
          <LabelEntropyCard
            kind="predGivenLabel"
            result={training}
            epoch={ui.epoch}
            highlight={highlight}
            onHighlight={toggle}
            onEpoch={onEpoch}
            scope={scope}
          />
          <LossCard result={training} epoch={ui.epoch} onEpoch={onEpoch} scope={scope} />
          <DiversityCard highlight={highlight} />
        </>
      )}
    </>
  );
}

/** The class colours used by every chart of every view, and the class highlight of this view. */
function ClassLegend(props: { classNames: string[]; highlight: number | null; onToggle(c: number): void }): JSX.Element {
  const n = props.classNames.length;
  return (
    <div class="training-legend" role="group" aria-label="Classes: click one to highlight it in every chart of this view">
      <span class="muted">Classes</span>
      <div class="class-legend">
        {props.classNames.map((name, c) => (
          <button
            key={c}
            type="button"
            class={`legend-item${props.highlight === c ? ' highlighted' : ''}${props.highlight !== null && props.highlight !== c ? ' faded' : ''}`}
            data-class={c}
            aria-pressed={props.highlight === c}
            title={props.highlight === c ? `Stop highlighting class ${name}` : `Highlight class ${name} in every chart`}
            onClick={() => props.onToggle(c)}
          >
            <span class="swatch" style={{ background: classColour(c, n) }} />
            {name}
          </button>
        ))}
      </div>
      <span class="muted">{props.highlight === null ? 'click a class to highlight it' : 'click it again to clear'}</span>
    </div>
  );
}
