import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOSS_EPSILON } from '../../../src/analysis';
import { layerClassNames, layerKind, layerWord } from '../../../src/contract/layerKinds';
import { PYTORCH_MODULES, PYTORCH_OPS, dispatchedOp, recordedClasses, recordedModuleClass } from '../../../src/contract/pytorchOps';
import { DEFAULT_RECORD_SETTINGS } from '../../../src/contract/recordSettings';
import { SHARED_CONTRACT_FILE, sharedContract, sharedContractText } from '../../../src/contract/sharedContract';

// The contract TypeScript and the Python recorder share (src/contract/sharedContract.ts): the file
// the recorder loads is the one its source writes, and the PyTorch table holds together. The Python
// side checks its own tables and code against the file (python/tests/test_contract.py, test_control.py).
const ROOT = join(__dirname, '../../..');

describe('the shared contract (python/cnn_slicer/contract.json)', () => {
  it('is checked in as its source writes it (run npm run contract)', () => {
    assert.equal(readFileSync(join(ROOT, SHARED_CONTRACT_FILE), 'utf8'), sharedContractText(), 'run npm run contract');
  });

  it('holds the recording defaults, the loss clamp and the generator answers of their one definitions', () => {
    const c = sharedContract();
    assert.deepEqual(c.recordDefaults, DEFAULT_RECORD_SETTINGS);
    assert.equal(c.loss.epsilon, LOSS_EPSILON);
    assert.deepEqual(c.controlStreams, { pixels: 0x5eed01, labels: 0x5eed02 });
    // mulberry32(0)'s first draw, known from its definition: 0x6d2b79f5 mixed.
    assert.equal(c.knownAnswers.mulberry32[0].seed, 0);
    assert.equal(c.knownAnswers.mulberry32[0].values[0], 0.26642920868471265);
    assert.deepEqual(c.knownAnswers.seededPermutation[0], { count: 10, seed: 0, permutation: [3, 8, 6, 4, 5, 9, 7, 1, 0, 2] });
  });
});

describe('the PyTorch table (src/contract/pytorchOps.ts)', () => {
  it('gives every recorded class a kind: its own, or the Keras class of its name', () => {
    const keras = new Set(layerClassNames());
    for (const [name, entry] of recordedClasses()) {
      if (entry.kind) assert.ok(!keras.has(name), `${name} has a kind of its own but is a Keras class too`);
      else assert.ok(keras.has(name), `${name} has no kind and no Keras class of its name`);
      assert.notEqual(layerKind(name), undefined);
    }
    assert.equal(layerKind('ReLU').activation, 'relu');
    assert.equal(layerKind('elu').channels, 'perChannel');
    assert.equal(layerWord('elu'), 'act');
    assert.equal(layerWord('Linear'), 'dense');
    assert.equal(layerWord('BatchNorm2d'), 'bn');
    assert.equal(layerWord('max_pool2d'), 'pool');
  });

  it('lists Identity as a pass-through, not a layer kind', () => {
    assert.equal(PYTORCH_MODULES.Identity.role, 'pass');
    assert.equal(recordedModuleClass('Identity'), undefined);
    assert.equal(layerKind('Identity').channels, 'mixes', 'a class not in the table');
  });

  it('records a subclass as its base, and each dispatch name as one op', () => {
    assert.equal(recordedModuleClass('UpsamplingBilinear2d'), 'Upsample');
    assert.equal(recordedModuleClass('Conv2d'), 'Conv2d');
    assert.equal(recordedModuleClass('Conv1d'), undefined);
    for (const entry of Object.values(PYTORCH_MODULES))
      if (entry.recordedAs) assert.equal(recordedModuleClass(entry.recordedAs), entry.recordedAs);
    const names = Object.values(PYTORCH_OPS).flatMap((op) => op.dispatch);
    assert.equal(new Set(names).size, names.length, 'a dispatch name of two ops');
    assert.equal(dispatchedOp('__iadd__'), 'add');
    assert.equal(dispatchedOp('elu_'), 'elu');
    assert.equal(dispatchedOp('conv2d'), undefined);
  });

  it("names each recorded option's parameter among the parameters, and its defaults and pairs among the options", () => {
    for (const [name, entry] of recordedClasses()) {
      const spec = entry.options;
      if (!spec) continue;
      for (const param of Object.values(spec.args)) assert.ok(spec.params.includes(param), `${name}: ${param}`);
      if (spec.units) assert.ok(spec.params.includes(spec.units), `${name}: ${spec.units}`);
      for (const arg of [...Object.keys(spec.defaults ?? {}), ...(spec.pairs ?? [])]) assert.ok(arg in spec.args, `${name}: ${arg}`);
    }
  });
});
