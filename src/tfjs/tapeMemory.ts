/**
 * A backward pass that frees the tape as it goes.
 *
 * TensorFlow.js (4.22, tfjs-core engine.ts `gradients` and tape.ts `backpropagateGradients`) walks
 * the tape from the loss back to the weights and keeps everything until the walk ends: each
 * node's saved tensors (the forward values its gradient reads) and the gradient of every
 * intermediate tensor. At the last node, the first convolution's filter gradient, the whole
 * forward pass and every gradient of it are in memory at once. Measured on a ResNet-50 at 32×32 on
 * the WebAssembly backend: 393 MB at the peak of one input's step (90 MB of it the weights) and
 * 123 MB more per input.
 *
 * Each node's saved tensors and the gradients of its outputs are read by that node's gradient
 * alone, and the walk is done with them once it moves to the node before. So when the walk calls
 * a node's gradient, this frees what the node after it held: its saved tensors (tfjs disposes them
 * again at the end, which is a no-op) and its outputs' gradients, except a gradient that the node
 * handed on unchanged as one of its inputs' (an identity's), a gradient the caller passed in, and
 * the gradients of the tensors asked for. The values computed are the same, bit for bit: only when
 * memory is released changes. Higher-order gradients (a gradient taken inside another's function)
 * keep tfjs's own walk.
 */
import type * as tfType from '@tensorflow/tfjs';

type Tensor = tfType.Tensor;

/** What the engine's tape holds per operation (tfjs-core tape.ts TapeNode). */
interface TapeNode {
  outputs: Tensor[];
  saved?: Tensor[];
  gradient?: (dys: (Tensor | null)[]) => Record<string, () => Tensor>;
}

/** The engine members this reads and wraps (tfjs-core engine.ts). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode: (this: EngineInternals, ...args: unknown[]) => void;
  gradients: (
    this: EngineInternals,
    f: () => Tensor,
    xs: Tensor[],
    dy?: Tensor,
    allowNoGradients?: boolean,
  ) => { value: Tensor; grads: Tensor[] };
  cnnSlicerFreesTape?: true;
}

/** One top-level backward pass: what may not be freed, and the node whose tensors wait to be. */
class Walk {
  private pending: { saved: Tensor[]; dys: (Tensor | null)[]; outputs: Tensor[]; handedOn: Set<Tensor> } | undefined;

  constructor(
    private readonly asked: ReadonlySet<number>,
    private readonly callerDy: Tensor | undefined,
  ) {}

  /** The walk is at `node`: the node after it is done. */
  enter(node: TapeNode, dys: (Tensor | null)[]): Set<Tensor> {
    this.free();
    const handedOn = new Set<Tensor>();
    this.pending = { saved: node.saved ?? [], dys, outputs: node.outputs, handedOn };
    return handedOn;
  }

  free(): void {
    const node = this.pending;
    this.pending = undefined;
    if (!node) return;
    for (const t of node.saved) if (!node.handedOn.has(t)) t.dispose();
    node.dys.forEach((dy, i) => {
      if (!dy || dy === this.callerDy || node.handedOn.has(dy) || this.asked.has(node.outputs[i]?.id)) return;
      dy.dispose();
    });
  }
}

/** Makes `tf`'s engine free each tape node's tensors once the backward pass is past it (idempotent). */
export function freeTapeAsItGoes(tf: typeof tfType): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.cnnSlicerFreesTape) return;
  engine.cnnSlicerFreesTape = true;
  let walk: Walk | undefined;

  const addTapeNode = engine.addTapeNode;
  engine.addTapeNode = function (this: EngineInternals, ...args: unknown[]) {
    addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    const gradient = node?.gradient;
    if (!node || !gradient) return;
    node.gradient = (dys) => {
      // Inside another gradient's function (depth > 0) the tape is tfjs's to keep.
      if (!walk || this.state.gradientDepth !== 0) return gradient(dys);
      const handedOn = walk.enter(node, dys);
      const grads = gradient(dys);
      const counted: Record<string, () => Tensor> = {};
      for (const [name, dx] of Object.entries(grads))
        counted[name] = () => {
          const t = dx();
          handedOn.add(t);
          return t;
        };
      return counted;
    };
  };

  const gradients = engine.gradients;
  engine.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients) {
    if (this.state.gradientDepth !== 0 || walk) return gradients.call(this, f, xs, dy, allowNoGradients);
    walk = new Walk(new Set(xs.map((x) => x.id)), dy);
    try {
      return gradients.call(this, f, xs, dy, allowNoGradients);
    } finally {
      walk = undefined;
    }
  };
}
