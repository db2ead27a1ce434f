/**
 * The deconvolution (docs/estimators.md "Deconvolution") of a PyTorch run's checkpoint on ONNX
 * Runtime: one model per checkpoint (src/onnx/deconvnetModel.ts) walks back from any of its layers,
 * made once and kept with the checkpoint (NativeCheckpoint `useDerived`). A projection feeds the
 * target's output with one channel kept, for some inputs, and the inputs of the max poolings on its
 * way; the caller computes those forward values (the engine's native forward pass, shared with the
 * feature maps of the same inputs). The same definition as src/tfjs/deconvolution, which serves
 * TensorFlow.js runs and the layers this model refuses; the two differ by float rounding alone
 * (test/integration/native/nativeDeconvolution.test.ts).
 */
import { CancelledError } from '../analysis/errors';
import type { RunLayer } from '../contract/runFormat';
import { decodeOnnx } from '../onnx/decode';
import { DECONVNET_OUTPUT, deconvnetModel, deconvnetStartName, type DeconvnetPool } from '../onnx/deconvnetModel';
import { planCheckpoint } from '../onnx/plan';
import { NativeEngineError, type NativeCheckpoint } from './nativeForward';
import type { OrtModule, RuntimeSession } from './ortRuntime';
import { firstLine } from './ortRuntime';

/** One projection's values: `[count, ...input shape channels last]`, row-major. */
export interface NativeProjection {
  shape: number[];
  data: Float32Array;
}

export class NativeDeconvnet {
  private constructor(
    private readonly layers: readonly RunLayer[],
    private readonly session: RuntimeSession,
    private readonly ort: OrtModule,
    private readonly refused: readonly (string | undefined)[],
    private readonly pools: readonly DeconvnetPool[],
  ) {}

  /**
   * The model of `checkpoint` (each run layer 1..L a target), its session open.
   * @throws OnnxError ('unsupported') when no layer can be walked back natively; NativeEngineError when the runtime cannot load the model.
   */
  static async open(checkpoint: NativeCheckpoint): Promise<NativeDeconvnet> {
    const { layers } = checkpoint;
    const graph = decodeOnnx(checkpoint.bytes);
    const plan = planCheckpoint(graph);
    const targets = layers.slice(1).map((l) => l.name);
    const model = deconvnetModel(graph, { targets, feedable: new Set([graph.inputs[0].name, ...targets]), shapes: plan.shapes });
    const { session, ort } = await checkpoint.auxiliarySession(model.bytes, "the deconvolution's model of the checkpoint");
    return new NativeDeconvnet(layers, session, ort, [undefined, ...model.refused], model.pools);
  }

  /** Why layer `layer` is not projected natively (the caller projects it on TensorFlow.js), or undefined. */
  refusal(layer: number): string | undefined {
    if (layer <= 0 || layer >= this.layers.length) return `layer ${layer} is not a target`;
    return this.refused[layer];
  }

  /** The run layers (0 = the input) whose values for the same inputs {@link project} reads besides `layer`'s: the max poolings' inputs on its way. */
  poolLayers(layer: number): number[] {
    const target = layer - 1;
    return [...new Set(this.pools.filter((p) => p.targets.includes(target)).map((p) => this.layerOf(p.value)))];
  }

  /**
   * Channel `channel` of layer `layer` projected back to the input for `count` inputs: `values` is
   * the layer's output for them (`[count, C, ...]`, channels first as the checkpoint computes),
   * `pools` the values of {@link poolLayers} for the same inputs.
   * @throws NativeEngineError when the runtime fails; CancelledError when `signal` has aborted.
   */
  async project(o: {
    layer: number;
    channel: number;
    count: number;
    values: Float32Array;
    pools: ReadonlyMap<number, ArrayLike<number>>;
    signal?: AbortSignal;
  }): Promise<NativeProjection> {
    const why = this.refusal(o.layer);
    if (why) throw new NativeEngineError(`layer ${o.layer} has no native deconvolution: ${why}`);
    const shape = this.layers[o.layer].outputShape;
    const channels = shape[0];
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    if (o.values.length !== o.count * channels * per)
      throw new NativeEngineError(
        `layer ${o.layer}'s values hold ${o.values.length} numbers, ${o.count} inputs need ${o.count * channels * per}`,
      );
    if (!Number.isInteger(o.channel) || o.channel < 0 || o.channel >= channels)
      throw new RangeError(
        `channel must be an integer in [0, ${channels - 1}] (layer ${o.layer} has ${channels} channels), got ${o.channel}`,
      );
    // The start: the layer's output with every channel but the chosen one zero.
    const start = new Float32Array(o.values.length);
    for (let i = 0; i < o.count; i++) {
      const at = (i * channels + o.channel) * per;
      start.set(o.values.subarray(at, at + per), at);
    }
    const target = o.layer - 1;
    const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {};
    this.refused.forEach((r, l) => {
      if (l === 0 || r !== undefined) return;
      const dims = this.layers[l].outputShape;
      feeds[deconvnetStartName(l - 1)] =
        l === o.layer
          ? new this.ort.Tensor('float32', start, [o.count, ...dims])
          : new this.ort.Tensor('float32', new Float32Array(0), [0, ...dims]);
    });
    for (const pool of this.pools) {
      const layer = this.layerOf(pool.value);
      const dims = this.layers[layer].outputShape;
      if (!pool.targets.includes(target)) feeds[pool.input] = new this.ort.Tensor('float32', new Float32Array(0), [0, ...dims]);
      else {
        const values = o.pools.get(layer);
        const size = o.count * dims.reduce((a, b) => a * b, 1);
        if (!values || values.length !== size)
          throw new NativeEngineError(`the walk back from layer ${o.layer} reads layer ${layer}'s values for ${o.count} inputs, not given`);
        feeds[pool.input] = new this.ort.Tensor('float32', Float32Array.from(values), [o.count, ...dims]);
      }
    }
    if (o.signal?.aborted) throw new CancelledError();
    let out: Record<string, { data: unknown; dims: readonly number[] }>;
    try {
      out = await this.session.run(feeds, [DECONVNET_OUTPUT]);
    } catch (e) {
      throw new NativeEngineError(`ONNX Runtime failed on the deconvolution's model: ${firstLine(String((e as Error)?.message ?? e))}`);
    }
    const result = out[DECONVNET_OUTPUT];
    return { shape: [...result.dims], data: result.data as Float32Array };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  private layerOf(value: string): number {
    const l = this.layers.findIndex((layer, k) => k > 0 && layer.name === value);
    return l < 0 ? 0 : l;
  }
}
