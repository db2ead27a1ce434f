/**
 * Which output of the user's model the label measures read, and what kind of output it is: class
 * scores (softmax, or logits), one sigmoid unit of a binary classifier, or an output that gives no
 * class prediction at all (a regression or an embedding), whose runs get every measure that needs
 * no predicted class and say why the others are absent.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { RunLayer, RunOutput } from '../contract/runFormat';
import { layerKind } from '../contract/layerKinds';
import { ModelError, SourceLocation } from './modelLoader';

/** The output the label measures read, with how it turns into class scores. */
export interface ChosenOutput extends RunOutput {
  /** Its position in `model.outputs`. */
  outputIndex: number;
  /** Values per input (the last axis of the output). */
  units: number;
}

/** The activation a layer applies last, by its config (`linear` for a layer without one). */
function activationOf(layer: tfType.layers.Layer): string {
  if (layerKind(layer.getClassName()).activation === 'softmax') return 'softmax';
  const activation = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof activation === 'string' ? activation : 'linear';
}

/** What an output of `units` values with `activation` is, for a dataset of `classes` classes. */
function kindOf(units: number, rank: number, activation: string, classes: number): RunOutput['kind'] {
  if (rank !== 2) return 'none';
  if (units === classes && classes >= 2) return activation === 'linear' ? 'logits' : 'softmax';
  if (units === 1 && classes === 2 && activation === 'sigmoid') return 'binary';
  return 'none';
}

/**
 * Picks the output the label measures read: the one a model module names with
 * `export const classificationOutput = '<layer name>'`, else the first whose shape gives one score
 * per class (or one sigmoid unit for two classes), else the first output — which then gives no
 * class predictions, and the run says why.
 * @throws ModelError when the named output does not exist, or when an output is plainly meant as a
 * classifier of another number of classes (a softmax over other classes, one sigmoid unit on a
 * dataset of more than two classes): those are mistakes, not regressions.
 */
export function chooseOutput(
  model: tfType.LayersModel,
  dataset: { name: string; classNames: readonly string[] },
  options: { exportedName?: string; location?: SourceLocation } = {},
): ChosenOutput {
  const classes = dataset.classNames.length;
  const candidates = model.outputs.map((output, outputIndex) => {
    const layer = (output as unknown as { sourceLayer: tfType.layers.Layer }).sourceLayer;
    const units = output.shape[output.shape.length - 1] ?? -1;
    const activation = activationOf(layer);
    return { outputIndex, layer: layer.name, units, activation, kind: kindOf(units, output.shape.length, activation, classes) };
  });
  let chosen = candidates[0];
  let chosenBy: RunOutput['chosenBy'] = candidates.length === 1 ? 'only' : 'shape';
  if (options.exportedName !== undefined) {
    const named = candidates.find((c) => c.layer === options.exportedName);
    if (!named) {
      throw new ModelError(
        `classificationOutput names "${options.exportedName}", which is not an output of the model; its outputs are ${candidates.map((c) => c.layer).join(', ')}`,
        options.location,
      );
    }
    chosen = named;
    chosenBy = 'export';
  } else if (candidates.length > 1) {
    chosen = candidates.find((c) => c.kind !== 'none') ?? candidates[0];
  }
  const { units, activation, kind } = chosen;
  if (kind === 'none' && activation === 'softmax') {
    throw new ModelError(
      `the model ends in ${units} units but ${dataset.name} has ${classes} classes; make the last layer dense({ units: ${classes}, activation: 'softmax' })`,
      options.location,
    );
  }
  if (kind === 'none' && activation === 'sigmoid' && units === 1) {
    throw new ModelError(
      `the model ends in one sigmoid unit (a binary classifier) but ${dataset.name} has ${classes} classes; ` +
        `record it on a dataset of 2 classes, or make the last layer dense({ units: ${classes}, activation: 'softmax' })`,
      options.location,
    );
  }
  const result: ChosenOutput = { layer: chosen.layer, kind, chosenBy, outputIndex: chosen.outputIndex, units };
  if (kind === 'none') {
    result.labelMeasuresAbsent =
      `the output ${chosen.layer} gives ${units} ${activation} value${units === 1 ? '' : 's'} per input, not a score per class of the ${classes} classes of ${dataset.name}, ` +
      'so there are no predicted classes: probe accuracy, probe loss, the confusion matrix and the label entropies are not measured';
  }
  return result;
}

/**
 * An epoch's metrics of a model whose output gives no class predictions: the label measures get
 * their "not measured" values — probe loss and the label entropies null, no predictions in the
 * confusion matrix, probe accuracy 0 (the format has no null for it; the manifest's
 * `output.labelMeasuresAbsent` says why).
 */
export function withoutLabelMeasures<M extends { probeLoss: number | null; probeAccuracy: number; confusion: number[][] }>(
  metrics: M & { hLabelGivenPred: (number | null)[]; hPredGivenLabel: (number | null)[] },
): M {
  return {
    ...metrics,
    probeLoss: null,
    probeAccuracy: 0,
    confusion: metrics.confusion.map((row) => row.map(() => 0)),
    hLabelGivenPred: metrics.hLabelGivenPred.map(() => null),
    hPredGivenLabel: metrics.hPredGivenLabel.map(() => null),
  };
}

/** One log line saying which output the label measures read and why. */
export function describeOutput(output: ChosenOutput, outputs: number): string {
  const how =
    output.chosenBy === 'export'
      ? ' (named by the classificationOutput export)'
      : output.chosenBy === 'shape'
        ? ` (the first of the model's ${outputs} outputs that gives a score per class)`
        : '';
  if (output.kind === 'none') return `output ${output.layer}${how}: ${output.labelMeasuresAbsent}`;
  const kind =
    output.kind === 'binary'
      ? 'one sigmoid unit, thresholded at 0.5'
      : output.kind === 'logits'
        ? 'a score per class (logits, softmaxed for the measures)'
        : 'a probability per class';
  return `output ${output.layer}${how}: ${kind}`;
}

/**
 * The run's layers with the output the label measures read last, as the measures take it from the
 * last layer. Only a multi-output model may have it elsewhere; it moves only when no layer of the
 * model consumes it, so the list stays in an order in which every layer comes after its inputs.
 * @throws ModelError when that output feeds other layers.
 */
export function outputLayerLast(layers: RunLayer[], outputLayer: string, model: tfType.LayersModel): RunLayer[] {
  const at = layers.findIndex((l) => l.name === outputLayer);
  if (at === layers.length - 1 || at < 0) return layers;
  const layer = model.getLayer(outputLayer);
  const consumed = model.layers.some((other) => other !== layer && other.inboundNodes.some((n) => n.inboundLayers.includes(layer)));
  if (consumed) {
    throw new ModelError(
      `the classification output ${outputLayer} feeds other layers of the model; make it an output no other layer reads, or name another with export const classificationOutput = '<layer name>'`,
    );
  }
  const moved = [...layers.slice(0, at), ...layers.slice(at + 1), layers[at]];
  return moved.map((l, index) => ({ ...l, index }));
}
