import { strict as assert } from 'node:assert';
import { describeTrainingSource } from '../../../src/recorder/trainingSource';

describe('the log says where the learning rate came from', () => {
  const base = { compiledByModel: false, optimizer: 'adam', learningRate: 0.005, loss: 'categoricalCrossentropy' };

  it("names the model's training export when the settings set nothing", () => {
    const line = describeTrainingSource({ ...base, options: {}, fromFile: { optimizer: 'adam', learningRate: 0.005 } });
    assert.equal(line, "training: adam (learning rate 0.005), both from the model's `training` export, loss categoricalCrossentropy");
    assert.ok(!line.includes('from the settings'));
  });

  it('names the settings when the caller set the learning rate, and the default for the optimizer', () => {
    const line = describeTrainingSource({ ...base, options: { learningRate: 0.005 }, fromFile: {} });
    assert.equal(
      line,
      'training: adam (learning rate 0.005), optimizer from the default, learning rate from the settings, loss categoricalCrossentropy',
    );
  });

  it("keeps naming the model's own compile()", () => {
    const line = describeTrainingSource({ ...base, compiledByModel: true, options: {} });
    assert.equal(line, "training: the model's own compile() — adam (learning rate 0.005), loss categoricalCrossentropy");
  });
});
