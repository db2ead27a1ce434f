// The Information view (issue 16; docs/views.md "Information"): how much of what the layers and
// their channels carry is about the label, and how that moves during training. The information
// plane of every layer over the epochs (pairwise or binned estimator), the label information of
// each channel of the selected layer over the epochs with its uninformative channels, and the
// layer's redundancy (its capacity matrix with itself, sorted into blocks of near-duplicate
// channels, and the share of such pairs). Linked like the other views: the layer and channel picked
// here are the focus of every view, the epoch is the shared one, the input subset is the slice's.
import type { JSX } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import { format } from 'd3-format';
import type { CapacityMatrixAnswer, ChannelLabelInformationAnswer, InformationPlaneAnswer } from '../../../src/service/queries';
import { shortLayerName } from '../../layerLabel';
import { INFORMATION_ESTIMATORS, informationLayers, informationQueries } from '../../plan';
import type { InformationEstimator } from '../../plan';
import { shown, useApp, useQuery, useViewState } from '../../state';
import type { QueryResult } from '../../state';
import { Card, ColourLegend, EpochSlider, fmtBits, LayerName, QueryStatus } from '../../ui';
import { usePanelWidth } from '../../charts/common';
import {
  EstimatorPicker,
  ESTIMATOR_TEXT,
  InformationPlaneChart,
  LayerMarkerLegend,
  planeTrajectories,
  saturatedText,
} from '../../charts/informationPlane';
import type { PlaneTrajectory } from '../../charts/informationPlane';
import { ChannelInformationHeatmap, heatmapMaxBits, labelInformationScale, UninformativeList } from '../../charts/channelInformation';
import { CapacityHeatmap, matrixStats } from '../../charts/capacityHeatmap';
import { groupsText, NEAR_DUPLICATE_SHARE, redundancy } from '../../charts/redundancy';

const validEstimator = (v: unknown): v is InformationEstimator => INFORMATION_ESTIMATORS.includes(v as InformationEstimator);
const pct = format('.0%');

export function InformationView(): JSX.Element {
  const { manifest, ui, update, focus } = useApp();
  const [estimator, setEstimator] = useViewState<InformationEstimator>('information.estimator', 'pairwise', validEstimator);
  const subset = ui.slice.subset;
  const plane = useQuery(informationQueries.plane(estimator, subset), 'information');
  const multi = informationLayers(manifest);
  // The layer of the heatmap and the redundancy: the focus when it has several channels, else the slice's first such layer.
  const layer = [ui.focus.layer, ...ui.slice.layers, multi[0]].find((l): l is number => l !== null && l !== undefined && multi.includes(l));
  const name = (l: number) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`);
  return (
    <>
      <div class="info-toolbar" role="group" aria-label="Information view settings">
        <EstimatorPicker value={estimator} onChange={setEstimator} caption="Estimator" />
        {multi.length > 0 && layer !== undefined && (
          <label>
            Layer{' '}
            <select
              aria-label="Layer of the channel heatmap and the redundancy"
              value={String(layer)}
              onChange={(e) => focus(Number((e.target as HTMLSelectElement).value))}
            >
              {multi.map((l) => (
                <option key={l} value={String(l)} title={manifest.layers[l].name}>
                  {name(l)}
                </option>
              ))}
            </select>
          </label>
        )}
        <EpochSlider />
      </div>
      <PlaneCard result={plane} estimator={estimator} onLayer={(l, epoch) => update({ focus: { layer: l, channel: null }, epoch })} />
      {layer === undefined ? (
        <p class="status" role="note">
          This model has no layer with several channels after its input: there is no channel heatmap or redundancy to show.
        </p>
      ) : (
        <>
          <ChannelInformationCard layer={layer} layerName={name(layer)} />
          <RedundancyCard layer={layer} layerName={name(layer)} />
        </>
      )}
    </>
  );
}

function PlaneCard(props: {
  result: QueryResult<InformationPlaneAnswer>;
  estimator: InformationEstimator;
  onLayer(layer: number, epoch: number): void;
}): JSX.Element {
  const { manifest, ui } = useApp();
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  const a = shown(props.result);
  const text = ESTIMATOR_TEXT[props.estimator];
  // While the other estimator's answer loads, the previous one stays on screen under its own name.
  const drawnEstimator = a?.estimator ?? props.estimator;
  const trajectories = useMemo(
    () => (a ? planeTrajectories(a, (l) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`)) : []),
    [a, manifest],
  );
  const highlight = ui.focus.layer !== null && trajectories.some((t) => t.layer === ui.focus.layer) ? String(ui.focus.layer) : null;
  const saturated = saturatedText(trajectories);
  const undefinedPoints = trajectories.reduce(
    (n, t) => n + t.points.filter((p) => p.ixt === null || p.ity === null || !Number.isFinite(p.ixt) || !Number.isFinite(p.ity)).length,
    0,
  );
  const pick = (t: PlaneTrajectory, epoch: number) => props.onLayer(t.layer, epoch);
  const exportSpec = a && {
    name: `information-plane-${a.estimator}`,
    table: () => ({
      columns: ['estimator', 'layer', 'layer name', 'epoch', 'I(X;T) bits', 'I(T;Y) bits', 'saturated'],
      rows: a.layers.flatMap((l) =>
        l.points.map((p) => [a.estimator, l.layer, manifest.layers[l.layer]?.name ?? '', p.epoch, p.ixt, p.ity, p.saturated]),
      ),
    }),
    json: () => ({ ...a, note: 'ixt = I(X;T), ity = I(T;Y), in bits; null = undefined; ceilings are the axes’ upper bounds' }),
  };
  return (
    <Card
      title={`Information plane (${drawnEstimator})`}
      label="Information plane: every layer's I(X;T) and I(T;Y) over the epochs"
      class="information-plane-card"
      export={exportSpec}
    >
      <QueryStatus result={props.result} what={`the information plane (${text.name} estimator)`} />
      <div ref={wrap} class="ip-plot">
        {a && a.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
        {a && a.epochs.length > 0 && (
          <>
            <InformationPlaneChart
              trajectories={trajectories}
              estimator={a.estimator}
              ceilings={[a.ceilings]}
              epochs={a.epochs}
              selectedEpoch={ui.epoch}
              highlight={highlight}
              onPick={(t, p) => pick(t, p.epoch)}
              width={Math.min(760, panelWidth - 30)}
              label={`Information plane, ${a.estimator} estimator: ${trajectories.length} layers over epochs ${a.epochs[0]}–${a.epochs[a.epochs.length - 1]}, coloured by epoch${saturated ? `; saturated: ${saturated}` : ''}.`}
            />
            <LayerMarkerLegend trajectories={trajectories} highlight={highlight} onPick={(t) => pick(t, ui.epoch)} />
          </>
        )}
      </div>
      {a && a.epochs.length > 0 && (
        <>
          {saturated ? (
            <p class="chart-note ip-saturated-note" data-testid="saturated-note">
              <span class="ip-saturated-swatch" aria-hidden="true" /> <strong>Saturated</strong> (dashed ring: every input is its own
              symbol, so the point sits at log2 N and H(Y) and says nothing about learning): {saturated}.
            </p>
          ) : (
            <p class="muted chart-note ip-saturated-note" data-testid="saturated-note">
              No saturated point{a.estimator === 'pairwise' ? ' (the pairwise estimator never saturates)' : ''}.
            </p>
          )}
          {undefinedPoints > 0 && (
            <p class="muted chart-note">
              {undefinedPoints} point{undefinedPoints === 1 ? ' is' : 's are'} undefined (too few inputs or one class) and not drawn.
            </p>
          )}
          <p class="muted chart-note">
            {ESTIMATOR_TEXT[a.estimator].about} Colour = epoch ({a.epochs[0]} → {a.epochs[a.epochs.length - 1]}); marker and label = layer;{' '}
            {a.inputCount} inputs. Click a point to pick its layer and epoch in every view.
          </p>
        </>
      )}
    </Card>
  );
}

function ChannelInformationCard(props: { layer: number; layerName: string }): JSX.Element {
  const { ui, focus } = useApp();
  const result = useQuery(informationQueries.channels(props.layer, ui.slice.subset), 'information');
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  const a = shown(result);
  // A previous layer's answer is not shown under this layer's title.
  const current: ChannelLabelInformationAnswer | undefined = a && a.layer === props.layer ? a : undefined;
  const focusedChannel = ui.focus.layer === props.layer ? ui.focus.channel : null;
  const exportSpec = current && {
    name: `label-information-${props.layerName}`,
    table: () => ({
      columns: ['channel', ...current.epochs.map((e) => `epoch ${e} (bits)`), 'uninformative'],
      rows: (current.bits[0] ?? []).map((_, c) => [
        c,
        ...current.epochs.map((_e, i) => current.bits[i]?.[c] ?? null),
        current.uninformative.includes(c),
      ]),
    }),
    json: () => ({ ...current, note: 'bits[epoch index][channel] = I_pair(T_c; Y) in bits; null = undefined' }),
  };
  const maxBits = current ? heatmapMaxBits(current) : 0;
  return (
    <Card
      title={
        <>
          Label information per channel · <LayerName layer={props.layer} />
        </>
      }
      label={`I_pair(T_c;Y) of each channel of ${props.layerName} over the epochs`}
      class="channel-information-card"
      export={exportSpec}
    >
      <QueryStatus result={result} what={`the label information of the channels of ${props.layerName}`} />
      <div ref={wrap} class="ci-plot">
        {current && current.epochs.length > 0 && (
          <>
            <ColourLegend
              colour={labelInformationScale(maxBits)}
              min={0}
              max={maxBits}
              label="I_pair(T_c;Y), bits"
              note={`(the largest value here; the ceiling H(S) = ${fmtBits(current.ceilingBits)})`}
            />
            <ChannelInformationHeatmap
              answer={current}
              layerName={props.layerName}
              width={Math.min(640, panelWidth - 30)}
              focusedChannel={focusedChannel}
              selectedEpoch={ui.epoch}
              onChannel={(c) => focus(props.layer, c)}
            />
          </>
        )}
      </div>
      {current && current.epochs.length > 0 && (
        <>
          <UninformativeList answer={current} layer={props.layer} layerName={props.layerName} />
          <p class="muted chart-note">
            Rows: the channels of {props.layerName}; columns: the recorded epochs. Darker = more bits about the label (pairwise estimator,{' '}
            {current.inputCount} inputs). Click a row to pick its channel in every view.
          </p>
        </>
      )}
    </Card>
  );
}

function RedundancyCard(props: { layer: number; layerName: string }): JSX.Element {
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
