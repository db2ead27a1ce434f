// The comparison of several runs (the hypercube's fifth axis, docs/views.md "Comparing runs"): loss
// and accuracy overlaid, the label entropies of one class across runs, the layers side by side and
// each run's input diversity (paper Fig. 5(A)/(B)), one colour per run in every chart. The view takes
// a list of runs, each with its own data source, and asks each run the queries of src/contract/plan.ts's
// `comparePlan`, so a report (answers keyed by run) and a host (a query per run) can feed it alike.
// In VS Code the user also picks the epoch of the per-layer values (a report holds the last only).
// A run whose model predicts no class has no label measures: its probe loss, accuracies and label
// entropies are left out of the charts (never drawn as zeros), and one note names the run and says why.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { LabelMeasuresNote } from '../../charts/labelEntropy';
import { comparableEpochs, epochForRun, matchLayers, positionOfLayer, runColour, runLabel, runLetter } from '../../compare';
import type { CompareEpochChoice } from '../../compare';
import type { Focus } from '../../../src/contract/webviewProtocol';
import { ClassEntropyCard, ClassMultiplesCard } from './ClassEntropyCard';
import { useLayerAnswers, useRunAnswers } from './compareData';
import type { CompareRun } from './compareData';
import { useEpochChoice } from './compareState';
import { CurvesCard } from './CurvesCard';
import { DiversityComparisonCard } from './DiversityComparisonCard';
import { InformationPlaneComparisonCard } from './InformationPlaneComparisonCard';
import { LayerComparisonCard } from './LayerComparisonCard';
import { NetworksCard } from './NetworksCard';
import { labelMeasuresAbsent } from '../../../src/contract/format';

export function CompareView(props: { runs: CompareRun[]; focusRequest?: { focus: Focus; at: number } }): JSX.Element {
  const manifests = useMemo(() => props.runs.map((r) => r.manifest), [props.runs]);
  const [cls, setCls] = useState(0);
  const [sizeIndex, setSizeIndex] = useState(Number.MAX_SAFE_INTEGER);
  const [savedChoice, setEpochChoice] = useEpochChoice();
  const [selectedLayer, setSelectedLayer] = useState<number | undefined>(undefined);
  // A report holds each run's last epoch only (src/contract/plan.ts comparePlan): no other is offered there.
  const canChooseEpoch = props.runs.every((r) => r.data.mode === 'vscode');
  const epochChoice: CompareEpochChoice = canChooseEpoch ? savedChoice : 'last';
  const epochs = useMemo(() => props.runs.map((r) => epochForRun(r.manifest.epochs, epochChoice)), [props.runs, epochChoice]);
  const epochsKey = epochs.join(',');
  const answers = useRunAnswers(props.runs, manifests);
  const layerAnswers = useLayerAnswers(props.runs, epochs, epochsKey, epochChoice);
  const matches = useMemo(() => matchLayers(manifests), [manifests]);
  useEffect(() => {
    const layer = props.focusRequest?.focus.layer;
    if (layer === undefined) return;
    // The editor's cursor: its layer's position, matched by position and type (never by name).
    const position = positionOfLayer(matches, layer, props.focusRequest?.focus.layerClass);
    setSelectedLayer(position);
    if (position !== undefined)
      document.querySelector(`.compare-layers-table tr[data-layer="${position}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [props.focusRequest, matches]);
  const labels = manifests.map((m, r) => runLabel(m, r, props.runs[r].name));
  const absent = manifests.map((m) => labelMeasuresAbsent(m));
  if (!answers) {
    return (
      <div class="status" role="status">
        <vscode-progress-ring class="ring" aria-hidden="true" /> Reading {props.runs.length} runs…
      </div>
    );
  }
  const classCount = Math.max(0, ...manifests.map((m) => m.dataset.classNames.length));
  const classNames = manifests.reduce<string[]>(
    (longest, m) => (m.dataset.classNames.length > longest.length ? m.dataset.classNames : longest),
    [],
  );
  const picked = Math.min(cls, Math.max(0, classCount - 1));
  const layersCurrent = layerAnswers?.key === epochsKey ? layerAnswers.runs : undefined;
  // While another epoch computes, the values of the previous one stay, said as such (their own epochs).
  const layersShown = layerAnswers?.runs;
  const problems = [
    ...answers.flatMap((a, r) => a.problems.map((p) => `run ${runLetter(r)} — ${p}`)),
    ...(layersCurrent ?? []).flatMap((a, r) => a.problems.map((p) => `run ${runLetter(r)} — ${p}`)),
  ];
  const sameClasses = manifests.every((m) => m.dataset.classNames.join('\u0000') === manifests[0].dataset.classNames.join('\u0000'));
  const epochPicker = (
    <EpochPicker choice={epochChoice} epochs={comparableEpochs(manifests)} canChoose={canChooseEpoch} onChoice={setEpochChoice} />
  );
  return (
    <>
      <RunLegend labels={labels} />
      {!sameClasses && (
        <p class="status class-mismatch" role="note">
          The runs’ datasets name their classes differently ({manifests.map((m, r) => `${runLetter(r)}: ${m.dataset.name}`).join(', ')}):
          the charts below match classes by index and use the names of the run with the most classes.
        </p>
      )}
      {absent.map((reason, r) => reason !== undefined && <LabelMeasuresNote key={r} run={`Run ${labels[r]}`} reason={reason} />)}
      <CurvesCard answers={answers} labels={labels} labelMeasures={absent.map((a) => a === undefined)} />
      {absent.some((a) => a === undefined) && (
        <ClassMultiplesCard answers={answers} labels={labels} labelMeasures={absent.map((a) => a === undefined)} classNames={classNames} />
      )}
      {absent.some((a) => a === undefined) && (
        <ClassEntropyCard
          answers={answers}
          labels={labels}
          labelMeasures={absent.map((a) => a === undefined)}
          cls={picked}
          classNames={classNames}
          onClass={setCls}
        />
      )}
      <LayerComparisonCard
        matches={matches}
        values={layersShown?.map((a) => a.layers)}
        choice={layerAnswers?.choice ?? epochChoice}
        loading={layersCurrent === undefined ? epochChoice : undefined}
        tools={epochPicker}
        selected={selectedLayer}
        onSelect={setSelectedLayer}
      />
      <InformationPlaneComparisonCard runs={props.runs} labels={labels} />
      <DiversityComparisonCard
        answers={answers.map((a) => a.diversity)}
        sizeIndex={sizeIndex}
        classNames={classNames}
        onSize={setSizeIndex}
      />
      <NetworksCard runs={props.runs} labels={labels} matches={matches} />
      {problems.length > 0 && (
        <div class="status" role="note">
          <span>
            Not shown: {problems.slice(0, 6).join('; ')}
            {problems.length > 6 ? ` and ${problems.length - 6} more` : ''}.
          </span>
        </div>
      )}
    </>
  );
}

/** The runs and their colours, named once above every chart. */
function RunLegend(props: { labels: string[] }): JSX.Element {
  return (
    <div class="training-legend run-legend" role="list" aria-label="Compared runs">
      <span class="muted">Runs</span>
      <div class="class-legend">
        {props.labels.map((label, r) => (
          <span key={r} role="listitem" class="legend-item" data-run={r}>
            <span class="swatch" style={{ background: runColour(r) }} />
            {label}
          </span>
        ))}
      </div>
    </div>
  );
}

/** The epoch of the per-layer values: each run's last, or one of the epochs the runs share (in VS Code only). */
function EpochPicker(props: {
  choice: CompareEpochChoice;
  epochs: number[];
  canChoose: boolean;
  onChoice(choice: CompareEpochChoice): void;
}): JSX.Element {
  return (
    <label>
      Epoch{' '}
      <select
        aria-label="Epoch of the layer values"
        value={String(props.choice)}
        disabled={!props.canChoose}
        title={
          props.canChoose ? undefined : 'A report holds each run’s last epoch only: open the runs in VS Code to compare another epoch.'
        }
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          props.onChoice(v === 'last' ? 'last' : Number(v));
        }}
      >
        <option value="last">last of each run</option>
        {props.canChoose &&
          props.epochs.map((e) => (
            <option key={e} value={String(e)}>
              {e}
            </option>
          ))}
      </select>
    </label>
  );
}
