/**
 * The tail of a graph model after one of its run layers L: the nodes that read a value depending on
 * L, up to the model's output, and the run layers they read besides (a residual block's shortcut
 * from before L, the model's input). Channel ablation (src/service/ablationTail.ts) runs it on L's
 * ablated values, on the service's thread and, for the other half of the inputs, on the forward
 * worker (forwardWorker.ts): both build the same plan from the same model.
 */
import type * as tfType from '@tensorflow/tfjs';
import { CancelledError } from '../analysis/errors';
import type { RunLayer } from '../contract/runFormat';
import { layerKind } from '../contract/layerKinds';
import { forwardChunk, graphPlan } from './forward';
import type { GraphStep } from './forward';

type SymbolicTensor = tfType.SymbolicTensor;

export interface TailPlan {
  /** L's descendants, in the graph's order. */
  steps: GraphStep[];
  /** The tensor id of L's output, which the tail starts from. */
  fromId: number;
  /** The tensor id of the output, and its run layer. */
  outId: number;
  outLayer: number;
  /** The run layers the tail reads besides L's descendants, with their tensor ids. */
  sides: { layer: number; id: number }[];
  /** Readers per value within the tail (the output read once more, by the copy out). */
  readers: ReadonlyMap<number, number>;
}

/**
 * The tail of `model` after run layer `from` up to run layer `output`, or undefined where it does
 * not apply: a sequential model (its layers run from L's values alone), a layer applied more than
 * once (a nested model), an output that does not depend on L, a side value that is not a run
 * layer's output, or a model of several inputs.
 */
export function tailPlan(model: tfType.LayersModel, layers: readonly RunLayer[], from: number, output: number): TailPlan | undefined {
  // The output layer itself ablated: no layer after it to run (forwardFrom takes its values as they are).
  if (from >= output || layerKind(model.getClassName()).sequential || model.inputs.length !== 1) return undefined;
  // Each run layer's symbolic tensor, where it is one node's output of this model's own graph.
  const tensorOf = (l: number): SymbolicTensor | undefined => {
    if (l === 0) return model.inputs[0];
    const layer = model.getLayer(layers[l].name);
    return layer.inboundNodes.length === 1 ? layer.inboundNodes[0].outputTensors[0] : undefined;
  };
  const runOf = new Map<number, number>();
  for (let l = 0; l < layers.length; l++) {
    const t = tensorOf(l);
    if (t) runOf.set(t.id, l);
  }
  const start = tensorOf(from);
  const outTensor = tensorOf(output);
  if (!start || !outTensor) return undefined;
  // L's descendants: the steps reading a value that depends on L, in the graph's order.
  const downstream = new Set<number>([start.id]);
  const steps: GraphStep[] = [];
  for (const step of graphPlan(model, layers, [output], new Set([model.inputs[0].id]))) {
    if (!step.node.inputTensors.some((t) => downstream.has(t.id))) continue;
    steps.push(step);
    for (const t of step.node.outputTensors) downstream.add(t.id);
  }
  if (!downstream.has(outTensor.id)) return undefined;
  const sideIds = [...new Set(steps.flatMap((step) => step.node.inputTensors.map((t) => t.id)).filter((id) => !downstream.has(id)))];
  if (sideIds.some((id) => !runOf.has(id))) return undefined;
  const readers = new Map<number, number>();
  for (const step of steps) for (const t of step.node.inputTensors) readers.set(t.id, (readers.get(t.id) ?? 0) + 1);
  readers.set(outTensor.id, (readers.get(outTensor.id) ?? 0) + 1);
  return {
    steps,
    fromId: start.id,
    outId: outTensor.id,
    outLayer: output,
    sides: sideIds.map((id) => ({ layer: runOf.get(id)!, id })),
    readers,
  };
}

/**
 * The tail on `count` inputs for each of `blocks` (L's values, `count` rows each, one block per
 * ablation), a chunk of inputs at a time on the backend's own tensors (as many as a forward pass
 * takes, `forwardChunk`: fewer where the model's layers are wide), every block over a chunk
 * before the next chunk (the side values' tensors made once per chunk): `sides` holds each side
 * layer's values (by run layer, `count` rows); block k's output rows go to `outs[k]`.
 */
export async function runTailChunks(
  tf: typeof tfType,
  plan: TailPlan,
  layers: readonly RunLayer[],
  o: {
    fromLayer: number;
    blocks: readonly Float32Array[];
    sides: ReadonlyMap<number, Float32Array>;
    count: number;
    outs: readonly Float32Array[];
    signal?: AbortSignal;
  },
): Promise<void> {
  const n = o.count;
  const per = (l: number) => layers[l].outputShape.reduce((a, b) => a * b, 1);
  const fromPer = per(o.fromLayer);
  const outPer = per(plan.outLayer);
  const chunk = forwardChunk(layers);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const count = end - start;
    const sides = new Map(
      plan.sides.map(({ layer, id }) => {
        const p = per(layer);
        return [id, tf.tensor(o.sides.get(layer)!.subarray(start * p, end * p), [count, ...layers[layer].outputShape])] as const;
      }),
    );
    try {
      for (let k = 0; k < o.blocks.length; k++) {
        if (o.signal?.aborted) throw new CancelledError();
        const from = tf.tensor(o.blocks[k].subarray(start * fromPer, end * fromPer), [count, ...layers[o.fromLayer].outputShape]);
        const y = runTail(tf, plan, from, sides);
        try {
          o.outs[k].set(await y.data(), start * outPer);
        } finally {
          y.dispose();
        }
      }
    } finally {
      tf.dispose([...sides.values()]);
    }
  }
}

/**
 * The tail's steps in order on `from` (L's values, disposed here) and the `sides` (kept for the
 * caller), each value disposed once its last reader has run. Returns the output's tensor.
 */
function runTail(tf: typeof tfType, plan: TailPlan, from: tfType.Tensor, sides: ReadonlyMap<number, tfType.Tensor>): tfType.Tensor {
  const values = new Map<number, tfType.Tensor>([[plan.fromId, from]]);
  const left = new Map(plan.readers);
  const owned = new Set<tfType.Tensor>([from]);
  const release = (id: number) => {
    const k = (left.get(id) ?? 0) - 1;
    left.set(id, k);
    const t = values.get(id);
    if (k > 0 || !t) return;
    values.delete(id);
    // A layer that is the identity at inference hands back its input tensor: disposed once no value holds it.
    if (owned.has(t) && ![...values.values()].includes(t)) {
      owned.delete(t);
      t.dispose();
    }
  };
  try {
    for (const step of plan.steps) {
      const { node } = step;
      const inputs = node.inputTensors.map((t) => values.get(t.id) ?? sides.get(t.id)!);
      const args = { ...node.callArgs, training: false };
      const y = tf.tidy(() => node.outboundLayer.apply(inputs.length === 1 ? inputs[0] : inputs, args) as tfType.Tensor | tfType.Tensor[]);
      const outputs = Array.isArray(y) ? y : [y];
      node.outputTensors.forEach((t, k) => {
        if (!left.has(t.id)) {
          if (!owned.has(outputs[k]) && !inputs.includes(outputs[k])) outputs[k].dispose();
          return;
        }
        values.set(t.id, outputs[k]);
        if (!inputs.includes(outputs[k]) || !sides.has(node.inputTensors[inputs.indexOf(outputs[k])].id)) owned.add(outputs[k]);
      });
      for (const t of node.inputTensors) if (!sides.has(t.id)) release(t.id);
    }
    const result = values.get(plan.outId)!;
    values.delete(plan.outId);
    owned.delete(result);
    // Returned to the caller, who disposes it (a side value is cloned, so the caller never disposes one it does not own).
    return sides.has(plan.outId) ? result.clone() : result;
  } finally {
    for (const t of owned) t.dispose();
  }
}
