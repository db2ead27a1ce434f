// Several channels side by side (Figs. 9 and 15): the same sample inputs, one column per channel.
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { decodeFloat32 } from '../../../src/contract/queries';
import type { InputsAnswer } from '../../../src/contract/queries';
import type { GridPicture, GridRow } from '../../charts/sideBySide';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { queries, SAMPLE_INPUTS } from '../../../src/contract/plan';
import { ranges } from '../../slice';
import { shown, useApp, useQuery } from '../../state';
import { QueryStatus } from '../../ui';
import { useSideBySideText } from './channelViewState';
import { comparedChannels } from './comparedChannels';
import { DeconvolutionsSideBySide } from './DeconvolutionsSideBySide';
import { FeatureMapsSideBySide } from './FeatureMapsSideBySide';

/** The rows of the side-by-side grids: the sample inputs, in the order the service returns them. */
function sampleRows(inputs: InputsAnswer | undefined): GridRow[] {
  return inputs ? inputs.inputs.map((input, i) => ({ input, label: inputs.labels[i] })) : [];
}

/** The input pictures of the rows (the grid's first column). */
function inputPictures(inputs: InputsAnswer | undefined, decoded: Float32Array | undefined): (GridPicture | undefined)[] {
  if (!inputs || !decoded) return [];
  const [n = 0, h = 1, w = 1, c = 1] = inputs.images.shape;
  return inputs.inputs.map((_, i) =>
    i < n ? { data: decoded.subarray(i * h * w * c, (i + 1) * h * w * c), h, w, c, range: [inputs.min, inputs.max] } : undefined,
  );
}

export function SideBySideCards(props: { layer: number; sliced: number[] }): JSX.Element {
  const { manifest } = useApp();
  const info = manifest.layers[props.layer];
  const [text, setText] = useSideBySideText(props.layer);
  // What is being typed, until Enter or leaving the field commits it; undefined shows the committed
  // text. Derived during render rather than copied in an effect: a copy made after the paint could
  // land between a keystroke and Enter and wipe what was typed. Keyed by layer at the call site.
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const commit = (value: string): void => {
    setText(value);
    setDraft(undefined);
  };
  const compared = comparedChannels(text, props.sliced, info.channels);
  const inputsResult = useQuery(queries.inputs(SAMPLE_INPUTS), 'channel');
  const inputs = shown(inputsResult);
  const decoded = useMemo(() => (inputs ? decodeFloat32(inputs.images) : undefined), [inputs]);
  const rows = useMemo(() => sampleRows(inputs), [inputs]);
  const sources = useMemo(() => inputPictures(inputs, decoded), [inputs, decoded]);
  const field = (
    <label class="sbs-field">
      Channels{' '}
      <input
        type="text"
        // Sized to what it shows, the typed list or the channels it stands for, so either is read whole.
        size={Math.min(48, Math.max(10, (draft ?? text ?? '').length + 2, ranges(compared.channels).length + 2))}
        value={draft ?? text}
        placeholder={ranges(compared.channels)}
        aria-label={`Channels of ${shortLayerName(info, manifest.layers)} shown side by side`}
        aria-invalid={compared.error && compared.from !== 'typed' ? true : undefined}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        onChange={(e) => commit((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
        }}
      />
    </label>
  );
  const source =
    compared.from === 'typed'
      ? 'the channels typed in the field'
      : compared.from === 'slice'
        ? "the slice's chosen channels (type others in the field)"
        : 'the first channels (choose channels in the Query view or type them in the field)';
  const caption = (
    <p class="muted channel-caption" data-testid="sbs-caption">
      Channels {ranges(compared.channels)} of {shortLayerName(info, manifest.layers)}: {source}. One row per sample input (one per class),
      one column per channel.
      {compared.error && (
        <span class="warning" role="alert">
          {' '}
          {compared.error}.
        </span>
      )}
    </p>
  );
  if (info.channels < 2) return <></>;
  return (
    <>
      <FeatureMapsSideBySide layer={props.layer} channels={compared.channels} rows={rows} sources={sources} field={field} caption={caption}>
        <QueryStatus result={inputsResult} what="the sample inputs" />
      </FeatureMapsSideBySide>
      <DeconvolutionsSideBySide layer={props.layer} channels={compared.channels} rows={rows} sources={sources} caption={caption}>
        <QueryStatus result={inputsResult} what="the sample inputs" />
      </DeconvolutionsSideBySide>
    </>
  );
}
