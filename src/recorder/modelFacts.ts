/**
 * What a run says about its model: the layers of the hypercube with their source locations, a
 * fingerprint that tells runs of the same model apart from others, and the check that the model
 * fits the dataset before anything is trained or written.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Dataset } from '../data/datasets';
import { channelsOf } from '../analysis/layout';
import type { RunLayer } from '../contract/runFormat';
import { layerKind } from '../contract/layerKinds';
import { inputDataFormat } from './layerConfig';
import { LoadedModel, ModelError } from './modelLoader';
import { emptyOutputMessage } from './shapeErrorHint';

type AnyLayer = LoadedModel['model']['layers'][number];

/** A layer's input or output shape without its batch dimension (the first, when it has several). */
function shapeOf(shape: unknown): (number | null)[] | undefined {
  const first = Array.isArray(shape) && Array.isArray(shape[0]) ? (shape[0] as unknown[]) : shape;
  return Array.isArray(first) ? (first.slice(1) as (number | null)[]) : undefined;
}

/** What a layer reads: the output shape of the first layer it is called on, else its own input shape. */
function inputShapeOf(layer: AnyLayer): (number | null)[] {
  const inbound = layer.inboundNodes[0]?.inboundLayers[0];
  if (inbound) return shapeOf(inbound.outputShape) ?? [];
  return shapeOf((layer as unknown as { batchInputShape?: unknown }).batchInputShape) ?? [];
}

/**
 * Refuses a model with a layer whose output has a zero or negative dimension (a 5×5 kernel on a
 * 4×4 input), before anything trains or is written: backends would compute nothing (cpu) or write
 * outside their memory (wasm). The first such layer is named, at its source line; the layers
 * after it only inherit its empty output. Open dimensions (null) are not checked.
 * @throws ModelError located at that layer's definition.
 */
export function checkLayerShapes(loaded: Pick<LoadedModel, 'model' | 'layers'>): void {
  loaded.model.layers.forEach((layer, index) => {
    const outputShape = shapeOf(layer.outputShape) ?? [];
    if (!outputShape.some((d) => d !== null && d <= 0)) return;
    const message = emptyOutputMessage({
      layer: layer.name,
      className: layer.getClassName(),
      inputShape: inputShapeOf(layer),
      outputShape,
      config: layer.getConfig(),
    });
    throw new ModelError(message, loaded.layers[index]?.source);
  });
}

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
    if (layerKind(l.className).input) continue;
    layers.push({ ...l, index: layers.length });
  }
  return layers;
}
