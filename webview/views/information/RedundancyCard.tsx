// The Information view's redundancy card: the layer's capacity with itself, sorted into blocks of
// near-duplicate channels, and the share of such pairs.
import type { JSX } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import { format } from 'd3-format';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import { CapacityHeatmap } from '../../charts/capacityHeatmap';
import { matrixStats } from '../../charts/capacityMatrix';
import { usePanelWidth } from '../../charts/common';
import { groupsText } from '../../charts/redundancy';
import { NEAR_DUPLICATE_SHARE } from '../../../src/analysis/nearDuplicates';
import { redundancy } from '../../../src/analysis/redundancy';
import { informationQueries } from '../../../src/contract/plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';

const pct = format('.0%');

export function RedundancyCard(props: { layer: number; layerName: string }): JSX.Element {
  const { ui, focus } = useApp();
  const result = useQuery(informationQueries.redundancy(props.layer, ui.epoch, ui.slice.subset), 'information');
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  const a = shown(result);
  const current: CapacityMatrixAnswer | undefined = a && a.layerI === props.layer && a.layerJ === props.layer ? a : undefined;
  const r = useMemo(() => (current ? redundancy(current) : undefined), [current]);
  const stats = useMemo(() => (current ? matrixStats(current) : undefined), [current]);
  const focusedChannel = ui.focus.layer === props.layer ? ui.focus.channel : null;
  const exportSpec = current &&
    r && {
      name: `redundancy-${props.layerName}-epoch-${current.epoch}`,
      table: () => ({
        columns: ['channel', ...r.order.map((c) => `#${c} (bits)`)],
        rows: r.order.map((row) => [row, ...r.order.map((c) => current.values[row * current.columns + c])]),
      }),
      json: () => ({
        layer: props.layer,
        epoch: current.epoch,
        nearDuplicateShare: r.share ?? null,
        nearDuplicatePairs: r.nearDuplicatePairs,
        comparedPairs: r.comparedPairs,
        threshold: NEAR_DUPLICATE_SHARE,
        groups: r.groups,
        order: r.order,
        matrix: current,
        note: 'a pair is a near-duplicate when its capacity is at least 90% of the smaller of its two diagonal values',
      }),
    };
  return (
    <Card
      title={
        <>
          Redundancy · <LayerName layer={props.layer} /> with itself
        </>
      }
      label={`Channel capacity of ${props.layerName} with itself, sorted into blocks of near-duplicate channels`}
      class="redundancy-card"
      export={exportSpec}
    >
      <QueryStatus result={result} what={`the capacity of ${props.layerName} with itself`} />
      {current && r && (
        <p class="redundancy-number" data-testid="redundancy-number" data-share={r.share ?? ''}>
          {r.share === undefined ? (
            <>Near-duplicate share undefined: no two channels of {props.layerName} with a defined, non-zero capacity of their own.</>
          ) : (
            <>
              <strong>{pct(r.share)}</strong> near-duplicate pairs: {r.nearDuplicatePairs} of {r.comparedPairs} channel pairs of{' '}
              {props.layerName} at epoch {current.epoch} have a capacity of at least {pct(NEAR_DUPLICATE_SHARE)} of the smaller of the two
              channels’ own (the diagonal).
              {r.groups.length > 0 ? ` Groups: ${groupsText(r.groups)}.` : ' No group of duplicate filters.'}
            </>
          )}
        </p>
      )}
      <div ref={wrap} class="redundancy-plot">
        {current && r && stats && (
          <CapacityHeatmap
            answer={current}
            rowOrder={r.order}
            columnOrder={r.order}
            rowName={props.layerName}
            columnName={props.layerName}
            rowTitle={`${props.layerName} channels (blocks = near-duplicates)`}
            columnTitle={`${props.layerName} channels, same order`}
            stats={stats}
            maxBits={stats.max}
            selected={null}
            highlightRow={focusedChannel}
            highlightColumn={focusedChannel}
            onSelect={(cell) => focus(props.layer, cell.r)}
            maxPlot={Math.max(160, Math.min(480, panelWidth - 120))}
            label={`Capacity of the ${current.rows} channels of ${props.layerName} with each other at epoch ${current.epoch}, sorted so near-duplicates form blocks.`}
          />
        )}
      </div>
      {current && (
        <p class="muted chart-note">
          Brighter = smaller capacity, as in the Layer view. Each channel’s own capacity is on the diagonal; a pair can never exceed the
          smaller of its two. Click a cell to pick its row’s channel.
        </p>
      )}
    </Card>
  );
}
