/** The handler of every query kind, in the order of the vocabulary (src/contract/queries/index.ts). */
import { ablation } from './ablation';
import { capacityMatrix } from './capacityMatrix';
import { channelImportance } from './channelImportance';
import { channelImportanceEstimate } from './channelImportanceEstimate';
import { channelEntropies } from './channelEntropies';
import { channelPair } from './channelPair';
import { confusion } from './confusion';
import { deconvolution } from './deconvolution';
import { featureMaps } from './featureMaps';
import { findings } from './findings';
import type { HandlerTable } from './handler';
import { inputDiversity } from './inputDiversity';
import { inputs } from './inputs';
import { interSample } from './interSample';
import { layerCapacity } from './layerCapacity';
import { networkGraph } from './networkGraph';
import { run } from './run';
import { smallMultiples } from './smallMultiples';
import { training } from './training';
import { channelLabelInformation } from './channelLabelInformation';
import { informationPlane } from './informationPlane';

export const HANDLERS: HandlerTable = {
  run,
  training,
  confusion,
  inputs,
  featureMaps,
  channelEntropies,
  smallMultiples,
  interSample,
  inputDiversity,
  capacityMatrix,
  layerCapacity,
  channelPair,
  deconvolution,
  networkGraph,
  channelLabelInformation,
  informationPlane,
  ablation,
  channelImportance,
  channelImportanceEstimate,
  findings,
};

export type { Handler, HandlerTable } from './handler';
