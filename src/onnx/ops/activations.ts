/**
 * The activations: Relu, LeakyRelu, Elu, Sigmoid, Tanh, Clip from 0 (ReLU6), HardSigmoid,
 * HardSwish, SiLU (exported as Sigmoid and Mul: x·σ(x), folded into one `swish` step), Softmax and
 * LogSoftmax over the classes. Each becomes the Keras activation of the same formula; the two that
 * TensorFlow.js lacks (PyTorch's hard sigmoid slope, log-softmax) are src/tfjs/torchLayers.ts's.
 */
import type { OnnxNode } from '../graph';
import type { OpHandler, Planner } from '../planner';

const activation =
  (name: string): OpHandler =>
  (p, node) => {
    const x = p.tensor(node, 0);
    p.step(node, 'Activation', { activation: name }, [x], x.shape);
  };

/** Sigmoid, or the σ(x) of x·σ(x) (SiLU), which the Mul that reads it makes one `swish` step of. */
function sigmoid(p: Planner, node: OnnxNode): void {
  const x = node.inputs[0];
  if (
    p.onlyFor(node.outputs[0], (reader) => reader.opType === 'Mul' && reader.inputs.includes(x) && reader.inputs.includes(node.outputs[0]))
  )
    p.set(node.outputs[0], { kind: 'fused', op: 'swish', x, node });
  else activation('sigmoid')(p, node);
}

/** HardSigmoid: max(0, min(1, αx + β)); the one of x·hardsigmoid(x) (HardSwish below opset 14) folds into its Mul. */
function hardSigmoid(p: Planner, node: OnnxNode): void {
  const x = node.inputs[0];
  if (
    p.onlyFor(node.outputs[0], (reader) => reader.opType === 'Mul' && reader.inputs.includes(x) && reader.inputs.includes(node.outputs[0]))
  ) {
    p.set(node.outputs[0], { kind: 'fused', op: 'hardSwish', x, node });
    return;
  }
  const v = p.tensor(node, 0);
  const config = { fn: 'hardSigmoid', alpha: p.num(node, 'alpha', 0.2), beta: p.num(node, 'beta', 0.5) };
  p.step(node, 'TorchActivation', config, [v], v.shape);
}

function hardSwish(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  p.step(node, 'TorchActivation', { fn: 'hardSwish', alpha: 1 / 6, beta: 0.5 }, [x], x.shape);
}

/** Clip from 0 to a maximum is a ReLU with that maximum (ReLU6); other bounds are refused. */
function clip(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  const bound = (i: number, attr: string, fallback: number): number => {
    if (node.inputs[i]) {
      const t = p.floats(node, i);
      if (t.data.length !== 1) p.refuse(node, `its ${attr} bound is not one number`);
      return t.data[0];
    }
    return p.num(node, attr, fallback);
  };
  const [min, max] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
  if (min !== 0) p.refuse(node, `a clip from ${min}; CNN Slicer imports clips from 0 (ReLU, ReLU6)`);
  p.step(node, 'ReLU', Number.isFinite(max) ? { maxValue: max } : {}, [x], x.shape);
}

/** Softmax and LogSoftmax over a vector of class scores. */
const classSoftmax =
  (className: 'Softmax' | 'LogSoftmax'): OpHandler =>
  (p, node) => {
    const x = p.tensor(node, 0);
    const axis = p.num(node, 'axis', p.opset >= 13 ? -1 : 1);
    if (x.shape.length !== 1 || (axis !== 1 && axis !== -1))
      p.refuse(
        node,
        `a ${className.toLowerCase()} over axis ${axis} of [N, ${x.shape.join(', ')}]; CNN Slicer imports it over the class scores [N, K]`,
      );
    p.step(node, className, { axis: -1 }, [x], x.shape);
  };

export const ACTIVATION_OPS: Readonly<Record<string, OpHandler>> = {
  Relu: (p, node) => {
    const x = p.tensor(node, 0);
    p.step(node, 'ReLU', {}, [x], x.shape);
  },
  LeakyRelu: (p, node) => {
    const x = p.tensor(node, 0);
    p.step(node, 'LeakyReLU', { alpha: p.num(node, 'alpha', 0.01) }, [x], x.shape);
  },
  Elu: (p, node) => {
    const x = p.tensor(node, 0);
    p.step(node, 'ELU', { alpha: p.num(node, 'alpha', 1) }, [x], x.shape);
  },
  Sigmoid: sigmoid,
  Tanh: activation('tanh'),
  Clip: clip,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Softmax: classSoftmax('Softmax'),
  LogSoftmax: classSoftmax('LogSoftmax'),
};
