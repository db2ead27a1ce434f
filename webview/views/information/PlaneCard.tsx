// The Information view's information plane card: every layer's I(X;T) and I(T;Y) over the epochs.
import type { JSX } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import type { InformationPlaneAnswer } from '../../../src/contract/queries';
import { usePanelWidth } from '../../charts/common';
import { ESTIMATOR_TEXT, InformationPlaneChart, LayerMarkerLegend, planeTrajectories, saturatedText } from '../../charts/informationPlane';
import type { PlaneTrajectory } from '../../charts/informationPlaneMarks';
import { shortLayerName } from '../../../src/contract/layerLabel';
import type { InformationEstimator } from '../../../src/contract/plan';
import { shown, useApp } from '../../state';
import type { QueryResult } from '../../state';
import { Card, QueryStatus } from '../../ui';

export function PlaneCard(props: {
  result: QueryResult<InformationPlaneAnswer>;
  estimator: InformationEstimator;
  onLayer: (layer: number, epoch: number) => void;
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
            {ESTIMATOR_TEXT[a.estimator].about} Colour = epoch ({a.epochs[0]} → {a.epochs[a.epochs.length - 1]}); marker and label = layer
            (the labels that fit; a point’s tooltip names its layer); {a.inputCount} inputs. Click a point to pick its layer and epoch in
            every view.
          </p>
        </>
      )}
    </Card>
  );
}
