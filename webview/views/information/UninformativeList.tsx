// The uninformative channels of the Information view's layer, with links into the Channel view.
import type { JSX } from 'preact';
import type { Bits, ChannelLabelInformationAnswer } from '../../../src/contract/queries';
import { UNINFORMATIVE_BITS } from '../../../src/analysis/labelInformation';
import { useApp } from '../../state';
import { LayerName } from '../../ui';
import { formatBits } from '../../../src/contract/format';

const at = (a: ChannelLabelInformationAnswer, e: number, channel: number): Bits => a.bits[e]?.[channel] ?? null;

/**
 * The uninformative channels, each with its value at the last epoch, a link that opens it in the
 * Channel view and a link to the layer's source line.
 */
export function UninformativeList(props: { answer: ChannelLabelInformationAnswer; layer: number; layerName: string }): JSX.Element {
  const { update } = useApp();
  const a = props.answer;
  const lastIndex = a.epochs.length - 1;
  const last = a.epochs[lastIndex];
  if (a.uninformative.length === 0) {
    return (
      <p class="muted chart-note ci-uninformative-none" data-testid="uninformative-none">
        No uninformative channel: every channel of {props.layerName} carries at least {UNINFORMATIVE_BITS} bit about the label at epoch{' '}
        {last}.
      </p>
    );
  }
  return (
    <div class="ci-uninformative">
      <p class="chart-note">
        <strong>
          {a.uninformative.length} uninformative channel{a.uninformative.length === 1 ? '' : 's'}
        </strong>{' '}
        (○, below {UNINFORMATIVE_BITS} bit about the label at epoch {last}): candidates to prune, or filters that have not learned yet.
      </p>
      <ul class="uninformative-list" aria-label={`Uninformative channels of ${props.layerName}`}>
        {a.uninformative.map((c) => (
          <li key={c} data-channel={c}>
            <button
              type="button"
              class="channel-link"
              data-channel={c}
              title={`Open channel ${c} of ${props.layerName} in the Channel view`}
              onClick={() => update({ tab: 'channel', focus: { layer: props.layer, channel: c } })}
            >
              #{c} → Channel view
            </button>{' '}
            <span class="muted">{formatBits(at(a, lastIndex, c))}</span> · <LayerName layer={props.layer} channel={c} />
          </li>
        ))}
      </ul>
    </div>
  );
}
