// The input diversity card of the Training view: asks the inter-sample entropy of the raw inputs
// per class and subset size, of the probe set or the whole dataset, and draws it as grouped bars.
import type { JSX } from 'preact';
import { CeilingNote, DiversityBars, filledClasses, groupName, sizeColour } from '../../charts/diversityBars';
import { queries } from '../../../src/contract/plan';
import { describeSubset } from '../../slice';
import { shown, useApp, useQuery } from '../../state';
import { Card, QueryStatus } from '../../ui';
import { Toggle } from '../../charts/primitives';
import { useDiversitySource } from './trainingState';

export function DiversityCard(props: { highlight: number | null }): JSX.Element {
  const [source, setSource] = useDiversitySource();
  const { manifest, ui, classNames } = useApp();
  // Sizes are per class everywhere (paper Fig. 5(B)): one answer holds each class's draws of n and
  // the "all" row, exactly their union.
  const result = useQuery(queries.inputDiversity(manifest, source), 'training');
  const answer = shown(result);
  const exportSpec = answer && {
    name: `input-diversity-${answer.source}`,
    table: () => ({
      columns: ['group', 'available inputs', 'inputs per class', 'inputs drawn', 'inter-sample entropy (bits)'],
      rows: answer.rows.flatMap((r) =>
        answer.sizes.map((s, i) => [groupName(r, answer.classNames), r.available, s, r.counts[i], r.bits[i]]),
      ),
    }),
    json: () => ({
      ...answer,
      note: 'sizes are inputs per class: a class row draws that many of its inputs; the "all" row is exactly the union of the class rows\' draws, sizes × the non-empty classes inputs (counts = inputs drawn, 0 where no value)',
    }),
  };
  const toggle = (
    <span class="source-toggle" role="group" aria-label="Inputs measured">
      {(['probe', 'dataset'] as const).map((s) => (
        <Toggle key={s} pressed={source === s} onClick={() => setSource(s)}>
          {s === 'probe' ? 'probe set' : 'whole dataset'}
        </Toggle>
      ))}
    </span>
  );
  return (
    <Card
      title="Input diversity"
      label="Inter-sample entropy of the inputs per class and subset size"
      class="diversity"
      export={exportSpec}
      tools={toggle}
    >
      <QueryStatus
        result={result}
        what={source === 'probe' ? 'the input diversity of the probe set' : 'the input diversity of the whole dataset'}
      />
      {ui.slice.subset.kind !== 'all' && (
        <p class="subset-note" role="note" data-testid="diversity-scope">
          The bars draw their own inputs, n per class: the slice's inputs ({describeSubset(ui.slice.subset, classNames)}) do not apply here.
        </p>
      )}
      {answer && result.status !== 'error' && (
        <>
          <div class="series-legend" data-testid="diversity-legend">
            <span class="muted">subset size:</span>
            {answer.sizes.map((s, i) => (
              <span key={s}>
                <span class="swatch" style={{ background: sizeColour(i, answer.sizes.length) }} />
                {s} per class
              </span>
            ))}
          </div>
          <DiversityBars answer={answer} highlight={props.highlight} />
          <p class="muted chart-note">
            Inter-sample entropy of the raw inputs (layer 0) of random subsets of the{' '}
            {answer.source === 'probe' ? 'probe set' : 'whole dataset'}, n inputs per class: a class's bar draws n of its inputs, the
            &quot;all&quot; bar is those {filledClasses(answer)} draws together, n × {filledClasses(answer)} inputs (
            {answer.sizes.map((n) => `${n * filledClasses(answer)}`).join(', ')}), as the paper's Fig. 5(B). It grows with the subset size,
            so compare bars of the same size (colour) across groups. <span class="warning">n/a</span> = the class (for &quot;all&quot;: some
            class) has fewer than n inputs.
          </p>
          <CeilingNote answer={answer} />
        </>
      )}
    </Card>
  );
}
