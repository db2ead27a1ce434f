/**
 * The model as a directed acyclic graph over the run's layer axis (the network graph's nodes and edges):
 * which run layers feed each run layer. A sequential model is a chain; a graph model gives each
 * layer the layers of its node's inbound tensors, so residual adds and concatenates keep every
 * branch they join.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { RunLayer } from '../contract/runFormat';
import { layerKind } from '../contract/layerKinds';

/** For each run layer (0 = the input), the run layers whose outputs it reads, in the order it reads them, each once. */
export function layerInputs(model: tfType.LayersModel, layers: readonly RunLayer[]): number[][] {
  if (layerKind(model.getClassName()).sequential) return layers.map((_, l) => (l === 0 ? [] : [l - 1]));
  const indexOfName = new Map(layers.map((layer, l) => [layer.name, l]));
  const own = new Set(Object.values(model.nodesByDepth).flat());
  const inputNames = new Set(model.inputLayers.map((layer) => layer.name));
  return layers.map((layer, l) => {
    if (l === 0) return [];
    const modelLayer = model.getLayer(layer.name);
    // A layer nested in this model has its own node here; a nested model also has nodes inside itself.
    const node = modelLayer.inboundNodes.find((candidate) => own.has(candidate)) ?? modelLayer.inboundNodes[0];
    const sources: number[] = [];
    for (const tensor of node?.inputTensors ?? []) {
      const name = tensor.sourceLayer.name;
      const source = inputNames.has(name) ? 0 : indexOfName.get(name);
      if (source !== undefined && !sources.includes(source)) sources.push(source);
    }
    return sources;
  });
}
