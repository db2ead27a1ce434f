// The label information of each channel over the epochs (Fang, Wang & Yamaguchi's unit-level mutual
// information, with the pairwise estimator of docs/estimators.md): rows = the channels of the
// selected layer, columns = the recorded epochs, darker = more bits about the label. Small layers
// are drawn as SVG cells (one element per cell, exported as SVG); past LARGE_CELLS cells one
// canvas takes over, one pixel block per cell, hovered by position. The uninformative channels
// (below 0.01 bit at the last epoch) are marked beside their row; the Information view lists them
// under the chart.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { scaleSequential } from 'd3-scale';
import { interpolateBlues } from 'd3-scale-chromatic';
import type { Bits, ChannelLabelInformationAnswer } from '../../src/contract/queries';
import { pixelRatio, useTooltip } from './primitives';
import { UNDEFINED_GREY } from './capacityMatrix';
import { useChartTheme } from './common';
import type { ChartTheme } from './common';
import { formatBits } from '../../src/contract/format';
import { UNINFORMATIVE_BITS } from '../../src/analysis/labelInformation';

/** Past this many cells the heatmap is drawn on a canvas. */
export const LARGE_CELLS = 4096;

/** The colour of a value: light (0 bits) to dark blue (the top of the domain). */
export function labelInformationScale(maxBits: number): (v: number) => string {
  const scale = scaleSequential((t) => interpolateBlues(0.06 + 0.94 * t)).domain([0, Math.max(maxBits, 1e-9)]);
  return (v) => scale(v);
}

/**
 * The top of the colour domain: the largest value of the answer. Not the ceiling H(S): single
 * channels stay far below it (about a fifth on LeNet), and a domain up to it would paint every
 * channel the same pale blue; the legend names the ceiling instead.
 */
export function heatmapMaxBits(a: ChannelLabelInformationAnswer): number {
  let max = 0;
  for (const row of a.bits) for (const v of row) if (v !== null && Number.isFinite(v) && v > max) max = v;
  return max;
}

interface Layout {
  left: number;
  top: number;
  cellW: number;
  cellH: number;
  width: number;
  height: number;
  rowStep: number;
  columnStep: number;
}

function layoutFor(channels: number, epochs: number, maxWidth: number): Layout {
  const left = 40;
  const top = 26;
  const mark = 18;
  const cellW = Math.max(3, Math.min(48, Math.floor((maxWidth - left - mark - 8) / Math.max(1, epochs))));
  const cellH = Math.max(1, Math.min(16, Math.floor(560 / Math.max(1, channels))));
  return {
    left,
    top,
    cellW,
    cellH,
    width: left + epochs * cellW + mark + 8,
    height: top + channels * cellH + 8,
    rowStep: cellH >= 11 ? 1 : Math.ceil(12 / cellH),
    columnStep: cellW >= 26 ? 1 : Math.ceil(26 / cellW),
  };
}

export interface ChannelInformationProps {
  answer: ChannelLabelInformationAnswer;
  layerName: string;
  width: number;
  /** The focused channel of this layer (outlined), if any. */
  focusedChannel: number | null;
  selectedEpoch: number;
  onChannel(channel: number): void;
}

/** Bits of `channel` at the epoch index `e`, undefined as null. */
const at = (a: ChannelLabelInformationAnswer, e: number, channel: number): Bits => a.bits[e]?.[channel] ?? null;

export function ChannelInformationHeatmap(props: ChannelInformationProps): JSX.Element {
  const { answer: a } = props;
  const tooltip = useTooltip();
  const theme = useChartTheme();
  const channels = a.bits[0]?.length ?? 0;
  const epochs = a.epochs.length;
  const layout = layoutFor(channels, epochs, props.width);
  const maxBits = heatmapMaxBits(a);
  const colour = useMemo(() => labelInformationScale(maxBits), [maxBits]);
  const uninformative = useMemo(() => new Set(a.uninformative), [a.uninformative]);
  const large = channels * epochs > LARGE_CELLS;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const selectedColumn = a.epochs.indexOf(props.selectedEpoch);

  const tip = (ev: MouseEvent, e: number, c: number) => {
    const v = at(a, e, c);
    tooltip.show(
      ev.clientX,
      ev.clientY,
      <div>
        <div style={{ fontWeight: 600 }}>
          {props.layerName} #{c} · epoch {a.epochs[e]}
        </div>
        <div>I_pair(T_c;Y) = {formatBits(v)}</div>
        <div class="muted">
          {uninformative.has(c) ? `uninformative: below ${UNINFORMATIVE_BITS} bit at epoch ${a.epochs[epochs - 1]} · ` : ''}
          at most H(S) = {formatBits(a.ceilingBits)} · click to pick this channel
        </div>
      </div>,
    );
  };

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!large || !canvas || !ctx) return;
    const ratio = pixelRatio();
    canvas.width = Math.round(layout.width * ratio);
    canvas.height = Math.round(layout.height * ratio);
    canvas.style.width = `${layout.width}px`;
    canvas.style.height = `${layout.height}px`;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    drawCells(ctx, a, layout, { theme, colour, uninformative, focusedChannel: props.focusedChannel, selectedColumn });
  }, [
    large,
    a,
    layout.width,
    layout.height,
    layout.cellW,
    layout.cellH,
    theme,
    colour,
    uninformative,
    props.focusedChannel,
    selectedColumn,
  ]);

  const label = `I_pair(T_c;Y) of the ${channels} channels of ${props.layerName} over epochs ${a.epochs[0]}–${a.epochs[epochs - 1]}: ${a.uninformative.length} uninformative.`;
  if (large) {
    const cellAt = (ev: MouseEvent): { e: number; c: number } | null => {
      const box = (ev.currentTarget as HTMLCanvasElement).getBoundingClientRect();
      const px = ev.clientX - box.left - layout.left;
      const py = ev.clientY - box.top - layout.top;
      const e = Math.floor(px / layout.cellW);
      const c = Math.floor(py / layout.cellH);
      return px >= 0 && py >= 0 && e < epochs && c < channels ? { e, c } : null;
    };
    return (
      <canvas
        ref={canvasRef}
        class="chart ci-heatmap"
        role="img"
        aria-label={label}
        data-channels={channels}
        data-epochs={epochs}
        data-uninformative={a.uninformative.join(',')}
        onMouseMove={(ev) => {
          const p = cellAt(ev);
          if (p) tip(ev, p.e, p.c);
          else tooltip.hide();
        }}
        onMouseLeave={() => tooltip.hide()}
        onClick={(ev) => {
          const p = cellAt(ev);
          if (p) props.onChannel(p.c);
        }}
      />
    );
  }
  return <SvgHeatmap {...props} layout={layout} colour={colour} uninformative={uninformative} label={label} tip={tip} />;
}

/** Draws the large heatmap on a canvas: the cells, the uninformative marks, the labels, the focused row and the selected epoch. */
function drawCells(
  ctx: CanvasRenderingContext2D,
  a: ChannelLabelInformationAnswer,
  layout: Layout,
  look: {
    theme: ChartTheme;
    colour: (v: number) => string;
    uninformative: Set<number>;
    focusedChannel: number | null;
    selectedColumn: number;
  },
): void {
  const { theme, colour, uninformative, focusedChannel, selectedColumn } = look;
  const channels = a.bits[0]?.length ?? 0;
  const epochs = a.epochs.length;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, layout.width, layout.height);
  for (let e = 0; e < epochs; e++) {
    for (let c = 0; c < channels; c++) {
      const v = at(a, e, c);
      ctx.fillStyle = v === null || !Number.isFinite(v) ? UNDEFINED_GREY : colour(v);
      ctx.fillRect(layout.left + e * layout.cellW, layout.top + c * layout.cellH, layout.cellW, layout.cellH);
    }
  }
  ctx.font = '10px ui-monospace, monospace';
  ctx.textBaseline = 'middle';
  for (let c = 0; c < channels; c++) {
    if (uninformative.has(c)) {
      ctx.fillStyle = theme.warning;
      ctx.fillRect(layout.left + epochs * layout.cellW + 3, layout.top + c * layout.cellH, 6, Math.max(1, layout.cellH));
    }
    if (c % layout.rowStep === 0) {
      ctx.textAlign = 'right';
      ctx.fillStyle = c === focusedChannel ? theme.focus : theme.muted;
      ctx.fillText(String(c), layout.left - 4, layout.top + c * layout.cellH + layout.cellH / 2);
    }
  }
  ctx.textAlign = 'center';
  ctx.fillStyle = theme.muted;
  for (let e = 0; e < epochs; e += layout.columnStep)
    ctx.fillText(String(a.epochs[e]), layout.left + (e + 0.5) * layout.cellW, layout.top - 8);
  if (focusedChannel !== null && focusedChannel < channels) {
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2;
    ctx.strokeRect(layout.left - 1, layout.top + focusedChannel * layout.cellH - 1, epochs * layout.cellW + 2, layout.cellH + 2);
  }
  if (selectedColumn >= 0) {
    ctx.strokeStyle = theme.foreground;
    ctx.lineWidth = 1;
    ctx.strokeRect(layout.left + selectedColumn * layout.cellW + 0.5, layout.top - 0.5, layout.cellW - 1, channels * layout.cellH + 1);
  }
}

/** The small heatmap as SVG: one element per cell, so it exports as SVG and each cell hovers on its own. */
function SvgHeatmap(
  props: ChannelInformationProps & {
    layout: Layout;
    colour: (v: number) => string;
    uninformative: Set<number>;
    label: string;
    tip: (ev: MouseEvent, e: number, c: number) => void;
  },
): JSX.Element {
  const { answer: a, layout, colour, uninformative, label, tip } = props;
  const tooltip = useTooltip();
  const channels = a.bits[0]?.length ?? 0;
  const epochs = a.epochs.length;
  const selectedColumn = a.epochs.indexOf(props.selectedEpoch);
  return (
    <svg
      class="chart ci-heatmap"
      width={layout.width}
      height={layout.height}
      role="img"
      aria-label={label}
      data-channels={channels}
      data-epochs={epochs}
      data-uninformative={a.uninformative.join(',')}
    >
      {a.epochs.map(
        (ep, e) =>
          e % layout.columnStep === 0 && (
            <text key={ep} class="ci-epoch" x={layout.left + (e + 0.5) * layout.cellW} y={layout.top - 8} text-anchor="middle">
              {ep}
            </text>
          ),
      )}
      {Array.from({ length: channels }, (_, c) => (
        <g key={c} class={`ci-row${uninformative.has(c) ? ' uninformative' : ''}`} data-channel={c}>
          {c % layout.rowStep === 0 && (
            <text
              class={`ci-channel${c === props.focusedChannel ? ' focused' : ''}`}
              x={layout.left - 4}
              y={layout.top + (c + 0.5) * layout.cellH + 3.5}
              text-anchor="end"
            >
              {c}
            </text>
          )}
          {a.epochs.map((ep, e) => {
            const v = at(a, e, c);
            return (
              <rect
                key={ep}
                class="ci-cell"
                data-epoch={ep}
                data-bits={v ?? ''}
                x={layout.left + e * layout.cellW}
                y={layout.top + c * layout.cellH}
                width={layout.cellW}
                height={layout.cellH}
                fill={v === null || !Number.isFinite(v) ? UNDEFINED_GREY : colour(v)}
                onMouseMove={(ev) => tip(ev, e, c)}
                onMouseLeave={() => tooltip.hide()}
                onClick={() => props.onChannel(c)}
              />
            );
          })}
          {uninformative.has(c) && (
            <text class="ci-mark" x={layout.left + epochs * layout.cellW + 4} y={layout.top + (c + 0.5) * layout.cellH + 3.5}>
              ○
            </text>
          )}
        </g>
      ))}
      {props.focusedChannel !== null && props.focusedChannel < channels && (
        <rect
          class="ci-focus"
          x={layout.left - 1}
          y={layout.top + props.focusedChannel * layout.cellH - 1}
          width={epochs * layout.cellW + 2}
          height={layout.cellH + 2}
        />
      )}
      {selectedColumn >= 0 && (
        <rect
          class="ci-selected-epoch"
          x={layout.left + selectedColumn * layout.cellW + 0.5}
          y={layout.top - 0.5}
          width={layout.cellW - 1}
          height={channels * layout.cellH + 1}
        />
      )}
    </svg>
  );
}
