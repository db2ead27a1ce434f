// The marks of the information plane: the ceilings, one trajectory (its line, its points, its
// label), the tooltip of a point and the epoch colour legend. Each draws what it is given.
import type { JSX } from 'preact';
import type { ScaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import type { InformationPlanePoint } from '../../src/contract/queries';
import { defined, M, markerPath } from './informationPlaneGeometry';
import type { LabelPlacement } from './informationPlaneGeometry';
import { OFF_SCALE } from './informationPlaneCeilings';
import type { CeilingLayout, PlacedCeiling } from './informationPlaneCeilings';
import { formatBits } from '../../src/contract/format';

type Scale = ScaleLinear<number, number>;

/** A ceiling's label or note: its words in its run's colour when it is one run's. */
function CeilingText(props: {
  c: PlacedCeiling;
  x: number;
  y: number;
  class: string;
  dy?: string;
  axis: string;
  tail?: string;
}): JSX.Element {
  const { c } = props;
  return (
    <text
      class={props.class}
      data-axis={props.axis}
      data-bits={c.value.bits}
      data-runs={c.runs}
      x={props.x}
      y={props.y}
      dy={props.dy}
      text-anchor={c.anchor}
      style={c.colour ? { fill: c.colour } : undefined}
    >
      {props.tail === undefined ? (
        c.text
      ) : (
        <>
          <tspan class="ip-ceiling" data-axis={props.axis} data-bits={c.value.bits}>
            {c.text}
          </tspan>
          {props.tail}
        </>
      )}
    </text>
  );
}

/**
 * The ceilings of every run, each value once (laid out by informationPlaneCeilings.ts): I(X;T)'s
 * as vertical lines and I(T;Y)'s as horizontal ones, each named on its line, in its run's colour
 * when it is one run's; a ceiling beyond the fitted axis is named in an inset note instead
 * ("capacity ceiling = 5.00 bits, off the scale →"), so the axis keeps to the data.
 */
export function CeilingLines(props: { layout: CeilingLayout; x: Scale; y: Scale; width: number; height: number }): JSX.Element {
  const { layout, x, y, width, height } = props;
  const stroke = (c: PlacedCeiling) => (c.colour ? { stroke: c.colour } : undefined);
  return (
    <g class="ip-ceilings">
      {layout.ixt.lines.map((c) => (
        <g key={`x${c.value.bits}`} class="ip-ceiling" data-axis="ixt" data-bits={c.value.bits} data-runs={c.runs}>
          <line x1={x(c.value.bits)} x2={x(c.value.bits)} y1={M.top - 4} y2={height - M.bottom} style={stroke(c)} />
          <CeilingText c={c} axis="ixt" class="ip-ceiling-label" x={c.box.x + c.box.width} y={c.y} />
        </g>
      ))}
      {layout.ixt.notes.map((c) => (
        <CeilingText
          key={`xo${c.value.bits}`}
          c={c}
          axis="ixt"
          class="ip-ceiling-label ip-off-scale"
          x={c.box.x + c.box.width}
          y={c.y}
          tail={OFF_SCALE.ixt}
        />
      ))}
      {layout.ity.lines.map((c) => (
        <g key={`y${c.value.bits}`} class="ip-ceiling" data-axis="ity" data-bits={c.value.bits} data-runs={c.runs}>
          <line x1={M.left} x2={width - M.right} y1={y(c.value.bits)} y2={y(c.value.bits)} style={stroke(c)} />
          <rect class="ip-ceiling-backdrop" x={c.box.x - 2} y={c.box.y} width={c.box.width} height={c.box.height} />
          <CeilingText c={c} axis="ity" class="ip-ceiling-label" x={c.box.x} y={c.y} dy="0.32em" />
        </g>
      ))}
      {layout.ity.notes.map((c) => (
        <CeilingText
          key={`yo${c.value.bits}`}
          c={c}
          axis="ity"
          class="ip-ceiling-label ip-off-scale"
          x={c.box.x}
          y={c.y}
          tail={OFF_SCALE.ity}
        />
      ))}
    </g>
  );
}

/** One layer's path through the plane (of one run, in a comparison). */
export interface PlaneTrajectory {
  /** Unique in the chart, e.g. "3" or "run-1-3". */
  key: string;
  layer: number;
  /** The short layer label drawn beside the last point ("conv1", or "B conv1" in a comparison). */
  label: string;
  points: InformationPlanePoint[];
  /** Index of the marker shape (d3's filled symbols, in turn). */
  symbol: number;
  /** A run's colour (comparison); without it the points are coloured by epoch and the line is neutral. */
  colour?: string;
  /** The comparison's run index, written as `data-run`. */
  run?: number;
}

/** The words of a trajectory for a screen reader: its points, its saturated epochs, how to pick it. */
function trajectoryLabel(t: PlaneTrajectory, shown: InformationPlanePoint[]): string {
  const saturated = t.points.filter((p) => p.saturated).map((p) => p.epoch);
  return `${t.label}: ${shown.length} points, epochs ${shown.map((p) => p.epoch).join(', ')}${
    saturated.length ? `; saturated at epochs ${saturated.join(', ')}` : ''
  }. Press Enter to pick this layer.`;
}

/** One layer's path through the plane: a line through its epochs, a marker per point, its label at the end. */
export function TrajectoryMark<T extends PlaneTrajectory>(props: {
  trajectory: T;
  x: Scale;
  y: Scale;
  highlight: string | null;
  selectedEpoch?: number;
  labelAt: LabelPlacement | undefined;
  fill: (p: InformationPlanePoint) => string;
  /** The marker area of a point at an epoch. */
  radius: (epoch: number) => number;
  onPick?: (t: T, p: InformationPlanePoint) => void;
  onHover: (ev: MouseEvent, p: InformationPlanePoint) => void;
  onLeave: () => void;
}): JSX.Element {
  const { trajectory: t, x, y } = props;
  const path = line<InformationPlanePoint>()
    .defined(defined)
    .x((p) => x(p.ixt as number))
    .y((p) => y(p.ity as number));
  const faded = props.highlight !== null && props.highlight !== t.key;
  const shown = t.points.filter(defined);
  const end = shown[shown.length - 1];
  return (
    <g
      class={`ip-trajectory${props.highlight === t.key ? ' highlighted' : ''}${faded ? ' faded' : ''}`}
      data-layer={t.layer}
      data-run={t.run ?? ''}
      data-points={shown.length}
      role="button"
      tabIndex={0}
      aria-label={trajectoryLabel(t, shown)}
      onKeyDown={(e) => {
        if ((e.key === 'Enter' || e.key === ' ') && shown.length) {
          e.preventDefault();
          props.onPick?.(t, shown[shown.length - 1]);
        }
      }}
    >
      <path class="ip-line" d={path(t.points) ?? ''} style={t.colour ? { stroke: t.colour } : undefined} />
      {shown.map((p) => {
        const selected = p.epoch === props.selectedEpoch;
        return (
          <g
            key={p.epoch}
            class={`ip-point${selected ? ' selected' : ''}`}
            data-epoch={p.epoch}
            data-saturated={p.saturated ? 'true' : 'false'}
            transform={`translate(${x(p.ixt as number)},${y(p.ity as number)})`}
            onMouseMove={(ev) => props.onHover(ev, p)}
            onMouseLeave={props.onLeave}
            onClick={() => props.onPick?.(t, p)}
          >
            {p.saturated && <circle class="ip-saturated" r={selected ? 11 : 9} />}
            <path d={markerPath(t.symbol, selected ? props.radius(p.epoch) * 2 : props.radius(p.epoch))} fill={props.fill(p)} />
          </g>
        );
      })}
      {end && props.labelAt?.leader && (
        <line
          class="ip-leader"
          x1={props.labelAt.leader.x1}
          y1={props.labelAt.leader.y1}
          x2={props.labelAt.leader.x2}
          y2={props.labelAt.leader.y2}
          style={t.colour ? { stroke: t.colour } : undefined}
        />
      )}
      {end && props.labelAt && (
        <text class="ip-label" x={props.labelAt.x} y={props.labelAt.y}>
          {t.label}
        </text>
      )}
    </g>
  );
}

/** A point's tooltip: its layer and epoch, both coordinates, and the estimator. */
export function PointTip(props: { label: string; point: InformationPlanePoint; estimator: string }): JSX.Element {
  const p = props.point;
  return (
    <div>
      <div style={{ fontWeight: 600 }}>
        {props.label} · epoch {p.epoch}
        {p.saturated ? ' · saturated' : ''}
      </div>
      <div>I(X;T) = {formatBits(p.ixt)}</div>
      <div>I(T;Y) = {formatBits(p.ity)}</div>
      <div class="muted">
        {props.estimator} estimator
        {p.saturated ? ': every input is its own symbol, so the point sits at its ceilings (log2 N, H(Y))' : ''}
      </div>
    </div>
  );
}

/** The epoch colour scale as a gradient strip inside the chart, so an exported picture carries it. */
export function EpochLegend(props: { x: number; y: number; first: number; last: number; colour: (e: number) => string }): JSX.Element {
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const id = 'ip-epoch-gradient';
  return (
    <g class="ip-epoch-legend" transform={`translate(${props.x},${props.y})`} aria-hidden="true">
      <defs>
        <linearGradient id={id} x1="0" x2="1" y1="0" y2="0">
          {stops.map((s) => (
            <stop key={s} offset={s} stop-color={props.colour(props.first + s * (props.last - props.first))} />
          ))}
        </linearGradient>
      </defs>
      <text x={0} y={10} text-anchor="start">
        epoch {props.first}
      </text>
      <rect x={52} y={2} width={60} height={9} fill={`url(#${id})`} />
      <text x={116} y={10} text-anchor="start">
        {props.last}
      </text>
    </g>
  );
}
