// The Analyze CNN quick input says how the model will train and where each setting comes from:
// a model.json's training_config (Keras 2 and Keras 3 converter output), a module's compile(), the default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { englishL10n } from '../../../../src/extension/l10n';
import { modelTrainingDescription } from '../../../../src/extension/recording/modelTraining';

const fixture = (name: string) => resolve(__dirname, '../../../fixtures/models', name);
const describeFile = (name: string) => modelTrainingDescription(fixture(name), readFileSync(fixture(name), 'utf8'), englishL10n);

describe('Analyze CNN quick input: where the training settings come from', () => {
  it("shows a Keras 3 and a Keras 2 model.json's training_config optimizer, learning rate and loss as the model file's", () => {
    assert.equal(
      describeFile('gtsrb-keras3/model.json'),
      "RMSprop, learning rate 0.0005, loss categorical_crossentropy (the model file's training_config)",
    );
    assert.equal(
      describeFile('gtsrb-keras2/model.json'),
      "SGD, learning rate 0.02, loss categorical_crossentropy (the model file's training_config)",
    );
  });

  it('says a module compiles its own model, and leaves the optimizer and learning rate to their rows for a model that does not compile itself', () => {
    assert.equal(describeFile('compiledSgd.ts'), "the model's own compile()");
    assert.equal(
      describeFile('model.json'),
      'the loss that fits the output (cross-entropy for a softmax), with the optimizer and learning rate above',
    );
    assert.equal(
      describeFile('multiFile.ts'),
      'the loss that fits the output (cross-entropy for a softmax), with the optimizer and learning rate above',
    );
  });
});
