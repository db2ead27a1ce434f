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
import type { DeconvolutionAnswer, FeatureMapsAnswer, InputsAnswer, NetworkGraphAnswer } from '../../src/contract/queries';
import { decodeFloat32 } from '../../src/contract/queries';
import { classLabel } from '../../webview/charts/common';
import { DeconvolutionFigure } from '../../webview/charts/deconvolution';
import { channelMaps, FeatureMapPairs } from '../../webview/charts/featureMaps';
import { HeatmapStrip } from '../../webview/charts/heatmapStrip';
import type { StripCell } from '../../webview/charts/heatmapStrip';
import { NetworkGraph, thumbnailCanvases } from '../../webview/charts/networkGraph';
import { PictureColumn, rangeOf, RowLabels, SideBySideGrid } from '../../webview/charts/sideBySide';
import type { GridPicture } from '../../webview/charts/sideBySide';
import { ranges } from '../../webview/slice';
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

/** A decoded array per encoded one: a builder runs on every render, the decoding once per answer. */
const decodedOf = new WeakMap<object, Float32Array>();
const decoded = (a: { base64: string; shape: number[]; dtype: 'float32' }): Float32Array => {
  let d = decodedOf.get(a);
  if (!d) decodedOf.set(a, (d = decodeFloat32(a)));
  return d;
};
/** The network's thumbnails per inputs answer, made once as the view makes them (thumbnailCanvases in a useMemo). */
const thumbnailsOf = new WeakMap<InputsAnswer, Map<number, HTMLCanvasElement>>();
const thumbnails = (a: InputsAnswer) => {
  let t = thumbnailsOf.get(a);
  if (!t) thumbnailsOf.set(a, (t = thumbnailCanvases(a)));
  return t;
};

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
  /** The Network view's graph on its canvas (NetworkView), at the comparison's height (RunNetwork: 0.6 of the window). */
  network: (p: {
    answer: NetworkGraphAnswer;
    layers: RunLayer[];
    classNames: string[];
    bins: number;
    inputs?: InputsAnswer;
    selected: Record<string, number[]>;
    focusedLayer: number | null;
  }) => (
    <NetworkGraph
      answer={p.answer}
      layers={p.layers}
      classNames={p.classNames}
      bins={p.bins}
      thumbnails={p.inputs ? thumbnails(p.inputs) : undefined}
      selected={p.selected}
      focusedLayer={p.focusedLayer}
      label={`Network of model at epoch ${p.answer.epoch}`}
      onSelectCluster={none}
      onLayer={none}
      heightFraction={0.6}
    />
  ),
  /** The Layer view's epoch strip (StripsCard through views/layer/HeatmapStrip.tsx), its cells' answers and statuses given. */
  heatmapStrip: (p: { cells: StripCell[]; activeKey: string }) => (
    <HeatmapStrip
      cells={p.cells}
      activeKey={p.activeKey}
      onOpen={none}
      testId="epoch-strip"
      scaleNote={`scale: shared by the ${p.cells.length} epochs of this strip (not the depth strip's)`}
    />
  ),
  /** The Channel view's feature maps of channels side by side (FeatureMapsSideBySide's grid), a channel asked for but not answered among them. */
  sideBySide: (p: {
    answer: FeatureMapsAnswer;
    inputs: InputsAnswer;
    channels: number[];
    classNames: string[];
    layerName: string;
    scale: 'shared' | 'row';
  }) => {
    const images = decoded(p.inputs.images);
    const [n = 0, h = 1, w = 1, c = 1] = p.inputs.images.shape;
    const rows = p.inputs.inputs.map((input, i) => ({ input, label: p.inputs.labels[i] }));
    const sources: (GridPicture | undefined)[] = p.inputs.inputs.map((_, i) =>
      i < n ? { data: images.subarray(i * h * w * c, (i + 1) * h * w * c), h, w, c, range: [p.inputs.min, p.inputs.max] } : undefined,
    );
    const maps = decoded(p.answer.maps);
    const columns = p.channels.map((ch) => ({ channel: ch, maps: channelMaps(p.answer, maps, ch) }));
    const all = rangeOf(columns.flatMap((col) => col.maps?.maps ?? []));
    const rowRanges = rows.map((r) => {
      if (p.scale === 'shared') return all;
      const i = p.answer.inputs.indexOf(r.input);
      return rangeOf(columns.flatMap((col) => (col.maps && i >= 0 ? [col.maps.maps[i]] : [])));
    });
    const fmtRange = (r: [number, number] | undefined) => (r ? `${r[0].toPrecision(3)} … ${r[1].toPrecision(3)}` : '');
    return (
      <SideBySideGrid
        columns={p.channels.length + 1}
        label={`Feature maps of ${p.layerName}, channels ${ranges(p.channels)}`}
        testId="sbs-maps"
      >
        {(size) => (
          <>
            <RowLabels rows={rows} size={size} classNames={p.classNames} notes={p.scale === 'row' ? rowRanges.map(fmtRange) : undefined} />
            <PictureColumn
              title="input"
              rows={rows}
              size={size}
              pictures={sources}
              labelOf={(r) => `Input #${r.input} (${classLabel(r.label, p.classNames)})`}
            />
            {columns.map((col) => (
              <PictureColumn
                key={col.channel}
                title={`${p.layerName} #${col.channel}`}
                channel={col.channel}
                layer={p.answer.layer}
                rows={rows}
                size={size}
                testId="sbs-map"
                pictures={rows.map((r, k) => {
                  const m = col.maps;
                  const i = m ? m.inputs.indexOf(r.input) : -1;
                  return m && i >= 0 ? { data: m.maps[i], h: m.h, w: m.w, c: 1, range: rowRanges[k] ?? m.range } : undefined;
                })}
                labelOf={(r) => `${p.layerName} #${col.channel} on input #${r.input} (${classLabel(r.label, p.classNames)})`}
              />
            ))}
          </>
        )}
      </SideBySideGrid>
    );
  },
  /** The Layer view's feature maps of a clicked heatmap cell's two channels (FeatureMapsCard), with the inputs. */
  featureMaps: (p: {
    answerI: FeatureMapsAnswer;
    answerJ: FeatureMapsAnswer;
    column: number;
    row: number;
    inputs?: InputsAnswer;
    classNames: string[];
  }) => {
    const columnMaps = channelMaps(p.answerI, decoded(p.answerI.maps), p.column);
    const rowMaps = channelMaps(p.answerJ, decoded(p.answerJ.maps), p.row);
    if (!columnMaps || !rowMaps) throw new Error('the feature maps answer no map of the channels asked for');
    return (
      <FeatureMapPairs
        columnMaps={columnMaps}
        rowMaps={rowMaps}
        columnName="conv1"
        rowName="conv2"
        classNames={p.classNames}
        inputs={p.inputs}
        inputsDecoded={p.inputs ? decoded(p.inputs.images) : undefined}
      />
    );
  },
  /** The Channel view's deconvolution of one channel (DeconvolutionCard), on one range or each projection on its own. */
  deconvolution: (p: { answer: DeconvolutionAnswer; inputs?: InputsAnswer; classNames: string[]; perImage: boolean }) => (
    <DeconvolutionFigure answer={p.answer} inputs={p.inputs} classNames={p.classNames} layerName="conv1" perImage={p.perImage} />
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
  network: 'view-query',
  heatmapStrip: 'view-layer',
  sideBySide: 'view-channel',
  featureMaps: 'view-layer',
  deconvolution: 'view-channel',
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
