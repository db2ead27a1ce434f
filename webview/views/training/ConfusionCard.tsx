// The confusion matrix card of the Training view: asks the matrix at the shared epoch, keeps the
// cell whose inputs are listed, and lists them under the matrix.
import type { JSX } from 'preact';
import { max, sum } from 'd3-array';
import { format } from 'd3-format';
import type { ConfusionAnswer } from '../../../src/service/queries';
import { countScale } from '../../colours';
import { MatrixGrid } from '../../charts/confusionMatrix';
import { queries } from '../../plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, ColourLegend, EpochSlider, QueryStatus } from '../../ui';
import { CellInputs } from './CellInputs';
import { useSelectedCell } from './trainingState';

const pct = format('.1f');

export function ConfusionCard(props: { highlight: number | null }): JSX.Element {
  const { ui, manifest } = useApp();
  const result = useQuery(manifest.epochs.length ? queries.confusion(ui.epoch) : null, 'training');
  const answer = shown(result);
  const classCount = answer?.classNames.length ?? manifest.dataset.classNames.length;
  const [selected, setSelected] = useSelectedCell(classCount);
  const total = answer ? sum(answer.matrix, (r) => sum(r)) : 0;
  const correct = answer ? sum(answer.matrix, (r, t) => r[t] ?? 0) : 0;
  return (
    <Card
      title="Confusion matrix"
      label="Confusion matrix of the probe set at the selected epoch"
      class="confusion"
      export={answer && confusionExport(answer)}
      tools={<EpochSlider play />}
    >
      <QueryStatus result={result} what={`the confusion matrix at epoch ${ui.epoch}`} />
      {manifest.epochs.length === 0 && <p class="muted">No epoch recorded yet.</p>}
      {answer && (
        <>
          <p class="muted chart-note">
            Epoch {answer.epoch}: {correct} of {total} probe inputs predicted right ({total ? pct((100 * correct) / total) : '—'} %). Rows =
            true class, columns = predicted; darker = more inputs; an empty cell (0 inputs) is grey; the diagonal (right predictions) is
            outlined. Click a cell for its inputs.
          </p>
          <MatrixGrid
            answer={answer}
            highlight={props.highlight}
            selected={selected}
            onSelect={(c) => setSelected(selected && selected.t === c.t && selected.p === c.p ? null : c)}
          />
          <ColourLegend
            colour={countScale(max(answer.matrix, (r) => max(r)) ?? 0)}
            min={0}
            max={max(answer.matrix, (r) => max(r)) ?? 0}
            label="inputs per cell"
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
