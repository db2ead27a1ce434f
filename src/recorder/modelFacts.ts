/**
 * What a run says about its model: the layers of the hypercube with their source locations, a
 * fingerprint that tells runs of the same model apart from others, and the check that the model
 * fits the dataset before anything is trained or written.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Dataset } from '../data/datasets';
import { channelsOf, type RunLayer } from '../run/format';
import { inputDataFormat } from './layerConfig';
import { LoadedModel, ModelError } from './modelLoader';

/** Throws a located ModelError when the model cannot take the dataset's inputs (its outputs are checked by src/recorder/outputs.ts). */
export function checkInputShape(loaded: LoadedModel, dataset: Dataset): void {
  const modelShape = loaded.model.inputs[0].shape.slice(1);
  const dataShape = dataset.shape.slice(1);
  const fits = modelShape.length === dataShape.length && modelShape.every((v, i) => v === null || v === dataShape[i]);
  if (!fits) {
    const first = loaded.layers.find((l) => l.source);
    throw new ModelError(
      `the model's input shape [${modelShape.map((v) => v ?? 'any').join(', ')}] does not fit the ${dataset.name} inputs [${dataShape.join(', ')}]; ` +
        `set inputShape: [${dataShape.join(', ')}] on the first layer or choose another dataset`,
      first?.source,
    );
  }
}

/** A short hash of the model's source files and layer table: runs of the same model share it. */
export function modelFingerprint(loaded: LoadedModel): string {
  const hash = createHash('sha256');
  for (const f of loaded.sourceFiles) if (existsSync(f)) hash.update(readFileSync(f));
  hash.update(JSON.stringify(loaded.layers.map((l) => [l.className, l.outputShape, l.parameters])));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Hypercube layers: 0 is the model input, then every model layer except input layers. Takes the
 * loaded model, or any model with its `layerTable` (benches and tests, without source locations).
 */
export function recordedLayers(loaded: Pick<LoadedModel, 'model' | 'layers'>): RunLayer[] {
  const input = loaded.model.inputs[0].shape.slice(1).map((v) => v ?? -1);
  const dataFormat = inputDataFormat(loaded.model);
  const layers: RunLayer[] = [
    {
      index: 0,
      name: 'input',
      className: 'Input',
      outputShape: input,
      channels: channelsOf(input, dataFormat),
      parameters: 0,
      ...(dataFormat ? { dataFormat } : {}),
    },
  ];
  for (const l of loaded.layers) {
    if (l.className === 'InputLayer') continue;
    layers.push({ ...l, index: layers.length });
  }
  return layers;
}
