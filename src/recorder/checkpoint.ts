/**
 * A checkpoint of the model as the bytes of its two files (model.json in the tfjs layers format and
 * weights.bin). Serialising needs TensorFlow.js, writing does not: the bytes go to the RunWriter,
 * which puts them in the run folder.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { CheckpointFiles } from '../run/writer';

/** The model's topology and weights, as a tfjs `model.json` and `weights.bin` would hold them. */
export async function serializeCheckpoint(model: tfType.LayersModel, tf: typeof tfType): Promise<CheckpointFiles> {
  let files: CheckpointFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      const weightData = artifacts.weightData ?? new ArrayBuffer(0);
      // tfjs may hand the weights over in several buffers; the file holds them end to end.
      const weights = Array.isArray(weightData) ? tf.io.CompositeArrayBuffer.join(weightData) : weightData;
      files = { modelJson: JSON.stringify(modelJson), weights: new Uint8Array(weights) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new Error('TensorFlow.js saved the model without handing over its files');
  return files;
}
