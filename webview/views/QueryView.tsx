// The Query view (paper 5.1, Figs. 3–4): the architecture overview (the Network view of issue 17,
// or the layer table) and the hypercube slicer. The
// user edits a draft slice dCNN(x, l, c, t) — drag on the layer axis, drag on layer × channel,
// click an epoch, pick inputs — and the Query button applies it to the other views.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { InputSubset } from '../../src/analysis/subsets';
import { HypercubeSlicer } from '../charts/hypercube';
import { interSampleCeiling, nearCeiling } from '../charts/diversityBars';
import { queries } from '../plan';
import { Draft, describeSlice, parseIndices } from '../slice';
import { ViewError } from '../data';
import { shortLayerName } from '../layerLabel';
import { shown, useApp, useQuery, useViewState } from '../state';
import { Card, fmtBits, fmtShape, LayerName, QueryStatus, Toggle } from '../ui';
import { NetworkView } from './NetworkView';

const isDraft = (v: unknown): v is Draft =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as Draft).layers) &&
  typeof (v as Draft).epoch === 'number' &&
  typeof (v as Draft).channels === 'object' &&
  typeof (v as Draft).subset === 'object';

type Overview = 'network' | 'table';
const isOverview = (v: unknown): v is Overview => v === 'network' || v === 'table';

export function QueryView(): JSX.Element {
  const { manifest, ui, update } = useApp();
  const applied: Draft = { ...ui.slice, epoch: ui.epoch };
  const [stored, setDraft] = useViewState<Draft>('query.draft', applied, isDraft);
  // A draft from an older run layout is dropped rather than trusted.
  const draft = stored.layers.every((l) => l < manifest.layers.length) && manifest.epochs.includes(stored.epoch) ? stored : applied;
  const dirty = JSON.stringify(draft) !== JSON.stringify(applied);
  // The overview: the network graph (issue 17), the layer table one click away.
  const [overview, setOverview] = useViewState<Overview>('query.overview', 'network', isOverview);
  const apply = () => {
    const { epoch, ...slice } = draft;
    update({
      slice: { ...slice, layers: [...slice.layers].sort((a, b) => a - b) },
      epoch,
      ...(slice.layers.length ? { focus: { layer: slice.layers[0], channel: null } } : {}),
    });
  };
  return (
    <>
      <Card
        title="Architecture"
        label={
          overview === 'network'
            ? 'Architecture overview: the network as a graph of layers, their channel clusters and the capacity between them'
            : 'Architecture overview: every layer with its type, output shape, channels and parameters'
        }
        class="wide"
        export={architectureExport()}
        tools={
          <span class="overview-toggle" role="group" aria-label="Architecture overview as">
            <Toggle pressed={overview === 'network'} data-testid="overview-network" onClick={() => setOverview('network')}>
              Network
            </Toggle>
            <Toggle pressed={overview === 'table'} data-testid="overview-table" onClick={() => setOverview('table')}>
              Table
            </Toggle>
          </span>
        }
      >
        {overview === 'network' ? <NetworkView /> : <ArchitectureTable draft={draft} setDraft={setDraft} />}
      </Card>
      <Card
        title="Hypercube slicer dCNN(x, l, c, t)"
        label="Hypercube slicer: choose inputs, layers, channels and an epoch, then press Query"
        class="wide"
        tools={
          <>
            <vscode-button
              onClick={apply}
              disabled={draft.layers.length === 0}
              aria-label="Query: apply this slice to the other views"
              data-testid="apply-query"
            >
              Query
            </vscode-button>
            {!dirty && <span class="muted">applied</span>}
          </>
        }
      >
        {dirty && <ReportCoverage draft={draft} />}
        <HypercubeSlicer draft={draft} setDraft={setDraft} />
        <SubsetPicker subset={draft.subset} setSubset={(subset) => setDraft({ ...draft, subset })} />
        <p class="slice-summary" data-testid="slice-summary">
          {describeSlice(
            draft,
            manifest.layers.map((l) => shortLayerName(l, manifest.layers)),
            manifest.dataset.classNames,
          )}
        </p>
      </Card>
      <Card title="Slice result" label="Inter-sample entropy of the applied slice at each selected layer">
        <SliceResult />
      </Card>
    </>
  );

  function architectureExport() {
    return {
      name: `architecture-${manifest.model.name}`,
      table: () => ({
        columns: ['index', 'name', 'type', 'outputShape', 'channels', 'parameters', 'source'],
        rows: manifest.layers.map((l) => [
          l.index,
          l.name,
          l.className,
          fmtShape(l.outputShape),
          l.channels,
          l.parameters,
          l.source ? `${l.source.file}:${l.source.line}` : null,
        ]),
      }),
      json: () => manifest.layers,
    };
  }
}

function ArchitectureTable(props: { draft: Draft; setDraft: (d: Draft) => void }): JSX.Element {
  const { manifest, ui, update } = useApp();
  const { draft, setDraft } = props;
  const toggle = (layer: number) => {
    const layers = draft.layers.includes(layer) ? draft.layers.filter((l) => l !== layer) : [...draft.layers, layer].sort((a, b) => a - b);
    setDraft({ ...draft, layers });
  };
  const totalParams = manifest.layers.reduce((s, l) => s + l.parameters, 0);
  return (
    <table class="data architecture" aria-label="Layers of the model">
      <thead>
        <tr>
          <th>Layer</th>
          <th>Type</th>
          <th>Output shape</th>
          <th>Channels</th>
          <th>Parameters</th>
          <th>Inter-sample H (epoch {ui.epoch})</th>
          <th>In slice</th>
        </tr>
      </thead>
      <tbody>
        {manifest.layers.map((l) => (
          <tr
            key={l.index}
            class={ui.focus.layer === l.index ? 'focused-row' : ''}
            data-layer={l.index}
            onClick={(e) => (e.target as HTMLElement).tagName === 'TD' && update({ focus: { layer: l.index, channel: null } })}
          >
            <td>
              <span class="muted">{l.index} </span>
              <LayerName layer={l.index} />
            </td>
            <td>{l.className}</td>
            <td>{fmtShape(l.outputShape)}</td>
            <td>{l.channels}</td>
            <td>{l.parameters.toLocaleString('en-US')}</td>
            <td>
              <InterSampleCell layer={l.index} />
            </td>
            <td>
              {l.index > 0 && (
                <input
                  type="checkbox"
                  checked={draft.layers.includes(l.index)}
                  aria-label={`Include ${l.name} in the slice`}
                  data-testid="layer-checkbox"
                  onChange={() => toggle(l.index)}
                />
              )}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <td colSpan={4} class="muted">
            {manifest.layers.length} layers · input {fmtShape(manifest.dataset.inputShape)} · {manifest.dataset.classNames.length} classes
          </td>
          <td>{totalParams.toLocaleString('en-US')}</td>
          <td colSpan={2} />
        </tr>
      </tfoot>
    </table>
  );
}

/**
 * In a report, warns before a slice is applied that the report cannot answer part of it (a report
 * holds the answers it was written with; any other subset, layer pair or epoch is missing). Asks the
 * report itself, with the queries the views will ask, so the warning never disagrees with them.
 */
function ReportCoverage(props: { draft: Draft }): JSX.Element | null {
  const { data, manifest } = useApp();
  const { draft } = props;
  const [missing, setMissing] = useState<string[]>([]);
  const key = JSON.stringify(draft);
  useEffect(() => {
    if (data.mode !== 'report') return;
    let live = true;
    const name = (l: number) => manifest.layers[l]?.name ?? String(l);
    const layers = [...draft.layers].sort((a, b) => a - b).slice(0, 8);
    const options = { view: 'query' as const };
    const checks: { what: string; ask: () => Promise<unknown> }[] = layers.map((l) => ({
      what: `the inter-sample entropy at ${name(l)}`,
      ask: () => data.query(queries.interSample(l, draft.epoch, draft.subset), options),
    }));
    const first = layers.find((l) => l > 0);
    if (first !== undefined)
      checks.push({
        what: `the channel entropies of ${name(first)}`,
        ask: () => data.query(queries.channelEntropies(first, draft.epoch, draft.subset), options),
      });
    const multi = layers.filter((l) => l > 0 && (manifest.layers[l]?.channels ?? 0) > 1);
    if (multi.length >= 2)
      checks.push({
        what: `the capacity of ${name(multi[0])} × ${name(multi[1])}`,
        ask: () => data.query(queries.capacityMatrix(multi[0], multi[1], draft.epoch, draft.subset), options),
      });
    void Promise.all(
      checks.map((c) =>
        c.ask().then(
          () => null,
          (e: unknown) => (e instanceof ViewError && e.code === 'not-in-report' ? c.what : null),
        ),
      ),
    ).then((found) => {
      if (live) setMissing(found.filter((w): w is string => w !== null));
    });
    return () => {
      live = false;
    };
  }, [key, data, manifest]);
  if (data.mode !== 'report' || missing.length === 0) return null;
  return (
    <p class="report-coverage" role="note" data-testid="report-coverage">
      This report cannot answer part of this slice: {missing.join('; ')}. After <em>Query</em> those charts will say &quot;not in this
      report&quot;; open the run in VS Code to compute them.
    </p>
  );
}

function InterSampleCell(props: { layer: number }): JSX.Element {
  const { ui } = useApp();
  const r = useQuery(queries.interSample(props.layer, ui.epoch, { kind: 'all' }), 'query');
  const a = shown(r);
  if (r.status === 'error')
    return (
      <span class="warning" title={r.error.message}>
        —
      </span>
    );
  return (
    <span title={a ? `${a.inputCount} inputs, k = ${a.K}` : undefined}>
      {a ? fmtBits(a.bits) : '…'}
      {a && <CeilingMark bits={a.bits} inputs={a.inputCount} />}
    </span>
  );
}

/**
 * Marks an inter-sample entropy at its ceiling log2(N(N−1)) for N inputs: there every pair of
 * inputs is told apart and the value counts inputs; it cannot rank layers any more.
 */
function CeilingMark(props: { bits: number | null; inputs: number }): JSX.Element | null {
  if (!nearCeiling(props.bits, props.inputs)) return null;
  const ceiling = fmtBits(interSampleCeiling(props.inputs));
  return (
    <span
      class="ceiling-badge"
      data-testid="ceiling-mark"
      title={`At its ceiling: log2(N(N−1)) = ${ceiling} for N = ${props.inputs} inputs. Every pair of inputs is told apart, so this value counts inputs rather than measuring diversity; use more inputs to compare layers.`}
    >
      {' '}
      at ceiling ({ceiling})
    </span>
  );
}

function SubsetPicker(props: { subset: InputSubset; setSubset: (s: InputSubset) => void }): JSX.Element {
  const { manifest } = useApp();
  const { subset, setSubset } = props;
  const classNames = manifest.dataset.classNames;
  const [customText, setCustomText] = useState(subset.kind === 'indices' ? subset.indices.join(', ') : '');
  const [customError, setCustomError] = useState('');
  const kinds: { kind: InputSubset['kind']; label: string }[] = [
    { kind: 'all', label: `All ${manifest.probe.size} probe inputs` },
    { kind: 'classes', label: 'Classes' },
    { kind: 'perClass', label: 'n per class' },
    { kind: 'indices', label: 'Custom' },
  ];
  const choose = (kind: InputSubset['kind']) => {
    if (kind === 'all') setSubset({ kind: 'all' });
    else if (kind === 'classes') setSubset({ kind: 'classes', classes: classNames.map((_, i) => i) });
    else if (kind === 'perClass') setSubset({ kind: 'perClass', count: 10, seed: 0 });
    else setSubset({ kind: 'indices', indices: parseIndices(customText, manifest.probe.size).indices ?? [0] });
  };
  return (
    <fieldset class="subset-picker">
      <legend>Inputs x</legend>
      <div role="radiogroup" aria-label="Input subset" class="subset-kinds">
        {kinds.map((k) => (
          <label key={k.kind}>
            <input
              type="radio"
              name="subset-kind"
              checked={subset.kind === k.kind}
              onChange={() => choose(k.kind)}
              data-testid={`subset-${k.kind}`}
            />{' '}
            {k.label}
          </label>
        ))}
      </div>
      {subset.kind === 'classes' && (
        <div class="class-legend" aria-label="Classes in the slice">
          {classNames.map((name, c) => (
            <label key={c}>
              <input
                type="checkbox"
                checked={subset.classes.includes(c)}
                onChange={() => {
                  const classes = subset.classes.includes(c)
                    ? subset.classes.filter((x) => x !== c)
                    : [...subset.classes, c].sort((a, b) => a - b);
                  if (classes.length) setSubset({ kind: 'classes', classes });
                }}
              />{' '}
              {name} <span class="muted">({manifest.probe.classCounts[c] ?? 0})</span>
            </label>
          ))}
        </div>
      )}
      {subset.kind === 'perClass' && (
        <div class="subset-row">
          <label>
            n ={' '}
            <input
              type="number"
              min={1}
              max={manifest.probe.size}
              value={subset.count}
              aria-label="Inputs per class"
              onChange={(e) => setSubset({ ...subset, count: Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value) || 1)) })}
            />
          </label>{' '}
          <label>
            seed{' '}
            <input
              type="number"
              min={0}
              value={subset.seed ?? 0}
              aria-label="Random seed"
              onChange={(e) => setSubset({ ...subset, seed: Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value) || 0)) })}
            />
          </label>
          <span class="muted"> drawn without replacement from each class of the probe set</span>
        </div>
      )}
      {subset.kind === 'indices' && (
        <div class="subset-row">
          <label>
            Probe inputs{' '}
            <input
              type="text"
              value={customText}
              placeholder="e.g. 0, 5, 10-20"
              aria-label="Probe input indices, comma separated, ranges with a dash"
              aria-invalid={customError !== ''}
              onInput={(e) => {
                const text = (e.target as HTMLInputElement).value;
                setCustomText(text);
                const r = parseIndices(text, manifest.probe.size);
                setCustomError(r.error ?? '');
                if (r.indices) setSubset({ kind: 'indices', indices: r.indices });
              }}
            />
          </label>
          {customError && <span class="warning"> {customError}</span>}
        </div>
      )}
    </fieldset>
  );
}

function SliceResult(): JSX.Element {
  const { ui } = useApp();
  const layers = ui.slice.layers;
  const rows = useMemo(() => layers.slice(0, 8), [layers]);
  if (!rows.length) return <p class="muted">Select layers in the slicer and press Query.</p>;
  return (
    <table class="data" aria-label="Inter-sample entropy of the slice per layer">
      <thead>
        <tr>
          <th>Layer</th>
          <th>Inputs</th>
          <th>Inter-sample H</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((l) => (
          <SliceRow key={l} layer={l} />
        ))}
      </tbody>
    </table>
  );
}

function SliceRow(props: { layer: number }): JSX.Element {
  const { ui } = useApp();
  const r = useQuery(queries.interSample(props.layer, ui.epoch, ui.slice.subset), 'query');
  // No stale number while a new slice computes: a table cell has no other way to show it is old.
  return (
    <tr>
      <td>
        <LayerName layer={props.layer} />
      </td>
      <td>{r.status === 'ready' ? r.answer.inputCount : ''}</td>
      <td aria-busy={r.status === 'loading'}>
        {r.status === 'ready' ? (
          <>
            {fmtBits(r.answer.bits)}
            <CeilingMark bits={r.answer.bits} inputs={r.answer.inputCount} />
          </>
        ) : r.status === 'loading' ? (
          <span class="muted">computing…</span>
        ) : (
          <QueryStatus result={r} what="the inter-sample entropy" compact />
        )}
      </td>
    </tr>
  );
}
