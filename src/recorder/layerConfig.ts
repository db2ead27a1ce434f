/**
 * What the layer table records of each layer's configuration: its options as a source gives them
 * (`RunLayer.args`, which the editor matches source definitions on), and which layers have their
 * channels first (`dataFormat: 'channelsFirst'` and the layers
 * that pass such an output on), so that the manifest's channels and the measures use the real
 * channel axis (docs/run-format.md "Channels-first layers").
 */
import type * as tfType from '@tensorflow/tfjs';
import { layerKind } from '../contract/layerKinds';

type LayersModel = tfType.LayersModel;
type AnyLayer = LayersModel['layers'][number];

/**
 * The layers whose output has its channels first: those with `dataFormat: 'channelsFirst'` (or a
 * batch normalisation over axis 1), the layers that pass such an output on with its rank (an
 * activation, dropout, an addition), and an input that only channels-first layers read.
 */
export function channelsFirstLayers(model: LayersModel): Set<AnyLayer> {
  const own = (layer: AnyLayer): 'channelsFirst' | 'channelsLast' | undefined => {
    const l = layer as unknown as { dataFormat?: string; axis?: number | number[] };
    if (l.dataFormat === 'channelsFirst' || l.dataFormat === 'channelsLast') return l.dataFormat;
    if (layerKind(layer.getClassName()).channelAxisOption) return l.axis === 1 ? 'channelsFirst' : 'channelsLast';
    return undefined;
  };
  const rank = (layer: AnyLayer): number => {
    const shape = layer.outputShape as unknown[];
    return (Array.isArray(shape[0]) ? (shape[0] as unknown[]) : shape).length;
  };
  const first = new Set<AnyLayer>();
  for (const layer of model.layers) {
    const format = own(layer);
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (format === 'channelsFirst') first.add(layer);
    else if (format === undefined && inbound.length > 0 && inbound.every((i) => first.has(i) && rank(i) === rank(layer))) first.add(layer);
  }
  for (const input of model.inputs) if (readersAreChannelsFirst(input.sourceLayer)) first.add(input.sourceLayer);
  return first;
}

/** True when every layer that reads `input` (an input layer) has `dataFormat: 'channelsFirst'`. */
function readersAreChannelsFirst(input: AnyLayer): boolean {
  const readers = input.outboundNodes.map((node) => node.outboundLayer as unknown as { dataFormat?: string });
  return readers.length > 0 && readers.every((r) => r.dataFormat === 'channelsFirst');
}

/** The layout of the model's first input: channels first when only channels-first layers read it. */
export function inputDataFormat(model: LayersModel): 'channelsFirst' | undefined {
  // A sequential model's inputLayers are empty until it is compiled; its input tensor knows its layer.
  const input = model.inputs[0]?.sourceLayer as AnyLayer | undefined;
  const rank = model.inputs[0]?.shape.length ?? 0;
  return input !== undefined && rank >= 3 && readersAreChannelsFirst(input) ? 'channelsFirst' : undefined;
}

/** The configuration arguments a source may give (RunLayer.args), as tfjs holds them. */
export function layerArgs(config: Record<string, unknown>): { args?: Record<string, string | number | number[]> } {
  const args: Record<string, string | number | number[]> = {};
  for (const key of ['filters', 'units', 'kernelSize', 'strides', 'padding', 'activation', 'poolSize', 'rate']) {
    const v = config[key];
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) args[key] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))) args[key] = v as number[];
  }
  return Object.keys(args).length ? { args } : {};
}
