// The charts the picture tests draw (docs/testing.md "Picture tests"), by name, each from props given
// as JSON: what is not JSON (formats, callbacks, layer matches) is built as the chart's card builds
// it. One module for both tiers: the Chromium page (test/browser/pictures/entry.tsx) and the Node
// pictures (test/unit/webview/charts/pictures.test.ts, drawn in jsdom by pictures.ts).
import type { JSX } from 'preact';
import type { RunLayer } from '../../src/contract/runFormat';
import type {
  CapacityMatrixAnswer,
  ConfusionAnswer,
  InformationPlaneAnswer,
  InputDiversityAnswer,
  SmallMultiplesAnswer,
  TrainingAnswer,
} from '../../src/contract/queries';
import type { ChannelEntropiesAnswer, ChannelLabelInformationAnswer } from '../../src/contract/queries';
import { ChannelInformationHeatmap } from '../../webview/charts/channelInformation';
import { CirclePacking } from '../../webview/charts/circlePacking';
import { ClassMultiples } from '../../webview/charts/classMultiples';
import type { ClassMultiplesRun } from '../../webview/charts/classMultiples';
import { HypercubeSlicer } from '../../webview/charts/hypercube';
import type { Draft } from '../../webview/slice';
import { matrixStats } from '../../webview/charts/capacityMatrix';
import { CapacityHeatmap } from '../../webview/charts/capacityHeatmap';
import { MatrixGrid } from '../../webview/charts/confusionMatrix';
import { DiversityBars } from '../../webview/charts/diversityBars';
import { ImportanceScatter } from '../../webview/charts/importanceScatter';
import type { ImportancePoint } from '../../webview/charts/importanceScatter';
import { comparisonPlane, InformationPlaneChart, planeTrajectories } from '../../webview/charts/informationPlane';
import { classSeries } from '../../webview/charts/labelEntropy';
import { LayerCapacityBars } from '../../webview/charts/layerCapacity';
import type { CapacityRow } from '../../webview/charts/layerCapacity';
import { lossPanels } from '../../webview/charts/lossChart';
import { TooltipProvider } from '../../webview/charts/primitives';
import { DiversityComparisonBars, LayerComparisonTable } from '../../webview/charts/runComparison';
import type { RunLayerValues } from '../../webview/charts/runComparison';
import { SmallMultiplesChart } from '../../webview/charts/smallMultiples';
import { EpochLines } from '../../webview/charts/trainingLines';
import { matchLayers } from '../../webview/compare';
import { formatBits } from '../../src/contract/format';
import type { RunManifest } from '../../src/contract/runFormat';

const none = (): void => undefined;

/** The comparison's layer rows of runs with these layers (matchLayers reads nothing else of a manifest). */
const matchesOf = (layers: RunLayer[][]) => matchLayers(layers.map((l) => ({ layers: l }) as RunManifest));

/** Every chart a picture test draws, by name: each takes JSON and returns the chart as its card draws it. */
export const CHARTS = {
  /** The run comparison's information plane, as InformationPlaneComparisonCard draws it. */
  comparisonPlane: (p: { answers: InformationPlaneAnswer[]; layers: RunLayer[][]; width: number }) => {
    const plane = comparisonPlane(p.answers, matchesOf(p.layers));
    const estimator = p.answers[0].estimator;
    return <InformationPlaneChart {...plane} estimator={estimator} highlight={null} width={p.width} label={`plane (${estimator})`} />;
  },
  /** A run's own information plane (the Information view), a point of each epoch coloured on the epoch scale. */
  plane: (p: { answer: InformationPlaneAnswer; names: string[]; selectedEpoch: number; width: number }) => (
    <InformationPlaneChart
      trajectories={planeTrajectories(p.answer, (l) => p.names[l] ?? `layer ${l}`)}
      estimator={p.answer.estimator}
      ceilings={[p.answer.ceilings]}
      epochs={p.answer.epochs}
      selectedEpoch={p.selectedEpoch}
      highlight={null}
      width={p.width}
      label="plane"
    />
  ),
  /** "Layers side by side" of the run comparison: the table of bars. */
  layersSideBySide: (p: { layers: RunLayer[][]; values: RunLayerValues[] }) => (
    <LayerComparisonTable matches={matchesOf(p.layers)} values={p.values} />
  ),
  /** The run comparison's input diversity at one subset size. */
  diversityComparison: (p: { answers: InputDiversityAnswer[]; sizeIndex: number; classNames: string[]; width: number }) => (
    <DiversityComparisonBars {...p} />
  ),
  /** A run's input diversity (the Training view). */
  diversity: (p: { answer: InputDiversityAnswer }) => <DiversityBars answer={p.answer} highlight={null} />,
  /** Loss and accuracy (the Training view's LossCard). */
  loss: (p: { answer: TrainingAnswer; selectedEpoch: number; width: number }) => (
    <EpochLines
      epochs={p.answer.epochs}
      panels={lossPanels(p.answer)}
      selectedEpoch={p.selectedEpoch}
      highlight={null}
      width={p.width}
      panelHeight={160}
      label="loss and accuracy"
      undefinedText="not measured"
    />
  ),
  /** H(label | pred = i) by class (the Training view's LabelEntropyCard), undefined values marked. */
  labelEntropy: (p: { answer: TrainingAnswer; selectedEpoch: number; width: number }) => (
    <EpochLines
      epochs={p.answer.epochs}
      width={p.width}
      panels={[
        {
          id: 'labelGivenPred',
          yLabel: 'H(label|pred) (bits)',
          series: classSeries(p.answer.hLabelGivenPred, p.answer.classNames),
          format: formatBits,
          markUndefined: true,
        },
      ]}
      selectedEpoch={p.selectedEpoch}
      highlight={null}
      label="label entropy"
    />
  ),
  /** Layer-level capacity of pairs of layers (the Layer view). */
  layerCapacity: (p: { rows: CapacityRow[]; epoch: number; names: string[] }) => (
    <LayerCapacityBars rows={p.rows} epoch={p.epoch} name={(l) => p.names[l] ?? `layer ${l}`} onShow={none} onRemove={none} />
  ),
  /** Channel importance against a measure (the Information view). */
  importance: (p: { points: ImportancePoint[]; xLabel: string; title: string; width: number; selected: number | null }) => (
    <ImportanceScatter {...p} onPick={none} label="importance" />
  ),
  /** The confusion matrix (the Training view). */
  confusion: (p: { answer: ConfusionAnswer; highlight: number | null; maxWidth: number }) => (
    <MatrixGrid answer={p.answer} highlight={p.highlight} selected={null} onSelect={none} maxWidth={p.maxWidth} />
  ),
  /** Small multiples of intra-sample entropy, on one canvas (the Channel view). */
  multiples: (p: { answer: SmallMultiplesAnswer; classNames: string[]; epoch: number; focused: number | null }) => (
    <SmallMultiplesChart
      answer={p.answer}
      order={Array.from({ length: p.answer.channels }, (_, c) => c)}
      classNames={p.classNames}
      layerName="conv2"
      epoch={p.epoch}
      focused={p.focused}
      showAll={true}
      onFocus={none}
    />
  ),
  /** The channel-capacity heatmap, on one canvas (the Layer view), in the channels' own order. */
  capacityHeatmap: (p: { answer: CapacityMatrixAnswer; maxPlot: number }) => {
    const stats = matrixStats(p.answer);
    return (
      <CapacityHeatmap
        answer={p.answer}
        rowOrder={Array.from({ length: p.answer.rows }, (_, r) => r)}
        columnOrder={Array.from({ length: p.answer.columns }, (_, c) => c)}
        rowName="conv2"
        columnName="conv1"
        rowTitle="conv2 channels"
        columnTitle="conv1 channels"
        stats={stats}
        maxBits={stats.max}
        selected={null}
        highlightRow={1}
        highlightColumn={null}
        onSelect={none}
        maxPlot={p.maxPlot}
        label="heatmap"
      />
    );
  },
  /** The circle packing of a layer's channel entropies at an epoch (the Channel view's PackingCard). */
  packing: (p: { answer: ChannelEntropiesAnswer; channels: number[]; classes?: number[]; classNames: string[]; zoom: string | null }) => (
    <CirclePacking
      answer={p.answer}
      channels={p.channels}
      classes={p.classes}
      classNames={p.classNames}
      layerName="conv2"
      focused={null}
      zoom={p.zoom}
      colourBy="class"
      channelCount={p.answer.all.length}
      onZoom={none}
      onFocus={none}
    />
  ),
  /** The hypercube slicer of the Query view, editing a draft slice (no edits: setDraft does nothing). */
  hypercube: (p: {
    draft: Draft;
    layers: RunLayer[];
    classNames: string[];
    classCounts: number[];
    epochs: number[];
    focus: { layer: number | null; channel: number | null };
  }) => <HypercubeSlicer {...p} setDraft={none} />,
  /** I_pair(T_c;Y) of a layer's channels over the epochs (the Information view's ChannelInformationCard), as SVG cells. */
  channelInformation: (p: {
    answer: ChannelLabelInformationAnswer;
    width: number;
    focusedChannel: number | null;
    selectedEpoch: number;
  }) => <ChannelInformationHeatmap {...p} layerName="conv1" onChannel={none} />,
  /** A per-class measure of several runs, one small chart per class (the run comparison's ClassEntropyCard). */
  classMultiples: (p: { epochs: number[]; classNames: string[]; runs: ClassMultiplesRun[] }) => (
    <ClassMultiples id="labelGivenPred" title="H(label | pred = i)" {...p} />
  ),
} satisfies Record<string, (props: never) => JSX.Element>;

export type ChartName = keyof typeof CHARTS;

/** The view each chart is drawn in (App.tsx's `view view-<id>` classes), whose rules of webview.css style it. */
export const VIEWS: Record<ChartName, string> = {
  comparisonPlane: 'view-training view-compare',
  layersSideBySide: 'view-training view-compare',
  diversityComparison: 'view-training view-compare',
  plane: 'view-information',
  diversity: 'view-training',
  loss: 'view-training',
  labelEntropy: 'view-training',
  confusion: 'view-training',
  layerCapacity: 'view-layer',
  importance: 'view-information',
  multiples: 'view-channel',
  capacityHeatmap: 'view-layer',
  packing: 'view-channel',
  hypercube: 'view-query',
  channelInformation: 'view-information',
  classMultiples: 'view-training view-compare',
};
export type ChartProps<K extends ChartName> = Parameters<(typeof CHARTS)[K]>[0];

/** A chart as a picture draws it: alone in a box `width` px wide, inside its view, under the tooltip's provider. */
export function ChartPicture<K extends ChartName>(props: { chart: K; props: ChartProps<K>; width: number }): JSX.Element {
  const draw = CHARTS[props.chart] as (p: unknown) => JSX.Element;
  return (
    <TooltipProvider>
      <div class={`view ${VIEWS[props.chart]}`}>
        <div class="picture" style={{ width: `${props.width}px` }}>
          {draw(props.props)}
        </div>
      </div>
    </TooltipProvider>
  );
}
