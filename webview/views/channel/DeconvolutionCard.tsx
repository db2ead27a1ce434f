// The Channel view's deconvolution (paper Fig. 15): the selected channel projected back to input
// space for one sample input per class.
import type { JSX } from 'preact';
import { decodeFloat32 } from '../../../src/contract/queries';
import type { DeconvolutionAnswer } from '../../../src/contract/queries';
import { DeconvolutionFigure } from '../../charts/deconvolution';
import { Toggle } from '../../charts/primitives';
import type { Cell } from '../../export';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { queries, SAMPLE_INPUTS } from '../../../src/contract/plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { AllInputsNote } from './channelCommon';
import type { CardProps } from './channelCommon';
import { useChannelSetting } from './channelViewState';

export function DeconvolutionCard(props: CardProps): JSX.Element {
  const { manifest, classNames, ui, focus } = useApp();
  const info = manifest.layers[props.layer];
  const channel = props.focused ?? props.channels[0] ?? 0;
  const result = useQuery(queries.deconvolution(props.layer, channel, ui.epoch), 'channel');
  const inputsResult = useQuery(queries.inputs(SAMPLE_INPUTS), 'channel');
  const answer = shown(result);
  const [perImage, setPerImage] = useChannelSetting('deconvolutionContrast');
  // A stale answer (another layer or channel, while the new one loads) would be labelled wrongly.
  const current = answer && answer.layer === props.layer && answer.channel === channel ? answer : undefined;
  return (
    <Card
      class="channel-deconvolution"
      title={
        <>
          Deconvolution of <LayerName layer={props.layer} /> #{channel} at epoch {ui.epoch}
        </>
      }
      label="Deconvolution of the selected channel"
      tools={
        <>
          <Toggle
            pressed={perImage}
            title="Stretch each projection to its own range (faint ones show their shape; brightness no longer compares)"
            onClick={() => setPerImage(!perImage)}
          >
            Contrast per image
          </Toggle>
          {info.channels > 1 && (
            <label>
              Channel{' '}
              <select
                value={channel}
                aria-label="Channel to deconvolve"
                onChange={(e) => focus(props.layer, Number((e.target as HTMLSelectElement).value))}
              >
                {(props.channels.includes(channel) ? props.channels : [channel, ...props.channels]).map((c) => (
                  <option key={c} value={c}>
                    #{c}
                  </option>
                ))}
              </select>
            </label>
          )}
        </>
      }
      export={
        current && {
          name: `deconvolution-${shortLayerName(info, manifest.layers)}-${channel}-epoch-${current.epoch}`,
          table: () => deconvolutionTable(current, classNames),
          json: () => deconvolutionJson(current, classNames),
        }
      }
    >
      <p class="muted channel-caption">
        {props.focused !== null
          ? `The selected channel, #${channel}.`
          : `No channel selected, so channel #${channel} is shown: click a multiple or a circle to choose one.`}{' '}
        One sample input per class.
      </p>
      <AllInputsNote what="The deconvolution shows one sample input of every class of the probe set." />
      <QueryStatus result={result} what={`the deconvolution of ${shortLayerName(info, manifest.layers)} #${channel}`} />
      <QueryStatus result={inputsResult} what="the sample inputs" />
      {current && (
        <DeconvolutionFigure
          answer={current}
          inputs={shown(inputsResult)}
          classNames={classNames}
          layerName={shortLayerName(info, manifest.layers)}
          perImage={perImage}
        />
      )}
    </Card>
  );
}

function deconvolutionTable(a: DeconvolutionAnswer, classNames: string[]): { columns: string[]; rows: Cell[][] } {
  const [n = 0, h = 1, w = 1, c = 1] = a.projections.shape;
  const data = decodeFloat32(a.projections);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          rows.push([a.inputs[i], classNames[a.labels[i]] ?? a.labels[i], y, x, k, data[((i * h + y) * w + x) * c + k]]);
  }
  return { columns: ['input', 'class', 'y', 'x', 'c', 'value'], rows };
}

function deconvolutionJson(a: DeconvolutionAnswer, classNames: string[]): unknown {
  const [n = 0, h = 1, w = 1, c = 1] = a.projections.shape;
  const data = decodeFloat32(a.projections);
  const size = h * w * c;
  return {
    layer: a.layer,
    channel: a.channel,
    epoch: a.epoch,
    shape: [h, w, c],
    min: a.min,
    max: a.max,
    projections: Array.from({ length: n }, (_, i) => ({
      input: a.inputs[i],
      class: classNames[a.labels[i]] ?? a.labels[i],
      values: Array.from(data.subarray(i * size, (i + 1) * size)),
    })),
  };
}
