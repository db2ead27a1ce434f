// The page of the picture tests (docs/testing.md "Picture tests"), bundled by pictures.ts in the
// tests' `before`, never by esbuild.mjs: it mounts ONE chart of webview/charts/ from props given as
// JSON, building what is not JSON (formats, callbacks, layer matches) as the chart's card does, and
// serialises what it drew (serialise.ts) or hands over a canvas's pixels (without its text).
import { render } from 'preact';
import type { JSX } from 'preact';
import type { RunLayer } from '../../../src/contract/runFormat';
import type {
  CapacityMatrixAnswer,
  ConfusionAnswer,
  InformationPlaneAnswer,
  InputDiversityAnswer,
  SmallMultiplesAnswer,
  TrainingAnswer,
} from '../../../src/contract/queries';
import { matrixStats } from '../../../webview/charts/capacityMatrix';
import { CapacityHeatmap } from '../../../webview/charts/capacityHeatmap';
import { MatrixGrid } from '../../../webview/charts/confusionMatrix';
import { DiversityBars } from '../../../webview/charts/diversityBars';
import { ImportanceScatter } from '../../../webview/charts/importanceScatter';
import type { ImportancePoint } from '../../../webview/charts/importanceScatter';
import { comparisonPlane, InformationPlaneChart, planeTrajectories } from '../../../webview/charts/informationPlane';
import { classSeries } from '../../../webview/charts/labelEntropy';
import { LayerCapacityBars } from '../../../webview/charts/layerCapacity';
import type { CapacityRow } from '../../../webview/charts/layerCapacity';
import { lossPanels } from '../../../webview/charts/lossChart';
import { TooltipProvider } from '../../../webview/charts/primitives';
import { DiversityComparisonBars, LayerComparisonTable } from '../../../webview/charts/runComparison';
import type { RunLayerValues } from '../../../webview/charts/runComparison';
import { SmallMultiplesChart } from '../../../webview/charts/smallMultiples';
import { EpochLines } from '../../../webview/charts/trainingLines';
import { matchLayers } from '../../../webview/compare';
import { formatBits } from '../../../src/contract/format';
import type { RunManifest } from '../../../src/contract/runFormat';
import { serialise } from './serialise';
import type { SerialiseOptions } from './serialise';

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
} satisfies Record<string, (props: never) => JSX.Element>;

export type ChartName = keyof typeof CHARTS;

/** The view each chart is drawn in (App.tsx's `view view-<id>` classes), whose rules of webview.css style it. */
const VIEWS: Record<ChartName, string> = {
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
};
export type ChartProps<K extends ChartName> = Parameters<(typeof CHARTS)[K]>[0];

/** What the picture tests call in the page (pictures.ts). */
export interface PicturePageApi {
  /** Draws a chart alone in a box `width` px wide inside its view, in place of the one drawn before. */
  draw(chart: ChartName, props: unknown, width: number): void;
  /** The chart under `selector`, serialised (serialise.ts). */
  serialise(selector: string, o: SerialiseOptions): string;
  /** A PNG (data URL) of a canvas's own pixels, or of a part of it given in CSS pixels. */
  canvas(selector: string, crop?: { x: number; y: number; width: number; height: number }): string;
}

// A canvas's text is drawn in whatever font the machine has, so a canvas's picture is of its marks
// alone: text drawn on a canvas is left out (an SVG chart's text is in its snapshot, as text).
CanvasRenderingContext2D.prototype.fillText = () => undefined;
CanvasRenderingContext2D.prototype.strokeText = () => undefined;

const root = document.getElementById('root')!;

const api: PicturePageApi = {
  draw(chart, props, width) {
    render(null, root);
    const draw = CHARTS[chart] as (p: unknown) => JSX.Element;
    render(
      <TooltipProvider>
        <div class={`view ${VIEWS[chart]}`}>
          <div class="picture" style={{ width: `${width}px` }}>
            {draw(props)}
          </div>
        </div>
      </TooltipProvider>,
      root,
    );
  },
  serialise(selector, o) {
    const el = document.querySelector(selector);
    if (!el) throw new Error(`the chart drew no ${selector}`);
    return serialise(el, o);
  },
  canvas(selector, crop) {
    const source = document.querySelector(selector);
    if (!(source instanceof HTMLCanvasElement)) throw new Error(`the chart drew no canvas ${selector}`);
    if (!crop) return source.toDataURL('image/png');
    const scale = source.width / source.getBoundingClientRect().width;
    const out = document.createElement('canvas');
    out.width = Math.round(crop.width * scale);
    out.height = Math.round(crop.height * scale);
    out.getContext('2d')!.drawImage(source, crop.x * scale, crop.y * scale, out.width, out.height, 0, 0, out.width, out.height);
    return out.toDataURL('image/png');
  },
};

(window as unknown as { picture: PicturePageApi }).picture = api;
