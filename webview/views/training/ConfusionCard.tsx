// The confusion matrix card of the Training view: asks the matrix at the shared epoch, keeps the
// cell whose inputs are listed, and lists them under the matrix.
import type { JSX } from 'preact';
import { max, sum } from 'd3-array';
import { format } from 'd3-format';
import type { ConfusionAnswer } from '../../../src/contract/queries';
import { countScale } from '../../colours';
import { MatrixGrid } from '../../charts/confusionMatrix';
import { fitWidth, useChartTheme, usePanelWidth } from '../../charts/common';
import { queries } from '../../../src/contract/plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, EpochSlider, QueryStatus } from '../../ui';
import { ColourLegend } from '../../charts/primitives';
import { CellInputs } from './CellInputs';
import { subsetConfusion } from './subsetConfusion';
import type { InputSubset } from '../../../src/analysis/subsets';
import { describeSubset } from '../../slice';
import { useMemo, useRef } from 'preact/hooks';
import { useSelectedCell } from './trainingState';

const pct = format('.1f');

export function ConfusionCard(props: { highlight: number | null; subset: InputSubset }): JSX.Element {
  const { ui, manifest, classNames } = useApp();
  const theme = useChartTheme();
  const result = useQuery(manifest.epochs.length ? queries.confusion(ui.epoch) : null, 'training');
  const whole = shown(result);
  // The slice's inputs: the cells of the answer over every probe input, restricted to them.
  const restricted = useMemo(() => {
    if (!whole || props.subset.kind === 'all') return whole;
    try {
      return subsetConfusion(whole, props.subset);
    } catch {
      return undefined;
    }
  }, [whole, props.subset]);
  const answer = restricted ?? whole;
  const ofSubset = props.subset.kind !== 'all' && restricted !== undefined;
  const x = describeSubset(props.subset, classNames);
  const classCount = answer?.classNames.length ?? manifest.dataset.classNames.length;
  const [selected, setSelected] = useSelectedCell(classCount);
  const total = answer ? sum(answer.matrix, (r) => sum(r)) : 0;
  const correct = answer ? sum(answer.matrix, (r, t) => r[t] ?? 0) : 0;
  const share = total ? pct((100 * correct) / total) : '—';
  // The matrix fits its card (smaller cells), or, with too many classes for that, scrolls in its own box right under it.
  const wrap = useRef<HTMLDivElement>(null);
  const room = fitWidth(usePanelWidth(wrap), Number.POSITIVE_INFINITY);
  return (
    <Card
      title="Confusion matrix"
      label={
        ofSubset
          ? "Confusion matrix of the slice's inputs at the selected epoch"
          : 'Confusion matrix of the probe set at the selected epoch'
      }
      class="confusion"
      export={answer && confusionExport(answer)}
      tools={<EpochSlider play />}
    >
      <QueryStatus result={result} what={`the confusion matrix at epoch ${ui.epoch}`} />
      {manifest.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
      {answer && (
        <>
          <p class="muted chart-note">
            Epoch {answer.epoch}: {correct} of {total} {ofSubset ? "of the slice's" : 'probe'} inputs predicted right ({share} %). Rows =
            true class, columns = predicted; the stronger the colour, the more inputs; an empty cell (0 inputs) is grey; the diagonal (right
            predictions) is outlined. Click a cell for its inputs.
          </p>
          {props.subset.kind !== 'all' && (
            <p class="subset-note" role="note" data-testid="confusion-scope" data-scope={ofSubset ? 'subset' : 'every'}>
              {ofSubset
                ? `Over the slice's inputs: ${x} (${total} probe input${total === 1 ? '' : 's'}).`
                : `Over every probe input: the inputs of each cell are not known at this epoch, so the slice's inputs (${x}) cannot be picked out.`}
            </p>
          )}
        </>
      )}
      {/* Always there, so the room is measured before the first answer arrives. */}
      <div ref={wrap} class="scroll-x confusion-scroll" data-scroll-x>
        {answer && (
          <MatrixGrid
            answer={answer}
            highlight={props.highlight}
            selected={selected}
            onSelect={(c) => setSelected(selected && selected.t === c.t && selected.p === c.p ? null : c)}
            maxWidth={room}
          />
        )}
      </div>
      {answer && (
        <>
          <ColourLegend
            colour={countScale(max(answer.matrix, (r) => max(r)) ?? 0, theme.background)}
            min={0}
            max={max(answer.matrix, (r) => max(r)) ?? 0}
            label="inputs per cell"
            format={(v) => String(Math.round(v))}
          />
          {selected && answer.cells && (
            <CellInputs
              trueClass={selected.t}
              predicted={selected.p}
              epoch={answer.epoch}
              indices={answer.cells[selected.t]?.[selected.p] ?? []}
              classNames={answer.classNames}
              onClose={() => setSelected(null)}
            />
          )}
          {selected && !answer.cells && <p class="muted">The inputs of each cell are not available for this epoch.</p>}
        </>
      )}
    </Card>
  );
}

function confusionExport(answer: ConfusionAnswer) {
  return {
    name: `confusion-matrix-epoch-${answer.epoch}`,
    table: () => ({
      columns: ['true class', 'predicted class', 'count', 'share of true class'],
      rows: answer.matrix.flatMap((row, t) => {
        const total = sum(row);
        return row.map((c, p) => [answer.classNames[t], answer.classNames[p], c, total ? c / total : null]);
      }),
    }),
    json: () => ({
      epoch: answer.epoch,
      classNames: answer.classNames,
      matrix: answer.matrix,
      cells: answer.cells,
      note: 'matrix[true][predicted]; cells = probe input indices',
    }),
  };
}
