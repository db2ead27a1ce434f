// The hypercube dCNN(inputs, layers, channels, epochs) drawn as four axes (paper Fig. 3): the
// inputs split by class, the layers (drag across them to select a range, click to toggle one), a
// layer × channel band per selected layer (drag down a band to pick a channel range, click a
// channel to toggle it, double-click or its clear button for all), and the recorded epochs (click
// to pick one). The slicer edits a draft slice it is given and hands every edit to `setDraft`.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RunLayer } from '../../src/contract/runFormat';
import { shortLayerName } from '../../src/contract/layerLabel';
import { parseIndices, ranges } from '../slice';
import type { Draft } from '../slice';
import { useTooltip } from './primitives';
import { ChannelBand, EpochsAxis, InputsAxis, LayersAxis } from './hypercubeAxes';
import { BAND_H, LEFT, MAX_BANDS, ROW, span, SPAN, toggleLayer, W, withChannels } from './hypercubeGeometry';
import { svgPoint, useSlicerDrag } from './useSlicerDrag';

export interface HypercubeProps {
  draft: Draft;
  setDraft: (d: Draft) => void;
  /** The run's layers, by index. */
  layers: RunLayer[];
  classNames: string[];
  /** Probe inputs per class. */
  classCounts: number[];
  epochs: number[];
  /** The layer and channel focused elsewhere, outlined. */
  focus: { layer: number | null; channel: number | null };
}

export function HypercubeSlicer(props: HypercubeProps): JSX.Element {
  const { draft, setDraft, layers: all, focus } = props;
  const tip = useTooltip();
  const svg = useRef<SVGSVGElement>(null);
  const layers = all.filter((l) => l.index > 0);
  const layerW = SPAN / Math.max(1, layers.length);
  const layerAt = (x: number) => layers[Math.max(0, Math.min(layers.length - 1, Math.floor((x - LEFT) / layerW)))].index;
  const bandLayers = draft.layers.slice(0, MAX_BANDS);
  const bandW = Math.min(110, SPAN / Math.max(1, bandLayers.length));
  const channelsOf = (l: number) => all[l]?.channels ?? 1;
  const chosen = (l: number): number[] | undefined => draft.channels[String(l)];
  const setChannels = (l: number, list: number[] | undefined) => setDraft(withChannels(draft, l, list, channelsOf(l)));
  /** The layer of the channel band at a point of the svg, if any. */
  const bandAt = (p: { x: number; y: number }): number | undefined => {
    if (p.y < ROW.channels || p.y > ROW.channels + BAND_H) return undefined;
    const i = Math.floor((p.x - LEFT) / bandW);
    const x = LEFT + i * bandW;
    return i >= 0 && i < bandLayers.length && p.x >= x && p.x <= x + bandW - 8 ? bandLayers[i] : undefined;
  };
  const channelAt = (l: number, y: number) =>
    Math.max(0, Math.min(channelsOf(l) - 1, Math.floor(((y - ROW.channels) / BAND_H) * channelsOf(l))));
  const { drag, start, onPointerMove, onPointerUp } = useSlicerDrag({
    svg,
    layerAt,
    channelAt,
    onLayers: (from, to) => {
      const [a, b] = span(from, to);
      if (a === b) setDraft(toggleLayer(draft, a));
      else setDraft({ ...draft, layers: layers.map((l) => l.index).filter((l) => l >= a && l <= b) });
    },
    onChannels: (layer, from, to) => {
      const [a, b] = span(from, to);
      if (a === b) {
        const current = chosen(layer) ?? [];
        setChannels(layer, current.includes(a) ? current.filter((c) => c !== a) : [...current, a].sort((x, y) => x - y));
      } else
        setChannels(
          layer,
          Array.from({ length: b - a + 1 }, (_, i) => a + i),
        );
    },
  });
  return (
    <div class="hypercube">
      <svg
        ref={svg}
        class="chart hypercube-svg"
        viewBox={`0 0 ${W} ${ROW.epochs + 46}`}
        width="100%"
        style={{ maxWidth: `${W}px`, touchAction: 'none', userSelect: 'none' }}
        role="group"
        aria-label="The dCNN hypercube: inputs, layers, channels and epochs"
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerLeave={() => {
          tip.hide();
          onPointerUp();
        }}
        onDblClick={(e) => {
          // Handled on the svg, found by position: the pointer capture a band takes on pointerdown
          // sends the click and double-click events to the svg, never to the band itself.
          const l = bandAt(svgPoint(svg.current, e));
          if (l !== undefined) setChannels(l, undefined);
        }}
      >
        <InputsAxis draft={draft} setDraft={setDraft} classNames={props.classNames} classCounts={props.classCounts} tip={tip} />
        <LayersAxis
          draft={draft}
          layers={layers}
          allLayers={all}
          layerW={layerW}
          focusedLayer={focus.layer}
          drag={drag}
          onStart={(e, l) => start(e, { axis: 'layers', from: l, to: l })}
          onToggle={(l) => setDraft(toggleLayer(draft, l))}
          tip={tip}
        />
        <text x={0} y={ROW.channels + 14} class="axis-title">
          channels c
        </text>
        <text x={0} y={ROW.channels + 30} class="muted-text">
          drag to pick
        </text>
        {bandLayers.map((l, i) => (
          <ChannelBand
            key={l}
            layer={all[l]}
            allLayers={all}
            x={LEFT + i * bandW}
            bandW={bandW}
            chosen={chosen(l)}
            focusedChannel={focus.layer === l ? focus.channel : null}
            drag={drag}
            onStart={(e) => {
              const c = channelAt(l, svgPoint(svg.current, e).y);
              start(e, { axis: 'channels', layer: l, from: c, to: c });
            }}
            onHover={(e) =>
              tip.show(e.clientX, e.clientY, `${all[l].name} channel ${channelAt(l, svgPoint(svg.current, e).y)} of ${channelsOf(l)}`)
            }
          />
        ))}
        {bandLayers.length === 0 && (
          <text x={LEFT} y={ROW.channels + 20} class="muted-text">
            select layers above to pick their channels
          </text>
        )}
        <EpochsAxis draft={draft} setDraft={setDraft} epochs={props.epochs} />
      </svg>
      <div class="channel-fields">
        {bandLayers.map((l) => (
          <ChannelField key={l} layer={all[l]} allLayers={all} value={chosen(l)} onChange={(v) => setChannels(l, v)} />
        ))}
      </div>
    </div>
  );
}

function ChannelField(props: {
  layer: RunLayer;
  allLayers: RunLayer[];
  value: number[] | undefined;
  onChange(v: number[] | undefined): void;
}): JSX.Element {
  const { layer } = props;
  const textOf = (v: number[] | undefined) => (v ? ranges(v).replace(/–/g, '-') : '');
  const [text, setText] = useState(textOf(props.value));
  const [error, setError] = useState('');
  // The field follows the slice when it changes elsewhere (a drag over the channel band, a
  // double-click that clears it), but not while the text being typed already says the same
  // channels: rewriting "0-3, " as "0-3" under the cursor would fight the typist.
  const valueKey = props.value ? props.value.join(',') : '';
  useEffect(() => {
    const typed = text.trim() ? parseIndices(text, layer.channels).indices : undefined;
    if ((typed ? typed.join(',') : '') === valueKey) return;
    setText(textOf(props.value));
    setError('');
  }, [valueKey]);
  return (
    <span class="channel-field">
      <label>
        {shortLayerName(layer, props.allLayers)} channels{' '}
        <input
          type="text"
          value={text}
          placeholder="all"
          // Sized to its text (a list like "5, 7, 10, 12, 17" is read whole), at least 10 characters wide.
          size={Math.min(48, Math.max(10, text.length + 2))}
          aria-label={`Channels of ${layer.name} in the slice: indices and ranges like 0-3, 7; empty for all`}
          aria-invalid={error !== ''}
          onChange={(e) => {
            const t = (e.target as HTMLInputElement).value;
            setText(t);
            if (!t.trim()) {
              setError('');
              props.onChange(undefined);
              return;
            }
            const r = parseIndices(t, layer.channels);
            setError(r.error ?? '');
            if (r.indices) props.onChange(r.indices);
          }}
        />
        {error && <span class="warning"> {error}</span>}
      </label>{' '}
      <button
        type="button"
        class="toggle channel-clear"
        disabled={!props.value}
        aria-label={`Clear the channels of ${layer.name}: take all ${layer.channels}`}
        title={
          props.value
            ? `Take all ${layer.channels} channels of ${layer.name} (as a double-click on its band does)`
            : 'All channels are taken'
        }
        onClick={() => props.onChange(undefined)}
      >
        clear
      </button>
    </span>
  );
}
