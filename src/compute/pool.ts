/**
 * A pool of worker threads that runs the expensive stages of the analysis core on every core:
 * the distance matrix and neighbour search of the inter-sample entropy, and the distance codes and
 * joint histograms of a capacity matrix. Results are identical to the single-threaded functions of
 * src/analysis (same code, same summation order); only the schedule differs. Every stage is cut
 * into small chunks that the workers take on demand (src/contract/protocols/compute.ts, ClaimsSchema), so a core busy
 * with another process slows a stage by its share, not by holding up a fixed half.
 *
 * This is the pool's one entry: the scheduler (scheduler.ts) and its stage APIs, the inter-sample
 * entropy's (interSampleStages.ts), the channel entropies' (intraSampleStages.ts) and the channel
 * capacity's (capacityStages.ts).
 */
import {
  SHARED_DISTANCE_MATRIX_BYTES,
  type CapacityMatrix,
  type DistanceCodes,
  type InterSampleResult,
  type SampleChannelEntropies,
} from '../analysis';
import type { SharedCodes } from '../contract/protocols/compute';
import { CapacityStages } from './capacityStages';
import { InterSampleStages } from './interSampleStages';
import { IntraSampleStages } from './intraSampleStages';
import { StageScheduler, type SchedulerOptions } from './scheduler';

export interface ComputePoolOptions extends SchedulerOptions {
  /** Largest shared distance matrix before the neighbour search streams rows (default 2 GiB; tests make it small). */
  sharedMatrixBytes?: number;
  /**
   * How long the layer buffer kept for the next layer's distance codes waits for one before it is
   * let go (ms; default: for the pool's life). A report, whose phases without capacity work last
   * tens of seconds, lets it go after a second rather than hold it beside its peak.
   */
  keptLayerIdleMs?: number;
  /** The fewest values of a layer whose channel entropies the workers take (intraSampleStages.ts; tests make it small). */
  sharedEntropyValues?: number;
}

export class ComputePool {
  private readonly scheduler: StageScheduler;
  private readonly interSample: InterSampleStages;
  private readonly capacity: CapacityStages;
  private readonly intraSample: IntraSampleStages;

  constructor(options: ComputePoolOptions = {}) {
    this.scheduler = new StageScheduler(options);
    this.interSample = new InterSampleStages(this.scheduler, options.sharedMatrixBytes ?? SHARED_DISTANCE_MATRIX_BYTES);
    this.capacity = new CapacityStages(this.scheduler, options.keptLayerIdleMs ?? Infinity);
    this.intraSample = new IntraSampleStages(this.scheduler, options.sharedEntropyValues);
  }

  /** The worker threads the pool runs (at least 1). */
  get size(): number {
    return this.scheduler.size;
  }

  /** The bytes of the layer buffer kept for the next layer's distance codes (0 when none). */
  get keptLayerBytes(): number {
    return this.capacity.keptLayerBytes;
  }

  /** Inter-sample entropy (paper 4.4.1) of `n` samples of `d` values on all workers (InterSampleStages). */
  interSampleEntropy(...args: Parameters<InterSampleStages['interSampleEntropy']>): Promise<InterSampleResult> {
    return this.interSample.interSampleEntropy(...args);
  }

  /** Inter-sample entropies of several subsets of one sample set from one distance matrix (InterSampleStages). */
  interSampleEntropies(...args: Parameters<InterSampleStages['interSampleEntropies']>): Promise<InterSampleResult[]> {
    return this.interSample.interSampleEntropies(...args);
  }

  /** Whether the workers take the channel entropies of `values` where they lie (IntraSampleStages). */
  takesFeatureMaps(...args: Parameters<IntraSampleStages['takes']>): boolean {
    return this.intraSample.takes(...args);
  }

  /** The intra-sample entropy of every feature map of a layer in shared memory, on all workers (IntraSampleStages). */
  featureMapEntropies(...args: Parameters<IntraSampleStages['featureMapEntropies']>): Promise<SampleChannelEntropies> {
    return this.intraSample.featureMapEntropies(...args);
  }

  /** Capacity matrix between every channel of `layerI` (columns) and of `layerJ` (rows), paper 5.3.1 (CapacityStages). */
  capacityMatrix(...args: Parameters<CapacityStages['capacityMatrix']>): Promise<CapacityMatrix> {
    return this.capacity.capacityMatrix(...args);
  }

  /** Capacity stage 1 for a whole layer: every channel's binned pair-distance codes, in shared memory (CapacityStages). */
  layerCodes(...args: Parameters<CapacityStages['layerCodes']>): Promise<SharedCodes[]> {
    return this.capacity.layerCodes(...args);
  }

  /** Prepares the buffer that layers of up to `bytes` are shared in for their distance codes (CapacityStages). */
  reserveLayerBuffer(bytes: number): Promise<void> {
    return this.capacity.reserveLayerBuffer(bytes);
  }

  /** Capacity stage 2: the matrix of `columns` × `rows` codes (from `layerCodes`), in chunks of columns (CapacityStages). */
  capacityFromCodes(...args: Parameters<CapacityStages['capacityFromCodes']>): Promise<CapacityMatrix> {
    return this.capacity.capacityFromCodes(...args);
  }

  /** Chosen cells `[row, column, …]` of a layer's capacity matrix with itself, from its codes (CapacityStages). */
  capacityCells(...args: Parameters<CapacityStages['capacityCells']>): Promise<Float64Array> {
    return this.capacity.capacityCells(...args);
  }

  /** Both cells of each channel pair `[c, d, …]` of a layer with itself, one joint histogram a pair (CapacityStages). */
  capacityPairCells(...args: Parameters<CapacityStages['capacityPairCells']>): Promise<Float64Array> {
    return this.capacity.capacityPairCells(...args);
  }

  /** The binned pair-distance codes of every channel of a layer, as src/analysis `layerDistanceCodes` gives them (CapacityStages). */
  layerDistanceCodes(...args: Parameters<CapacityStages['layerDistanceCodes']>): Promise<DistanceCodes[]> {
    return this.capacity.layerDistanceCodes(...args);
  }

  /** Stops the workers; pending computations reject. */
  close(): void {
    this.capacity.setKeptLayer(undefined);
    this.scheduler.close();
  }

  /**
   * Starts the workers now rather than at the first computation, so that loading them overlaps
   * other work (the recorder starts them while it loads the model and the dataset).
   */
  start(): void {
    this.scheduler.ensureWorkers();
  }
}
