// Pieces the Channel view's cards share: what each card is given, the class legend, the note on
// charts the slice's input subset cannot reach, and the guard against another layer's stale answer.
import type { JSX } from 'preact';
import type { InputSubset } from '../../../src/analysis/subsets';
import { classLabel } from '../../charts/common';
import type { GridPicture, GridRow } from '../../charts/sideBySide';
import { ALL_COLOUR, classColour } from '../../colours';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { describeSubset } from '../../slice';
import { useApp } from '../../state';

/** The classes an input subset keeps, or undefined when it can hold inputs of every class. */
export function subsetClasses(subset: InputSubset): number[] | undefined {
  if (subset.kind === 'classes') return [...subset.classes].sort((a, b) => a - b);
  if (subset.kind === 'perClass' && subset.classes) return [...subset.classes].sort((a, b) => a - b);
  return undefined;
}

/**
 * Said by a chart the slice's input subset cannot reach (its query takes no subset, or a fixed
 * sample), so that nobody reads it as the subset's picture.
 */
export function AllInputsNote(props: { what: string }): JSX.Element | null {
  const { ui, classNames } = useApp();
  if (ui.slice.subset.kind === 'all') return null;
  return (
    <p class="subset-note" role="note" data-testid="all-inputs-note">
      {props.what} The slice's inputs ({describeSubset(ui.slice.subset, classNames)}) do not apply here.
    </p>
  );
}

/**
 * The answer kept on screen while a new one loads, unless it is about another layer: the previous
 * epoch of the same layer avoids a flash, another layer's channels would be mislabelled.
 */
export function sameLayer<T extends { layer: number }>(answer: T | undefined, layer: number): T | undefined {
  return answer && answer.layer === layer ? answer : undefined;
}

export interface CardProps {
  layer: number;
  /** The channels shown, ascending. */
  channels: number[];
  focused: number | null;
}

export function ClassLegend(props: { classNames: string[]; showAll: boolean }): JSX.Element {
  return (
    <div class="class-legend" aria-label="Classes">
      {props.showAll && (
        <span>
          <span class="swatch" style={{ background: ALL_COLOUR }} />
          all classes
        </span>
      )}
      {props.classNames.map((_, k) => (
        <span key={k}>
          <span class="swatch" style={{ background: classColour(k, props.classNames.length) }} />
          {classLabel(k, props.classNames)}
        </span>
      ))}
    </div>
  );
}

/** What the side-by-side cards are given: the channels compared, the sample inputs' rows and pictures, and the shared caption. */
export interface SideBySideProps {
  layer: number;
  channels: number[];
  rows: GridRow[];
  sources: (GridPicture | undefined)[];
  caption: JSX.Element;
  field?: JSX.Element;
  children?: JSX.Element;
}

/**
 * A side-by-side column's heading: the layer's short label ("pool1") on its own line, cut with an
 * ellipsis when the column is narrow, and the channel number ("#3") on the next line, never cut,
 * so columns can be told apart at any width. The full tfjs name is on hover.
 */
export function ChannelHeading(props: { layer: number; channel: number }): JSX.Element {
  const { manifest } = useApp();
  const info = manifest.layers[props.layer];
  const short = info ? shortLayerName(info, manifest.layers) : `layer ${props.layer}`;
  return (
    <span class="sbs-heading" title={`${info?.name ?? short} (${info?.className ?? 'layer'}) channel ${props.channel}`}>
      <span class="sbs-heading-layer">{short}</span> <span class="sbs-heading-channel">#{props.channel}</span>
    </span>
  );
}
