// The Channel view's small multiples (paper Figs. 13–14): each channel's intra-sample entropy over
// epochs, with layers below for comparison on one y scale.
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { SmallMultiplesChart } from '../../charts/smallMultiples';
import { multiplesMaxBits } from '../../charts/multiplesSeries';
import { Toggle } from '../../charts/primitives';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { queries } from '../../../src/contract/plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { AllInputsNote, ClassLegend, sameLayer } from './channelCommon';
import type { CardProps } from './channelCommon';
import { MAX_BESIDE_LAYERS, useChannelSetting } from './channelViewState';
import { multiplesJson, multiplesTable } from './multiplesExport';

export function MultiplesCard(props: CardProps): JSX.Element {
  const { manifest, classNames, ui, focus } = useApp();
  const result = useQuery(queries.smallMultiples(props.layer), 'channel');
  const answer = sameLayer(shown(result), props.layer);
  const [sorted, setSorted] = useChannelSetting('sortMultiples');
  const [showAll, setShowAll] = useChannelSetting('showAllLine');
  const [besideSaved, setBeside] = useChannelSetting('besideLayers');
  const [sharedY, setSharedY] = useChannelSetting('sharedYScale');
  // The layers shown below this one (Fig. 14: lower against higher layers); never itself, each once.
  const beside = [...new Set(besideSaved)].filter((l) => l !== props.layer && l < manifest.layers.length);
  // Each layer below reports its own maximum, so one y scale can span every layer shown.
  const [besideMax, setBesideMax] = useState<Record<number, number>>({});
  const onMax = useCallback(
    (layer: number, max: number) => setBesideMax((old) => (old[layer] === max ? old : { ...old, [layer]: max })),
    [],
  );
  const name = shortLayerName(manifest.layers[props.layer], manifest.layers);
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
        <MultiplesTools
          layer={props.layer}
          sorted={[sorted, setSorted]}
          showAll={[showAll, setShowAll]}
          sharedY={[sharedY, setSharedY]}
          beside={beside}
          setBeside={setBeside}
        />
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
  const name = shortLayerName(manifest.layers[props.layer], manifest.layers);
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

/** The multiples' options: sort, the all-classes line, layers added below and their shared y scale. */
function MultiplesTools(props: {
  layer: number;
  sorted: [boolean, (v: boolean) => void];
  showAll: [boolean, (v: boolean) => void];
  sharedY: [boolean, (v: boolean) => void];
  beside: number[];
  setBeside: (layers: number[]) => void;
}): JSX.Element {
  const { manifest, ui } = useApp();
  const [sorted, setSorted] = props.sorted;
  const [showAll, setShowAll] = props.showAll;
  const [sharedY, setSharedY] = props.sharedY;
  const { beside, setBeside } = props;
  const addable = manifest.layers.filter((l) => l.index > 0 && l.index !== props.layer && !beside.includes(l.index));
  return (
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
  );
}
