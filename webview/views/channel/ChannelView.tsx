// The Channel view (paper 5.4, Figs. 13–15): the information inside the channels of one layer.
// Small multiples of each channel's intra-sample entropy over epochs, a circle packing of the
// entropies at the selected epoch by class, and the deconvolution of the selected channel. The
// layer is the linked focus (a layer picked in any view), else the first layer of the slice.
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { canonicalQuery, decodeFloat32 } from '../../../src/service/queries';
import type {
  ChannelEntropiesAnswer,
  DeconvolutionAnswer,
  FeatureMapsAnswer,
  InputsAnswer,
  SmallMultiplesAnswer,
} from '../../../src/service/queries';
import type { RunManifest } from '../../../src/run/format';
import type { InputSubset } from '../../../src/analysis/subsets';
import { classLabel } from '../../charts/common';
import { cachedPack, CirclePacking, groupLabel, packValues } from '../../charts/circlePacking';
import type { GroupKey } from '../../charts/circlePacking';
import { DeconvolutionFigure } from '../../charts/deconvolution';
import { channelMaps } from '../../charts/featureMaps';
import { PictureColumn, rangeOf, RowLabels, SideBySideGrid } from '../../charts/sideBySide';
import type { GridPicture, GridRow } from '../../charts/sideBySide';
import { multiplesMaxBits, SmallMultiplesChart } from '../../charts/smallMultiples';
import { ALL_COLOUR, classColour } from '../../colours';
import type { Cell } from '../../export';
import { allChannels, queries, SAMPLE_INPUTS } from '../../plan';
import { describeSubset, parseIndices, ranges } from '../../slice';
import { shown, UiState, useApp, useQuery, useViewState } from '../../state';
import type { QueryResult } from '../../state';
import { shortLayerName } from '../../layerLabel';
import { Card, EpochSlider, fmtShape, LayerName, QueryStatus, Toggle } from '../../ui';

const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isZoom = (v: unknown): v is string | null => v === null || (typeof v === 'string' && (v === 'all' || /^\d+$/.test(v)));
const isColourBy = (v: unknown): v is 'class' | 'channel' => v === 'class' || v === 'channel';
const isString = (v: unknown): v is string => typeof v === 'string';
const isMapScale = (v: unknown): v is MapScale => v === 'shared' || v === 'row';

/** How the side-by-side feature maps are greyed: one range for every map shown, or each input's row its own. */
type MapScale = 'shared' | 'row';

/** Most channels shown side by side: more would shrink every picture below legibility. */
export const MAX_SIDE_BY_SIDE = 12;

/**
 * The channels shown side by side: typed ranges ("0-3, 7") if any, else the slice's chosen
 * channels of the layer when there are two or more, else the first four.
 */
export function comparedChannels(
  text: string,
  sliced: number[],
  channelCount: number,
): { channels: number[]; error?: string; from: 'typed' | 'slice' | 'default' } {
  const fallback = (): { channels: number[]; from: 'slice' | 'default' } =>
    sliced.length >= 2
      ? { channels: [...sliced].sort((a, b) => a - b).slice(0, MAX_SIDE_BY_SIDE), from: 'slice' }
      : { channels: Array.from({ length: Math.min(4, channelCount) }, (_, i) => i), from: 'default' };
  if (!text.trim()) return fallback();
  const parsed = parseIndices(text, Number.MAX_SAFE_INTEGER);
  if (!parsed.indices) return { ...fallback(), error: (parsed.error ?? 'not a list of channels').replace('inputs', 'channels') };
  const outside = parsed.indices.find((c) => c >= channelCount);
  if (outside !== undefined)
    return { ...fallback(), error: `channel ${outside} is not in this layer (it has channels 0–${channelCount - 1})` };
  if (parsed.indices.length > MAX_SIDE_BY_SIDE)
    return { channels: parsed.indices.slice(0, MAX_SIDE_BY_SIDE), from: 'typed', error: `showing the first ${MAX_SIDE_BY_SIDE}` };
  return { channels: parsed.indices, from: 'typed' };
}

/** The classes an input subset keeps, or undefined when it can hold inputs of every class. */
export function subsetClasses(subset: InputSubset): number[] | undefined {
  if (subset.kind === 'classes') return [...subset.classes].sort((a, b) => a - b);
  if (subset.kind === 'perClass' && subset.classes) return [...subset.classes].sort((a, b) => a - b);
  return undefined;
}

/**
 * Said by a chart the slice's input subset cannot reach (its query takes no subset, or a fixed
 * sample), so that nobody reads it as the subset's picture.
 */
function AllInputsNote(props: { what: string }): JSX.Element | null {
  const { ui, classNames } = useApp();
  if (ui.slice.subset.kind === 'all') return null;
  return (
    <p class="subset-note" role="note" data-testid="all-inputs-note">
      {props.what} The slice's inputs ({describeSubset(ui.slice.subset, classNames)}) do not apply here.
    </p>
  );
}

/** The layer shown: the focused layer, else the first layer of the slice, else the first layer. */
export function channelViewLayer(ui: UiState, manifest: RunManifest): number | undefined {
  const ok = (l: number | null | undefined): l is number => typeof l === 'number' && l > 0 && l < manifest.layers.length;
  if (ok(ui.focus.layer)) return ui.focus.layer;
  const fromSlice = ui.slice.layers.find(ok);
  if (fromSlice !== undefined) return fromSlice;
  return manifest.layers.find((l) => l.index > 0)?.index;
}

export function ChannelView(): JSX.Element {
  const { manifest, ui } = useApp();
  const layer = channelViewLayer(ui, manifest);
  if (layer === undefined) return <p class="status">This model has no layer to show.</p>;
  if (manifest.epochs.length === 0)
    return <p class="status">No epoch recorded yet: the Channel view fills in when the first epoch is recorded.</p>;
  return <ChannelLayer layer={layer} />;
}

function ChannelLayer(props: { layer: number }): JSX.Element {
  const { manifest, ui, update, focus } = useApp();
  const { layer } = props;
  const info = manifest.layers[layer];
  const sliced = (ui.slice.channels[String(layer)] ?? []).filter((c) => c < info.channels);
  const slicedKey = sliced.join(',');
  // One array per slice, not per render: the circle packing packs again whenever it changes.
  const channels = useMemo(
    () =>
      slicedKey
        ? slicedKey
            .split(',')
            .map(Number)
            .sort((a, b) => a - b)
        : allChannels(manifest, layer),
    [slicedKey, manifest, layer],
  );
  const focused = ui.focus.layer === layer && ui.focus.channel !== null && ui.focus.channel < info.channels ? ui.focus.channel : null;
  const fromFocus = ui.focus.layer === layer;
  const showAllChannels = () =>
    update((old) => {
      const rest = { ...old.slice.channels };
      delete rest[String(layer)];
      return { slice: { ...old.slice, channels: rest } };
    });
  return (
    <>
      <div class="channel-toolbar">
        <label>
          Layer{' '}
          <select
            value={layer}
            aria-label="Layer shown in the Channel view"
            onChange={(e) => focus(Number((e.target as HTMLSelectElement).value))}
          >
            {manifest.layers
              .filter((l) => l.index > 0)
              .map((l) => (
                <option key={l.index} value={l.index} title={l.name}>
                  {l.index} · {shortLayerName(l, manifest.layers)} ({l.channels} channel{l.channels === 1 ? '' : 's'})
                </option>
              ))}
          </select>
        </label>
        <LayerName layer={layer} />
        <span class="muted">
          {info.className}, output {fmtShape(info.outputShape)} ·{' '}
          {fromFocus ? 'the selected layer' : 'the first layer of the slice (pick one to change it)'}
        </span>
        <span class="channel-selected">
          {focused !== null ? (
            <>
              Selected channel: <strong>#{focused}</strong>
            </>
          ) : (
            <span class="muted">No channel selected: click a multiple or a circle.</span>
          )}
        </span>
        {sliced.length > 0 && (
          <span class="channel-filter" role="status">
            Showing {sliced.length} of {info.channels} channels (chosen in the Query view).{' '}
            <button type="button" class="toggle" onClick={showAllChannels}>
              Show all channels
            </button>
          </span>
        )}
      </div>
      <MultiplesCard layer={layer} channels={channels} focused={focused} />
      <PackingCard layer={layer} channels={channels} focused={focused} />
      <DeconvolutionCard layer={layer} channels={channels} focused={focused} />
      <SideBySideCards key={layer} layer={layer} sliced={sliced} />
    </>
  );
}

/**
 * The answer kept on screen while a new one loads, unless it is about another layer: the previous
 * epoch of the same layer avoids a flash, another layer's channels would be mislabelled.
 */
function sameLayer<T extends { layer: number }>(answer: T | undefined, layer: number): T | undefined {
  return answer && answer.layer === layer ? answer : undefined;
}

interface CardProps {
  layer: number;
  /** The channels shown, ascending. */
  channels: number[];
  focused: number | null;
}

function ClassLegend(props: { classNames: string[]; showAll: boolean }): JSX.Element {
  return (
    <div class="class-legend" aria-label="Classes">
      {props.showAll && (
        <span>
          <span class="swatch" style={{ background: ALL_COLOUR }} />
          all classes
        </span>
      )}
      {props.classNames.map((_, k) => (
        <span key={k}>
          <span class="swatch" style={{ background: classColour(k, props.classNames.length) }} />
          {classLabel(k, props.classNames)}
        </span>
      ))}
    </div>
  );
}

/** Most layers shown below the Channel view's layer for comparison (Fig. 14): more would be a very long card. */
export const MAX_BESIDE_LAYERS = 6;
const isLayerList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length <= MAX_BESIDE_LAYERS && v.every((l) => typeof l === 'number' && Number.isInteger(l) && l > 0);

function MultiplesCard(props: CardProps): JSX.Element {
  const { manifest, classNames, ui, focus } = useApp();
  const result = useQuery(queries.smallMultiples(props.layer), 'channel');
  const answer = sameLayer(shown(result), props.layer);
  const [sorted, setSorted] = useViewState('channel.sortMultiples', false, isBool);
  const [showAll, setShowAll] = useViewState('channel.showAllLine', true, isBool);
  const [besideSaved, setBeside] = useViewState<number[]>('channel.besideLayers', [], isLayerList);
  const [sharedY, setSharedY] = useViewState('channel.sharedYScale', true, isBool);
  // The layers shown below this one (Fig. 14: lower against higher layers); never itself, each once.
  const beside = [...new Set(besideSaved)].filter((l) => l !== props.layer && l < manifest.layers.length);
  // Each layer below reports its own maximum, so one y scale can span every layer shown.
  const [besideMax, setBesideMax] = useState<Record<number, number>>({});
  const onMax = useCallback(
    (layer: number, max: number) => setBesideMax((old) => (old[layer] === max ? old : { ...old, [layer]: max })),
    [],
  );
  const name = manifest.layers[props.layer].name;
  const known = beside.map((l) => besideMax[l]).filter((m): m is number => m !== undefined);
  // One y scale for every layer shown (the default), 0 to the largest of their maxima, so a
  // multiple's height compares across the layers.
  const sharedMaxBits = sharedY && answer && beside.length > 0 ? Math.max(multiplesMaxBits(answer), ...known) : undefined;
  const epochIndex = answer ? answer.epochs.indexOf(ui.epoch) : -1;
  const order = useMemo(() => {
    const inRange = answer ? props.channels.filter((c) => c < answer.channels) : [];
    if (!sorted || !answer || epochIndex < 0) return inRange;
    // Highest entropy first; undefined last, ties by index.
    const v = (c: number) => answer.all[c]?.[epochIndex] ?? -Infinity;
    return [...inRange].sort((a, b) => v(b) - v(a) || a - b);
  }, [answer, props.channels, sorted, epochIndex]);
  const addable = manifest.layers.filter((l) => l.index > 0 && l.index !== props.layer && !beside.includes(l.index));
  return (
    <Card
      class="wide channel-multiples"
      title={
        <>
          Intra-sample entropy over epochs, per channel of <LayerName layer={props.layer} />
        </>
      }
      label="Small multiples of channel entropy"
      tools={
        <>
          <Toggle
            pressed={sorted}
            title="Order the multiples by the entropy of all classes at the selected epoch, highest first"
            onClick={() => setSorted(!sorted)}
          >
            Sort by entropy at epoch {ui.epoch}
          </Toggle>
          <Toggle pressed={showAll} title="Draw the entropy over all inputs as well as per class" onClick={() => setShowAll(!showAll)}>
            All-classes line
          </Toggle>
          <label>
            Add below{' '}
            <select
              value=""
              aria-label="Add a layer below, for comparison"
              disabled={beside.length >= MAX_BESIDE_LAYERS || addable.length === 0}
              title={beside.length >= MAX_BESIDE_LAYERS ? `At most ${MAX_BESIDE_LAYERS} layers below: remove one first` : undefined}
              onChange={(e) => {
                const el = e.target as HTMLSelectElement;
                const v = el.value;
                el.value = '';
                if (v !== '') setBeside([...beside, Number(v)].slice(0, MAX_BESIDE_LAYERS));
              }}
            >
              <option value="">{beside.length ? 'another layer…' : 'a layer to compare…'}</option>
              {addable.map((l) => (
                <option key={l.index} value={l.index} title={l.name}>
                  {l.index} · {shortLayerName(l, manifest.layers)}
                </option>
              ))}
            </select>
          </label>
          {beside.length > 0 && (
            <Toggle
              pressed={sharedY}
              title="Draw every layer shown on one y scale (0 to the largest maximum), so heights compare across layers; off: each layer its own scale"
              onClick={() => setSharedY(!sharedY)}
            >
              Shared y scale
            </Toggle>
          )}
        </>
      }
      export={
        answer && {
          name: `small-multiples-${name}`,
          table: () => multiplesTable(answer, order, classNames, name),
          json: () => multiplesJson(answer, order, classNames, name),
        }
      }
    >
      <QueryStatus result={result} what={`the entropies of ${name} over epochs`} />
      {answer && (
        <>
          <AllInputsNote what="These multiples show every probe input (they are recorded during training, for the whole probe set)." />
          <ClassLegend classNames={classNames.slice(0, answer.perClass.length)} showAll={showAll} />
          <p class="muted channel-caption">
            One multiple per channel: x = epochs {answer.epochs[0]}–{answer.epochs[answer.epochs.length - 1]}, y = intra-sample entropy in
            bits on one scale for all; dashed rule = the selected epoch; <span class="warning">tinted band = dead channel</span> (0 for
            every probe input); <span class="warning">▲</span> = undefined value (a gap in the line).
          </p>
          {beside.length > 0 && (
            <h4 class="sbs-layer-heading" data-testid="multiples-heading" data-layer={props.layer}>
              <LayerName layer={props.layer} />{' '}
              <span class="muted">
                (the layer shown;{' '}
                {sharedY
                  ? `one y scale for all ${beside.length + 1} layers, from 0 past the largest maximum${sharedMaxBits !== undefined ? ` (${sharedMaxBits.toFixed(3)} bits)` : ''}`
                  : 'each layer its own y scale: heights do not compare across layers'}
                )
              </span>
            </h4>
          )}
          <SmallMultiplesChart
            answer={answer}
            order={order}
            classNames={classNames}
            layerName={name}
            epoch={ui.epoch}
            focused={props.focused}
            showAll={showAll}
            onFocus={(c) => focus(props.layer, c)}
            sharedMaxBits={sharedMaxBits}
          />
        </>
      )}
      {beside.map((l) => (
        <BesideMultiples
          key={l}
          layer={l}
          sorted={sorted}
          showAll={showAll}
          sharedY={sharedY}
          sharedMaxBits={sharedMaxBits}
          onMax={onMax}
          onRemove={() => setBeside(beside.filter((x) => x !== l))}
          onShow={(c) => {
            // The clicked layer becomes the one shown, and the one shown until now takes its place below.
            setBeside(beside.map((x) => (x === l ? props.layer : x)));
            focus(l, c);
          }}
        />
      ))}
    </Card>
  );
}

/** One layer's small multiples below the shown layer's (Fig. 14), on the shared y scale when it is on. */
function BesideMultiples(props: {
  layer: number;
  sorted: boolean;
  showAll: boolean;
  sharedY: boolean;
  sharedMaxBits: number | undefined;
  onMax: (layer: number, max: number) => void;
  onRemove: () => void;
  onShow: (channel: number) => void;
}): JSX.Element {
  const { manifest, classNames, ui } = useApp();
  const result = useQuery(queries.smallMultiples(props.layer), 'channel');
  const answer = sameLayer(shown(result), props.layer);
  const name = manifest.layers[props.layer].name;
  const { onMax, layer } = props;
  useEffect(() => {
    if (answer) onMax(layer, multiplesMaxBits(answer));
  }, [answer, layer, onMax]);
  const order = useMemo(() => {
    if (!answer) return [];
    const all = Array.from({ length: answer.channels }, (_, c) => c);
    const k = answer.epochs.indexOf(ui.epoch);
    if (!props.sorted || k < 0) return all;
    const v = (c: number) => answer.all[c]?.[k] ?? -Infinity;
    return all.sort((a, b) => v(b) - v(a) || a - b);
  }, [answer, props.sorted, ui.epoch]);
  return (
    <div class="multiples-beside" data-testid="multiples-beside" data-layer={props.layer}>
      <h4 class="sbs-layer-heading" data-testid="multiples-heading" data-layer={props.layer}>
        <LayerName layer={props.layer} />{' '}
        <span class="muted">
          (below for comparison; {props.sharedY ? 'on the shared y scale' : 'its own y scale: heights do not compare with the other layers'}
          ; click a multiple to show this layer)
        </span>{' '}
        <button type="button" class="toggle" aria-label={`Remove ${name} from the comparison`} onClick={props.onRemove}>
          ✕ remove
        </button>
      </h4>
      <QueryStatus result={result} what={`the entropies of ${name} over epochs`} />
      {answer && (
        <SmallMultiplesChart
          answer={answer}
          order={order}
          classNames={classNames}
          layerName={name}
          epoch={ui.epoch}
          focused={null}
          showAll={props.showAll}
          onFocus={props.onShow}
          sharedMaxBits={props.sharedY ? props.sharedMaxBits : undefined}
        />
      )}
    </div>
  );
}

function multiplesTable(
  a: SmallMultiplesAnswer,
  order: number[],
  classNames: string[],
  layerName: string,
): { columns: string[]; rows: Cell[][] } {
  const rows: Cell[][] = [];
  const dead = a.deadChannels.map((d) => new Set(d));
  for (const c of order) {
    a.epochs.forEach((e, k) => {
      rows.push([layerName, c, 'all', e, a.all[c]?.[k] ?? null, dead[k]?.has(c) ?? false]);
      a.perClass.forEach((pc, cls) =>
        rows.push([layerName, c, classNames[cls] ?? String(cls), e, pc[c]?.[k] ?? null, dead[k]?.has(c) ?? false]),
      );
    });
  }
  return { columns: ['layer', 'channel', 'class', 'epoch', 'bits', 'dead'], rows };
}

function multiplesJson(a: SmallMultiplesAnswer, order: number[], classNames: string[], layerName: string): unknown {
  return {
    layer: a.layer,
    layerName,
    epochs: a.epochs,
    unit: 'bits',
    channels: order.map((c) => ({
      channel: c,
      all: a.all[c],
      perClass: Object.fromEntries(a.perClass.map((pc, cls) => [classNames[cls] ?? String(cls), pc[c]])),
      deadAtEpochs: a.epochs.filter((_, k) => a.deadChannels[k]?.includes(c)),
    })),
  };
}

function PackingCard(props: CardProps): JSX.Element {
  const { manifest, classNames, ui, focus } = useApp();
  const result = useQuery(queries.channelEntropies(props.layer, ui.epoch, ui.slice.subset), 'channel');
  const answer = sameLayer(shown(result), props.layer);
  const [zoom, setZoom] = useViewState<string | null>('channel.packingZoom', null, isZoom);
  // Another layer has other circles: a zoom kept from the previous layer would show a class the
  // person did not pick. The zoom kept across a reload (same layer) stays.
  const shownLayer = useRef(props.layer);
  useEffect(() => {
    if (shownLayer.current === props.layer) return;
    shownLayer.current = props.layer;
    setZoom(null);
  }, [props.layer]);
  const subsetKey = JSON.stringify(ui.slice.subset);
  const classes = useMemo(() => subsetClasses(ui.slice.subset), [subsetKey]);
  const [colourBy, setColourBy] = useViewState<'class' | 'channel'>('channel.packingColour', 'class', isColourBy);
  const info = manifest.layers[props.layer];
  const channels = useMemo(() => (answer ? props.channels.filter((c) => c < answer.all.length) : []), [answer, props.channels]);
  useNeighbourPackings(props.layer, ui.epoch, ui.slice.subset, props.channels, classes, result.status === 'ready');
  const zoomName = zoom === null ? null : groupLabel(zoom === 'all' ? 'all' : Number(zoom), classNames, classes !== undefined);
  return (
    <Card
      class="channel-packing"
      title={
        <>
          Entropy by class and channel, <LayerName layer={props.layer} /> at epoch {ui.epoch}
        </>
      }
      label="Circle packing of channel entropy by class"
      tools={
        <>
          <EpochSlider play />
          <Toggle
            pressed={colourBy === 'channel'}
            title="Colour the channel circles by channel index (as in the paper) instead of by class"
            onClick={() => setColourBy(colourBy === 'class' ? 'channel' : 'class')}
          >
            Colour by channel
          </Toggle>
          <button type="button" class="toggle" disabled={zoom === null} onClick={() => setZoom(null)}>
            Zoom out
          </button>
        </>
      }
      export={
        answer && {
          name: `circle-packing-${shortLayerName(info, manifest.layers)}-epoch-${answer.epoch}`,
          table: () => packingTable(answer, channels, classNames, shortLayerName(info, manifest.layers)),
          json: () => packingJson(answer, channels, classNames, shortLayerName(info, manifest.layers)),
        }
      }
    >
      <QueryStatus result={result} what={`the channel entropies of ${shortLayerName(info, manifest.layers)} at epoch ${ui.epoch}`} />
      {answer && (
        <>
          <p class="muted channel-caption">
            {packingCaption(answer, classes, ui.slice.subset, classNames)}; inside each, one circle per channel, area ∝ its intra-sample
            entropy
            {colourBy === 'channel' ? `, colour = channel index (rainbow from #0 to #${info.channels - 1})` : ''}. Click a class to zoom
            {zoomName ? ` (showing ${zoomName})` : ''}, a channel to select it.
          </p>
          <CirclePacking
            answer={answer}
            channels={channels}
            classes={classes}
            classNames={classNames}
            layerName={shortLayerName(info, manifest.layers)}
            focused={props.focused}
            zoom={zoom}
            colourBy={colourBy}
            channelCount={info.channels}
            onZoom={setZoom}
            onFocus={(c) => focus(props.layer, c)}
          />
        </>
      )}
    </Card>
  );
}

/**
 * Once the epoch shown is on screen (`ready`), asks the channel entropies of the epochs either side
 * of it as `soon` (a slider step or playback shows them next) and lays their circle packing out
 * while the page is idle, so that stepping through the epochs finds both ready instead of packing
 * 512 × 11 circles at each step. A report that lacks those epochs simply has nothing to prefetch.
 */
function useNeighbourPackings(
  layer: number,
  epoch: number,
  subset: InputSubset,
  channels: number[],
  classes: number[] | undefined,
  ready: boolean,
): void {
  const { manifest, data, cache } = useApp();
  const subsetKey = JSON.stringify(subset);
  useEffect(() => {
    if (!ready) return;
    const controller = new AbortController();
    const idle: (() => void)[] = [];
    const at = manifest.epochs.indexOf(epoch);
    const neighbours = at < 0 ? [] : [manifest.epochs[at + 1], manifest.epochs[at - 1]].filter((e): e is number => e !== undefined);
    for (const e of neighbours) {
      const q = queries.channelEntropies(layer, e, subset);
      const key = canonicalQuery(q);
      const known = cache.get(key) as ChannelEntropiesAnswer | undefined;
      const asked = known
        ? Promise.resolve(known)
        : data.query(q, { view: 'channel', priority: 'soon', signal: controller.signal }).then((a) => {
            cache.set(key, a);
            return a;
          });
      asked.then(
        (a) => {
          if (controller.signal.aborted) return;
          idle.push(
            whenIdle(() =>
              cachedPack(
                a,
                channels.filter((c) => c < a.all.length),
                classes,
              ),
            ),
          );
        },
        () => undefined,
      );
    }
    return () => {
      controller.abort();
      for (const cancel of idle) cancel();
    };
    // The subset is described by `subsetKey`.
  }, [ready, layer, epoch, subsetKey, channels, classes, manifest.epochs, data, cache]);
}

/** Runs `work` when the page is idle (or within two seconds); returns its cancellation. */
function whenIdle(work: () => void): () => void {
  if (typeof window.requestIdleCallback === 'function') {
    const id = window.requestIdleCallback(work, { timeout: 2000 });
    return () => window.cancelIdleCallback(id);
  }
  const id = window.setTimeout(work, 50);
  return () => clearTimeout(id);
}

/** "10 classes and all classes (500 inputs)", or for a subset "classes 0, 1 and the slice together (75 inputs of the slice: classes 0, 1)". */
export function packingCaption(
  a: ChannelEntropiesAnswer,
  classes: number[] | undefined,
  subset: InputSubset,
  classNames: string[],
): string {
  const shown = classes ? classes.filter((k) => k < a.perClass.length) : a.perClass.map((_, k) => k);
  const names = shown.map((k) => classNames[k] ?? String(k));
  const groups =
    classes === undefined
      ? `${shown.length} classes and all classes`
      : `${shown.length === 1 ? 'class' : 'classes'} ${names.join(', ')} and the slice together`;
  const inputs =
    subset.kind === 'all' ? `${a.inputCount} inputs` : `${a.inputCount} inputs of the slice: ${describeSubset(subset, classNames)}`;
  return `${groups} (${inputs})`;
}

function packingTable(
  a: ChannelEntropiesAnswer,
  channels: number[],
  classNames: string[],
  layerName: string,
): { columns: string[]; rows: Cell[][] } {
  const groups: GroupKey[] = ['all', ...a.perClass.map((_, k) => k)];
  const rows: Cell[][] = [];
  for (const g of groups) {
    const values = packValues(a, g);
    for (const c of channels) rows.push([layerName, a.epoch, g === 'all' ? 'all' : (classNames[g] ?? String(g)), c, values[c] ?? null]);
  }
  return { columns: ['layer', 'epoch', 'class', 'channel', 'bits'], rows };
}

function packingJson(a: ChannelEntropiesAnswer, channels: number[], classNames: string[], layerName: string): unknown {
  const groups: GroupKey[] = ['all', ...a.perClass.map((_, k) => k)];
  return {
    layer: a.layer,
    layerName,
    epoch: a.epoch,
    inputCount: a.inputCount,
    unit: 'bits',
    groups: groups.map((g) => {
      const values = packValues(a, g);
      const defined = channels.map((c) => values[c] ?? null).filter((v): v is number => v !== null);
      return {
        class: g === 'all' ? 'all' : (classNames[g] ?? String(g)),
        inputs: g === 'all' ? a.inputCount : a.classCounts[g],
        totalBits: defined.reduce((s, v) => s + v, 0),
        channels: channels.map((c) => ({ channel: c, bits: values[c] ?? null })),
      };
    }),
  };
}

function DeconvolutionCard(props: CardProps): JSX.Element {
  const { manifest, classNames, ui, focus } = useApp();
  const info = manifest.layers[props.layer];
  const channel = props.focused ?? props.channels[0] ?? 0;
  const result = useQuery(queries.deconvolution(props.layer, channel, ui.epoch), 'channel');
  const inputsResult = useQuery(queries.inputs(SAMPLE_INPUTS), 'channel');
  const answer = shown(result);
  const [perImage, setPerImage] = useViewState('channel.deconvolutionContrast', false, isBool);
  // A stale answer (another layer or channel, while the new one loads) would be labelled wrongly.
  const current = answer && answer.layer === props.layer && answer.channel === channel ? answer : undefined;
  return (
    <Card
      class="channel-deconvolution"
      title={
        <>
          Deconvolution of <LayerName layer={props.layer} /> #{channel} at epoch {ui.epoch}
        </>
      }
      label="Deconvolution of the selected channel"
      tools={
        <>
          <Toggle
            pressed={perImage}
            title="Stretch each projection to its own range (faint ones show their shape; brightness no longer compares)"
            onClick={() => setPerImage(!perImage)}
          >
            Contrast per image
          </Toggle>
          {info.channels > 1 && (
            <label>
              Channel{' '}
              <select
                value={channel}
                aria-label="Channel to deconvolve"
                onChange={(e) => focus(props.layer, Number((e.target as HTMLSelectElement).value))}
              >
                {(props.channels.includes(channel) ? props.channels : [channel, ...props.channels]).map((c) => (
                  <option key={c} value={c}>
                    #{c}
                  </option>
                ))}
              </select>
            </label>
          )}
        </>
      }
      export={
        current && {
          name: `deconvolution-${shortLayerName(info, manifest.layers)}-${channel}-epoch-${current.epoch}`,
          table: () => deconvolutionTable(current, classNames),
          json: () => deconvolutionJson(current, classNames),
        }
      }
    >
      <p class="muted channel-caption">
        {props.focused !== null
          ? `The selected channel, #${channel}.`
          : `No channel selected, so channel #${channel} is shown: click a multiple or a circle to choose one.`}{' '}
        One sample input per class.
      </p>
      <AllInputsNote what="The deconvolution shows one sample input of every class of the probe set." />
      <QueryStatus result={result} what={`the deconvolution of ${shortLayerName(info, manifest.layers)} #${channel}`} />
      <QueryStatus result={inputsResult} what="the sample inputs" />
      {current && (
        <DeconvolutionFigure
          answer={current}
          inputs={shown(inputsResult)}
          classNames={classNames}
          layerName={shortLayerName(info, manifest.layers)}
          perImage={perImage}
        />
      )}
    </Card>
  );
}

function deconvolutionTable(a: DeconvolutionAnswer, classNames: string[]): { columns: string[]; rows: Cell[][] } {
  const [n = 0, h = 1, w = 1, c = 1] = a.projections.shape;
  const data = decodeFloat32(a.projections);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          rows.push([a.inputs[i], classNames[a.labels[i]] ?? a.labels[i], y, x, k, data[((i * h + y) * w + x) * c + k]]);
  }
  return { columns: ['input', 'class', 'y', 'x', 'c', 'value'], rows };
}

function deconvolutionJson(a: DeconvolutionAnswer, classNames: string[]): unknown {
  const [n = 0, h = 1, w = 1, c = 1] = a.projections.shape;
  const data = decodeFloat32(a.projections);
  const size = h * w * c;
  return {
    layer: a.layer,
    channel: a.channel,
    epoch: a.epoch,
    shape: [h, w, c],
    min: a.min,
    max: a.max,
    projections: Array.from({ length: n }, (_, i) => ({
      input: a.inputs[i],
      class: classNames[a.labels[i]] ?? a.labels[i],
      values: Array.from(data.subarray(i * size, (i + 1) * size)),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Several channels side by side (Figs. 9 and 15): the same sample inputs, one column per channel.

/** The rows of the side-by-side grids: the sample inputs, in the order the service returns them. */
function sampleRows(inputs: InputsAnswer | undefined): GridRow[] {
  return inputs ? inputs.inputs.map((input, i) => ({ input, label: inputs.labels[i] })) : [];
}

/** The input pictures of the rows (the grid's first column). */
function inputPictures(inputs: InputsAnswer | undefined, decoded: Float32Array | undefined): (GridPicture | undefined)[] {
  if (!inputs || !decoded) return [];
  const [n = 0, h = 1, w = 1, c = 1] = inputs.images.shape;
  return inputs.inputs.map((_, i) =>
    i < n ? { data: decoded.subarray(i * h * w * c, (i + 1) * h * w * c), h, w, c, range: [inputs.min, inputs.max] } : undefined,
  );
}

/** A column's state in a few words: a narrow column has no room for a whole sentence. */
function ColumnStatus<T>(props: { result: QueryResult<T>; what: string }): JSX.Element | null {
  if (props.result.status === 'loading')
    return (
      <span class="muted" role="status" style={{ fontSize: '11px' }}>
        computing…
      </span>
    );
  return <QueryStatus result={props.result} what={props.what} compact />;
}

function SideBySideCards(props: { layer: number; sliced: number[] }): JSX.Element {
  const { manifest } = useApp();
  const info = manifest.layers[props.layer];
  const [text, setText] = useViewState(`channel.sideBySide.${props.layer}`, '', isString);
  // What is being typed, until Enter or leaving the field commits it; undefined shows the committed
  // text. Derived during render rather than copied in an effect: a copy made after the paint could
  // land between a keystroke and Enter and wipe what was typed. Keyed by layer at the call site.
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const commit = (value: string): void => {
    setText(value);
    setDraft(undefined);
  };
  const compared = comparedChannels(text, props.sliced, info.channels);
  const inputsResult = useQuery(queries.inputs(SAMPLE_INPUTS), 'channel');
  const inputs = shown(inputsResult);
  const decoded = useMemo(() => (inputs ? decodeFloat32(inputs.images) : undefined), [inputs]);
  const rows = useMemo(() => sampleRows(inputs), [inputs]);
  const sources = useMemo(() => inputPictures(inputs, decoded), [inputs, decoded]);
  const field = (
    <label class="sbs-field">
      Channels{' '}
      <input
        type="text"
        size={10}
        value={draft ?? text}
        placeholder={ranges(compared.channels)}
        aria-label={`Channels of ${shortLayerName(info, manifest.layers)} shown side by side`}
        aria-invalid={compared.error && compared.from !== 'typed' ? true : undefined}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        onChange={(e) => commit((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
        }}
      />
    </label>
  );
  const source =
    compared.from === 'typed'
      ? 'the channels typed in the field'
      : compared.from === 'slice'
        ? "the slice's chosen channels (type others in the field)"
        : 'the first channels (choose channels in the Query view or type them in the field)';
  const caption = (
    <p class="muted channel-caption" data-testid="sbs-caption">
      Channels {ranges(compared.channels)} of {shortLayerName(info, manifest.layers)}: {source}. One row per sample input (one per class),
      one column per channel.
      {compared.error && (
        <span class="warning" role="alert">
          {' '}
          {compared.error}.
        </span>
      )}
    </p>
  );
  if (info.channels < 2) return <></>;
  return (
    <>
      <FeatureMapsSideBySide layer={props.layer} channels={compared.channels} rows={rows} sources={sources} field={field} caption={caption}>
        <QueryStatus result={inputsResult} what="the sample inputs" />
      </FeatureMapsSideBySide>
      <DeconvolutionsSideBySide layer={props.layer} channels={compared.channels} rows={rows} sources={sources} caption={caption}>
        <QueryStatus result={inputsResult} what="the sample inputs" />
      </DeconvolutionsSideBySide>
    </>
  );
}

interface SideBySideProps {
  layer: number;
  channels: number[];
  rows: GridRow[];
  sources: (GridPicture | undefined)[];
  caption: JSX.Element;
  field?: JSX.Element;
  children?: JSX.Element;
}

function FeatureMapsSideBySide(props: SideBySideProps): JSX.Element {
  const { manifest, classNames, ui } = useApp();
  const info = manifest.layers[props.layer];
  const result = useQuery(queries.featureMaps(manifest, props.layer, ui.epoch), 'channel');
  const answer = shown(result);
  const current = answer && answer.layer === props.layer ? answer : undefined;
  const [scale, setScale] = useViewState<MapScale>('channel.sideBySideScale', 'shared', isMapScale);
  const decoded = useMemo(() => (current ? decodeFloat32(current.maps) : undefined), [current]);
  const columns = useMemo(
    () => (current && decoded ? props.channels.map((c) => ({ channel: c, maps: channelMaps(current, decoded, c) })) : []),
    [current, decoded, props.channels],
  );
  const rowIndex = (a: FeatureMapsAnswer, input: number) => a.inputs.indexOf(input);
  // The grey scale: over every map shown, or over each row's maps (one input across the channels).
  const rowRanges = useMemo(() => {
    if (!current) return [];
    const all = rangeOf(columns.flatMap((col) => col.maps?.maps ?? []));
    return props.rows.map((r) => {
      if (scale === 'shared') return all;
      const i = rowIndex(current, r.input);
      return rangeOf(columns.flatMap((col) => (col.maps && i >= 0 ? [col.maps.maps[i]] : [])));
    });
  }, [current, columns, props.rows, scale]);
  const name = shortLayerName(info, manifest.layers);
  const fmtRange = (r: [number, number] | undefined) => (r ? `${r[0].toPrecision(3)} … ${r[1].toPrecision(3)}` : '');
  return (
    <Card
      class="wide channel-sbs-maps"
      title={
        <>
          Feature maps of channels side by side, <LayerName layer={props.layer} /> at epoch {ui.epoch}
        </>
      }
      label="Feature maps of several channels side by side"
      tools={
        <>
          {props.field}
          <label>
            grey scale{' '}
            <select
              value={scale}
              aria-label="Grey scale of the feature maps"
              onChange={(e) => setScale((e.target as HTMLSelectElement).value as MapScale)}
            >
              <option value="shared">shared by all maps</option>
              <option value="row">per input (row)</option>
            </select>
          </label>
        </>
      }
    >
      {props.caption}
      <AllInputsNote what="These maps show one sample input of every class of the probe set." />
      {props.children}
      <QueryStatus result={result} what={`the feature maps of ${name} at epoch ${ui.epoch}`} />
      {current && props.rows.length > 0 && (
        <>
          <p class="muted channel-caption" data-testid="sbs-scale-note">
            {scale === 'shared'
              ? `Grey scale shared by every map shown: black = ${fmtRange(rowRanges[0]).replace(' … ', ', white = ')}.`
              : 'Grey scale per input: each row runs from its own minimum (black) to its maximum (white) over the channels shown, written under the class.'}
          </p>
          <SideBySideGrid
            columns={props.channels.length + 1}
            label={`Feature maps of ${name}, channels ${ranges(props.channels)}`}
            testId="sbs-maps"
          >
            {(size) => (
              <>
                <RowLabels
                  rows={props.rows}
                  size={size}
                  classNames={classNames}
                  notes={scale === 'row' ? rowRanges.map(fmtRange) : undefined}
                />
                <PictureColumn
                  title="input"
                  rows={props.rows}
                  size={size}
                  pictures={props.sources}
                  labelOf={(r) => `Input #${r.input} (${classLabel(r.label, classNames)})`}
                />
                {columns.map((col) => (
                  <PictureColumn
                    key={col.channel}
                    title={`${name} #${col.channel}`}
                    channel={col.channel}
                    layer={props.layer}
                    rows={props.rows}
                    size={size}
                    testId="sbs-map"
                    pictures={props.rows.map((r, k) => {
                      const m = col.maps;
                      const i = m ? m.inputs.indexOf(r.input) : -1;
                      return m && i >= 0 ? { data: m.maps[i], h: m.h, w: m.w, c: 1, range: rowRanges[k] ?? m.range } : undefined;
                    })}
                    labelOf={(r) => `${name} #${col.channel} on input #${r.input} (${classLabel(r.label, classNames)})`}
                  />
                ))}
              </>
            )}
          </SideBySideGrid>
        </>
      )}
    </Card>
  );
}

function DeconvolutionsSideBySide(props: SideBySideProps): JSX.Element {
  const { manifest, classNames, ui } = useApp();
  const info = manifest.layers[props.layer];
  return (
    <Card
      class="wide channel-sbs-deconvolution"
      title={
        <>
          Deconvolutions of channels side by side, <LayerName layer={props.layer} /> at epoch {ui.epoch}
        </>
      }
      label="Deconvolutions of several channels side by side"
    >
      {props.caption}
      <p class="muted channel-caption">
        Each column is one channel's feature map projected back to input space; each projection is greyed to its channel's range over the
        sample inputs, so brightness compares down a column, shapes across columns.
      </p>
      <AllInputsNote what="The deconvolutions show one sample input of every class of the probe set." />
      {props.children}
      {props.rows.length > 0 && (
        <SideBySideGrid
          columns={props.channels.length + 1}
          label={`Deconvolutions of ${shortLayerName(info, manifest.layers)}, channels ${ranges(props.channels)}`}
          testId="sbs-deconvolutions"
        >
          {(size) => (
            <>
              <RowLabels rows={props.rows} size={size} classNames={classNames} />
              <PictureColumn
                title="input"
                rows={props.rows}
                size={size}
                pictures={props.sources}
                labelOf={(r) => `Input #${r.input} (${classLabel(r.label, classNames)})`}
              />
              {props.channels.map((c) => (
                <DeconvolutionColumn key={c} layer={props.layer} channel={c} rows={props.rows} size={size} />
              ))}
            </>
          )}
        </SideBySideGrid>
      )}
    </Card>
  );
}

/** One channel's deconvolutions down a column: its own query, its own status in place. */
function DeconvolutionColumn(props: { layer: number; channel: number; rows: GridRow[]; size: number }): JSX.Element {
  const { manifest, classNames, ui } = useApp();
  const name = manifest.layers[props.layer].name;
  const result = useQuery(queries.deconvolution(props.layer, props.channel, ui.epoch), 'channel');
  const answer = shown(result);
  const current = answer && answer.layer === props.layer && answer.channel === props.channel ? answer : undefined;
  const pictures = useMemo(() => {
    if (!current) return undefined;
    const [n = 0, h = 1, w = 1, c = 1] = current.projections.shape;
    const data = decodeFloat32(current.projections);
    const size = h * w * c;
    return props.rows.map((r) => {
      const i = current.inputs.indexOf(r.input);
      return i >= 0 && i < n
        ? { data: data.subarray(i * size, (i + 1) * size), h, w, c, range: [current.min, current.max] as [number, number] }
        : undefined;
    });
  }, [current, props.rows]);
  return (
    <PictureColumn
      title={`${name} #${props.channel}`}
      channel={props.channel}
      layer={props.layer}
      rows={props.rows}
      size={props.size}
      testId="sbs-projection"
      pictures={pictures}
      status={<ColumnStatus result={result} what={`the deconvolution of ${name} #${props.channel} at epoch ${ui.epoch}`} />}
      labelOf={(r) => `Deconvolution of ${name} #${props.channel} for input #${r.input} (${classLabel(r.label, classNames)})`}
    />
  );
}
