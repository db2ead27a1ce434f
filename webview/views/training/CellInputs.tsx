// The probe inputs in one confusion-matrix cell: their indices always (they come with the matrix),
// their pictures when the data source can read them (an `inputs` query: answered in VS Code; a
// standalone report does not precompute it and says so in place). Pictures are asked a page at a
// time, because a diagonal cell of a large probe set holds hundreds of inputs.
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { classColour } from '../../colours';
import { picturesByInput, Thumbnail } from '../../charts/cellInputs';
import { queries } from '../../../src/contract/plan';
import { shown, useQuery } from '../../state';
import { QueryStatus } from '../../ui';

const PAGE = 60;

export function CellInputs(props: {
  trueClass: number;
  predicted: number;
  epoch: number;
  indices: number[];
  classNames: string[];
  onClose: () => void;
}): JSX.Element {
  const { indices, classNames } = props;
  // A new cell starts again at the first page.
  const key = `${props.epoch}:${props.trueClass}:${props.predicted}`;
  const [page, setPage] = useState({ key, limit: PAGE });
  const limit = page.key === key ? page.limit : PAGE;
  const asked = indices.slice(0, limit);
  const result = useQuery(asked.length ? queries.inputs({ kind: 'indices', indices: asked }) : null, 'training');
  const answer = shown(result);
  const pictures = useMemo(() => (answer ? picturesByInput(answer) : new Map<number, ImageData>()), [answer]);
  const name = (c: number) => classNames[c] ?? String(c);
  const n = classNames.length;
  return (
    <div class="cell-inputs-panel" aria-live="polite">
      <div class="cell-inputs-header">
        <strong>
          <span class="swatch" style={{ background: classColour(props.trueClass, n) }} />
          true {name(props.trueClass)} → <span class="swatch" style={{ background: classColour(props.predicted, n) }} />
          predicted {name(props.predicted)}
        </strong>
        <span class="muted">
          {' '}
          at epoch {props.epoch}: {indices.length} probe input{indices.length === 1 ? '' : 's'}
        </span>
        <button type="button" class="icon-button" aria-label="Close the list of inputs" onClick={props.onClose}>
          ×
        </button>
      </div>
      {indices.length === 0 ? (
        <p class="muted" data-testid="cell-inputs">
          No probe input falls in this cell.
        </p>
      ) : (
        <>
          {result.status === 'error' && result.error.code === 'not-in-report' ? (
            // Expected in every report (it stores the cells, not the inputs' pixels): a note, not an alarm.
            <p class="muted pictures-note">This report holds no pictures of these inputs; open the run in VS Code to see them.</p>
          ) : (
            <QueryStatus result={result} what="the input pictures" />
          )}
          <ul
            class="cell-inputs"
            data-testid="cell-inputs"
            aria-label={`Probe inputs of true class ${name(props.trueClass)} predicted as ${name(props.predicted)}`}
          >
            {indices.map((i) => (
              <li key={i} data-testid="cell-input" data-index={i} title={`probe input #${i}`}>
                {result.status !== 'error' && <Thumbnail image={pictures.get(i)} />}
                <span class="input-index">#{i}</span>
              </li>
            ))}
          </ul>
          {indices.length > limit && result.status !== 'error' && (
            <button type="button" class="toggle" onClick={() => setPage({ key, limit: limit + PAGE })}>
              Show pictures of {Math.min(PAGE, indices.length - limit)} more
            </button>
          )}
        </>
      )}
    </div>
  );
}
