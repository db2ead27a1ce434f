// The Layer view's main card (paper Fig. 8): the channel-capacity heatmap of the pair at the shared
// epoch, with its sort, colour scale, marked groups and notes.
import type { JSX } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import { CapacityHeatmap, UndefinedSwatch } from '../../charts/capacityHeatmap';
import type { CellRef, HeatmapSort, MatrixStats, ScaleMode, SortKey } from '../../charts/capacityMatrix';
import type { MarkAxis } from '../../charts/capacityHeatmapCanvas';
import { usePanelWidth } from '../../charts/common';
import { ColourLegend } from '../../charts/primitives';
import { capacityScale } from '../../colours';
import { QueryResult, useApp } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { heatmapExport, heatmapLayout, useHeatmapModel } from './heatmapModel';
import type { HeatmapModel, Orders } from './heatmapModel';
import { ScaleTools, SortTools } from './HeatmapTools';
import { MarksReadout } from './marks';
import type { ScaleMatrices } from './scalePairs';
import { formatBits } from '../../../src/contract/format';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { capacityEstimateNote } from '../../../src/contract/plan';

const sortText = (k: SortKey, what: string) => (k === 'original' ? `${what} in channel order` : `${what} sorted by ${k}, descending`);

/** The heatmap's sort and the epoch whose values fix it, so scrubbing keeps rows and columns in place. */
export interface HeatmapSorting {
  sort: HeatmapSort;
  setSort: (s: HeatmapSort) => void;
  sortEpoch: number;
  /** Whether the user picked `sortEpoch` (else it is the default, the last recorded epoch). */
  sortEpochPicked: boolean;
  setSortEpoch: (e: number | null) => void;
  reference: CapacityMatrixAnswer | undefined;
  referenceResult: QueryResult<CapacityMatrixAnswer>;
}

/** The colour scale's mode and the pair's matrices known so far by epoch: the shared domain is their max. */
export interface HeatmapScale {
  mode: ScaleMode;
  setMode: (m: ScaleMode) => void;
  known: ReadonlyMap<number, CapacityMatrixAnswer>;
  /** The matrices of the shared-across-pairs scale known so far. */
  acrossPairs: ScaleMatrices;
}

/** The marked channel groups and how to change them. */
export interface HeatmapMarking {
  marks: { rows: number[]; columns: number[] };
  onMark: (axis: MarkAxis, channels: number[], toggle: boolean) => void;
  clear: () => void;
}

export function HeatmapCard(props: {
  layerI: number;
  layerJ: number;
  answer: CapacityMatrixAnswer | undefined;
  result: QueryResult<CapacityMatrixAnswer>;
  sorting: HeatmapSorting;
  scale: HeatmapScale;
  marking: HeatmapMarking;
  onDrawn: (epoch: number) => void;
  selected: CellRef | null;
  onSelect: (cell: CellRef) => void;
  nameOf: (l: number) => string;
}): JSX.Element {
  const { ui, manifest } = useApp();
  const { answer: a, layerI, layerJ, sorting, scale, marking } = props;
  const { sort, sortEpoch } = sorting;
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  // The Query view's channel selection slices the heatmap: only those rows and columns are shown.
  const model = useHeatmapModel({
    answer: a,
    reference: sorting.reference,
    sort,
    rowsPicked: ui.slice.channels[String(layerJ)],
    columnsPicked: ui.slice.channels[String(layerI)],
    marks: marking.marks,
    scaleMode: scale.mode,
    known: scale.known,
    layerI,
    layerJ,
    acrossPairs: scale.acrossPairs,
  });
  const { stats, orders, domain } = model;
  const nameI = props.nameOf(layerI);
  const nameJ = props.nameOf(layerJ);
  const focusChannel = ui.focus.channel;
  const exportSpec = heatmapExport(a, model, { nameI, nameJ, epoch: ui.epoch, sort, scaleMode: scale.mode, marks: marking.marks });
  const label =
    a && stats && orders
      ? `Heatmap of channel capacity between ${nameJ} (${a.rows} rows) and ${nameI} (${a.columns} columns) at epoch ${a.epoch}: ${formatBits(stats.min)} to ${formatBits(stats.max)}, ${stats.undefinedCount} undefined cells; ${sortText(sort.rows, 'rows')}, ${sortText(sort.columns, 'columns')}.`
      : '';
  const { maxPlot, cardStyle } = heatmapLayout(panelWidth, a, orders);
  return (
    <Card
      class="heatmap-card"
      style={cardStyle}
      title={
        <>
          Channel capacity: <LayerName layer={layerJ} /> (rows) × <LayerName layer={layerI} /> (columns)
        </>
      }
      label={`Channel capacity heatmap of ${nameJ} × ${nameI}`}
      export={exportSpec}
    >
      <div ref={wrap}>
        <SortTools {...sorting} epochs={manifest.epochs} />
        <div class="heatmap-scale-row">
          <ScaleTools mode={scale.mode} setMode={scale.setMode} />
          {a && stats && <HeatmapLegend maxBits={domain.maxBits} text={scaleName(scale.mode, nameI, nameJ)} />}
        </div>
        <QueryStatus result={props.result} what={`the channel capacity of ${nameJ} × ${nameI}`} />
        {a && stats && orders && (
          <>
            {model.sorted && model.orderFrom !== sortEpoch && (
              <p class="muted" data-testid="sort-reference-note">
                {sorting.referenceResult.status === 'error'
                  ? `Epoch ${sortEpoch} is not available (${sorting.referenceResult.error.message}); rows and columns are sorted by epoch ${a.epoch}'s own values.`
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
              markedRows={marking.marks.rows}
              markedColumns={marking.marks.columns}
              onMark={marking.onMark}
              maxPlot={maxPlot}
              label={label}
            />
            <MarksReadout
              marks={marking.marks}
              comparison={model.comparison}
              nameI={nameI}
              nameJ={nameJ}
              epoch={a.epoch}
              clear={marking.clear}
            />
            <HeatmapNotes answer={a} stats={stats} orders={orders} model={model} mode={scale.mode} nameI={nameI} nameJ={nameJ} />
          </>
        )}
      </div>
    </Card>
  );
}

/** What the scale in force is shared by, said beside its legend. */
function scaleName(mode: ScaleMode, nameI: string, nameJ: string): string {
  if (mode === 'shared') return `scale: shared across epochs of ${nameI} → ${nameJ}`;
  if (mode === 'pairs') return 'scale: shared across pairs and epochs';
  return "scale: this matrix's own";
}

/** The colour legend, named by the scale in force; beside the scale picker, above the heatmap, so it is on screen with it. */
function HeatmapLegend(props: { maxBits: number; text: string }): JSX.Element {
  const colour = useMemo(() => capacityScale(props.maxBits || 1), [props.maxBits]);
  return (
    <ColourLegend
      colour={colour}
      min={0}
      max={props.maxBits}
      label="Capacity (bits)"
      note={`${props.text} · brighter = smaller capacity`}
    />
  );
}

/** The heatmap's legends and notes: the colour scale and its domain, undefined cells, and what the slice leaves out. */
function HeatmapNotes(props: {
  answer: CapacityMatrixAnswer;
  stats: MatrixStats;
  orders: Orders;
  model: HeatmapModel;
  mode: ScaleMode;
  nameI: string;
  nameJ: string;
}): JSX.Element {
  const { manifest, ui } = useApp();
  const { answer: a, stats, orders, mode, nameI, nameJ } = props;
  const estimate = capacityEstimateNote(a.inputCount, manifest, ui.slice.subset);
  const { domain } = props.model;
  const across = domain.acrossPairs;
  const nameOf = (l: number) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`);
  return (
    <>
      <p class="muted" data-testid="scale-domain" data-max-bits={domain.maxBits} data-scale={mode}>
        {mode === 'shared'
          ? `Scale: 0 to ${formatBits(domain.maxBits)}, shared across ${domain.epochs.length} of ${manifest.epochs.length} epochs of this pair (the largest value, at epoch ${domain.atEpoch ?? a.epoch}); the same value has the same colour at every epoch, but another pair has its own scale. This epoch's largest: ${formatBits(stats.max)}.`
          : mode === 'pairs' && across
            ? `Scale: 0 to ${formatBits(domain.maxBits)}, shared across ${across.pairs} layer pairs at every epoch (the consecutive pairs, the depth strip's pairs and this one): the largest value of ${across.known} of their ${across.total} matrices${across.known + across.missing < across.total ? ' known so far' : ''}, ${across.atPair ? `${nameOf(across.atPair[1])} × ${nameOf(across.atPair[0])}` : 'this pair'} at epoch ${domain.atEpoch ?? a.epoch}${across.missing ? `; ${across.missing} not available` : ''}. The same value has the same colour in every pair and epoch. This matrix's largest: ${formatBits(stats.max)}.`
            : `Scale: 0 to ${formatBits(domain.maxBits)}, this matrix's own range: colours do not compare across epochs or pairs.`}
      </p>
      <div class="legend">
        <UndefinedSwatch />
        <span>
          undefined: no estimate for the pair (never drawn as 0)
          {stats.undefinedCount ? ` — ${stats.undefinedCount} cell${stats.undefinedCount === 1 ? '' : 's'}` : ' — none here'}
        </span>
      </div>
      {estimate && (
        <p class="importance-unverified heatmap-estimate" data-testid="heatmap-estimate" role="note">
          This matrix is {estimate}
        </p>
      )}
      <p class="muted heatmap-note">
        Epoch {a.epoch} · {a.inputCount} inputs · {a.bins} bins. Hover a cell for its value; click it (or move with the arrow keys and press
        Enter) to see the feature maps of its two channels.
      </p>
      {(orders.rowOrder.length < a.rows || orders.columnOrder.length < a.columns) && (
        <p class="muted" data-testid="heatmap-sliced">
          The slice shows {orders.rowOrder.length} of {a.rows} {nameJ} channels × {orders.columnOrder.length} of {a.columns} {nameI}{' '}
          channels (chosen in the Query view).
        </p>
      )}
    </>
  );
}
