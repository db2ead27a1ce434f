import type { JSX } from 'preact';
import { CompareCeilingNote } from '../../charts/compareCeiling';
import { LayerComparisonTable } from '../../charts/runComparison';
import type { RunLayerValues } from '../../charts/runComparison';
import { matchName, runLetter } from '../../compare';
import type { CompareEpochChoice, LayerMatch } from '../../compare';
import { Card } from '../../ui';

/** The layers side by side: the epochs compared, whether the architectures differ, and the table. */
export function LayerComparisonCard(props: {
  matches: LayerMatch[];
  /** Each run's values; undefined while the first are computed. */
  values: RunLayerValues[] | undefined;
  /** The epoch the values were asked at: each run's last, or one picked (each run then at its latest epoch up to it). */
  choice?: CompareEpochChoice;
  /** The epoch whose values are on their way (the values shown are still those of `choice`). */
  loading?: CompareEpochChoice;
  /** The epoch picker. */
  tools?: JSX.Element;
  /** The layer position selected (the editor's cursor, or a click on its row). */
  selected?: number;
  onSelect?: (position: number) => void;
}): JSX.Element {
  const choice = props.choice ?? 'last';
  const values = props.values ?? [];
  const differing = props.matches.filter((m) => !m.compared);
  const exportSpec = {
    name: 'layers-compared',
    table: () => ({
      columns: [
        'layer',
        ...values.flatMap((_, r) => [
          `run ${runLetter(r)} layer`,
          `run ${runLetter(r)} inter-sample entropy (bits)`,
          `run ${runLetter(r)} mean channel entropy (bits)`,
        ]),
      ],
      rows: props.matches.map((m) => [
        m.index,
        ...values.flatMap((v, r) => {
          const l = m.layers[r];
          return [
            l ? `${m.names[r]} (${l.name}, ${l.className})` : null,
            m.compared ? (v.interSample[m.indices[r] ?? -1] ?? null) : null,
            m.compared ? (v.meanChannel[m.indices[r] ?? -1] ?? null) : null,
          ];
        }),
      ]),
    }),
  };
  return (
    <Card
      title="Layers side by side"
      label="Inter-sample entropy and mean channel entropy of each layer, run by run"
      class="compare-layers"
      export={exportSpec}
      tools={props.tools}
    >
      {props.values && (
        <p class="muted chart-note compare-epochs-note">
          {choice === 'last' ? 'Each run at its last epoch' : `Each run at epoch ${choice}, or its latest recorded epoch before it`} (
          {values.map((v, r) => `${runLetter(r)}: ${v.epoch === undefined ? 'no such epoch' : `epoch ${v.epoch}`}`).join(', ')}). Layers are
          matched by the names given to them, then by type, output shape and order, as a diff matches lines. A bar's length is the value
          against the largest in its column; in the inter-sample column that is the highest ceiling log2(N(N−1)), and the tick on each bar
          is that run's own ceiling.
        </p>
      )}
      {props.loading !== undefined && (
        <p class="status" role="status">
          <vscode-progress-ring class="ring" aria-hidden="true" /> Computing the layers at{' '}
          {props.loading === 'last' ? 'each run’s last epoch' : `epoch ${props.loading}`}
          {props.values ? '; the values below are still those of the epochs named above' : ''}…
        </p>
      )}
      {differing.length > 0 && (
        <div class="compare-differences" role="note">
          <strong>The architectures differ.</strong>
          <ul>
            {differing.map((m) => (
              <li key={m.index} class="architecture-difference">
                {m.difference}
              </li>
            ))}
          </ul>
        </div>
      )}
      {props.values && <LayerComparisonTable matches={props.matches} values={values} selected={props.selected} onSelect={props.onSelect} />}
      {props.values && (
        <CompareCeilingNote
          items={props.matches
            .filter((m) => m.compared)
            .map((m) => ({
              name: matchName(m),
              bits: values.map((v, r) => v.interSample[m.indices[r] ?? -1]),
              inputs: values.map((v, r) => v.inputs[m.indices[r] ?? -1]),
            }))}
          runs={values.length}
          what="the layers"
          glyph="│"
          noun="layer compared"
        />
      )}
    </Card>
  );
}
