import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import type { InputDiversityAnswer } from '../../../src/contract/queries';
import { usePanelWidth } from '../../charts/common';
import { DiversityComparisonBars, diversityGroupName } from '../../charts/runComparison';
import { runLetter } from '../../compare';
import { Card } from '../../ui';
import { Toggle } from '../../charts/primitives';

/** Each run's input diversity at one subset size, picked among the sizes the runs share. */
export function DiversityComparisonCard(props: {
  answers: (InputDiversityAnswer | undefined)[];
  sizeIndex: number;
  /** Class names shared by the comparison (the run with the most classes). */
  classNames: string[];
  onSize(i: number): void;
}): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const width = Math.max(320, Math.min(900, usePanelWidth(ref) - 40));
  const first = props.answers.find((a) => a !== undefined);
  const sizes = first?.sizes ?? [];
  const s = Math.min(props.sizeIndex, Math.max(0, sizes.length - 1));
  const groupName = (g: number) => diversityGroupName(g, props.classNames);
  const exportSpec = first && {
    name: 'input-diversity-compared',
    table: () => ({
      columns: ['run', 'group', 'subset size', 'inter-sample entropy (bits)'],
      rows: props.answers.flatMap((a, r) =>
        a ? a.rows.flatMap((row, g) => a.sizes.map((size, i) => [runLetter(r), groupName(g), size, row.bits[i]])) : [],
      ),
    }),
  };
  const tools = (
    <span class="source-toggle" role="group" aria-label="Subset size">
      {sizes.map((size, i) => (
        <Toggle key={size} pressed={i === s} onClick={() => props.onSize(i)}>
          {size} per class
        </Toggle>
      ))}
    </span>
  );
  return (
    <Card
      title="Input diversity"
      label="Inter-sample entropy of each run's probe inputs per class"
      class="compare-diversity"
      export={exportSpec}
      tools={tools}
    >
      {!first && <p class="muted">No run has an input-diversity answer.</p>}
      {first && (
        <div ref={ref}>
          <DiversityComparisonBars answers={props.answers} sizeIndex={s} classNames={props.classNames} width={width} />
        </div>
      )}
    </Card>
  );
}
