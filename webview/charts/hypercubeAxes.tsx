// The four axes of the hypercube slicer, each drawn from the draft slice: the inputs by class, the
// layers, a channel band per selected layer, and the recorded epochs. Each axis item is also a
// focusable control for the keyboard.
import type { JSX } from 'preact';
import type { RunLayer } from '../../src/contract/runFormat';
import { classColour } from '../colours';
import { shortLayerName } from '../../src/contract/layerLabel';
import { ranges } from '../slice';
import type { Draft } from '../slice';
import type { TooltipApi } from './primitives';
import { BAND_H, classSegments, classSelected, keyToggle, LEFT, ROW, runsOf, SPAN, span, toggleClass, truncate } from './hypercubeGeometry';
import type { SlicerDrag } from './useSlicerDrag';

export function InputsAxis(props: {
  draft: Draft;
  setDraft(d: Draft): void;
  classNames: string[];
  classCounts: number[];
  tip: TooltipApi;
}): JSX.Element {
  const { draft, classNames, tip } = props;
  const subset = draft.subset;
  const segments = classSegments(props.classCounts);
  const toggle = (c: number) => {
    const next = toggleClass(draft, c, classNames.length);
    if (next) props.setDraft(next);
  };
  return (
    <>
      <text x={0} y={ROW.inputs + 18} class="axis-title">
        inputs x
      </text>
      {segments.map((s) => (
        <rect
          key={s.c}
          x={s.x}
          y={ROW.inputs}
          width={Math.max(0, s.w - 1)}
          height={28}
          fill={classColour(s.c, classNames.length)}
          fill-opacity={classSelected(draft, s.c) ? 0.9 : 0.15}
          tabindex={0}
          role="checkbox"
          aria-checked={classSelected(draft, s.c) && subset.kind !== 'indices'}
          aria-label={`class ${classNames[s.c]}: ${s.n} probe inputs`}
          data-class={s.c}
          class="slicer-item"
          onClick={() => toggle(s.c)}
          onKeyDown={keyToggle(() => toggle(s.c))}
          onPointerMove={(e) => tip.show(e.clientX, e.clientY, `class ${classNames[s.c]}: ${s.n} probe inputs`)}
        />
      ))}
      {segments.map(
        (s) =>
          s.w > 7 * Math.min(12, classNames[s.c].length) + 6 && (
            <text key={s.c} x={s.x + s.w / 2} y={ROW.inputs + 18} text-anchor="middle" class="class-seg-label" pointer-events="none">
              {classNames[s.c]}
            </text>
          ),
      )}
      {subset.kind === 'indices' && (
        <text x={LEFT + 4} y={ROW.inputs + 46} class="muted-text">
          custom: {subset.indices.length} chosen inputs
        </text>
      )}
      {subset.kind === 'perClass' && (
        <text x={LEFT + 4} y={ROW.inputs + 46} class="muted-text">
          {subset.count} per class
        </text>
      )}
    </>
  );
}

export function LayersAxis(props: {
  draft: Draft;
  /** The layers on the axis (the input layer has no channels to slice). */
  layers: RunLayer[];
  allLayers: RunLayer[];
  layerW: number;
  focusedLayer: number | null;
  drag: SlicerDrag | null;
  onStart(e: PointerEvent, layer: number): void;
  onToggle(layer: number): void;
  tip: TooltipApi;
}): JSX.Element {
  const { draft, drag, layerW, tip } = props;
  const dragRange = drag?.axis === 'layers' ? span(drag.from, drag.to) : null;
  const layerSelected = (l: number) => (dragRange ? l >= dragRange[0] && l <= dragRange[1] : draft.layers.includes(l));
  return (
    <>
      <text x={0} y={ROW.layers + 18} class="axis-title">
        layers l
      </text>
      {props.layers.map((l, i) => (
        <g
          key={l.index}
          tabindex={0}
          role="checkbox"
          aria-checked={draft.layers.includes(l.index)}
          aria-label={`layer ${l.name}, ${l.className}, ${l.outputShape.join('×')}`}
          data-layer={l.index}
          data-selected={layerSelected(l.index) ? 'true' : 'false'}
          class="slicer-item slicer-layer"
          onKeyDown={keyToggle(() => props.onToggle(l.index))}
          onPointerDown={(e) => props.onStart(e, l.index)}
          onPointerMove={(e) =>
            !drag &&
            tip.show(
              e.clientX,
              e.clientY,
              `${l.name} (${l.className}) · ${l.outputShape.join('×')} · ${l.channels} channel${l.channels === 1 ? '' : 's'}`,
            )
          }
        >
          <rect
            x={LEFT + i * layerW}
            y={ROW.layers}
            width={layerW - 2}
            height={28}
            class={`layer-seg${layerSelected(l.index) ? ' selected' : ''}${props.focusedLayer === l.index ? ' focused' : ''}`}
          />
          <text x={LEFT + i * layerW + (layerW - 2) / 2} y={ROW.layers + 18} text-anchor="middle" class="layer-seg-label">
            {truncate(shortLayerName(l, props.allLayers), Math.floor(layerW / 7))}
          </text>
        </g>
      ))}
    </>
  );
}

/** One selected layer's channels as a vertical band: the chosen channels filled, the focused one outlined. */
export function ChannelBand(props: {
  layer: RunLayer;
  allLayers: RunLayer[];
  x: number;
  bandW: number;
  chosen: number[] | undefined;
  focusedChannel: number | null;
  drag: SlicerDrag | null;
  onStart: (e: PointerEvent) => void;
  onHover: (e: PointerEvent) => void;
}): JSX.Element {
  const { layer, x, bandW, chosen: sel, drag } = props;
  const l = layer.index;
  const n = layer.channels;
  const dragSel = drag?.axis === 'channels' && drag.layer === l ? span(drag.from, drag.to) : null;
  const isSel = (c: number) => (dragSel ? c >= dragSel[0] && c <= dragSel[1] : !sel || sel.includes(c));
  const h = BAND_H / n;
  const focused = props.focusedChannel;
  return (
    <g data-band-layer={l} aria-label={`channels of ${layer.name}: ${sel ? ranges(sel) : 'all'}`} role="group">
      <rect
        x={x}
        y={ROW.channels}
        width={bandW - 8}
        height={BAND_H}
        class="channel-band"
        onPointerDown={props.onStart}
        onPointerMove={(e) => !drag && props.onHover(e)}
      />
      {runsOf(n, isSel).map(([a, b]) => (
        <rect
          key={a}
          x={x}
          y={ROW.channels + a * h}
          width={bandW - 8}
          height={Math.max(1, (b - a + 1) * h)}
          class="channel-selected"
          pointer-events="none"
        />
      ))}
      {n > 1 && n <= 64 && (
        <path
          d={Array.from({ length: n - 1 }, (_, k) => `M${x},${ROW.channels + (k + 1) * h}h${bandW - 8}`).join('')}
          class="channel-ticks"
          pointer-events="none"
        />
      )}
      {focused !== null && focused < n && (
        <rect
          x={x - 2}
          y={ROW.channels + focused * h}
          width={bandW - 4}
          height={Math.max(2, h)}
          class="channel-focus"
          pointer-events="none"
        />
      )}
      <text x={x + (bandW - 8) / 2} y={ROW.channels + BAND_H + 14} text-anchor="middle" class="muted-text">
        {truncate(shortLayerName(layer, props.allLayers), Math.floor(bandW / 7))}
      </text>
      <text x={x + (bandW - 8) / 2} y={ROW.channels + BAND_H + 28} text-anchor="middle" class="muted-text">
        {sel ? `${sel.length}/${n}` : `all ${n}`}
      </text>
    </g>
  );
}

export function EpochsAxis(props: { draft: Draft; setDraft(d: Draft): void; epochs: number[] }): JSX.Element {
  const { draft, epochs } = props;
  const epochX = (i: number) => LEFT + (epochs.length <= 1 ? SPAN / 2 : (i / (epochs.length - 1)) * SPAN);
  const pick = (ep: number) => props.setDraft({ ...draft, epoch: ep });
  return (
    <>
      <text x={0} y={ROW.epochs + 18} class="axis-title">
        epochs t
      </text>
      <line x1={LEFT} x2={LEFT + SPAN} y1={ROW.epochs + 14} y2={ROW.epochs + 14} class="epoch-axis" />
      {epochs.map((ep, i) => (
        <g
          key={ep}
          tabindex={0}
          role="radio"
          aria-checked={draft.epoch === ep}
          aria-label={`epoch ${ep}`}
          data-epoch={ep}
          class="slicer-item"
          onClick={() => pick(ep)}
          onKeyDown={keyToggle(() => pick(ep))}
        >
          <circle
            cx={epochX(i)}
            cy={ROW.epochs + 14}
            r={draft.epoch === ep ? 7 : 5}
            class={`epoch-dot${draft.epoch === ep ? ' selected' : ''}`}
          />
          {(epochs.length <= 25 || i % Math.ceil(epochs.length / 25) === 0 || i === epochs.length - 1) && (
            <text x={epochX(i)} y={ROW.epochs + 38} text-anchor="middle" class="muted-text">
              {ep}
            </text>
          )}
        </g>
      ))}
    </>
  );
}
