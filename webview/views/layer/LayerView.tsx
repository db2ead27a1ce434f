// The Layer view (paper 5.3, Figs. 8–11): the channel-capacity heatmap between two layers at the
// shared epoch, sortable by row/column max or mean; the feature maps of a clicked cell's two
// channels; and the layer-level capacity between pairs of layers.
import type { JSX } from 'preact';
import { useCallback, useMemo, useState } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import type { InputSubset } from '../../../src/analysis/subsets';
import type { RunManifest } from '../../../src/contract/runFormat';
import { displayOrders } from '../../charts/capacityMatrix';
import type { HeatmapSort } from '../../charts/capacityMatrix';
import type { MarkAxis } from '../../charts/capacityHeatmapCanvas';
import type { PlaybackFrame } from '../../charts/primitives';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { queries } from '../../../src/contract/plan';
import { defaultLayers, shown, UiState, useApp, useQuery } from '../../state';
import { EpochSlider, LayerName } from '../../ui';
import { FeatureMapsCard } from './FeatureMapsCard';
import { HeatmapCard } from './HeatmapCard';
import { LayerCapacityCard } from './LayerCapacityCard';
import type { PairSpec } from '../../charts/layerCapacity';
import { useLayerViewState } from './layerViewState';
import type { LayerViewState } from './layerViewState';
import { usePairEpochs } from './pairEpochs';
import type { PairEpochs } from './pairEpochs';
import { useScaleMatrices } from './scalePairs';
import { StripsCard } from './StripsCard';
import { InstancesCard } from './InstancesCard';
import { holdsSubset } from '../../data';
import { ReportSubsetNote } from '../query/ReportSubsetNote';

const NO_MARKS: { rows: number[]; columns: number[] } = { rows: [], columns: [] };

function subsetText(x: InputSubset, classNames: string[]): string {
  switch (x.kind) {
    case 'all':
      return 'all probe inputs';
    case 'classes':
      return `inputs of ${x.classes.map((c) => classNames[c] ?? c).join(', ')}`;
    case 'indices':
      return `${x.indices.length} chosen inputs`;
    case 'perClass':
      return `${x.count} inputs per class`;
  }
}

/** The pair the view compares: the one the user picked for the current slice, else the slice's first two layers. */
function useLayerPair(state: LayerViewState['pair'], manifest: RunManifest, ui: UiState) {
  const [pairState, setPairState] = state;
  const sliceLayers = ui.slice.layers.filter((l) => l > 0 && l < manifest.layers.length);
  const defaults =
    sliceLayers.length >= 2
      ? sliceLayers
      : sliceLayers.length === 1
        ? [sliceLayers[0], defaultLayers(manifest).find((l) => l !== sliceLayers[0]) ?? sliceLayers[0]]
        : defaultLayers(manifest);
  const base = ui.slice.layers.join(',');
  const picked =
    pairState &&
    pairState.base === base &&
    manifest.layers[pairState.i] &&
    manifest.layers[pairState.j] &&
    pairState.i > 0 &&
    pairState.j > 0
      ? pairState
      : null;
  const layerI = picked ? picked.i : (defaults[0] ?? 1);
  const layerJ = picked ? picked.j : (defaults[1] ?? defaults[0] ?? 1);
  const setPair = (i: number, j: number) => setPairState({ base, i, j });
  return { layerI, layerJ, setPair };
}

/**
 * The marked channels of the pair. Marks belong to one layer pair; channels beyond this matrix (a
 * changed model) are dropped. Memoised: the heatmap redraws (and reports a drawn frame) whenever
 * its marks change identity.
 */
function useMarks(state: LayerViewState['marks'], layerI: number, layerJ: number, answer: CapacityMatrixAnswer | undefined) {
  const [marksState, setMarks] = state;
  const answerRows = answer?.rows;
  const answerColumns = answer?.columns;
  const marks = useMemo(
    () =>
      marksState && marksState.layerI === layerI && marksState.layerJ === layerJ
        ? {
            rows: answerRows !== undefined ? marksState.rows.filter((r) => r < answerRows) : marksState.rows,
            columns: answerColumns !== undefined ? marksState.columns.filter((c) => c < answerColumns) : marksState.columns,
          }
        : NO_MARKS,
    [marksState, layerI, layerJ, answerRows, answerColumns],
  );
  const onMark = (axis: MarkAxis, channels: number[], toggle: boolean) => {
    const now = new Set(marks[axis]);
    if (toggle && channels.length === 1 && now.has(channels[0])) now.delete(channels[0]);
    else for (const ch of channels) now.add(ch);
    setMarks({ layerI, layerJ, ...marks, [axis]: [...now].sort((x, y) => x - y) });
  };
  return { marks, onMark, clear: () => setMarks(null) };
}

/** The pairs of the layer capacity chart: the current pair, every consecutive pair, and those the user added. */
function capacityPairs(manifest: RunManifest, layerI: number, layerJ: number, custom: [number, number][]): PairSpec[] {
  const layers = manifest.layers.filter((l) => l.index > 0);
  const pairs: PairSpec[] = [];
  const add = (i: number, j: number, kind: PairSpec['kind']) => {
    if (!pairs.some((p) => p.i === i && p.j === j)) pairs.push({ i, j, kind });
  };
  add(layerI, layerJ, 'current');
  for (let k = 0; k + 1 < layers.length; k++) add(layers[k].index, layers[k + 1].index, 'consecutive');
  for (const [i, j] of custom) if (manifest.layers[i] && manifest.layers[j]) add(i, j, 'custom');
  return pairs;
}

export function LayerView(): JSX.Element {
  const { manifest, ui } = useApp();
  const state = useLayerViewState();
  const hasLayers = manifest.layers.some((l) => l.index > 0);
  const { layerI, layerJ, setPair } = useLayerPair(state.pair, manifest, ui);
  const [sort, setSort] = state.sort;
  const [selectedState, setSelected] = state.selected;
  const [sortEpochState, setSortEpoch] = state.sortEpoch;
  const lastEpoch = manifest.epochs[manifest.epochs.length - 1] ?? 0;
  const sortEpoch = sortEpochState !== null && manifest.epochs.includes(sortEpochState) ? sortEpochState : lastEpoch;

  const { epoch, slice } = ui;
  const hasEpochs = manifest.epochs.length > 0;
  const ask = hasEpochs && hasLayers;
  const matrixResult = useQuery(ask ? queries.capacityMatrix(layerI, layerJ, epoch, slice.subset) : null, 'layer');
  const matrix = shown(matrixResult);
  // The answer shown while another loads may be of the previous layer pair; never mix the two.
  const answer = matrix && matrix.layerI === layerI && matrix.layerJ === layerJ ? matrix : undefined;
  const selected =
    selectedState &&
    selectedState.layerI === layerI &&
    selectedState.layerJ === layerJ &&
    (!answer || (selectedState.r < answer.rows && selectedState.c < answer.columns))
      ? selectedState
      : null;
  const marking = useMarks(state.marks, layerI, layerJ, answer);

  const sorted = sort.rows !== 'original' || sort.columns !== 'original';
  const referenceResult = useQuery(ask && sorted ? queries.capacityMatrix(layerI, layerJ, sortEpoch, slice.subset) : null, 'layer');
  const reference =
    referenceResult.status === 'ready' && referenceResult.answer.layerI === layerI && referenceResult.answer.layerJ === layerJ
      ? referenceResult.answer
      : undefined;
  const pairEpochs = usePairEpochs(layerI, layerJ, slice.subset, ask && answer !== undefined, epoch);
  const [scaleMode, setScaleMode] = state.scale;
  const acrossPairs = useScaleMatrices(layerI, layerJ, slice.subset, epoch, ask && scaleMode === 'pairs');
  // What the heatmap has drawn, for playback: of this pair only.
  const pairKey = pairEpochs.key;
  const [drawn, setDrawn] = useState<{ key: string; epoch: number } | null>(null);
  const frame: PlaybackFrame = {
    drawnEpoch: drawn && drawn.key === pairKey ? drawn.epoch : undefined,
    failed: matrixResult.status === 'error',
  };

  // Short labels (pool1): tfjs's generated names overflow a half-width panel.
  const nameOf = (l: number) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`);
  const stripOrder = useStripOrder(sorted, reference, sort);

  if (!hasLayers) return <p class="status">This model has no layer after its input.</p>;
  const [strips, setStrips] = state.strips;
  const [custom, setCustom] = state.custom;
  const [instances, setInstances] = state.instances;
  return (
    <>
      <LayerControls {...{ layerI, layerJ, setPair, frame, pairEpochs }} sampled={sampledInputs(answer, manifest, slice.subset)} />
      {hasEpochs && instances && instances.length > 0 && (
        <InstancesCard
          layers={instances}
          epoch={epoch}
          subset={slice.subset}
          nameOf={nameOf}
          onOpenPair={setPair}
          onClose={() => setInstances(null)}
        />
      )}
      <ReportSubsetNote still="the feature maps show the sample inputs" />
      {!hasEpochs ? (
        <p class="status">No epoch is recorded yet.</p>
      ) : (
        <HeatmapCard
          layerI={layerI}
          layerJ={layerJ}
          answer={answer}
          result={matrixResult}
          sorting={{ sort, setSort, sortEpoch, sortEpochPicked: sortEpochState === sortEpoch, setSortEpoch, reference, referenceResult }}
          scale={{ mode: scaleMode, setMode: setScaleMode, known: pairEpochs.answers, acrossPairs }}
          marking={marking}
          onDrawn={(e) => setDrawn({ key: pairKey, epoch: e })}
          selected={selected}
          onSelect={(cell) => setSelected({ layerI, layerJ, ...cell })}
          nameOf={nameOf}
        />
      )}
      {/* Right after the heatmap: beside it when the panel has room, else directly below it, so the
          maps of a clicked cell appear where the user clicked and the page does not jump away. */}
      {hasEpochs && <FeatureMapsCard layerI={layerI} layerJ={layerJ} selected={selected} answer={answer} nameOf={nameOf} />}
      {hasEpochs && (
        <StripsCard
          layerI={layerI}
          layerJ={layerJ}
          subset={slice.subset}
          strips={strips}
          setStrips={setStrips}
          orderOf={stripOrder}
          sortNote={
            sorted
              ? `rows and columns in epoch ${reference?.epoch ?? sortEpoch}'s order, as the heatmap above`
              : 'rows and columns in channel order'
          }
          onOpenPair={setPair}
          nameOf={nameOf}
        />
      )}
      {hasEpochs && (
        <LayerCapacityCard
          pairs={capacityPairs(manifest, layerI, layerJ, custom)}
          epoch={epoch}
          subset={slice.subset}
          onShow={(i, j) => setPair(i, j)}
          onAdd={(i, j) => setCustom([...custom.filter(([a, b]) => a !== i || b !== j), [i, j] as [number, number]].slice(-32))}
          onRemove={(i, j) => setCustom(custom.filter(([a, b]) => a !== i || b !== j))}
        />
      )}
    </>
  );
}

/** Every cell of the epoch strip in the main heatmap's order: the reference epoch's when sorted. */
function useStripOrder(sorted: boolean, reference: CapacityMatrixAnswer | undefined, sort: HeatmapSort) {
  return useCallback(
    (m: CapacityMatrixAnswer) =>
      sorted && reference && reference.rows === m.rows && reference.columns === m.columns
        ? displayOrders(reference, sort)
        : displayOrders(m, { rows: 'original', columns: 'original' }),
    [sorted, reference, sort.rows, sort.columns],
  );
}

/** The inputs a matrix shown for `subset` is over, where a report holds an estimate over a sample of them (HeatmapCard says why). */
function sampledInputs(answer: CapacityMatrixAnswer | undefined, manifest: RunManifest, subset: InputSubset): number | undefined {
  return answer && subset.kind === 'all' && answer.inputCount < manifest.probe.size ? answer.inputCount : undefined;
}

/** The pair pickers, the epoch slider with playback, and how many of the pair's epochs are ready. */
function LayerControls(props: {
  layerI: number;
  layerJ: number;
  setPair: (i: number, j: number) => void;
  frame: PlaybackFrame;
  pairEpochs: PairEpochs;
  /** The inputs the shown matrix is over, where a report holds an estimate over a sample of them (HeatmapCard says why). */
  sampled?: number;
}): JSX.Element {
  const { manifest, ui, classNames, data } = useApp();
  const { layerI, layerJ, setPair } = props;
  return (
    <div class="layer-controls" role="group" aria-label="Layer view controls">
      <LayerPicker label="Layer I (columns)" value={layerI} onChange={(l) => setPair(l, layerJ)} />
      <button
        type="button"
        class="icon-button"
        title="Swap the two layers"
        aria-label="Swap layer I and layer J"
        onClick={() => setPair(layerJ, layerI)}
      >
        ⇄
      </button>
      <LayerPicker label="Layer J (rows)" value={layerJ} onChange={(l) => setPair(layerI, l)} />
      <EpochSlider play frame={props.frame} />
      <span class="muted">
        Capacity over {subsetText(ui.slice.subset, classNames)}
        {props.sampled !== undefined && `: this matrix is an estimate from ${props.sampled} of them`}.
      </span>
      {/* A report without the slice's subset has no epoch to count: the view's note says so. */}
      {manifest.epochs.length > 0 && holdsSubset(data, ui.slice.subset) && (
        <EpochProgress epochs={props.pairEpochs} total={manifest.epochs.length} />
      )}
    </div>
  );
}

function LayerPicker(props: { label: string; value: number; onChange(layer: number): void }): JSX.Element {
  const { manifest } = useApp();
  return (
    <span class="layer-picker">
      <label>
        {props.label}{' '}
        <select
          value={props.value}
          aria-label={props.label}
          onChange={(e) => props.onChange(Number((e.target as HTMLSelectElement).value))}
        >
          {manifest.layers
            .filter((l) => l.index > 0)
            .map((l) => (
              <option key={l.index} value={l.index} title={l.name}>
                {l.index} · {shortLayerName(l, manifest.layers)} ({l.className}, {l.channels} channel{l.channels === 1 ? '' : 's'})
              </option>
            ))}
        </select>
      </label>{' '}
      <LayerName layer={props.value} />
    </span>
  );
}

/** How many of the pair's epochs are ready: playback runs smoothly through the ready ones. */
function EpochProgress(props: { epochs: PairEpochs; total: number }): JSX.Element {
  const ready = props.epochs.answers.size;
  const failed = props.epochs.failed.size;
  return (
    <span class="muted" role="status" aria-live="polite" data-testid="epoch-progress" data-ready={ready} data-total={props.total}>
      {ready} of {props.total} epoch{props.total === 1 ? '' : 's'} ready
      {failed ? ` · ${failed} not available` : ''}
      {ready + failed < props.total ? '…' : ''}
    </span>
  );
}
