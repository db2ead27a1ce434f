// The comparison of several runs (the hypercube's fifth axis, docs/views.md "Comparing runs"): loss
// and accuracy overlaid, the label entropies of one class across runs, the layers side by side and
// each run's input diversity (paper Fig. 5(A)/(B)), one colour per run in every chart. The view takes
// a list of runs, each with its own data source, and asks each run the queries of webview/plan.ts's
// `comparePlan`, so a report (answers keyed by run) and a host (a query per run) can feed it alike.
// In VS Code the user also picks the epoch of the per-layer values (a report holds the last only).
// A run whose model predicts no class has no label measures: its probe loss, accuracies and label
// entropies are left out of the charts (never drawn as zeros), and one note names the run and says why.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { format } from 'd3-format';
import type { RunManifest } from '../../src/run/format';
import type {
  ChannelEntropiesAnswer,
  InformationPlaneAnswer,
  InputDiversityAnswer,
  InterSampleAnswer,
  TrainingAnswer,
} from '../../src/service/queries';
import {
  alignEpochs,
  comparableEpochs,
  epochForRun,
  matchLayers,
  meanDefined,
  positionOfLayer,
  runColour,
  runLabel,
  runLetter,
} from '../compare';
import type { CompareEpochChoice } from '../compare';
import type { DataSource } from '../data';
import { ViewError } from '../data';
import { compareQueries, INFORMATION_ESTIMATORS, informationQueries, queries } from '../plan';
import type { InformationEstimator } from '../plan';
import { shortLayerName } from '../layerLabel';
import { EstimatorPicker, ESTIMATOR_TEXT, InformationPlaneChart, saturatedText } from '../charts/informationPlane';
import type { PlaneTrajectory } from '../charts/informationPlane';
import { usePanelWidth } from '../charts/common';
import type { Focus } from '../protocol';
import { useViewState } from '../state';
import { Card, fmtBits, Toggle } from '../ui';
import { DiversityComparisonCard, LayerComparisonCard } from '../charts/runComparison';
import type { RunLayerValues } from '../charts/runComparison';
import { classLabel, labelMeasuresAbsent } from '../charts/common';
import { LabelMeasuresNote } from '../charts/labelEntropy';
import { EpochLines } from '../charts/trainingLines';
import type { LinePanel, LineSeries } from '../charts/trainingLines';
import { RunNetwork } from './NetworkView';

/** One run of the comparison: its manifest and where its answers come from. */
export interface CompareRun {
  manifest: RunManifest;
  data: DataSource;
}

interface RunAnswers {
  training?: TrainingAnswer;
  diversity?: InputDiversityAnswer;
  /** Messages of the queries that failed, said under the charts. */
  problems: string[];
}

/** One run's per-layer values at the epoch compared, and the queries of them that failed. */
interface RunLayerAnswers {
  layers: RunLayerValues;
  problems: string[];
}

const pct = format('.1%');
const lossFormat = format('.4f');

/** Asks one query, turning a failure into a line of `problems` (unless the view was left). */
function asker(problems: string[], signal: AbortSignal) {
  return async <T,>(what: string, p: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await p();
    } catch (e) {
      if (signal.aborted) return undefined;
      problems.push(`${what}: ${e instanceof ViewError || e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
}

/** A run's training curves and input diversity: asked once per comparison. */
async function loadRun(run: CompareRun, all: RunManifest[], signal: AbortSignal): Promise<RunAnswers> {
  const problems: string[] = [];
  const ask = asker(problems, signal);
  const options = { signal };
  const [training, diversity] = await Promise.all([
    ask('training metrics', () => run.data.query(queries.training(), { ...options, view: 'training' })),
    ask('input diversity', () => run.data.query(compareQueries.inputDiversity(all), { ...options, view: 'training' })),
  ]);
  return { training, diversity, problems };
}

/** A run's per-layer entropies at one of its epochs (undefined: the run has no epoch to compare). */
async function loadLayers(run: CompareRun, epoch: number | undefined, signal: AbortSignal): Promise<RunLayerAnswers> {
  const problems: string[] = [];
  const ask = asker(problems, signal);
  const options = { signal };
  const interSample: (number | undefined)[] = [];
  const meanChannel: (number | undefined)[] = [];
  if (epoch !== undefined) {
    await Promise.all(
      run.manifest.layers.map(async (l) => {
        const inter = await ask<InterSampleAnswer>(`inter-sample entropy of layer ${l.index} at epoch ${epoch}`, () =>
          run.data.query(queries.interSample(l.index, epoch, { kind: 'all' }), { ...options, view: 'query' }),
        );
        interSample[l.index] = inter?.bits ?? undefined;
        if (l.index === 0) return;
        const channels = await ask<ChannelEntropiesAnswer>(`channel entropies of layer ${l.index} at epoch ${epoch}`, () =>
          run.data.query(queries.channelEntropies(l.index, epoch, { kind: 'all' }), { ...options, view: 'channel' }),
        );
        meanChannel[l.index] = channels ? meanDefined(channels.all) : undefined;
      }),
    );
  }
  return { layers: { epoch, interSample, meanChannel }, problems };
}

const validEpochChoice = (x: unknown): x is CompareEpochChoice => x === 'last' || (typeof x === 'number' && Number.isInteger(x) && x >= 0);

export function CompareView(props: { runs: CompareRun[]; focusRequest?: { focus: Focus; at: number } }): JSX.Element {
  const manifests = useMemo(() => props.runs.map((r) => r.manifest), [props.runs]);
  const [answers, setAnswers] = useState<RunAnswers[] | undefined>(undefined);
  /** The layer values last received, for the epochs in `key` (kept on screen while another epoch computes). */
  const [layerAnswers, setLayerAnswers] = useState<{ key: string; choice: CompareEpochChoice; runs: RunLayerAnswers[] } | undefined>(
    undefined,
  );
  const [cls, setCls] = useState(0);
  const [sizeIndex, setSizeIndex] = useState(Number.MAX_SAFE_INTEGER);
  const [savedChoice, setEpochChoice] = useViewState<CompareEpochChoice>('compareEpoch', 'last', validEpochChoice);
  const [selectedLayer, setSelectedLayer] = useState<number | undefined>(undefined);
  // A report holds each run's last epoch only (webview/plan.ts comparePlan): no other is offered there.
  const canChooseEpoch = props.runs.every((r) => r.data.mode === 'vscode');
  const epochChoice: CompareEpochChoice = canChooseEpoch ? savedChoice : 'last';
  const epochs = useMemo(() => props.runs.map((r) => epochForRun(r.manifest.epochs, epochChoice)), [props.runs, epochChoice]);
  const epochsKey = epochs.join(',');
  useEffect(() => {
    const controller = new AbortController();
    setAnswers(undefined);
    void Promise.all(props.runs.map((r) => loadRun(r, manifests, controller.signal))).then((a) => {
      if (!controller.signal.aborted) setAnswers(a);
    });
    return () => controller.abort();
  }, [props.runs, manifests]);
  useEffect(() => {
    const controller = new AbortController();
    void Promise.all(props.runs.map((r, i) => loadLayers(r, epochs[i], controller.signal))).then((runs) => {
      if (!controller.signal.aborted) setLayerAnswers({ key: epochsKey, choice: epochChoice, runs });
    });
    return () => controller.abort();
    // epochsKey stands for `epochs`: a new array of the same epochs asks nothing again.
  }, [props.runs, epochsKey, epochChoice]);
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
  const labels = manifests.map((m, r) => runLabel(m, r));
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
  const allEpochs = comparableEpochs(manifests);
  const epochPicker = (
    <label>
      Epoch{' '}
      <select
        aria-label="Epoch of the layer values"
        value={String(epochChoice)}
        disabled={!canChooseEpoch}
        title={canChooseEpoch ? undefined : 'A report holds each run’s last epoch only: open the runs in VS Code to compare another epoch.'}
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          setEpochChoice(v === 'last' ? 'last' : Number(v));
        }}
      >
        <option value="last">last of each run</option>
        {canChooseEpoch &&
          allEpochs.map((e) => (
            <option key={e} value={String(e)}>
              {e}
            </option>
          ))}
      </select>
    </label>
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
      <NetworksCard runs={props.runs} labels={labels} />
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

/** Series of one measure, one per run, on the union of the runs' epochs. */
function runSeries(
  answers: RunAnswers[],
  labels: string[],
  pick: (t: TrainingAnswer) => (number | null)[],
  suffix: string,
  dashed = false,
  measured: readonly boolean[] = [],
): { epochs: number[]; series: LineSeries[] } {
  const aligned = alignEpochs(answers.map((a) => ({ epochs: a.training?.epochs ?? [], values: a.training ? pick(a.training) : [] })));
  return {
    epochs: aligned.epochs,
    series: aligned.values
      .map((values, r) => ({
        key: `run-${r}${suffix}`,
        label: `${runLetter(r)} ${suffix.slice(1)}`.trim(),
        colour: runColour(r),
        values,
        dashed,
      }))
      // A run without this measure (`measured[r]` false) keeps its place in the alignment but draws no line.
      .filter((_, r) => answers[r].training !== undefined && measured[r] !== false),
  };
}

/** `labelMeasures[r]`: whether run r has probe loss and accuracies (its model predicts classes). */
function CurvesCard(props: { answers: RunAnswers[]; labels: string[]; labelMeasures: boolean[] }): JSX.Element {
  const [highlight, setHighlight] = useState<string | null>(null);
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
      {epochs.length === 0 ? (
        <p class="muted">No run has a recorded epoch.</p>
      ) : (
        <EpochLines
          epochs={epochs}
          panels={panels}
          selectedEpoch={epochs[epochs.length - 1]}
          highlight={highlight}
          onHighlight={(key) => setHighlight(highlight === key ? null : key)}
          panelHeight={160}
          label={`Loss and accuracy over epochs ${epochs[0]}–${epochs[epochs.length - 1]} of runs ${props.labels.join('; ')}`}
          undefinedText="not measured"
        />
      )}
    </Card>
  );
}

function ClassEntropyCard(props: {
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
                format: fmtBits,
                series: given.series,
                markUndefined: true,
              },
              {
                id: 'predGivenLabel',
                title: `H(pred | label = ${name})`,
                yLabel: 'bits',
                format: fmtBits,
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

const validEstimator = (v: unknown): v is InformationEstimator => INFORMATION_ESTIMATORS.includes(v as InformationEstimator);

/**
 * Every run's information-plane trajectories in one plane (issue 16), one colour per run; the points
 * grow from each run's first recorded epoch to its last. The estimator is switched for all runs at once.
 */
function InformationPlaneComparisonCard(props: { runs: CompareRun[]; labels: string[] }): JSX.Element {
  const [estimator, setEstimator] = useViewState<InformationEstimator>('compare.information.estimator', 'pairwise', validEstimator);
  const [planes, setPlanes] = useState<{
    estimator: InformationEstimator;
    answers: (InformationPlaneAnswer | undefined)[];
    problems: string[];
  }>();
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  useEffect(() => {
    const controller = new AbortController();
    const problems: string[] = [];
    const ask = asker(problems, controller.signal);
    void Promise.all(
      props.runs.map((r, k) =>
        ask(`run ${runLetter(k)} — information plane (${estimator})`, () =>
          r.data.query(informationQueries.plane(estimator, { kind: 'all' }), { view: 'information', signal: controller.signal }),
        ),
      ),
    ).then((answers) => {
      if (!controller.signal.aborted) setPlanes({ estimator, answers, problems });
    });
    return () => controller.abort();
  }, [props.runs, estimator]);
  const trajectories: PlaneTrajectory[] = (planes?.answers ?? []).flatMap((a, r) => {
    if (!a) return [];
    const layers = props.runs[r].manifest.layers;
    return a.layers.map((l, k) => ({
      key: `run-${r}-${l.layer}`,
      layer: l.layer,
      run: r,
      label: `${runLetter(r)} ${layers[l.layer] ? shortLayerName(layers[l.layer], layers) : `layer ${l.layer}`}`,
      points: l.points,
      symbol: k,
      colour: runColour(r),
    }));
  });
  const shownAnswers = (planes?.answers ?? []).filter((a): a is InformationPlaneAnswer => a !== undefined);
  const epochs = [...new Set(shownAnswers.flatMap((a) => a.epochs))].sort((x, y) => x - y);
  const saturated = saturatedText(trajectories);
  const drawn = planes?.estimator ?? estimator;
  const exportSpec = planes && {
    name: `information-plane-${drawn}-compared`,
    table: () => ({
      columns: ['run', 'estimator', 'layer', 'epoch', 'I(X;T) bits', 'I(T;Y) bits', 'saturated'],
      rows: trajectories.flatMap((t) => t.points.map((p) => [runLetter(t.run ?? 0), drawn, t.layer, p.epoch, p.ixt, p.ity, p.saturated])),
    }),
  };
  const picker = <EstimatorPicker value={estimator} onChange={setEstimator} />;
  return (
    <Card
      title={`Information plane (${drawn})`}
      label="Information plane of every run: each layer's I(X;T) and I(T;Y) over the epochs, one colour per run"
      class="information-plane-card compare-information-plane"
      tools={picker}
      export={exportSpec}
    >
      <div ref={wrap} class="ip-plot">
        {!planes ? (
          <div class="status" role="status">
            <vscode-progress-ring class="ring" aria-hidden="true" /> Reading the information planes…
          </div>
        ) : epochs.length === 0 ? (
          <p class="muted">No run has an information plane to show.</p>
        ) : (
          <InformationPlaneChart
            trajectories={trajectories}
            estimator={drawn}
            ceilings={shownAnswers.map((a) => a.ceilings)}
            epochs={epochs}
            highlight={null}
            width={Math.min(760, panelWidth - 30)}
            label={`Information plane, ${drawn} estimator, of runs ${props.labels.join('; ')}: ${trajectories.length} layer trajectories, one colour per run`}
          />
        )}
      </div>
      {planes && epochs.length > 0 && (
        <>
          <p class={saturated ? 'chart-note ip-saturated-note' : 'muted chart-note ip-saturated-note'}>
            {saturated ? (
              <>
                <span class="ip-saturated-swatch" aria-hidden="true" /> <strong>Saturated</strong> (at log2 N and H(Y), says nothing about
                learning): {saturated}.
              </>
            ) : (
              'No saturated point.'
            )}
          </p>
          <p class="muted chart-note">
            One colour per run (the legend above); marker and label = layer; a point grows from the run’s first recorded epoch to its last.{' '}
            {ESTIMATOR_TEXT[drawn].about}
          </p>
        </>
      )}
      {planes && planes.problems.length > 0 && (
        <p class="status" role="note">
          Not shown: {planes.problems.join('; ')}.
        </p>
      )}
    </Card>
  );
}

/**
 * Issue 17: the runs' network graphs side by side, each at its last epoch. Asked only when opened:
 * each graph is a forward pass and a capacity per layer pair of its run.
 */
function NetworksCard(props: { runs: CompareRun[]; labels: string[] }): JSX.Element {
  const [open, setOpen] = useViewState<boolean>('compare.networks', false, (v): v is boolean => typeof v === 'boolean');
  return (
    <Card
      title="Networks side by side"
      label="The runs' network graphs side by side: channel clusters per layer and the capacity between them, at each run's last epoch"
      class="wide"
      tools={
        <Toggle pressed={open} data-testid="compare-networks-toggle" onClick={() => setOpen(!open)}>
          {open ? 'Hide' : 'Show'}
        </Toggle>
      }
    >
      {open ? (
        <div class="compare-networks">
          {props.runs.map((r, i) => (
            <RunNetwork key={i} manifest={r.manifest} data={r.data} label={props.labels[i]} />
          ))}
        </div>
      ) : (
        <p class="muted">
          Each run's layers as clusters of channels linked by the capacity between them (the Network view); Show computes them.
        </p>
      )}
    </Card>
  );
}
