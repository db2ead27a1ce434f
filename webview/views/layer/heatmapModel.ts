// What the Layer view's heatmap card derives from its answers: the displayed orders (sorted by the
// reference epoch, sliced by the Query view's channels), the marked-group comparison and the colour
// domain; plus the card's export and its width.
import { useMemo } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import { displayOrders, matrixStats, sharedMaxBits } from '../../charts/capacityMatrix';
import type { HeatmapSort, MatrixStats, ScaleMode } from '../../charts/capacityMatrix';
import { heatmapCellSize } from '../../charts/capacityHeatmapCanvas';
import type { ExportSpec } from '../../ui';
import { compareMarked } from './marks';
import type { MarkComparison } from './marks';
import type { ScaleMatrices } from './scalePairs';

export interface Orders {
  rowOrder: number[];
  columnOrder: number[];
}

export interface ColourDomain {
  maxBits: number;
  /** The epochs whose matrices the domain spans. */
  epochs: number[];
  /** The epoch of the largest value. */
  atEpoch: number | undefined;
  /** Shared across pairs: the pair of the largest value, and how many of the scale's matrices are known. */
  acrossPairs?: { atPair: [number, number] | undefined; pairs: number; known: number; total: number; missing: number };
}

export interface HeatmapModel {
  stats: MatrixStats | undefined;
  orders: Orders | undefined;
  comparison: MarkComparison | undefined;
  sorted: boolean;
  /** The epoch whose values order the rows and columns (undefined in channel order). */
  orderFrom: number | undefined;
  domain: ColourDomain;
}

export interface HeatmapInputs {
  answer: CapacityMatrixAnswer | undefined;
  reference: CapacityMatrixAnswer | undefined;
  sort: HeatmapSort;
  /** The Query view's channel selection of layer J (rows) and layer I (columns). */
  rowsPicked: number[] | undefined;
  columnsPicked: number[] | undefined;
  marks: { rows: number[]; columns: number[] };
  scaleMode: ScaleMode;
  /** The pair's matrices known so far by epoch: the shared colour domain is their max. */
  known: ReadonlyMap<number, CapacityMatrixAnswer>;
  layerI: number;
  layerJ: number;
  /** The matrices of the shared-across-pairs scale known so far (scalePairs.ts). */
  acrossPairs: ScaleMatrices;
}

const sameShape = (x: CapacityMatrixAnswer | undefined, a: CapacityMatrixAnswer | undefined) =>
  x !== undefined && a !== undefined && x.rows === a.rows && x.columns === a.columns;

/** The heatmap's orders, marked-group comparison and colour domain, memoised on what they read. */
export function useHeatmapModel(p: HeatmapInputs): HeatmapModel {
  const { answer: a, reference, sort, rowsPicked, columnsPicked, marks, scaleMode, known, layerI, layerJ, acrossPairs } = p;
  const stats = useMemo(() => (a ? matrixStats(a) : undefined), [a]);
  const orders = useMemo(() => {
    if (!a) return undefined;
    // The reference epoch's order when it is known (and of the same shape); until then, this epoch's.
    const o = displayOrders(sameShape(reference, a) ? reference! : a, sort);
    const keep = (order: number[], picked: number[] | undefined) =>
      picked && picked.length ? order.filter((c) => picked.includes(c)) : order;
    return { rowOrder: keep(o.rowOrder, rowsPicked), columnOrder: keep(o.columnOrder, columnsPicked) };
  }, [a, reference, sort.rows, sort.columns, rowsPicked, columnsPicked]);
  const marked = marks.rows.length > 0 || marks.columns.length > 0;
  const comparison = useMemo(
    () => (a && orders && marked ? compareMarked(a, orders.rowOrder, orders.columnOrder, marks.rows, marks.columns) : undefined),
    [a, orders, marked, marks.rows, marks.columns],
  );
  const sorted = sort.rows !== 'original' || sort.columns !== 'original';
  const orderFrom = !sorted ? undefined : sameShape(reference, a) ? reference!.epoch : a?.epoch;
  // One colour per value across the pair's epochs: the domain is the max over every epoch known
  // so far (and this one); "this matrix" keeps the old per-matrix domain as a named option.
  const knownStats = useMemo(() => {
    const out = new Map<number, MatrixStats>();
    for (const [e, m] of known) if (m.layerI === layerI && m.layerJ === layerJ) out.set(e, matrixStats(m));
    return out;
  }, [known, layerI, layerJ]);
  const domain = useMemo((): ColourDomain => {
    if (!a || !stats) return { maxBits: 1, epochs: [], atEpoch: undefined };
    if (scaleMode === 'matrix') return { maxBits: stats.max, epochs: [a.epoch], atEpoch: a.epoch };
    if (scaleMode === 'pairs') return pairsDomain(a, stats, acrossPairs);
    const all = new Map(knownStats);
    all.set(a.epoch, stats);
    const maxBits = sharedMaxBits(all.values());
    const atEpoch = [...all].find(([, st]) => st.max === maxBits)?.[0];
    return { maxBits, epochs: [...all.keys()].sort((x, y) => x - y), atEpoch };
  }, [a, stats, knownStats, scaleMode, acrossPairs]);
  return { stats, orders, comparison, sorted, orderFrom, domain };
}

// Answers are immutable and shared through the answer cache: their figures are computed once.
const statsOf = new WeakMap<CapacityMatrixAnswer, MatrixStats>();
function cachedStats(m: CapacityMatrixAnswer): MatrixStats {
  let s = statsOf.get(m);
  if (!s) statsOf.set(m, (s = matrixStats(m)));
  return s;
}

/** The colour domain shared across pairs: the largest value over every known matrix of the scale's pairs and this one. */
function pairsDomain(a: CapacityMatrixAnswer, stats: MatrixStats, across: ScaleMatrices): ColourDomain {
  let maxBits = stats.max;
  let at: CapacityMatrixAnswer = a;
  const epochs = new Set([a.epoch]);
  for (const m of across.answers.values()) {
    epochs.add(m.epoch);
    const s = cachedStats(m);
    if (s.max > maxBits) {
      maxBits = s.max;
      at = m;
    }
  }
  return {
    maxBits,
    epochs: [...epochs].sort((x, y) => x - y),
    atEpoch: at.epoch,
    acrossPairs: {
      atPair: [at.layerI, at.layerJ],
      pairs: across.pairs.length,
      known: across.answers.size,
      total: across.total,
      missing: across.missing,
    },
  };
}

/** The heatmap's CSV (one row per cell) and JSON (the matrix with its orders, scale and marks). */
export function heatmapExport(
  a: CapacityMatrixAnswer | undefined,
  model: HeatmapModel,
  view: {
    nameI: string;
    nameJ: string;
    epoch: number;
    sort: HeatmapSort;
    scaleMode: ScaleMode;
    marks: { rows: number[]; columns: number[] };
  },
): ExportSpec {
  const { nameI, nameJ, sort, marks } = view;
  const { orders, comparison, domain } = model;
  return {
    name: `capacity-${nameI}-${nameJ}-epoch-${a?.epoch ?? view.epoch}`,
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
        sortReferenceEpoch: model.sorted ? model.orderFrom : undefined,
        colourScale: {
          mode: view.scaleMode,
          minBits: 0,
          maxBits: domain.maxBits,
          epochs: domain.epochs,
          ...(domain.acrossPairs ? { pairs: domain.acrossPairs.pairs, matrices: domain.acrossPairs.known } : {}),
        },
        marks: comparison ? { rows: marks.rows, columns: marks.columns, ...comparison } : undefined,
      },
  };
}

/**
 * The heatmap's plot size and the card's width: the card is as wide as its heatmap needs (cells of
 * 8 to 36 px, labels, a margin), not as its notes would stretch it, so a wide panel has room
 * beside it for the clicked cell's feature maps; a heatmap wider than the panel scrolls in its box.
 */
export function heatmapLayout(
  panelWidth: number,
  a: CapacityMatrixAnswer | undefined,
  orders: Orders | undefined,
): { maxPlot: number; cardStyle: { flex: string; maxWidth: string } | undefined } {
  const maxPlot = Math.max(160, Math.min(640, panelWidth - 150));
  const shownColumns = orders?.columnOrder.length ?? a?.columns ?? 1;
  const shownRows = orders?.rowOrder.length ?? a?.rows ?? 1;
  const plotWidth = heatmapCellSize(shownRows, shownColumns, maxPlot) * shownColumns;
  const cardWidth = Math.max(520, plotWidth + 190);
  // Only when the maps' card (at least 340 px) fits beside it; else the card keeps the whole row.
  const cardStyle = panelWidth >= cardWidth + 12 + 340 ? { flex: '0 1 auto', maxWidth: `${cardWidth}px` } : undefined;
  return { maxPlot, cardStyle };
}
