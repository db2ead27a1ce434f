import { strict as assert } from 'node:assert';
import { describeTrainingSource } from '../../../src/recorder/trainingSource';

describe('the log says where the learning rate came from', () => {
  const base = { compiledByModel: false, optimizer: 'adam', learningRate: 0.005, loss: 'categoricalCrossentropy' };

  it('names one origin for both when they agree', () => {
    const both = "the model file's `training` export";
    const line = describeTrainingSource({ ...base, origins: { optimizer: both, learningRate: both } });
    assert.equal(line, "training: adam (learning rate 0.005), both from the model file's `training` export, loss categoricalCrossentropy");
  });

  it('names each origin when they differ', () => {
    const line = describeTrainingSource({ ...base, origins: { optimizer: 'the default', learningRate: 'the command line' } });
    assert.equal(
      line,
      'training: adam (learning rate 0.005), optimizer from the default, learning rate from the command line, loss categoricalCrossentropy',
    );
  });

  it("keeps naming the model's own compile()", () => {
    const line = describeTrainingSource({ ...base, compiledByModel: true, origins: { optimizer: 'x', learningRate: 'x' } });
    assert.equal(line, "training: the model's own compile() — adam (learning rate 0.005), loss categoricalCrossentropy");
  });
});
