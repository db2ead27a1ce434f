// The Layer view's small multiples (paper Figs. 10–12): the current pair at several epochs, and one
// layer against every later multi-channel layer at the current epoch, each strip in its own card on
// its own colour scale, named beside its legend.
import type { JSX } from 'preact';
import { useCallback } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import type { InputSubset } from '../../../src/analysis/subsets';
import { Toggle } from '../../charts/primitives';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { depthPairs, queries, stripEpochs } from '../../../src/contract/plan';
import { useApp } from '../../state';
import { Card } from '../../ui';
import { channelList } from './marks';
import { HeatmapStrip } from './HeatmapStrip';
import type { StripCellSpec } from './HeatmapStrip';
import type { StripsState } from './layerViewState';

type Orders = { rowOrder: number[]; columnOrder: number[] };

/**
 * Both strips, closed until asked for: each cell is a capacity query the service may have to compute.
 */
export function StripsCard(props: {
  layerI: number;
  layerJ: number;
  subset: InputSubset;
  strips: StripsState;
  setStrips: (s: StripsState) => void;
  orderOf: (a: CapacityMatrixAnswer) => Orders;
  sortNote: string;
  onOpenPair: (i: number, j: number) => void;
  nameOf: (l: number) => string;
}): JSX.Element {
  const { manifest } = useApp();
  const { strips, setStrips, layerI, layerJ, nameOf } = props;
  const pairs = depthPairs(manifest, strips.depthBase ?? undefined);
  const base = pairs[0]?.[0];
  const pairName = `${nameOf(layerJ)} × ${nameOf(layerI)}`;
  const restriction = useRestriction(nameOf);
  // Two cards, each with its own colour scale and legend: the epoch strip's domain spans its epochs,
  // the depth strip's its pairs, so one card would show two different scales side by side.
  return (
    <>
      <Card class="wide strips-card epoch-strip-card" title={`Epoch strip: ${pairName} over epochs`} label="Epoch strip">
        <div class="sort-tools" role="group" aria-label="Epoch strip">
          <Toggle
            aria-expanded={strips.epochOpen}
            pressed={strips.epochOpen}
            data-testid="epoch-strip-toggle"
            onClick={() => setStrips({ ...strips, epochOpen: !strips.epochOpen })}
          >
            {strips.epochOpen ? '▾' : '▸'} epoch strip of {pairName}
          </Toggle>
        </div>
        {strips.epochOpen && <EpochStrip {...props} pairName={pairName} restriction={restriction} />}
      </Card>
      <Card
        class="wide strips-card depth-strip-card"
        title={`Depth strip: ${base !== undefined ? nameOf(base) : 'a layer'} against later layers`}
        label="Depth strip"
      >
        <div class="sort-tools" role="group" aria-label="Depth strip">
          <Toggle
            aria-expanded={strips.depthOpen}
            pressed={strips.depthOpen}
            data-testid="depth-strip-toggle"
            onClick={() => setStrips({ ...strips, depthOpen: !strips.depthOpen })}
          >
            {strips.depthOpen ? '▾' : '▸'} depth strip{base !== undefined ? ` of ${nameOf(base)}` : ''}
          </Toggle>
        </div>
        {strips.depthOpen && <DepthStrip {...props} pairs={pairs} restriction={restriction} />}
      </Card>
    </>
  );
}

/**
 * The Query view's channel selection restricts the strips as it does the main heatmap: a layer's
 * chosen channels are its only rows (as layer J) or columns (as layer I) in every cell.
 */
function useRestriction(nameOf: (l: number) => string) {
  const { ui } = useApp();
  const sliceChannels = ui.slice.channels;
  const pickedKey = JSON.stringify(sliceChannels);
  const restrict = useCallback(
    (a: CapacityMatrixAnswer, o: Orders) => {
      const keep = (order: number[], layer: number) => {
        const picked = sliceChannels[String(layer)];
        return picked && picked.length ? order.filter((c) => picked.includes(c)) : order;
      };
      return { rowOrder: keep(o.rowOrder, a.layerJ), columnOrder: keep(o.columnOrder, a.layerI) };
    },
    [pickedKey],
  );
  /** "conv1 channels 0–3; pool1 channels 2, 5" for the layers of `layers` the slice restricts, or "" when none. */
  const text = (layers: number[]) =>
    [...new Set(layers)]
      .filter((l) => sliceChannels[String(l)]?.length)
      .map((l) => `${nameOf(l)} channels ${channelList(sliceChannels[String(l)])}`)
      .join('; ');
  return { restrict, text };
}

type Restriction = ReturnType<typeof useRestriction>;

function EpochStrip(props: {
  layerI: number;
  layerJ: number;
  subset: InputSubset;
  strips: StripsState;
  setStrips: (s: StripsState) => void;
  orderOf: (a: CapacityMatrixAnswer) => Orders;
  sortNote: string;
  pairName: string;
  restriction: Restriction;
}): JSX.Element {
  const { manifest, ui, update } = useApp();
  const { strips, setStrips, layerI, layerJ, pairName, orderOf } = props;
  const { restrict } = props.restriction;
  const epochOrder = useCallback((a: CapacityMatrixAnswer) => restrict(a, orderOf(a)), [restrict, orderOf]);
  const defaultEpochs = stripEpochs(manifest);
  const picked = strips.epochs?.filter((e) => manifest.epochs.includes(e)) ?? [];
  const epochs = strips.epochs !== null && picked.length ? picked : defaultEpochs;
  const cells: StripCellSpec[] = epochs.map((e) => ({
    key: `epoch-${e}`,
    query: queries.capacityMatrix(layerI, layerJ, e, props.subset),
    label: `epoch ${e}`,
  }));
  const toggleEpoch = (e: number) => {
    const next = epochs.includes(e) ? epochs.filter((x) => x !== e) : [...epochs, e].sort((a, b) => a - b);
    setStrips({ ...strips, epochs: next.length ? next : null });
  };
  return (
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
      <RestrictionNote text={props.restriction.text([layerI, layerJ])} testId="epoch-strip-restriction" />
      <HeatmapStrip
        cells={cells}
        orderOf={epochOrder}
        activeKey={`epoch-${ui.epoch}`}
        onOpen={(key) => update({ epoch: Number(key.slice('epoch-'.length)) })}
        testId="epoch-strip"
        describe={(c) => `${pairName} at ${c.label}`}
        scaleNote={`scale: shared by the ${epochs.length} epoch${epochs.length === 1 ? '' : 's'} of this strip (not the depth strip's)`}
      />
    </section>
  );
}

function DepthStrip(props: {
  layerI: number;
  layerJ: number;
  subset: InputSubset;
  strips: StripsState;
  setStrips: (s: StripsState) => void;
  pairs: [number, number][];
  onOpenPair: (i: number, j: number) => void;
  nameOf: (l: number) => string;
  restriction: Restriction;
}): JSX.Element {
  const { manifest, ui } = useApp();
  const { strips, setStrips, pairs, nameOf } = props;
  const { restrict } = props.restriction;
  const depthOrder = useCallback(
    (a: CapacityMatrixAnswer) =>
      restrict(a, { rowOrder: Array.from({ length: a.rows }, (_, r) => r), columnOrder: Array.from({ length: a.columns }, (_, c) => c) }),
    [restrict],
  );
  const multi = manifest.layers.filter((l) => l.index > 0 && l.channels > 1);
  const base = pairs[0]?.[0];
  const cells: StripCellSpec[] = pairs.map(([i, j]) => ({
    key: `pair-${i}-${j}`,
    query: queries.capacityMatrix(i, j, ui.epoch, props.subset),
    label: `${nameOf(j)} × ${nameOf(i)}`,
  }));
  return (
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
      {cells.length === 0 ? (
        <p class="muted">No later layer with several channels to compare with.</p>
      ) : (
        <>
          <p class="muted">
            {base !== undefined ? nameOf(base) : ''} (columns) against every later layer with several channels (rows) at epoch {ui.epoch},
            one colour scale for all of them; rows and columns in channel order. Click a heatmap to open that pair large.
          </p>
          <RestrictionNote text={props.restriction.text(pairs.flat())} testId="depth-strip-restriction" />
          <HeatmapStrip
            cells={cells}
            orderOf={depthOrder}
            activeKey={`pair-${props.layerI}-${props.layerJ}`}
            onOpen={(key) => {
              const [, i, j] = key.split('-').map(Number);
              props.onOpenPair(i, j);
            }}
            testId="depth-strip"
            describe={(c) => `${c.label} at epoch ${ui.epoch}`}
            scaleNote={`scale: shared by the ${cells.length} pair${cells.length === 1 ? '' : 's'} of this strip at epoch ${ui.epoch} (not the epoch strip's)`}
          />
        </>
      )}
    </section>
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
