// The marks of the information plane: the ceilings, one trajectory (its line, its points, its
// label), the tooltip of a point and the epoch colour legend. Each draws what it is given.
import type { JSX } from 'preact';
import type { ScaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import type { InformationPlanePoint } from '../../src/service/queries';
import { defined, M, markerPath } from './informationPlaneGeometry';
import type { AxisCeilings, Box, LabelPlacement } from './informationPlaneGeometry';
import { formatBits } from '../format';

type Scale = ScaleLinear<number, number>;

/** Where the notes of off-scale ceilings go: the top right corner (I(X;T)) and the top left (I(T;Y)), one line each. */
export function ceilingNoteBoxes(ceilings: { ixt: AxisCeilings; ity: AxisCeilings }, width: number): { ixt: Box[]; ity: Box[] } {
  const box = (k: number, right: boolean): Box => ({
    x: right ? width - M.right - 250 : M.left + 2,
    y: M.top + 2 + k * 13,
    width: 248,
    height: 13,
  });
  return { ixt: ceilings.ixt.offScale.map((_, k) => box(k, true)), ity: ceilings.ity.offScale.map((_, k) => box(k, false)) };
}

/**
 * The ceilings of every run, each value once: I(X;T)'s as vertical lines and I(T;Y)'s as
 * horizontal ones, each named; a ceiling beyond the fitted axis is named in an inset note instead
 * ("capacity ceiling = 5.00 bits, off the scale →"), so the axis keeps to the data.
 */
export function CeilingLines(props: {
  ceilings: { ixt: AxisCeilings; ity: AxisCeilings };
  x: Scale;
  y: Scale;
  width: number;
  height: number;
  text: { ixtCeiling: string; ityCeiling: string };
}): JSX.Element {
  const { ceilings, x, y, width, height, text } = props;
  const notes = ceilingNoteBoxes(ceilings, width);
  return (
    <g class="ip-ceilings">
      {ceilings.ixt.inRange.map((c, k) => (
        <g key={`x${k}`} class="ip-ceiling" data-axis="ixt" data-bits={c}>
          <line x1={x(c)} x2={x(c)} y1={M.top - 4} y2={height - M.bottom} />
          <text x={x(c) - 4} y={M.top - 8 + k * 12} text-anchor="end" class="ip-ceiling-label">
            {text.ixtCeiling} = {formatBits(c, { unit: false })}
          </text>
        </g>
      ))}
      {ceilings.ixt.offScale.map((c, k) => (
        <text
          key={`xo${k}`}
          class="ip-ceiling-label ip-off-scale"
          data-axis="ixt"
          data-bits={c}
          x={notes.ixt[k].x + notes.ixt[k].width}
          y={notes.ixt[k].y + 10}
          text-anchor="end"
        >
          <tspan class="ip-ceiling" data-axis="ixt" data-bits={c}>
            {text.ixtCeiling} = {formatBits(c, { unit: false })}
          </tspan>{' '}
          bits, off the scale →
        </text>
      ))}
      {ceilings.ity.inRange.map((c, k) => (
        <g key={`y${k}`} class="ip-ceiling" data-axis="ity" data-bits={c}>
          <line x1={M.left} x2={width - M.right} y1={y(c)} y2={y(c)} />
          <text x={M.left + 4} y={y(c) - 4 - k * 12} class="ip-ceiling-label">
            {text.ityCeiling} = {formatBits(c, { unit: false })}
          </text>
        </g>
      ))}
      {ceilings.ity.offScale.map((c, k) => (
        <text key={`yo${k}`} class="ip-ceiling-label ip-off-scale" data-axis="ity" data-bits={c} x={notes.ity[k].x} y={notes.ity[k].y + 10}>
          <tspan class="ip-ceiling" data-axis="ity" data-bits={c}>
            {text.ityCeiling} = {formatBits(c, { unit: false })}
          </tspan>{' '}
          bits, off the scale ↑
        </text>
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
