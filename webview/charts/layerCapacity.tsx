// Layer-level capacity between pairs of layers (paper 5.3: each whole layer output taken as one
// channel), as one bar chart so the information kept from layer to layer can be read down the
// network. A row activates to show its pair; a pair the user added has a remove button.
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { scaleLinear } from 'd3-scale';
import type { LayerCapacityAnswer } from '../../src/contract/queries';
import { useTooltip } from './primitives';

export interface PairSpec {
  i: number;
  j: number;
  kind: 'current' | 'consecutive' | 'custom';
}

/** One pair's row: its answer when known, what its label says instead, and the error when it failed. */
export interface CapacityRow {
  pair: PairSpec;
  answer: LayerCapacityAnswer | undefined;
  status: string;
  error: string | undefined;
}

export const pairKey = (p: { i: number; j: number }): string => `${p.i}-${p.j}`;

export function LayerCapacityBars(props: {
  rows: CapacityRow[];
  epoch: number;
  name: (layer: number) => string;
  onShow: (i: number, j: number) => void;
  onRemove: (i: number, j: number) => void;
}): JSX.Element {
  const tooltip = useTooltip();
  const { rows, name } = props;
  const maxBits = Math.max(1e-9, ...rows.map((r) => r.answer?.bits ?? 0));
  const barWidth = 200;
  const x = useMemo(() => scaleLinear().domain([0, maxBits]).range([0, barWidth]), [maxBits]);
  const labelWidth = 190;
  const rowH = 24;
  const width = labelWidth + barWidth + 150;
  const height = rows.length * rowH + 4;
  return (
    <svg
      class="chart"
      width={width}
      height={height}
      role="list"
      aria-label={`Layer-level capacity at epoch ${props.epoch} for ${rows.length} layer pairs`}
    >
      {rows.map((r, k) => {
        const { i, j } = r.pair;
        const y = k * rowH + 2;
        const bits = r.answer?.bits;
        const label = `${name(i)} → ${name(j)}${r.pair.kind === 'current' ? ' (shown)' : ''}`;
        const summary = `${name(i)} → ${name(j)}: ${r.status}`;
        return (
          <g key={pairKey(r.pair)} role="listitem" data-pair={pairKey(r.pair)} data-bits={bits ?? ''}>
            <g
              class="lc-row"
              role="button"
              tabIndex={0}
              aria-label={`${summary}. Show this pair's channel heatmap.`}
              onClick={() => props.onShow(i, j)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  props.onShow(i, j);
                }
              }}
              onMouseMove={(e) =>
                tooltip.show(
                  e.clientX,
                  e.clientY,
                  <div>
                    <div style={{ fontWeight: 600 }}>{summary}</div>
                    {r.answer && (
                      <div class="muted">
                        epoch {r.answer.epoch} · {r.answer.inputCount} inputs · {r.answer.bins} bins
                      </div>
                    )}
                    {r.error !== undefined && <div class="muted">{r.error}</div>}
                  </div>,
                )
              }
              onMouseLeave={() => tooltip.hide()}
            >
              <rect x={0} y={y} width={width - 24} height={rowH - 2} class={r.pair.kind === 'current' ? 'lc-bg current' : 'lc-bg'} />
              <text x={6} y={y + rowH / 2 + 3} font-weight={r.pair.kind === 'current' ? 700 : 400}>
                {label}
              </text>
              {bits !== undefined && bits !== null && (
                <rect class="lc-bar" x={labelWidth} y={y + 5} width={Math.max(1, x(bits))} height={rowH - 12} />
              )}
              {bits === null && <rect class="undefined-marker" x={labelWidth} y={y + 5} width={4} height={rowH - 12} />}
              <text
                x={labelWidth + (bits !== undefined && bits !== null ? x(bits) : 6) + 6}
                y={y + rowH / 2 + 3}
                class={r.error !== undefined ? 'lc-status' : ''}
              >
                {r.status}
              </text>
            </g>
            {r.pair.kind === 'custom' && (
              <g
                class="lc-remove"
                role="button"
                tabIndex={0}
                aria-label={`Remove ${name(i)} → ${name(j)} from the comparison`}
                onClick={() => props.onRemove(i, j)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    props.onRemove(i, j);
                  }
                }}
              >
                <rect x={width - 20} y={y} width={18} height={rowH - 2} class="lc-bg" />
                <text x={width - 15} y={y + rowH / 2 + 4}>
                  ✕
                </text>
              </g>
            )}
          </g>
        );
      })}
    </svg>
  );
}
