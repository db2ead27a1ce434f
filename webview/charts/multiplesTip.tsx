// What the small multiples say about one channel at one epoch: the tooltip's table of values and
// the sentence a screen reader announces when the keyboard cursor reaches it.
import type { ComponentChildren, JSX } from 'preact';
import type { SmallMultiplesAnswer } from '../../src/contract/queries';
import { formatBits } from '../../src/contract/format';
import type { Series } from './multiplesCanvas';

/** The screen reader's sentence for channel `channel` at epoch index `e`. */
export function describeMultiple(layerName: string, channel: number, a: SmallMultiplesAnswer, e: number, isDead: boolean): string {
  return `${layerName} channel ${channel}, epoch ${a.epochs[e]}: all classes ${formatBits(a.all[channel]?.[e] ?? null)}${isDead ? ', dead' : ''}. Enter selects it.`;
}

export function MultipleTip(props: {
  answer: SmallMultiplesAnswer;
  channel: number;
  epochIndex: number;
  series: Series[];
  layerName: string;
  dead: boolean;
}): JSX.Element {
  const { answer, channel, epochIndex } = props;
  const rows: ComponentChildren[] = [];
  // "all classes" first: it is the number most people look for.
  const ordered = [...props.series.filter((s) => !s.colour), ...props.series.filter((s) => s.colour)];
  for (const s of ordered) {
    const v = s.values[channel]?.[epochIndex] ?? null;
    rows.push(
      <tr key={s.label}>
        <td style={{ paddingRight: '10px' }}>
          <span class="swatch" style={{ background: s.colour || 'var(--vscode-foreground)' }} />
          {s.label}
        </td>
        <td class={v === null ? 'warning' : undefined} style={{ textAlign: 'right' }}>
          {formatBits(v)}
        </td>
      </tr>,
    );
  }
  return (
    <div class="multiples-tip">
      <strong>
        {props.layerName} #{channel}
      </strong>{' '}
      · epoch {answer.epochs[epochIndex]}
      {props.dead && <span class="warning"> · dead (0 for every probe input)</span>}
      <table style={{ borderCollapse: 'collapse', margin: '3px 0', fontVariantNumeric: 'tabular-nums' }}>
        <tbody>{rows}</tbody>
      </table>
      <span class="muted">click to select this channel</span>
    </div>
  );
}
