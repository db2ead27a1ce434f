// The Information view (docs/views.md "Information"): how much of what the layers and
// their channels carry is about the label, and how that moves during training. The information
// plane of every layer over the epochs (pairwise or binned estimator), the label information of
// each channel of the selected layer over the epochs with its uninformative channels, and the
// layer's redundancy (its capacity matrix with itself, sorted into blocks of near-duplicate
// channels, and the share of such pairs), and what ablating each of its channels costs against
// those measures (channel importance). Linked like the other views: the layer and channel picked
// here are the focus of every view, the epoch is the shared one, the input subset is the slice's.
import type { JSX } from 'preact';
import * as v from 'valibot';
import { EstimatorPicker } from '../../charts/informationPlane';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { importanceLayers, INFORMATION_ESTIMATORS, informationLayers, informationQueries } from '../../../src/contract/plan';
import { useApp, useQuery, useSchemaViewState } from '../../state';
import { EpochSlider } from '../../ui';
import { ChannelInformationCard } from './ChannelInformationCard';
import { ImportanceCard } from './ImportanceCard';
import { PlaneCard } from './PlaneCard';
import { RedundancyCard } from './RedundancyCard';
import { ReportSubsetNote } from '../query/ReportSubsetNote';

/** The information plane's estimator, persisted. */
const EstimatorSchema = v.picklist(INFORMATION_ESTIMATORS);

export function InformationView(): JSX.Element {
  const { manifest, ui, update, focus } = useApp();
  const [estimator, setEstimator] = useSchemaViewState('information.estimator', EstimatorSchema, 'pairwise');
  const subset = ui.slice.subset;
  const plane = useQuery(informationQueries.plane(estimator, subset), 'information');
  const multi = informationLayers(manifest);
  // The layers the picker offers: the multi-channel layers and the dense layers, whose units have an importance only.
  const layers = importanceLayers(manifest);
  // The layer of the cards: the focus when it is one of them, else the slice's first such layer.
  const layer = [ui.focus.layer, ...ui.slice.layers, multi[0] ?? layers[0]].find(
    (l): l is number => l !== null && l !== undefined && layers.includes(l),
  );
  const name = (l: number) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`);
  return (
    <>
      <div class="info-toolbar" role="group" aria-label="Information view settings">
        <EstimatorPicker value={estimator} onChange={setEstimator} caption="Estimator" />
        {layers.length > 0 && layer !== undefined && (
          <label>
            Layer{' '}
            <select
              aria-label="Layer of the channel cards"
              value={String(layer)}
              onChange={(e) => focus(Number((e.target as HTMLSelectElement).value))}
            >
              {layers.map((l) => (
                <option key={l} value={String(l)} title={manifest.layers[l].name}>
                  {name(l)}
                </option>
              ))}
            </select>
          </label>
        )}
        <EpochSlider />
      </div>
      <ReportSubsetNote still="the channel importance is measured on every probe input" />
      <PlaneCard result={plane} estimator={estimator} onLayer={(l, epoch) => update({ focus: { layer: l, channel: null }, epoch })} />
      {layer === undefined ? (
        <p class="status" role="note">
          This model has no layer with several channels after its input: there is no channel heatmap or redundancy to show.
        </p>
      ) : multi.includes(layer) ? (
        <>
          <ChannelInformationCard layer={layer} layerName={name(layer)} />
          <RedundancyCard layer={layer} layerName={name(layer)} />
          <ImportanceCard layer={layer} layerName={name(layer)} />
        </>
      ) : (
        <>
          <p class="status" role="note">
            {name(layer)} is a dense layer: its {manifest.layers[layer].outputShape[0]} units hold one value each, so it has no channel
            heatmap or redundancy; its channel importance takes each unit as a channel.
          </p>
          <ImportanceCard layer={layer} layerName={name(layer)} />
        </>
      )}
    </>
  );
}
