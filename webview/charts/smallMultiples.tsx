// Small multiples of intra-sample entropy over epochs, one per channel (paper 5.4.1, Figs. 13(A)
// and 14). Layers reach hundreds of channels, so every multiple is drawn on ONE canvas and hover,
// click and keyboard work out the channel and epoch from the position instead of from DOM nodes.
// Lines of one colour are stroked as one path across all multiples: 11 strokes for 512 channels.
// The drawing is in multiplesCanvas.ts, the pointer and keyboard in useMultiplesPointer.ts and
// useMultiplesKeyboard.ts; this component wires them to the canvas.
import type { JSX } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import type { SmallMultiplesAnswer } from '../../src/contract/queries';
import { useTooltip } from './primitives';
import { useChartTheme, useMeasuredWidth } from './common';
import { multiplesLayout } from './multiplesCanvas';
import { multiplesSeries, multiplesY } from './multiplesSeries';
import { describeMultiple, MultipleTip } from './multiplesTip';
import { useMultiplesCanvas } from './useMultiplesCanvas';
import { useMultiplesKeyboard } from './useMultiplesKeyboard';
import { useMultiplesPointer } from './useMultiplesPointer';

export interface SmallMultiplesProps {
  answer: SmallMultiplesAnswer;
  /** Channels to draw, in the order drawn. */
  order: number[];
  classNames: string[];
  layerName: string;
  /** The shared selected epoch, drawn as a rule in every multiple. */
  epoch: number;
  focused: number | null;
  showAll: boolean;
  onFocus(channel: number): void;
  /**
   * Top of a y scale shared with other layers' multiples shown beside these (e.g. the max of both
   * layers), so heights compare across layers; without it the scale is this layer's own.
   */
  sharedMaxBits?: number;
}

export function SmallMultiplesChart(props: SmallMultiplesProps): JSX.Element {
  const { answer, order, classNames, layerName, epoch, focused, showAll, sharedMaxBits } = props;
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  // Undefined until measured: drawing 512 multiples at a guessed width only to draw them again at
  // the real one doubled the time to the first picture.
  const measuredWidth = useMeasuredWidth(wrap);
  const width = measuredWidth ?? 800;
  const theme = useChartTheme();
  const tooltip = useTooltip();
  const layout = useMemo(() => multiplesLayout(width, order.length), [width, order.length]);
  const series = useMemo(() => multiplesSeries(answer, classNames, showAll), [answer, classNames, showAll]);
  const y = useMemo(() => multiplesY(answer, sharedMaxBits), [answer, sharedMaxBits]);
  const dead = useMemo(() => answer.deadChannels.map((d) => new Set(d)), [answer]);
  const epochIndex = answer.epochs.indexOf(epoch);

  const isDead = (i: number, e: number) => dead[e]?.has(order[i]) ?? false;
  const tip = (i: number, e: number) => (
    <MultipleTip answer={answer} channel={order[i]} epochIndex={e} series={series} layerName={layerName} dead={isDead(i, e)} />
  );
  const keys = useMultiplesKeyboard({
    canvas,
    layout,
    order,
    focused,
    epochs: answer.epochs,
    epochIndex,
    tooltip,
    content: tip,
    describe: (i, e) => describeMultiple(layerName, order[i], answer, e, isDead(i, e)),
    onSelect: (channel) => props.onFocus(channel),
  });
  const pointer = useMultiplesPointer({
    layout,
    count: order.length,
    epochs: answer.epochs,
    tooltip,
    content: tip,
    onPick: (i) => {
      keys.setCursor(i);
      props.onFocus(order[i]);
    },
  });
  const drawMs = useMultiplesCanvas(canvas, overlay, {
    layout,
    answer,
    order,
    series,
    y,
    dead,
    epochIndex,
    focused,
    theme,
    measured: measuredWidth !== undefined,
    hover: pointer.hover,
    cursor: keys.cursor,
    keyboard: keys.keyboard,
  });

  const maxLabel = y.domain()[1];
  return (
    <div ref={wrap} class="multiples-wrap">
      <div class="multiples-stack" style={{ width: `${layout.width}px`, height: `${layout.height}px` }}>
        <canvas
          ref={canvas}
          class="chart"
          data-y-max={y.domain()[1]}
          tabIndex={0}
          role="img"
          aria-roledescription="small multiples"
          aria-label={`Small multiples of ${layerName}: intra-sample entropy of ${order.length} channels over epochs ${answer.epochs[0] ?? ''}–${answer.epochs[answer.epochs.length - 1] ?? ''}, one line per class${showAll ? ' and one for all classes' : ''}, y from 0 to ${maxLabel} bits in every multiple. Arrow keys move between channels, Enter selects one.`}
          data-channels={order.length}
          data-focused={focused ?? undefined}
          data-columns={layout.columns}
          data-cell-width={layout.cellWidth}
          data-cell-height={layout.cellHeight}
          data-grid-left={layout.left}
          data-grid-top={layout.top}
          data-order={order.join(',')}
          data-draw-ms={(drawMs ?? 0).toFixed(1)}
          data-drawn={drawMs !== undefined ? '' : undefined}
          style={{ width: `${layout.width}px`, height: `${layout.height}px` }}
          onMouseMove={pointer.onMove}
          onMouseLeave={pointer.onLeave}
          onMouseDown={keys.onMouseDown}
          onClick={pointer.onClick}
          onKeyDown={keys.onKeyDown}
          onFocus={keys.onFocus}
          onBlur={keys.onBlur}
        />
        <canvas
          ref={overlay}
          class="multiples-overlay"
          aria-hidden="true"
          style={{ width: `${layout.width}px`, height: `${layout.height}px` }}
        />
      </div>
      <p class="sr-only" aria-live="polite">
        {keys.announce}
      </p>
    </div>
  );
}
