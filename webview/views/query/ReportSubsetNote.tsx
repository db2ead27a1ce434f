// In a report, the one note of a view whose charts need the slice's input subset when the report
// does not hold it: what is not held, what the report holds, and buttons that show a subset it does
// hold. Each chart that needs the subset then says only "not in this report for these inputs".
import type { JSX } from 'preact';
import type { InputSubset } from '../../../src/analysis/subsets';
import { holdsSubset } from '../../data';
import { describeSubset } from '../../slice';
import { useApp } from '../../state';
import { QUERY_DRAFT_KEY } from './queryState';

/** A class as a button names it: its name, "class 3" when the name is only its number (MNIST's digits). */
export function classLabel(classNames: readonly string[], c: number): string {
  const n = classNames[c];
  return n === undefined || n === String(c) ? `class ${c}` : n;
}

/** The classes a subset names, for the buttons that show each of them alone. */
function namedClasses(x: InputSubset): number[] {
  if (x.kind === 'classes') return x.classes;
  if (x.kind === 'perClass' && x.classes) return x.classes;
  return [];
}

/**
 * `still` says what the view shows whatever the subset (e.g. "the feature maps show the sample
 * inputs"); rendered only in a report that does not hold the applied subset.
 */
export function ReportSubsetNote(props: { still?: string }): JSX.Element | null {
  const { data, ui, update, classNames } = useApp();
  const x = ui.slice.subset;
  if (holdsSubset(data, x)) return null;
  const held = data.subsets ?? [];
  const named = new Set(namedClasses(x));
  // Offered first: the classes of the slice the report holds alone; else the first few it holds.
  const offers = held.filter((s) => s.kind === 'classes' && s.classes.length === 1 && named.has(s.classes[0]));
  const shown = (offers.length ? offers : held).slice(0, 10);
  const show = (subset: InputSubset) =>
    update((old) => {
      // The Query view's draft is dropped, so its slicer shows the new slice as applied.
      const views = { ...old.views };
      delete views[QUERY_DRAFT_KEY];
      return { slice: { ...old.slice, subset }, views };
    });
  const name = (s: InputSubset) => (s.kind === 'classes' && s.classes.length === 1 ? classLabel(classNames, s.classes[0]) : '');
  return (
    <div class="status not-in-report report-subset-note" role="status" data-testid="report-subset-note">
      <span>
        Not in this report: the answers for {describeSubset(x, classNames)}. This report holds them for all probe inputs
        {held.length ? ' and for each class alone' : ''}
        {props.still ? `; ${props.still}` : ''}. Show{' '}
      </span>
      <span class="subset-offers" role="group" aria-label="Input subsets this report holds">
        <button type="button" class="toggle" data-testid="report-subset-all" onClick={() => show({ kind: 'all' })}>
          all inputs
        </button>
        {shown.map((s) => (
          <button key={JSON.stringify(s)} type="button" class="toggle" data-testid="report-subset-offer" onClick={() => show(s)}>
            {name(s)}
          </button>
        ))}
      </span>
      <span> — or open the run in VS Code to compute any subset.</span>
    </div>
  );
}
