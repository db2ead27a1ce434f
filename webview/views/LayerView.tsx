// The Layer view (paper 5.3, Figs. 8–11): the channel-capacity heatmap between two layers at the
// shared epoch, sortable by row/column max or mean; the feature maps of a clicked cell's two
// channels; and the layer-level capacity between pairs of layers.
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { canonicalQuery, decodeFloat32 } from '../../src/service/queries';
import type { CapacityMatrixAnswer, QueryPriority } from '../../src/service/queries';
import type { InputSubset } from '../../src/analysis/subsets';
import {
  CapacityHeatmap,
  CellRef,
  displayOrders,
  MARK_COLOUR,
  HeatmapSort,
  matrixStats,
  ScaleMode,
  sharedMaxBits,
  SortKey,
  UndefinedSwatch,
} from '../charts/capacityHeatmap';
import type { MarkAxis, MatrixStats } from '../charts/capacityHeatmap';
import { usePanelWidth } from '../charts/common';
import { channelMaps, FeatureMapPairs } from '../charts/featureMaps';
import { LayerCapacityCard, PairSpec } from '../charts/layerCapacity';
import { capacityScale } from '../colours';
import { HeatmapStrip } from '../charts/heatmapStrip';
import type { StripCellSpec } from '../charts/heatmapStrip';
import { depthPairs, queries, SAMPLE_INPUTS, stripEpochs } from '../plan';
import { defaultLayers, QueryResult, shown, useApp, useQuery, useViewState } from '../state';
import { shortLayerName } from '../layerLabel';
import { Card, ColourLegend, EpochSlider, fmtBits, LayerName, QueryStatus, Toggle } from '../ui';
import type { PlaybackFrame } from '../ui';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const SORT_KEYS: readonly SortKey[] = ['original', 'max', 'mean'];

interface PairState {
  /** The slice's layers when the pair was picked: a newly applied slice takes over again. */
  base: string;
  i: number;
  j: number;
}
const validPair = (v: unknown): v is PairState => {
  const p = v as PairState;
  return typeof v === 'object' && v !== null && typeof p.base === 'string' && isInt(p.i) && isInt(p.j);
};
const validSort = (v: unknown): v is HeatmapSort => {
  const s = v as HeatmapSort;
  return typeof v === 'object' && v !== null && SORT_KEYS.includes(s.rows) && SORT_KEYS.includes(s.columns);
};
interface SelectedState extends CellRef {
  layerI: number;
  layerJ: number;
}
const validSelected = (v: unknown): v is SelectedState | null => {
  if (v === null) return true;
  const s = v as SelectedState;
  return typeof v === 'object' && isInt(s.layerI) && isInt(s.layerJ) && isInt(s.r) && isInt(s.c);
};
const validPairs = (v: unknown): v is [number, number][] =>
  Array.isArray(v) && v.length <= 32 && v.every((p) => Array.isArray(p) && p.length === 2 && isInt(p[0]) && isInt(p[1]));

/** Which strips are open, and the epochs / base layer the user picked for them (null = the default). */
interface StripsState {
  epochOpen: boolean;
  depthOpen: boolean;
  epochs: number[] | null;
  depthBase: number | null;
}
const validStrips = (v: unknown): v is StripsState => {
  const s = v as StripsState;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof s.epochOpen === 'boolean' &&
    typeof s.depthOpen === 'boolean' &&
    (s.epochs === null || (Array.isArray(s.epochs) && s.epochs.length <= 64 && s.epochs.every(isInt))) &&
    (s.depthBase === null || isInt(s.depthBase))
  );
};

/** Marked channels of one layer pair (Fig. 8B): rows of layer J and columns of layer I, by channel index. */
interface MarksState {
  layerI: number;
  layerJ: number;
  rows: number[];
  columns: number[];
}
const validMarks = (v: unknown): v is MarksState | null => {
  if (v === null) return true;
  const m = v as MarksState;
  const channels = (x: unknown) => Array.isArray(x) && x.length <= 4096 && x.every(isInt);
  return typeof v === 'object' && isInt(m.layerI) && isInt(m.layerJ) && channels(m.rows) && channels(m.columns);
};

/** Mean capacity of the marked block (marked rows × marked columns; an axis with no mark counts whole) against the other shown cells. */
export interface MarkComparison {
  markedMeanBits: number | null;
  markedCells: number;
  restMeanBits: number | null;
  restCells: number;
}

export function compareMarked(
  a: CapacityMatrixAnswer,
  rowOrder: readonly number[],
  columnOrder: readonly number[],
  markedRows: readonly number[],
  markedColumns: readonly number[],
): MarkComparison {
  const rows = new Set(markedRows);
  const columns = new Set(markedColumns);
  let markedSum = 0;
  let markedCells = 0;
  let restSum = 0;
  let restCells = 0;
  for (const r of rowOrder)
    for (const c of columnOrder) {
      const v = a.values[r * a.columns + c];
      // Undefined cells have no value to average; they count in neither mean.
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if ((rows.size === 0 || rows.has(r)) && (columns.size === 0 || columns.has(c))) {
        markedSum += v;
        markedCells++;
      } else {
        restSum += v;
        restCells++;
      }
    }
  return {
    markedMeanBits: markedCells ? markedSum / markedCells : null,
    markedCells,
    restMeanBits: restCells ? restSum / restCells : null,
    restCells,
  };
}

const NO_MARKS: { rows: number[]; columns: number[] } = { rows: [], columns: [] };

const SCALE_MODES: readonly ScaleMode[] = ['shared', 'matrix'];
const validScale = (v: unknown): v is ScaleMode => SCALE_MODES.includes(v as ScaleMode);
/** The sort's reference epoch: a recorded epoch, or null for "the last recorded epoch". */
const validSortEpoch = (v: unknown): v is number | null => v === null || isInt(v);

/** The capacity matrices of one layer pair at every recorded epoch, as far as they are known. */
interface PairEpochs {
  /** The pair and subset they belong to (canonical query of epoch 0): never mix two pairs. */
  key: string;
  answers: ReadonlyMap<number, CapacityMatrixAnswer>;
  failed: ReadonlySet<number>;
}

/**
 * Asks the pair's matrix at every recorded epoch, one at a time (the service computes them in
 * turn anyway), starting once the current epoch's answer is shown and going forward from it, as
 * playback will. Every query goes through `queries` (webview/plan.ts) and the shared answer cache,
 * so the views and the prefetch never ask the same slice twice once it is known.
 */
function usePairEpochs(layerI: number, layerJ: number, subset: InputSubset, start: boolean, fromEpoch: number): PairEpochs {
  const { manifest, data, cache } = useApp();
  const key = canonicalQuery(queries.capacityMatrix(layerI, layerJ, 0, subset));
  const [state, setState] = useState<PairEpochs>({ key, answers: new Map(), failed: new Set() });
  // The first epoch asked is fixed when the prefetch starts: scrubbing must not restart it.
  const from = useRef(fromEpoch);
  if (!start) from.current = fromEpoch;
  useEffect(() => {
    setState({ key, answers: new Map(), failed: new Set() });
    if (!start) return;
    const controller = new AbortController();
    const epochs = manifest.epochs;
    const at = Math.max(0, epochs.indexOf(from.current));
    const order = [...epochs.slice(at), ...epochs.slice(0, at)];
    void (async () => {
      for (const epoch of order) {
        if (controller.signal.aborted) return;
        const q = queries.capacityMatrix(layerI, layerJ, epoch, subset);
        const k = canonicalQuery(q);
        let answer = cache.get(k) as CapacityMatrixAnswer | undefined;
        if (answer === undefined) {
          try {
            answer = await data.query(q, { view: 'layer', priority: prefetchPriority(epochs, at, epoch), signal: controller.signal });
            cache.set(k, answer);
          } catch {
            if (controller.signal.aborted) return;
            setState((old) => (old.key === key ? { ...old, failed: new Set([...old.failed, epoch]) } : old));
            continue;
          }
        }
        if (controller.signal.aborted) return;
        const got = answer;
        setState((old) => (old.key === key ? { ...old, answers: new Map([...old.answers, [epoch, got]]) } : old));
      }
    })();
    return () => controller.abort();
    // The subset is part of `key`.
  }, [key, start, data, cache, manifest.epochs]);
  return state.key === key ? state : { key, answers: new Map(), failed: new Set() };
}

/**
 * How soon the prefetch of `epoch` is needed when the view shows `epochs[at]`: the epoch shown is
 * on screen (`visible`), its neighbours are what a slider step or playback shows next (`soon`; the
 * first epoch follows the last, as the prefetch goes round), the others are off screen
 * (`background`), so the service computes what anyone looks at first.
 */
export function prefetchPriority(epochs: number[], at: number, epoch: number): QueryPriority {
  const steps = Math.abs(epochs.indexOf(epoch) - at);
  const distance = Math.min(steps, epochs.length - steps);
  return distance === 0 ? 'visible' : distance === 1 ? 'soon' : 'background';
}

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

export function LayerView(): JSX.Element {
  const { manifest, ui, classNames } = useApp();
  const layers = manifest.layers.filter((l) => l.index > 0);
  const sliceLayers = ui.slice.layers.filter((l) => l > 0 && l < manifest.layers.length);
  const defaults =
    sliceLayers.length >= 2
      ? sliceLayers
      : sliceLayers.length === 1
        ? [sliceLayers[0], defaultLayers(manifest).find((l) => l !== sliceLayers[0]) ?? sliceLayers[0]]
        : defaultLayers(manifest);
  const base = ui.slice.layers.join(',');
  const [pairState, setPairState] = useViewState<PairState | null>(
    'layer.pair',
    null,
    (v): v is PairState | null => v === null || validPair(v),
  );
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

  const [sort, setSort] = useViewState<HeatmapSort>('layer.sort', { rows: 'original', columns: 'original' }, validSort);
  const [selectedState, setSelected] = useViewState<SelectedState | null>('layer.selected', null, validSelected);
  const [custom, setCustom] = useViewState<[number, number][]>('layer.compare', [], validPairs);
  const [scaleMode, setScaleMode] = useViewState<ScaleMode>('layer.scale', 'shared', validScale);
  const [sortEpochState, setSortEpoch] = useViewState<number | null>('layer.sortEpoch', null, validSortEpoch);
  const [marksState, setMarks] = useViewState<MarksState | null>('layer.marks', null, validMarks);
  const [strips, setStrips] = useViewState<StripsState>(
    'layer.strips',
    { epochOpen: false, depthOpen: false, epochs: null, depthBase: null },
    validStrips,
  );
  const lastEpoch = manifest.epochs[manifest.epochs.length - 1] ?? 0;
  const sortEpoch = sortEpochState !== null && manifest.epochs.includes(sortEpochState) ? sortEpochState : lastEpoch;

  const epoch = ui.epoch;
  const subset = ui.slice.subset;
  const hasEpochs = manifest.epochs.length > 0;
  const matrixResult = useQuery(hasEpochs && layers.length ? queries.capacityMatrix(layerI, layerJ, epoch, subset) : null, 'layer');
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

  // Marks belong to one layer pair; channels beyond this matrix (a changed model) are dropped.
  // Memoised: the heatmap redraws (and reports a drawn frame) whenever its marks change identity.
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
  const mark = (axis: MarkAxis, channels: number[], toggle: boolean) => {
    const now = new Set(marks[axis]);
    if (toggle && channels.length === 1 && now.has(channels[0])) now.delete(channels[0]);
    else for (const ch of channels) now.add(ch);
    setMarks({ layerI, layerJ, ...marks, [axis]: [...now].sort((x, y) => x - y) });
  };

  const sorted = sort.rows !== 'original' || sort.columns !== 'original';
  const referenceResult = useQuery(
    hasEpochs && layers.length && sorted ? queries.capacityMatrix(layerI, layerJ, sortEpoch, subset) : null,
    'layer',
  );
  const reference =
    referenceResult.status === 'ready' && referenceResult.answer.layerI === layerI && referenceResult.answer.layerJ === layerJ
      ? referenceResult.answer
      : undefined;
  const pairEpochs = usePairEpochs(layerI, layerJ, subset, hasEpochs && layers.length > 0 && answer !== undefined, epoch);
  // What the heatmap has drawn, for playback: of this pair only.
  const pairKey = pairEpochs.key;
  const [drawn, setDrawn] = useState<{ key: string; epoch: number } | null>(null);
  const frame: PlaybackFrame = {
    drawnEpoch: drawn && drawn.key === pairKey ? drawn.epoch : undefined,
    failed: matrixResult.status === 'error',
  };

  // Short labels (pool1): tfjs's generated names overflow a half-width panel.
  const nameOf = (l: number) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`);
  // Every cell of the epoch strip in the main heatmap's order: the reference epoch's when sorted.
  const stripOrder = useCallback(
    (m: CapacityMatrixAnswer) =>
      sorted && reference && reference.rows === m.rows && reference.columns === m.columns
        ? displayOrders(reference, sort)
        : displayOrders(m, { rows: 'original', columns: 'original' }),
    [sorted, reference, sort.rows, sort.columns],
  );

  if (!layers.length) return <p class="status">This model has no layer after its input.</p>;

  const pairs: PairSpec[] = [];
  const add = (i: number, j: number, kind: PairSpec['kind']) => {
    if (!pairs.some((p) => p.i === i && p.j === j)) pairs.push({ i, j, kind });
  };
  add(layerI, layerJ, 'current');
  for (let k = 0; k + 1 < layers.length; k++) add(layers[k].index, layers[k + 1].index, 'consecutive');
  for (const [i, j] of custom) if (manifest.layers[i] && manifest.layers[j]) add(i, j, 'custom');

  return (
    <>
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
        <EpochSlider play frame={frame} />
        <span class="muted">Capacity over {subsetText(subset, classNames)}.</span>
        {hasEpochs && <EpochProgress epochs={pairEpochs} total={manifest.epochs.length} />}
      </div>
      {!hasEpochs ? (
        <p class="status">No epoch is recorded yet.</p>
      ) : (
        <HeatmapCard
          layerI={layerI}
          layerJ={layerJ}
          answer={answer}
          result={matrixResult}
          sort={sort}
          setSort={setSort}
          sortEpoch={sortEpoch}
          sortEpochPicked={sortEpochState !== null && sortEpochState === sortEpoch}
          setSortEpoch={setSortEpoch}
          reference={reference}
          referenceResult={referenceResult}
          scaleMode={scaleMode}
          setScaleMode={setScaleMode}
          known={pairEpochs.answers}
          onDrawn={(e) => setDrawn({ key: pairKey, epoch: e })}
          selected={selected}
          onSelect={(cell) => setSelected({ layerI, layerJ, ...cell })}
          marks={marks}
          onMark={mark}
          clearMarks={() => setMarks(null)}
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
          subset={subset}
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
          pairs={pairs}
          epoch={epoch}
          subset={subset}
          onShow={(i, j) => setPair(i, j)}
          onAdd={(i, j) => setCustom([...custom.filter(([a, b]) => a !== i || b !== j), [i, j] as [number, number]].slice(-32))}
          onRemove={(i, j) => setCustom(custom.filter(([a, b]) => a !== i || b !== j))}
        />
      )}
    </>
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

const SORT_BUTTONS: { label: string; axis: 'rows' | 'columns'; key: SortKey }[] = [
  { label: 'rows by max', axis: 'rows', key: 'max' },
  { label: 'rows by mean', axis: 'rows', key: 'mean' },
  { label: 'columns by max', axis: 'columns', key: 'max' },
  { label: 'columns by mean', axis: 'columns', key: 'mean' },
];

const sortText = (k: SortKey, what: string) => (k === 'original' ? `${what} in channel order` : `${what} sorted by ${k}, descending`);

function HeatmapCard(props: {
  layerI: number;
  layerJ: number;
  answer: CapacityMatrixAnswer | undefined;
  result: QueryResult<CapacityMatrixAnswer>;
  sort: HeatmapSort;
  setSort(s: HeatmapSort): void;
  /** The epoch whose values fix the sort order, so scrubbing keeps rows and columns in place. */
  sortEpoch: number;
  /** Whether the user picked `sortEpoch` (else it is the default, the last recorded epoch). */
  sortEpochPicked: boolean;
  setSortEpoch(e: number | null): void;
  reference: CapacityMatrixAnswer | undefined;
  referenceResult: QueryResult<CapacityMatrixAnswer>;
  scaleMode: ScaleMode;
  setScaleMode(m: ScaleMode): void;
  /** The pair's matrices known so far by epoch: the shared colour domain is their max. */
  known: ReadonlyMap<number, CapacityMatrixAnswer>;
  onDrawn: (epoch: number) => void;
  selected: CellRef | null;
  onSelect: (cell: CellRef) => void;
  marks: { rows: number[]; columns: number[] };
  onMark: (axis: MarkAxis, channels: number[], toggle: boolean) => void;
  clearMarks: () => void;
  nameOf: (l: number) => string;
}): JSX.Element {
  const { ui, manifest } = useApp();
  const { answer: a, sort, layerI, layerJ, nameOf, reference, sortEpoch } = props;
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  const stats = useMemo(() => (a ? matrixStats(a) : undefined), [a]);
  // The Query view's channel selection slices the heatmap: only those rows and columns are shown.
  const rowsPicked = ui.slice.channels[String(layerJ)];
  const columnsPicked = ui.slice.channels[String(layerI)];
  const orders = useMemo(() => {
    if (!a) return undefined;
    // The reference epoch's order when it is known (and of the same shape); until then, this epoch's.
    const ref = reference && reference.rows === a.rows && reference.columns === a.columns ? reference : a;
    const o = displayOrders(ref, sort);
    const keep = (order: number[], picked: number[] | undefined) =>
      picked && picked.length ? order.filter((c) => picked.includes(c)) : order;
    return { rowOrder: keep(o.rowOrder, rowsPicked), columnOrder: keep(o.columnOrder, columnsPicked) };
  }, [a, reference, sort.rows, sort.columns, rowsPicked, columnsPicked]);
  const marked = props.marks.rows.length > 0 || props.marks.columns.length > 0;
  const comparison = useMemo(
    () =>
      a && orders && marked ? compareMarked(a, orders.rowOrder, orders.columnOrder, props.marks.rows, props.marks.columns) : undefined,
    [a, orders, marked, props.marks.rows, props.marks.columns],
  );
  const sorted = sort.rows !== 'original' || sort.columns !== 'original';
  const orderFrom = !sorted
    ? undefined
    : reference && a && reference.rows === a.rows && reference.columns === a.columns
      ? reference.epoch
      : a?.epoch;
  // One colour per value across the pair's epochs: the domain is the max over every epoch known
  // so far (and this one); "this matrix" keeps the old per-matrix domain as a named option.
  const knownStats = useMemo(() => {
    const out = new Map<number, MatrixStats>();
    for (const [e, m] of props.known) if (m.layerI === layerI && m.layerJ === layerJ) out.set(e, matrixStats(m));
    return out;
  }, [props.known, layerI, layerJ]);
  const domain = useMemo(() => {
    if (!a || !stats) return { maxBits: 1, epochs: [] as number[], atEpoch: undefined as number | undefined };
    if (props.scaleMode === 'matrix') return { maxBits: stats.max, epochs: [a.epoch], atEpoch: a.epoch };
    const all = new Map(knownStats);
    all.set(a.epoch, stats);
    const maxBits = sharedMaxBits(all.values());
    const atEpoch = [...all].find(([, st]) => st.max === maxBits)?.[0];
    return { maxBits, epochs: [...all.keys()].sort((x, y) => x - y), atEpoch };
  }, [a, stats, knownStats, props.scaleMode]);
  const colour = useMemo(() => capacityScale(domain.maxBits || 1), [domain.maxBits]);
  const nameI = nameOf(layerI);
  const nameJ = nameOf(layerJ);
  const focusChannel = ui.focus.channel;
  const title = (
    <>
      Channel capacity: <LayerName layer={layerJ} /> (rows) × <LayerName layer={layerI} /> (columns)
    </>
  );
  const sortTools = (
    <div class="sort-tools" role="group" aria-label="Sort the heatmap">
      <span class="muted">Sort:</span>
      {SORT_BUTTONS.map((b) => (
        <Toggle
          key={b.label}
          pressed={sort[b.axis] === b.key}
          title={`${b.axis === 'rows' ? 'Rows' : 'Columns'} sorted by their ${b.key} capacity, descending (click again for channel order)`}
          onClick={() => props.setSort({ ...sort, [b.axis]: sort[b.axis] === b.key ? 'original' : b.key })}
        >
          {b.label}
        </Toggle>
      ))}
      <Toggle
        pressed={sort.rows === 'original' && sort.columns === 'original'}
        onClick={() => props.setSort({ rows: 'original', columns: 'original' })}
      >
        original order
      </Toggle>
      <label title="Rows and columns keep the order of this epoch's values while you scrub or play through the epochs">
        by epoch{' '}
        <select
          aria-label="Sort reference epoch"
          value={props.sortEpochPicked ? String(sortEpoch) : 'last'}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            props.setSortEpoch(v === 'last' ? null : Number(v));
          }}
        >
          <option value="last">last ({manifest.epochs[manifest.epochs.length - 1]})</option>
          {manifest.epochs.map((e) => (
            <option key={e} value={String(e)}>
              {e}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
  const scaleTools = (
    <div class="sort-tools" role="group" aria-label="Colour scale of the heatmap">
      <label title="Shared: one colour per value over every epoch of this pair known so far, so brightness compares across epochs. This matrix: the colours span this matrix's own range.">
        scale{' '}
        <select
          aria-label="Colour scale"
          value={props.scaleMode}
          onChange={(e) => props.setScaleMode((e.target as HTMLSelectElement).value as ScaleMode)}
        >
          <option value="shared">shared across epochs</option>
          <option value="matrix">this matrix</option>
        </select>
      </label>
    </div>
  );
  const exportSpec = {
    name: `capacity-${nameI}-${nameJ}-epoch-${a?.epoch ?? ui.epoch}`,
    table: () => {
      if (!a) return { columns: [], rows: [] };
      const rows: (string | number | null)[][] = [];
      for (let r = 0; r < a.rows; r++)
        for (let c = 0; c < a.columns; c++) rows.push([nameJ, r, nameI, c, a.values[r * a.columns + c] ?? null]);
      return { columns: ['row layer', 'row channel', 'column layer', 'column channel', 'bits'], rows };
    },
    json: () =>
      a && {
        layerI: a.layerI,
        layerIName: nameI,
        layerJ: a.layerJ,
        layerJName: nameJ,
        epoch: a.epoch,
        inputCount: a.inputCount,
        bins: a.bins,
        note: 'matrix[row][column]: rows = channels of layer J, columns = channels of layer I, bits; null = undefined',
        matrix: Array.from({ length: a.rows }, (_, r) => a.values.slice(r * a.columns, (r + 1) * a.columns)),
        orders: a.orders,
        sort,
        displayedRowOrder: orders?.rowOrder,
        displayedColumnOrder: orders?.columnOrder,
        sortReferenceEpoch: sorted ? orderFrom : undefined,
        colourScale: { mode: props.scaleMode, minBits: 0, maxBits: domain.maxBits, epochs: domain.epochs },
        marks: comparison ? { rows: props.marks.rows, columns: props.marks.columns, ...comparison } : undefined,
      },
  };
  const label =
    a && stats && orders
      ? `Heatmap of channel capacity between ${nameJ} (${a.rows} rows) and ${nameI} (${a.columns} columns) at epoch ${a.epoch}: ${fmtBits(stats.min)} to ${fmtBits(stats.max)}, ${stats.undefinedCount} undefined cells; ${sortText(sort.rows, 'rows')}, ${sortText(sort.columns, 'columns')}.`
      : '';
  const maxPlot = Math.max(160, Math.min(640, panelWidth - 150));
  // The card is as wide as its heatmap needs (cells of at most 36 px, labels, a margin), not as its
  // notes would stretch it, so a wide panel has room beside it for the clicked cell's feature maps.
  const shownColumns = orders?.columnOrder.length ?? a?.columns ?? 1;
  const shownRows = orders?.rowOrder.length ?? a?.rows ?? 1;
  const plotWidth = Math.max(1, Math.min(36, Math.floor(maxPlot / Math.max(shownRows, shownColumns, 1)))) * shownColumns;
  const cardWidth = Math.max(520, plotWidth + 190);
  // Only when the maps' card (at least 340 px) fits beside it; else the card keeps the whole row.
  const cardStyle = panelWidth >= cardWidth + 12 + 340 ? { flex: '0 1 auto', maxWidth: `${cardWidth}px` } : undefined;
  return (
    <Card
      class="heatmap-card"
      style={cardStyle}
      title={title}
      label={`Channel capacity heatmap of ${nameJ} × ${nameI}`}
      export={exportSpec}
    >
      <div ref={wrap}>
        {sortTools}
        {scaleTools}
        <QueryStatus result={props.result} what={`the channel capacity of ${nameJ} × ${nameI}`} />
        {a && stats && orders && (
          <>
            {sorted && orderFrom !== sortEpoch && (
              <p class="muted" data-testid="sort-reference-note">
                {props.referenceResult.status === 'error'
                  ? `Epoch ${sortEpoch} is not available (${props.referenceResult.error.message}); rows and columns are sorted by epoch ${a.epoch}'s own values.`
                  : `Sorted by epoch ${a.epoch}'s own values until epoch ${sortEpoch} is loaded.`}
              </p>
            )}
            <CapacityHeatmap
              answer={a}
              rowOrder={orders.rowOrder}
              columnOrder={orders.columnOrder}
              rowName={nameJ}
              columnName={nameI}
              rowTitle={`${nameJ} channels${sort.rows === 'original' ? '' : ` (by ${sort.rows})`}`}
              columnTitle={`${nameI} channels${sort.columns === 'original' ? '' : ` (by ${sort.columns})`} →`}
              stats={stats}
              maxBits={domain.maxBits}
              onDrawn={props.onDrawn}
              selected={props.selected}
              highlightRow={ui.focus.layer === layerJ ? focusChannel : null}
              highlightColumn={ui.focus.layer === layerI ? focusChannel : null}
              onSelect={props.onSelect}
              markedRows={props.marks.rows}
              markedColumns={props.marks.columns}
              onMark={props.onMark}
              maxPlot={maxPlot}
              label={label}
            />
            <MarksReadout
              marks={props.marks}
              comparison={comparison}
              nameI={nameI}
              nameJ={nameJ}
              epoch={a.epoch}
              clear={props.clearMarks}
            />
            <ColourLegend colour={colour} min={0} max={domain.maxBits} label="Capacity (bits)" note="brighter = smaller capacity" />
            <p class="muted" data-testid="scale-domain" data-max-bits={domain.maxBits} data-scale={props.scaleMode}>
              {props.scaleMode === 'shared'
                ? `Scale: 0 to ${fmtBits(domain.maxBits)}, shared across ${domain.epochs.length} of ${manifest.epochs.length} epochs of this pair (the largest value, at epoch ${domain.atEpoch ?? a.epoch}); the same value has the same colour at every epoch. This epoch's largest: ${fmtBits(stats.max)}.`
                : `Scale: 0 to ${fmtBits(domain.maxBits)}, this matrix's own range: colours do not compare across epochs.`}
            </p>
            <div class="legend">
              <UndefinedSwatch />
              <span>
                undefined: no estimate for the pair (never drawn as 0)
                {stats.undefinedCount ? ` — ${stats.undefinedCount} cell${stats.undefinedCount === 1 ? '' : 's'}` : ' — none here'}
              </span>
            </div>
            <p class="muted heatmap-note">
              Epoch {a.epoch} · {a.inputCount} inputs · {a.bins} bins. Hover a cell for its value; click it (or move with the arrow keys and
              press Enter) to see the feature maps of its two channels.
            </p>
            {orders && (orders.rowOrder.length < a.rows || orders.columnOrder.length < a.columns) && (
              <p class="muted" data-testid="heatmap-sliced">
                The slice shows {orders.rowOrder.length} of {a.rows} {nameJ} channels × {orders.columnOrder.length} of {a.columns} {nameI}{' '}
                channels (chosen in the Query view).
              </p>
            )}
          </>
        )}
      </div>
    </Card>
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

function FeatureMapsCard(props: {
  layerI: number;
  layerJ: number;
  selected: CellRef | null;
  answer: CapacityMatrixAnswer | undefined;
  nameOf(l: number): string;
}): JSX.Element {
  const { manifest, ui, classNames } = useApp();
  const { selected, layerI, layerJ } = props;
  const mapsIResult = useQuery(selected ? queries.featureMaps(manifest, layerI, ui.epoch) : null, 'layer');
  const mapsJResult = useQuery(selected ? queries.featureMaps(manifest, layerJ, ui.epoch) : null, 'layer');
  const inputsResult = useQuery(selected ? queries.inputs(SAMPLE_INPUTS) : null, 'layer');
  const mapsI = shown(mapsIResult);
  const mapsJ = shown(mapsJResult);
  const inputs = shown(inputsResult);
  const decodedI = useMemo(() => (mapsI ? decodeFloat32(mapsI.maps) : undefined), [mapsI]);
  const decodedJ = useMemo(() => (mapsJ ? decodeFloat32(mapsJ.maps) : undefined), [mapsJ]);
  const decodedInputs = useMemo(() => (inputs ? decodeFloat32(inputs.images) : undefined), [inputs]);
  const columnMaps = useMemo(
    () => (selected && mapsI && decodedI && mapsI.layer === layerI ? channelMaps(mapsI, decodedI, selected.c) : undefined),
    [mapsI, decodedI, selected?.c, layerI],
  );
  const rowMaps = useMemo(
    () => (selected && mapsJ && decodedJ && mapsJ.layer === layerJ ? channelMaps(mapsJ, decodedJ, selected.r) : undefined),
    [mapsJ, decodedJ, selected?.r, layerJ],
  );
  const nameI = props.nameOf(layerI);
  const nameJ = props.nameOf(layerJ);
  const bits = selected && props.answer ? props.answer.values[selected.r * props.answer.columns + selected.c] : undefined;
  const exportSpec = {
    name: selected ? `feature-maps-${nameI}-${selected.c}-${nameJ}-${selected.r}-epoch-${ui.epoch}` : 'feature-maps',
    table: () => {
      const rows: (string | number)[][] = [];
      for (const m of [columnMaps, rowMaps]) {
        if (!m) continue;
        m.maps.forEach((data, i) => {
          let lo = Infinity;
          let hi = -Infinity;
          for (const v of data) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          rows.push([m.inputs[i], classNames[m.labels[i]] ?? m.labels[i], props.nameOf(m.layer), m.channel, m.h, m.w, lo, hi]);
        });
      }
      return { columns: ['input', 'class', 'layer', 'channel', 'height', 'width', 'min', 'max'], rows };
    },
    json: () =>
      [columnMaps, rowMaps]
        .filter((m) => m)
        .map((m) => ({
          layer: m!.layer,
          layerName: props.nameOf(m!.layer),
          channel: m!.channel,
          epoch: ui.epoch,
          shape: [m!.h, m!.w],
          channelRange: m!.range,
          maps: m!.maps.map((data, i) => ({ input: m!.inputs[i], label: m!.labels[i], values: Array.from(data) })),
        })),
  };
  return (
    <Card
      class="feature-maps-card"
      style={{ flex: '1 1 340px' }}
      title={
        selected ? (
          <>
            Feature maps: <LayerName layer={layerI} channel={selected.c} /> (column) and <LayerName layer={layerJ} channel={selected.r} />{' '}
            (row) — capacity <span class="capacity-value">{bits === undefined ? '…' : fmtBits(bits)}</span>
          </>
        ) : (
          'Feature maps of a heatmap cell'
        )
      }
      label="Feature maps of the selected cell's two channels"
      export={exportSpec}
    >
      {!selected ? (
        <p class="muted">
          Click a cell of the heatmap (or move to it with the arrow keys and press Enter) to compare the feature maps of its column channel
          and its row channel for one sample input per class.
        </p>
      ) : (
        <>
          <QueryStatus result={mapsIResult} what={`the feature maps of ${nameI}`} />
          {layerJ !== layerI && <QueryStatus result={mapsJResult} what={`the feature maps of ${nameJ}`} />}
          <QueryStatus result={inputsResult} what="the sample inputs" />
          {mapsI && !columnMaps && mapsIResult.status === 'ready' && (
            <p class="muted" role="note">
              Channel {selected.c} is not among the feature maps of {nameI} held here: a report over its size budget keeps the first
              channels of wide layers. Open the run in VS Code, or write the report with a larger --max-mb, to see every channel.
            </p>
          )}
          {mapsJ && !rowMaps && mapsJResult.status === 'ready' && (
            <p class="muted" role="note">
              Channel {selected.r} is not among the feature maps of {nameJ} held here: a report over its size budget keeps the first
              channels of wide layers. Open the run in VS Code, or write the report with a larger --max-mb, to see every channel.
            </p>
          )}
          {columnMaps && rowMaps && (
            <>
              <p class="muted fm-note">
                Epoch {mapsI!.epoch}; one sample input per class. Grey per channel: black = the channel's minimum, white = its maximum over
                these inputs ({nameI} #{selected.c}: {columnMaps.range[0].toFixed(3)}–{columnMaps.range[1].toFixed(3)}; {nameJ} #
                {selected.r}: {rowMaps.range[0].toFixed(3)}–{rowMaps.range[1].toFixed(3)}).
              </p>
              <FeatureMapPairs
                columnMaps={columnMaps}
                rowMaps={rowMaps}
                columnName={nameI}
                rowName={nameJ}
                classNames={classNames}
                inputs={inputs}
                inputsDecoded={decodedInputs}
              />
            </>
          )}
        </>
      )}
    </Card>
  );
}

/**
 * The Layer view's small multiples (paper Figs. 10–12): the current pair at several epochs, and one
 * layer against every later multi-channel layer at the current epoch, each strip on one colour scale.
 * Both are closed until asked for: each cell is a capacity query the service may have to compute.
 */
function StripsCard(props: {
  layerI: number;
  layerJ: number;
  subset: InputSubset;
  strips: StripsState;
  setStrips: (s: StripsState) => void;
  orderOf: (a: CapacityMatrixAnswer) => { rowOrder: number[]; columnOrder: number[] };
  sortNote: string;
  onOpenPair: (i: number, j: number) => void;
  nameOf: (l: number) => string;
}): JSX.Element {
  const { manifest, ui, update } = useApp();
  const { strips, setStrips, layerI, layerJ, subset, nameOf } = props;
  // The Query view's channel selection restricts the strips as it does the main heatmap: a layer's
  // chosen channels are its only rows (as layer J) or columns (as layer I) in every cell.
  const sliceChannels = ui.slice.channels;
  const pickedKey = JSON.stringify(sliceChannels);
  const restrict = useCallback(
    (a: CapacityMatrixAnswer, o: { rowOrder: number[]; columnOrder: number[] }) => {
      const keep = (order: number[], layer: number) => {
        const picked = sliceChannels[String(layer)];
        return picked && picked.length ? order.filter((c) => picked.includes(c)) : order;
      };
      return { rowOrder: keep(o.rowOrder, a.layerJ), columnOrder: keep(o.columnOrder, a.layerI) };
    },
    [pickedKey],
  );
  const { orderOf } = props;
  const epochOrder = useCallback((a: CapacityMatrixAnswer) => restrict(a, orderOf(a)), [restrict, orderOf]);
  const depthOrder = useCallback(
    (a: CapacityMatrixAnswer) =>
      restrict(a, { rowOrder: Array.from({ length: a.rows }, (_, r) => r), columnOrder: Array.from({ length: a.columns }, (_, c) => c) }),
    [restrict],
  );
  /** "conv1 channels 0–3; pool1 channels 2, 5" for the layers of `layers` the slice restricts, or "" when none. */
  const restriction = (layers: number[]) =>
    [...new Set(layers)]
      .filter((l) => sliceChannels[String(l)]?.length)
      .map((l) => `${nameOf(l)} channels ${channelList(sliceChannels[String(l)])}`)
      .join('; ');
  const defaultEpochs = stripEpochs(manifest);
  const picked = strips.epochs?.filter((e) => manifest.epochs.includes(e)) ?? [];
  const epochs = strips.epochs !== null && picked.length ? picked : defaultEpochs;
  const epochCells: StripCellSpec[] = epochs.map((e) => ({
    key: `epoch-${e}`,
    query: queries.capacityMatrix(layerI, layerJ, e, subset),
    label: `epoch ${e}`,
  }));
  const toggleEpoch = (e: number) => {
    const next = epochs.includes(e) ? epochs.filter((x) => x !== e) : [...epochs, e].sort((a, b) => a - b);
    setStrips({ ...strips, epochs: next.length ? next : null });
  };
  const multi = manifest.layers.filter((l) => l.index > 0 && l.channels > 1);
  const pairs = depthPairs(manifest, strips.depthBase ?? undefined);
  const base = pairs[0]?.[0];
  const depthCells: StripCellSpec[] = pairs.map(([i, j]) => ({
    key: `pair-${i}-${j}`,
    query: queries.capacityMatrix(i, j, ui.epoch, subset),
    label: `${nameOf(j)} × ${nameOf(i)}`,
  }));
  const pairName = `${nameOf(layerJ)} × ${nameOf(layerI)}`;
  return (
    <Card class="wide strips-card" title="Small multiples: capacity over epochs and with depth" label="Heatmap strips">
      <div class="sort-tools" role="group" aria-label="Heatmap strips">
        <Toggle
          aria-expanded={strips.epochOpen}
          pressed={strips.epochOpen}
          data-testid="epoch-strip-toggle"
          onClick={() => setStrips({ ...strips, epochOpen: !strips.epochOpen })}
        >
          {strips.epochOpen ? '▾' : '▸'} epoch strip of {pairName}
        </Toggle>
        <Toggle
          aria-expanded={strips.depthOpen}
          pressed={strips.depthOpen}
          data-testid="depth-strip-toggle"
          onClick={() => setStrips({ ...strips, depthOpen: !strips.depthOpen })}
        >
          {strips.depthOpen ? '▾' : '▸'} depth strip{base !== undefined ? ` of ${nameOf(base)}` : ''}
        </Toggle>
      </div>
      {strips.epochOpen && (
        <section aria-label={`Epoch strip of ${pairName}`} data-testid="epoch-strip-section">
          <div class="sort-tools" role="group" aria-label="Epochs of the strip">
            <span class="muted">Epochs:</span>
            {manifest.epochs.map((e) => (
              <Toggle key={e} pressed={epochs.includes(e)} onClick={() => toggleEpoch(e)}>
                {e}
              </Toggle>
            ))}
            <Toggle pressed={strips.epochs === null} onClick={() => setStrips({ ...strips, epochs: null })}>
              default ({defaultEpochs.join(', ')})
            </Toggle>
          </div>
          <p class="muted">
            {pairName} at {epochs.length} epoch{epochs.length === 1 ? '' : 's'}, one colour scale for all of them; {props.sortNote}. Click a
            heatmap to open it large.
          </p>
          <RestrictionNote text={restriction([layerI, layerJ])} testId="epoch-strip-restriction" />
          <HeatmapStrip
            cells={epochCells}
            orderOf={epochOrder}
            activeKey={`epoch-${ui.epoch}`}
            onOpen={(key) => update({ epoch: Number(key.slice('epoch-'.length)) })}
            testId="epoch-strip"
            describe={(c) => `${pairName} at ${c.label}`}
          />
        </section>
      )}
      {strips.depthOpen && (
        <section aria-label="Depth strip" data-testid="depth-strip-section">
          <div class="sort-tools" role="group" aria-label="Base layer of the depth strip">
            <label>
              layer I{' '}
              <select
                aria-label="Depth strip layer"
                value={base ?? ''}
                onChange={(e) => setStrips({ ...strips, depthBase: Number((e.target as HTMLSelectElement).value) })}
              >
                {multi.slice(0, -1).map((l) => (
                  <option key={l.index} value={l.index} title={l.name}>
                    {l.index} · {shortLayerName(l, manifest.layers)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {depthCells.length === 0 ? (
            <p class="muted">No later layer with several channels to compare with.</p>
          ) : (
            <>
              <p class="muted">
                {base !== undefined ? nameOf(base) : ''} (columns) against every later layer with several channels (rows) at epoch{' '}
                {ui.epoch}, one colour scale for all of them; rows and columns in channel order. Click a heatmap to open that pair large.
              </p>
              <RestrictionNote text={restriction(pairs.flat())} testId="depth-strip-restriction" />
              <HeatmapStrip
                cells={depthCells}
                orderOf={depthOrder}
                activeKey={`pair-${layerI}-${layerJ}`}
                onOpen={(key) => {
                  const [, i, j] = key.split('-').map(Number);
                  props.onOpenPair(i, j);
                }}
                testId="depth-strip"
                describe={(c) => `${c.label} at epoch ${ui.epoch}`}
              />
            </>
          )}
        </section>
      )}
    </Card>
  );
}

/** Says that a strip shows only the channels chosen in the Query view, and which. */
function RestrictionNote(props: { text: string; testId: string }): JSX.Element | null {
  if (!props.text) return null;
  return (
    <p class="muted" data-testid={props.testId}>
      Only the channels chosen in the Query view, as in the heatmap above: {props.text}. Each cell's max and mean and the strip's colour
      scale are over the cells shown.
    </p>
  );
}

const channelList = (channels: readonly number[]) =>
  channels.length <= 8 ? channels.join(', ') : `${channels.slice(0, 8).join(', ')}, … (${channels.length})`;

/** The marked group against the rest (Fig. 8B): mean capacity of each in bits, and a button to clear the marks. */
function MarksReadout(props: {
  marks: { rows: number[]; columns: number[] };
  comparison: MarkComparison | undefined;
  nameI: string;
  nameJ: string;
  epoch: number;
  clear: () => void;
}): JSX.Element {
  const { marks, comparison: cmp } = props;
  if (!cmp)
    return (
      <p class="muted" data-testid="marks-readout" data-marked="false">
        Mark a group of channels to compare it with the rest: click a channel's label above or beside the cells, or drag along the labels to
        mark several.
      </p>
    );
  const group = [
    marks.columns.length ? `${props.nameI} columns ${channelList(marks.columns)}` : `all ${props.nameI} columns`,
    marks.rows.length ? `${props.nameJ} rows ${channelList(marks.rows)}` : `all ${props.nameJ} rows`,
  ].join(' × ');
  const diff = cmp.markedMeanBits !== null && cmp.restMeanBits !== null ? cmp.markedMeanBits - cmp.restMeanBits : null;
  return (
    <div
      class="legend"
      data-testid="marks-readout"
      data-marked="true"
      data-marked-mean={cmp.markedMeanBits ?? ''}
      data-marked-cells={cmp.markedCells}
      data-rest-mean={cmp.restMeanBits ?? ''}
      data-rest-cells={cmp.restCells}
    >
      <span aria-hidden="true" style={{ display: 'inline-block', width: '14px', height: '10px', border: `2px solid ${MARK_COLOUR}` }} />
      <span>
        Marked ({group}), epoch {props.epoch}: mean <strong>{fmtBits(cmp.markedMeanBits)}</strong> over {cmp.markedCells} cells; the rest:
        mean <strong>{fmtBits(cmp.restMeanBits)}</strong> over {cmp.restCells} cells
        {diff !== null ? ` (marked ${diff >= 0 ? '+' : '−'}${fmtBits(Math.abs(diff))})` : ''}. Undefined cells count in neither.
      </span>
      <button type="button" onClick={props.clear}>
        Clear marks
      </button>
    </div>
  );
}
