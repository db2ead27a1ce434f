/**
 * The checkpoints of one run loaded as models: the two most recently used epochs stay loaded (a
 * view usually compares neighbouring epochs), with the extraction models built on each.
 */
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { checkLayerShapes, RunManifest } from '../run/format';
import { epochFolder } from '../run/paths';
import { layerOutputShapes, loadCheckpoint } from '../tfjs/forward';
import { QueryError } from './queries';

/** Epochs whose models stay loaded per run. */
export const MODELS_PER_RUN = 2;

export class CheckpointModels {
  private readonly models = new Map<number, tfType.LayersModel>();
  private readonly extractorsByEpoch = new Map<number, Map<number, tfType.LayersModel>>();

  constructor(
    private readonly runFolder: string,
    private readonly manifest: RunManifest,
    private readonly tf: () => Promise<typeof tfType>,
  ) {}

  /** The checkpoint folder of `epoch`. */
  checkpoint(epoch: number): string {
    return join(this.runFolder, 'checkpoints', epochFolder(epoch));
  }

  async get(epoch: number): Promise<tfType.LayersModel> {
    const known = this.models.get(epoch);
    if (known) {
      this.models.delete(epoch);
      this.models.set(epoch, known); // most recently used last
      return known;
    }
    const tf = await this.tf();
    const dir = this.checkpoint(epoch);
    let model: tfType.LayersModel;
    try {
      model = await loadCheckpoint(tf, dir, this.manifest.layers);
    } catch (e) {
      throw new QueryError(
        'run-format',
        `the checkpoint of epoch ${epoch} (${dir}) cannot be loaded: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    // A manifest that lies about a layer's shape would make the slicing code read past its arrays.
    try {
      checkLayerShapes(this.manifest, layerOutputShapes(model, this.manifest.layers), `the checkpoint of epoch ${epoch} (${dir})`);
    } catch (e) {
      model.dispose();
      throw new QueryError('run-format', (e as Error).message);
    }
    this.models.set(epoch, model);
    while (this.models.size > MODELS_PER_RUN) {
      const [oldest, m] = this.models.entries().next().value as [number, tfType.LayersModel];
      m.dispose();
      this.models.delete(oldest);
      this.extractorsByEpoch.delete(oldest);
    }
    return model;
  }

  /** The extraction models (one per layer) built on the model of `epoch`, reused across queries. */
  extractors(epoch: number): Map<number, tfType.LayersModel> {
    let e = this.extractorsByEpoch.get(epoch);
    if (!e) this.extractorsByEpoch.set(epoch, (e = new Map()));
    return e;
  }

  dispose(): void {
    for (const m of this.models.values()) m.dispose();
    this.models.clear();
    this.extractorsByEpoch.clear();
  }
}
