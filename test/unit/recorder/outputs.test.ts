import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../../../src/recorder/modelLoader';
import { chooseOutput } from '../../../src/recorder/outputs';

/** A one-layer model from 4 inputs to `units` values with `activation`. */
function dense(units: number, activation?: 'softmax' | 'sigmoid' | 'linear' | 'relu'): tf.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units, activation, name: 'head' })] });
}

const dataset = (classes: number) => ({ name: 'd', classNames: Array.from({ length: classes }, (_, k) => String(k)) });

describe('the output the label measures read', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('tells softmax scores, logits, one sigmoid unit and outputs without class predictions apart', () => {
    assert.equal(chooseOutput(dense(5, 'softmax'), dataset(5)).kind, 'softmax');
    assert.equal(chooseOutput(dense(5, 'linear'), dataset(5)).kind, 'logits');
    assert.equal(chooseOutput(dense(1, 'sigmoid'), dataset(2)).kind, 'binary');
    const regression = chooseOutput(dense(1, 'linear'), dataset(4));
    assert.equal(regression.kind, 'none');
    assert.match(
      regression.labelMeasuresAbsent!,
      /^the output head gives 1 linear value per input, not a score per class of the 4 classes of d/,
    );
    assert.equal(chooseOutput(dense(7, 'relu'), dataset(3)).kind, 'none');
  });

  it('refuses a softmax over another number of classes, and one sigmoid unit on more than two classes, naming both', () => {
    assert.throws(
      () => chooseOutput(dense(3, 'softmax'), dataset(10)),
      (e: unknown) => ModelError.is(e) && /ends in 3 units but d has 10 classes/.test((e as Error).message),
    );
    assert.throws(
      () => chooseOutput(dense(1, 'sigmoid'), dataset(10)),
      (e: unknown) => ModelError.is(e) && /one sigmoid unit \(a binary classifier\) but d has 10 classes/.test((e as Error).message),
    );
  });

  it('names the outputs when the classificationOutput export names none of them', () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3, activation: 'softmax', name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3, activation: 'softmax', name: 'b' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [a, b] });
    assert.equal(chooseOutput(model, dataset(3)).layer, 'a');
    assert.throws(
      () => chooseOutput(model, dataset(3), { exportedName: 'c' }),
      /classificationOutput names "c", which is not an output of the model; its outputs are a, b/,
    );
  });
});
