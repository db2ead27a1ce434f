// The hypercube dCNN(inputs, layers, channels, epochs) drawn as four axes (paper Fig. 3): the
// inputs split by class, the layers (drag across them to select a range, click to toggle one), a
// layer × channel band per selected layer (drag down a band to pick a channel range, click a
// channel to toggle it, double-click or its clear button for all), and the recorded epochs (click to pick one).
// Hand-written pointer handling rather than d3-brush: every selection snaps to whole layers,
// channels and epochs, and each axis item is also a focusable control for the keyboard.
import type { JSX } from 'preact';
import { shortLayerName } from '../layerLabel';
import { useEffect, useRef, useState } from 'preact/hooks';
import { classColour } from '../colours';
import { useApp } from '../state';
import { useTooltip } from '../ui';
import { Draft, parseIndices, ranges } from '../slice';

const W = 900;
const LEFT = 110;
const ROW = { inputs: 14, layers: 74, channels: 134, epochs: 300 };
const BAND_H = 130;

export function HypercubeSlicer(props: { draft: Draft; setDraft: (d: Draft) => void }): JSX.Element {
  const { manifest, ui } = useApp();
  const tip = useTooltip();
  const { draft, setDraft } = props;
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<
    { axis: 'layers'; from: number; to: number } | { axis: 'channels'; layer: number; from: number; to: number } | null
  >(null);
  const classNames = manifest.dataset.classNames;
  const counts = manifest.probe.classCounts;
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const span = W - LEFT - 10;
  const layers = manifest.layers.filter((l) => l.index > 0);
  const layerW = span / Math.max(1, layers.length);
  const toX = (e: PointerEvent | MouseEvent) => {
    const m = svg.current?.getScreenCTM();
    if (!m || !svg.current) return { x: 0, y: 0 };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  };
  const layerAt = (x: number) => layers[Math.max(0, Math.min(layers.length - 1, Math.floor((x - LEFT) / layerW)))].index;

  // Inputs axis: class segments; selected classes are drawn solid.
  const subset = draft.subset;
  const classSelected = (c: number) =>
    subset.kind === 'all' || subset.kind === 'perClass' || (subset.kind === 'classes' && subset.classes.includes(c));
  const toggleClass = (c: number) => {
    const current = subset.kind === 'classes' ? subset.classes : classNames.map((_, i) => i);
    const classes = current.includes(c) ? current.filter((x) => x !== c) : [...current, c].sort((a, b) => a - b);
    if (classes.length === 0) return;
    setDraft({ ...draft, subset: classes.length === classNames.length ? { kind: 'all' } : { kind: 'classes', classes } });
  };
  let cx = LEFT;
  const classSegments = counts.map((n, c) => {
    const w = (n / total) * span;
    const seg = { c, x: cx, w, n };
    cx += w;
    return seg;
  });

  // Layers axis.
  const dragRange = drag?.axis === 'layers' ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : null;
  const layerSelected = (l: number) => (dragRange ? l >= dragRange[0] && l <= dragRange[1] : draft.layers.includes(l));
  const toggleLayer = (l: number) => {
    const next = draft.layers.includes(l) ? draft.layers.filter((x) => x !== l) : [...draft.layers, l].sort((a, b) => a - b);
    setDraft({ ...draft, layers: next });
  };

  // Channel bands, one per selected layer.
  const bandLayers = draft.layers.slice(0, 12);
  const bandW = Math.min(110, span / Math.max(1, bandLayers.length));
  const channelsOf = (l: number) => manifest.layers[l]?.channels ?? 1;
  const chosen = (l: number): number[] | undefined => draft.channels[String(l)];
  const setChannels = (l: number, list: number[] | undefined) => {
    const channels = { ...draft.channels };
    if (!list || list.length === 0 || list.length === channelsOf(l)) delete channels[String(l)];
    else channels[String(l)] = list;
    setDraft({ ...draft, channels });
  };
  /** The layer of the channel band at a point of the svg, if any. */
  const bandAt = (p: { x: number; y: number }): number | undefined => {
    if (p.y < ROW.channels || p.y > ROW.channels + BAND_H) return undefined;
    const i = Math.floor((p.x - LEFT) / bandW);
    const x = LEFT + i * bandW;
    return i >= 0 && i < bandLayers.length && p.x >= x && p.x <= x + bandW - 8 ? bandLayers[i] : undefined;
  };
  const channelAt = (l: number, y: number) =>
    Math.max(0, Math.min(channelsOf(l) - 1, Math.floor(((y - ROW.channels) / BAND_H) * channelsOf(l))));

  const epochs = manifest.epochs;
  const epochX = (i: number) => LEFT + (epochs.length <= 1 ? span / 2 : (i / (epochs.length - 1)) * span);

  const onPointerMove = (e: PointerEvent) => {
    if (!drag) return;
    const p = toX(e);
    if (drag.axis === 'layers') setDrag({ ...drag, to: layerAt(p.x) });
    else setDrag({ ...drag, to: channelAt(drag.layer, p.y) });
  };
  const onPointerUp = () => {
    if (!drag) return;
    if (drag.axis === 'layers') {
      if (drag.from === drag.to) toggleLayer(drag.from);
      else {
        const [a, b] = [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)];
        setDraft({ ...draft, layers: layers.map((l) => l.index).filter((l) => l >= a && l <= b) });
      }
    } else {
      const [a, b] = [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)];
      if (a === b) {
        const current = chosen(drag.layer) ?? [];
        setChannels(drag.layer, current.includes(a) ? current.filter((c) => c !== a) : [...current, a].sort((x, y) => x - y));
      } else
        setChannels(
          drag.layer,
          Array.from({ length: b - a + 1 }, (_, i) => a + i),
        );
    }
    setDrag(null);
  };
  const keyToggle = (f: () => void) => (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      f();
    }
  };

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
          const l = bandAt(toX(e));
          if (l !== undefined) setChannels(l, undefined);
        }}
      >
        <text x={0} y={ROW.inputs + 18} class="axis-title">
          inputs x
        </text>
        {classSegments.map((s) => (
          <rect
            key={s.c}
            x={s.x}
            y={ROW.inputs}
            width={Math.max(0, s.w - 1)}
            height={28}
            fill={classColour(s.c, classNames.length)}
            fill-opacity={classSelected(s.c) ? 0.9 : 0.15}
            tabindex={0}
            role="checkbox"
            aria-checked={classSelected(s.c) && subset.kind !== 'indices'}
            aria-label={`class ${classNames[s.c]}: ${s.n} probe inputs`}
            data-class={s.c}
            class="slicer-item"
            onClick={() => toggleClass(s.c)}
            onKeyDown={keyToggle(() => toggleClass(s.c))}
            onPointerMove={(e) => tip.show(e.clientX, e.clientY, `class ${classNames[s.c]}: ${s.n} probe inputs`)}
          />
        ))}
        {classSegments.map(
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

        <text x={0} y={ROW.layers + 18} class="axis-title">
          layers l
        </text>
        {layers.map((l, i) => (
          <g
            key={l.index}
            tabindex={0}
            role="checkbox"
            aria-checked={draft.layers.includes(l.index)}
            aria-label={`layer ${l.name}, ${l.className}, ${l.outputShape.join('×')}`}
            data-layer={l.index}
            data-selected={layerSelected(l.index) ? 'true' : 'false'}
            class="slicer-item slicer-layer"
            onKeyDown={keyToggle(() => toggleLayer(l.index))}
            onPointerDown={(e) => {
              svg.current?.setPointerCapture?.(e.pointerId);
              setDrag({ axis: 'layers', from: l.index, to: l.index });
            }}
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
              class={`layer-seg${layerSelected(l.index) ? ' selected' : ''}${ui.focus.layer === l.index ? ' focused' : ''}`}
            />
            <text x={LEFT + i * layerW + (layerW - 2) / 2} y={ROW.layers + 18} text-anchor="middle" class="layer-seg-label">
              {truncate(shortLayerName(l, manifest.layers), Math.floor(layerW / 7))}
            </text>
          </g>
        ))}

        <text x={0} y={ROW.channels + 14} class="axis-title">
          channels c
        </text>
        <text x={0} y={ROW.channels + 30} class="muted-text">
          drag to pick
        </text>
        {bandLayers.map((l, i) => {
          const n = channelsOf(l);
          const x = LEFT + i * bandW;
          const sel = chosen(l);
          const dragSel =
            drag?.axis === 'channels' && drag.layer === l ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : null;
          const isSel = (c: number) => (dragSel ? c >= dragSel[0] && c <= dragSel[1] : !sel || sel.includes(c));
          const h = BAND_H / n;
          return (
            <g key={l} data-band-layer={l} aria-label={`channels of ${manifest.layers[l].name}: ${sel ? ranges(sel) : 'all'}`} role="group">
              <rect
                x={x}
                y={ROW.channels}
                width={bandW - 8}
                height={BAND_H}
                class="channel-band"
                onPointerDown={(e) => {
                  svg.current?.setPointerCapture?.(e.pointerId);
                  const c = channelAt(l, toX(e).y);
                  setDrag({ axis: 'channels', layer: l, from: c, to: c });
                }}
                onPointerMove={(e) =>
                  !drag && tip.show(e.clientX, e.clientY, `${manifest.layers[l].name} channel ${channelAt(l, toX(e).y)} of ${n}`)
                }
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
              {ui.focus.layer === l && ui.focus.channel !== null && ui.focus.channel < n && (
                <rect
                  x={x - 2}
                  y={ROW.channels + ui.focus.channel * h}
                  width={bandW - 4}
                  height={Math.max(2, h)}
                  class="channel-focus"
                  pointer-events="none"
                />
              )}
              <text x={x + (bandW - 8) / 2} y={ROW.channels + BAND_H + 14} text-anchor="middle" class="muted-text">
                {truncate(shortLayerName(manifest.layers[l], manifest.layers), Math.floor(bandW / 7))}
              </text>
              <text x={x + (bandW - 8) / 2} y={ROW.channels + BAND_H + 28} text-anchor="middle" class="muted-text">
                {sel ? `${sel.length}/${n}` : `all ${n}`}
              </text>
            </g>
          );
        })}
        {bandLayers.length === 0 && (
          <text x={LEFT} y={ROW.channels + 20} class="muted-text">
            select layers above to pick their channels
          </text>
        )}

        <text x={0} y={ROW.epochs + 18} class="axis-title">
          epochs t
        </text>
        <line x1={LEFT} x2={LEFT + span} y1={ROW.epochs + 14} y2={ROW.epochs + 14} class="epoch-axis" />
        {epochs.map((ep, i) => (
          <g
            key={ep}
            tabindex={0}
            role="radio"
            aria-checked={draft.epoch === ep}
            aria-label={`epoch ${ep}`}
            data-epoch={ep}
            class="slicer-item"
            onClick={() => setDraft({ ...draft, epoch: ep })}
            onKeyDown={keyToggle(() => setDraft({ ...draft, epoch: ep }))}
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
      </svg>
      <div class="channel-fields">
        {bandLayers.map((l) => (
          <ChannelField key={l} layer={l} value={chosen(l)} onChange={(v) => setChannels(l, v)} />
        ))}
      </div>
    </div>
  );
}

function ChannelField(props: { layer: number; value: number[] | undefined; onChange(v: number[] | undefined): void }): JSX.Element {
  const { manifest } = useApp();
  const layer = manifest.layers[props.layer];
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
        {shortLayerName(layer, manifest.layers)} channels{' '}
        <input
          type="text"
          value={text}
          placeholder="all"
          size={10}
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

/** Contiguous runs [a, b] of indices in 0..n-1 for which `pred` holds. */
function runsOf(n: number, pred: (i: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n;) {
    if (!pred(i)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < n && pred(j + 1)) j++;
    out.push([i, j]);
    i = j + 1;
  }
  return out;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(1, n - 1))}…`;
}
