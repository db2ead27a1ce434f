import type { Query, QueryKind } from '../../src/contract/queries';

/** One query of each kind about the fixture run (three layers, epochs 0–2, two classes of two inputs). */
export const SAMPLES: { [K in QueryKind]: Query[] } = {
  run: [{ kind: 'run' }],
  training: [{ kind: 'training' }],
  confusion: [
    { kind: 'confusion', epoch: 1 },
    { kind: 'confusion', epoch: 1, inputs: true },
  ],
  inputs: [{ kind: 'inputs', x: { kind: 'all' } }],
  featureMaps: [{ kind: 'featureMaps', layer: 1, channels: [0], epoch: 1, x: { kind: 'all' } }],
  channelEntropies: [
    { kind: 'channelEntropies', layer: 1, epoch: 1 },
    { kind: 'channelEntropies', layer: 1, epoch: 1, x: { kind: 'indices', indices: [0, 1] } },
  ],
  smallMultiples: [{ kind: 'smallMultiples', layer: 1 }],
  interSample: [
    { kind: 'interSample', layer: 1, epoch: 1 },
    { kind: 'interSample', layer: 1, epoch: 1, x: { kind: 'classes', classes: [1] } },
    { kind: 'interSample', layer: 1, epoch: 1, x: { kind: 'classes', classes: [5] } },
    { kind: 'interSample', layer: 1, epoch: 1, x: { kind: 'classes', classes: [0, 1] } },
  ],
  inputDiversity: [{ kind: 'inputDiversity', sizes: [3] }],
  capacityMatrix: [{ kind: 'capacityMatrix', layerI: 0, layerJ: 1, epoch: 1 }],
  layerCapacity: [{ kind: 'layerCapacity', layerI: 0, layerJ: 1, epoch: 1 }],
  channelPair: [{ kind: 'channelPair', layerI: 0, channelI: 0, layerJ: 1, channelJ: 0, epoch: 1 }],
  deconvolution: [{ kind: 'deconvolution', layer: 1, channel: 0, epoch: 1, x: { kind: 'all' } }],
  networkGraph: [{ kind: 'networkGraph', epoch: 1 }],
  channelLabelInformation: [{ kind: 'channelLabelInformation', layer: 1 }],
  informationPlane: [{ kind: 'informationPlane', estimator: 'binned' }],
  ablation: [{ kind: 'ablation', epoch: 1, layer: 1, channels: [0] }],
  channelImportance: [{ kind: 'channelImportance', epoch: 1, layer: 1 }],
  channelImportanceEstimate: [
    { kind: 'channelImportanceEstimate', epoch: 1 },
    { kind: 'channelImportanceEstimate', epoch: 1, layers: [1] },
  ],
  findings: [{ kind: 'findings' }, { kind: 'findings', epoch: 1 }],
};
