// The Query view (paper 5.1, Figs. 3–4): the run's findings first, then the architecture overview (the Network view or the layer
// table) and the hypercube slicer. The user edits a draft slice dCNN(x, l, c, t) — drag on the
// layer axis, drag on layer × channel, click an epoch, pick inputs — and the Query button applies
// it to the other views.
import type { JSX } from 'preact';
import type { RunManifest } from '../../../src/contract/runFormat';
import { HypercubeSlicer } from '../../charts/hypercube';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { canonicalSubset } from '../../../src/contract/plan';
import { describeSlice } from '../../slice';
import type { Draft } from '../../slice';
import { useApp } from '../../state';
import { Card } from '../../ui';
import { Toggle } from '../../charts/primitives';
import { NetworkView } from '../network/NetworkView';
import { ArchitectureTable } from './ArchitectureTable';
import { FindingsCard } from './FindingsCard';
import { ReportCoverage } from './ReportCoverage';
import { SliceResult } from './SliceResult';
import { SubsetPicker } from './SubsetPicker';
import { useDraft, useOverview } from './queryState';
import { formatShape } from '../../../src/contract/format';

export function QueryView(): JSX.Element {
  const { manifest, ui, update } = useApp();
  const applied: Draft = { ...ui.slice, epoch: ui.epoch };
  const [draft, setDraft] = useDraft(applied, manifest.layers.length, manifest.epochs);
  // Equal subsets are one query (every class checked is all inputs): applied as the report keys them.
  const canonical: Draft = { ...draft, subset: canonicalSubset(draft.subset, manifest.dataset.classNames.length) };
  const dirty = JSON.stringify(canonical) !== JSON.stringify(applied);
  // The overview: the network graph, the layer table one click away.
  const [overview, setOverview] = useOverview();
  const apply = () => {
    const { epoch, ...slice } = canonical;
    update({
      slice: { ...slice, layers: [...slice.layers].sort((a, b) => a - b) },
      epoch,
      ...(slice.layers.length ? { focus: { layer: slice.layers[0], channel: null } } : {}),
    });
  };
  return (
    <>
      <FindingsCard />
      <Card
        title="Architecture"
        label={
          overview === 'network'
            ? 'Architecture overview: the network as a graph of layers, their channel clusters and the capacity between them'
            : 'Architecture overview: every layer with its type, output shape, channels and parameters'
        }
        class="wide"
        export={architectureExport(manifest)}
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
        {dirty && <ReportCoverage draft={canonical} />}
        <HypercubeSlicer
          draft={draft}
          setDraft={setDraft}
          layers={manifest.layers}
          classNames={manifest.dataset.classNames}
          classCounts={manifest.probe.classCounts}
          epochs={manifest.epochs}
          focus={ui.focus}
        />
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
}

function architectureExport(manifest: RunManifest) {
  return {
    name: `architecture-${manifest.model.name}`,
    table: () => ({
      columns: ['index', 'name', 'type', 'outputShape', 'channels', 'parameters', 'source'],
      rows: manifest.layers.map((l) => [
        l.index,
        l.name,
        l.className,
        formatShape(l.outputShape, l.dataFormat),
        l.channels,
        l.parameters,
        l.source ? `${l.source.file}:${l.source.line}` : null,
      ]),
    }),
    json: () => manifest.layers,
  };
}
