import type { JSX } from 'preact';
import { interSampleCeiling, nearCeiling } from '../../charts/diversityBars';
import { formatBits } from '../../format';

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
