// The optimizer and learning-rate rows of the Analyze CNN quick input: what an unset row says the
// recording will use (the model's own compile()/training_config first, then its `training` export,
// then the default, as the recorder decides), and which learning rates can be typed.
import assert from 'node:assert/strict';
import { describeTrainingValue, parseLearningRate } from '../../../../src/extension/recording/flowItems';
import { hasOwnTraining } from '../../../../src/extension/recording/modelTraining';
import { trainingNumbers } from '../../../../src/extension/recording/trainingExport';

const l10n = {
  t: (message: string, ...args: (string | number | boolean)[]) => message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)])),
};

describe('the optimizer and learning rate on the Analyze CNN quick input', () => {
  it("reads the literal optimizer and learning rate of the model's training export", () => {
    assert.deepEqual(trainingNumbers("export const training = { epochs: 2, optimizer: 'sgd', learningRate: 0.05 };"), {
      epochs: 2,
      optimizer: 'sgd',
      learningRate: 0.05,
    });
    assert.deepEqual(trainingNumbers('export const training = { learningRate: 1e-4 };'), { learningRate: 1e-4 });
    // Computed, unknown or non-positive values are left to the recorder.
    assert.deepEqual(trainingNumbers("export const training = { optimizer: 'adagrad', learningRate: lr, batchSize: 8 };"), {
      batchSize: 8,
    });
    assert.deepEqual(trainingNumbers('export const training = { learningRate: 0 };'), {});
  });

  it('says the value chosen, else where the recording takes it from', () => {
    assert.equal(describeTrainingValue('sgd', 'adam', true, 'adam', l10n), 'sgd');
    assert.equal(describeTrainingValue(0.01, undefined, false, 0.001, l10n), '0.01');
    assert.equal(describeTrainingValue(undefined, 'rmsprop', false, 'adam', l10n), "rmsprop (the model's training export)");
    assert.equal(describeTrainingValue(undefined, 0.05, true, 0.001, l10n), "the model's own (see Training)");
    assert.equal(describeTrainingValue(undefined, undefined, false, 0.001, l10n), '0.001 (the default)');
  });

  it('knows a model that compiles itself: a module calling compile(), a model.json with a training_config', () => {
    assert.equal(hasOwnTraining('m.ts', "model.compile({ optimizer: 'sgd', loss: 'x' });"), true);
    assert.equal(hasOwnTraining('m.ts', 'export const training = { epochs: 1 };'), false);
    const config = { modelTopology: { training_config: { optimizer_config: { class_name: 'RMSprop', config: { learning_rate: 0.01 } } } } };
    assert.equal(hasOwnTraining('model.json', JSON.stringify(config)), true);
    assert.equal(hasOwnTraining('model.json', JSON.stringify({ modelTopology: {} })), false);
    assert.equal(hasOwnTraining('m.ts', undefined), false);
  });

  it('takes a positive number or nothing as the learning rate', () => {
    assert.deepEqual(parseLearningRate(' 0.001 '), { value: 0.001 });
    assert.deepEqual(parseLearningRate('1e-4'), { value: 1e-4 });
    assert.deepEqual(parseLearningRate('.5'), { value: 0.5 });
    assert.deepEqual(parseLearningRate(''), { value: undefined });
    for (const bad of ['0', '-0.1', 'abc', '1e400', '0x10', '1,5']) assert.equal(parseLearningRate(bad), undefined, bad);
  });
});
