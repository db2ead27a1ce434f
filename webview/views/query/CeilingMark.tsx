import type { JSX } from 'preact';
import { interSampleCeiling, nearCeiling } from '../../charts/diversityBars';
import { formatBits } from '../../../src/contract/format';
import { undefinedWithReason } from '../../../src/contract/queries';

/**
 * An inter-sample entropy as the Query view writes it: its bits, or "undefined" with the reason the
 * answer gives ("all probe inputs are identical here"), never a number for a layer without one.
 */
export function InterSampleValue(props: { bits: number | null; reason?: string }): JSX.Element {
  if (props.bits !== null) return <>{formatBits(props.bits)}</>;
  return (
    <span class="muted" data-testid="inter-sample-undefined" title={props.reason}>
      {undefinedWithReason(props.reason)}
    </span>
  );
}

/**
 * Marks an inter-sample entropy at its ceiling log2(N(N−1)) for N inputs: there every pair of
 * inputs is told apart and the value counts inputs; it cannot rank layers any more.
 */
export function CeilingMark(props: { bits: number | null; inputs: number }): JSX.Element | null {
  if (!nearCeiling(props.bits, props.inputs)) return null;
  const ceiling = formatBits(interSampleCeiling(props.inputs));
  return (
    <span
      class="ceiling-badge"
      data-testid="ceiling-mark"
      title={`At its ceiling: log2(N(N−1)) = ${ceiling} for N = ${props.inputs} inputs. Every pair of inputs is told apart, so this value counts inputs rather than measuring diversity; use more inputs to compare layers.`}
    >
      {' '}
      at ceiling ({ceiling})
    </span>
  );
}
