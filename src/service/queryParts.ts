/** What a query is given (queryContext.ts): how it is asked and cancelled, and the engine's shared parts it works with. */
import type { ScreenedSelfCapacity } from '../analysis/nearDuplicates';
import type { ComputePool } from '../compute/pool';
import type { QueryPriority } from '../contract/queries';
import type { InitializedBackend } from '../tfjs/backend';
import type { DeconvolutionForward } from '../tfjs/deconvolution';
import type { Activations } from '../tfjs/forward';
import type { ActivationCache } from './activations';
import type { LayerCodesCache, SharedResults } from './layerCodes';
import type { SplitForward } from './splitForward';
import type { SubsetPasses } from './subsetPasses';

export interface QueryControl {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** How soon the answer is needed: waiting queries are computed in this order (queryQueue.ts). */
  priority?: QueryPriority;
  /** Who asked (a panel), for `AnalysisEngine.standBehind`. */
  asker?: string;
}

/** The engine's shared parts a query uses: TensorFlow.js, the compute pool, kept activations, the forward worker. */
export interface EngineParts {
  tf(): Promise<InitializedBackend>;
  computePool(): ComputePool;
  activations: ActivationCache;
  /** Capacity codes of whole layers, shared across queries. */
  layerCodes: LayerCodesCache;
  /** Activations of small input subsets, shared across queries (many channels of the same inputs). */
  subsetActivations: SharedResults<Activations>;
  /** Forward passes over small input subsets, paused between queries (a sweep over the layers runs one). */
  subsetPasses: SubsetPasses;
  splitForward: SplitForward;
  /** Each layer's screened capacity with itself (selfCapacity.ts), shared by the findings and `channelImportance`. */
  selfCapacities: SharedResults<ScreenedSelfCapacity>;
  /** The forward halves of deconvolutions (a layer's output for some inputs), shared by the queries for the layer's channels. */
  deconvolutionForwards: SharedResults<DeconvolutionForward>;
  /**
   * Each channel's label information of a layer (`channelLabelBits`), kept after the layer's codes
   * have gone: a few bytes per channel, where the codes are a byte per input pair.
   */
  labelBits: SharedResults<(number | undefined)[]>;
  /** Most bytes of layers a native pass over the probe set holds at once (EngineOptions `nativePassBytes`); undefined: the engine's default. */
  nativePassBytes?: number;
}
