import assert from 'node:assert/strict';
import { ownDatasetDetail } from '../../../../src/extension/recording/flowItems';
import { englishL10n as l10n } from '../../../../src/extension/l10n';

describe('the dataset step says which dataset applies, and no export for a model.json', () => {
  it('a model.json trains on MNIST and is not told about an export', () => {
    const text = ownDatasetDetail('/ws/examples/model.json', l10n);
    assert.equal(text, 'the MNIST digits (a model.json names no dataset)');
    assert.ok(!text.includes('export'));
  });

  it("a model file's own dataset export is named when known", () => {
    assert.equal(ownDatasetDetail('/ws/m.ts', l10n, 'synthetic'), "synthetic, the model file's `dataset` export");
    assert.equal(ownDatasetDetail('/ws/m.ts', l10n), "the model file's `dataset` export if it has one, else the MNIST digits");
  });
});
