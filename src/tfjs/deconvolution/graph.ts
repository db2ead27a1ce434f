/**
 * The graph a deconvolution walks: the layer calls between the model input and the target layer,
 * nested models opened up, in an order where every call follows its inputs.
 */
import type * as tfType from '@tensorflow/tfjs';
import { layerKind } from '../../contract/layerKinds';
import { DeconvolutionError, Layer, Op, Symbolic } from './steps';

/** The layer calls from the model input (exclusive) to the target tensor (inclusive), in an order where every call follows its inputs. */
export interface Graph {
  input: Symbolic;
  target: Symbolic;
  ops: Op[];
}

/** A model used as a layer: its own graph is walked instead of the call. */
function isNestedModel(layer: Layer): layer is Layer & { inputs: Symbolic[]; outputs: Symbolic[]; layers: Layer[] } {
  const l = layer as unknown as { inputs?: unknown; outputs?: unknown; layers?: unknown };
  return Array.isArray(l.layers) && Array.isArray(l.inputs) && Array.isArray(l.outputs);
}

/**
 * The part of the model's graph the target depends on, followed backwards from the target's output
 * tensor through each call's input tensors; nested models are opened up (their input tensors stand
 * for the tensors they were called on, their outputs for their calls' outputs). A layer called
 * several times appears once per call; a nested model called several times, a call with several
 * outputs or a dependency on another input is refused.
 */
export function graphTo(model: tfType.LayersModel, layerName: string): Graph {
  if (model.inputs.length !== 1) {
    throw new DeconvolutionError(`deconvolution needs a model with one input; this one has ${model.inputs.length}`);
  }
  let target: Layer;
  try {
    target = model.getLayer(layerName);
  } catch {
    throw new RangeError(`the model has no layer named '${layerName}'`);
  }
  const input = model.inputs[0];
  if (target === input.sourceLayer) return { input, target: input, ops: [] };
  // The target's call in this model. A nested model also has the node of its own construction,
  // which has no inbound layers; as the first layer of a sequential model it has only that node
  // (the outer model starts at its input), which then stands for the call.
  const nodes = target.inboundNodes.filter((node) => node.inboundLayers.length > 0);
  const calls = nodes.length === 0 && isNestedModel(target) ? target.inboundNodes.slice(0, 1) : nodes;
  if (calls.length !== 1) {
    throw new DeconvolutionError(
      `deconvolution needs layer '${layerName}' (${target.getClassName()}) to be called once, but it is called ${calls.length} times`,
      layerName,
    );
  }
  const bound = new Map<Symbolic, Symbolic>();
  const resolve = (tensor: Symbolic): Symbolic => {
    let t = tensor;
    for (;;) {
      const alias = bound.get(t);
      if (alias) {
        t = alias;
        continue;
      }
      const layer = t.sourceLayer;
      if (!isNestedModel(layer)) return t;
      const node = layer.inboundNodes[t.nodeIndex];
      layer.inputs.forEach((inner, i) => {
        const outer = node.inputTensors[i];
        const known = bound.get(inner);
        if (known && known !== outer) {
          throw new DeconvolutionError(
            `deconvolution cannot walk through nested model '${layer.name}': it is called more than once`,
            layer.name,
          );
        }
        if (outer !== inner) bound.set(inner, outer);
      });
      t = layer.outputs[t.tensorIndex];
    }
  };
  const ops: Op[] = [];
  const done = new Set<Symbolic>();
  const visiting = new Set<Symbolic>();
  const visit = (tensor: Symbolic): Symbolic => {
    const t = resolve(tensor);
    if (t === input || done.has(t)) return t;
    if (visiting.has(t))
      throw new DeconvolutionError(`the graph of the model has a cycle at layer '${t.sourceLayer.name}'`, t.sourceLayer.name);
    const layer = t.sourceLayer;
    if (layerKind(layer.getClassName()).input) {
      throw new DeconvolutionError(
        `layer '${layerName}' depends on '${layer.name}', which is not the model's input '${input.sourceLayer.name}'`,
        layerName,
      );
    }
    const node = layer.inboundNodes[t.nodeIndex];
    if (node.outputTensors.length !== 1) {
      throw new DeconvolutionError(
        `deconvolution cannot pass back through layer '${layer.name}' (${layer.getClassName()}), which has ${node.outputTensors.length} outputs`,
        layer.name,
      );
    }
    visiting.add(t);
    const inputs = node.inputTensors.map(visit);
    visiting.delete(t);
    done.add(t);
    ops.push({ layer, step: { kind: 'identity' }, inputs, output: t });
    return t;
  };
  const targetTensor = visit(calls[0].outputTensors[0]);
  return { input, target: targetTensor, ops };
}
