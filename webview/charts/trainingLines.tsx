// Line charts over the recorded epochs, shared by the label-entropy charts (paper Fig. 4(B)/(C),
// Fig. 6) and the loss/accuracy chart (Fig. 4(E)). One SVG may stack several panels that share the
// epoch axis, so a card exports them as one picture.
//
// `null` values are undefined (an entropy with no input to measure), never 0: the line breaks there
// (`line().defined`), and panels that ask for it draw a marker on the x axis at each undefined point,
// so a gap cannot be mistaken for missing data or a drawing glitch.
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import { useTooltip } from './primitives';
import { CROSS, epochScale, M, panelLayout } from './epochLinesLayout';
import type { LinePanel } from './epochLinesLayout';
import { EpochTooltip, PanelMark } from './epochLinesMarks';
import { useEpochHover } from './useEpochHover';

export interface EpochLinesProps {
  epochs: number[];
  panels: LinePanel[];
  /** The shared epoch (`ui.epoch`), drawn as a vertical rule. */
  selectedEpoch: number;
  /** Key of the emphasised series; the others are faded. */
  highlight: string | null;
  onHighlight?: (key: string) => void;
  /** Clicking the plot (or Enter on a keyboard-chosen epoch) moves the shared epoch. */
  onEpoch?: (epoch: number) => void;
  /** Accessible summary of the whole chart. */
  label: string;
  width?: number;
  panelHeight?: number;
  /** Text for an undefined value in the tooltip, e.g. "undefined". */
  undefinedText?: string;
  /** Why a value is undefined, said once under the tooltip's table when the epoch has one. */
  undefinedNote?: string;
}

/** The undefined-value glyph, for legends and notes next to the chart. */
export function UndefinedGlyph(props: { colour?: string }): JSX.Element {
  return (
    <svg width="12" height="12" viewBox="-6 -6 12 12" aria-hidden="true" class="undefined-glyph">
      <g class="undefined-marker">
        <path d={CROSS} stroke-width="4" stroke-linecap="round" />
        <path d={CROSS} style={{ stroke: props.colour ?? 'var(--vscode-foreground)' }} stroke-width="1.6" stroke-linecap="round" />
      </g>
    </svg>
  );
}

export function EpochLines(props: EpochLinesProps): JSX.Element {
  const { epochs, panels } = props;
  const width = props.width ?? 470;
  const panelHeight = props.panelHeight ?? 200;
  const tooltip = useTooltip();
  const svgRef = useRef<SVGSVGElement>(null);
  const x = epochScale(epochs, width);
  const titled = panels.length > 1;
  const blockHeight = panelHeight + (titled ? M.title : 0);
  const height = blockHeight * panels.length;
  const hover = useEpochHover({
    svg: svgRef,
    epochs,
    x,
    selectedEpoch: props.selectedEpoch,
    tooltip,
    onEpoch: props.onEpoch,
    content: (i) => (
      <EpochTooltip
        i={i}
        epochs={epochs}
        panels={panels}
        titled={titled}
        highlight={props.highlight}
        undefinedText={props.undefinedText}
        undefinedNote={props.undefinedNote}
      />
    ),
  });
  return (
    <svg
      ref={svgRef}
      class="chart epoch-lines"
      width={width}
      height={height}
      role="img"
      aria-label={`${props.label}. Arrow keys move through the epochs, Enter selects one.`}
      tabIndex={0}
      onMouseMove={hover.onMove}
      onMouseLeave={hover.onLeave}
      onBlur={hover.onLeave}
      onKeyDown={hover.onKey}
      onClick={(e) => {
        const i = hover.nearest(e.clientX);
        if (i !== null) props.onEpoch?.(epochs[i]);
      }}
    >
      {panels.map((p: LinePanel, pi) => (
        <PanelMark
          key={p.id}
          panel={p}
          index={pi}
          layout={panelLayout(p, pi, epochs, blockHeight, panelHeight, titled)}
          epochs={epochs}
          x={x}
          width={width}
          blockHeight={blockHeight}
          titled={titled}
          selectedEpoch={props.selectedEpoch}
          hover={hover.hover}
          highlight={props.highlight}
          onHighlight={props.onHighlight}
          undefinedNote={props.undefinedNote}
          onMarker={hover.showOwn}
        />
      ))}
    </svg>
  );
}
