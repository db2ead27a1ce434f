// The Analyze CNN quick input shows the values it will use: the epochs item says
// the number a recording takes when the field is left empty — the model's `training` export's,
// else the setting's — and a model never recorded here has no dataset marked "last used".
import assert from 'node:assert/strict';
import { datasetMark, describeValue, effectiveDefault } from '../../../../src/extension/recording/flowItems';
import { trainingNumbers } from '../../../../src/extension/recording/trainingExport';
import { example, read } from '../../../support/modelSources';

/** `vscode.l10n` in English: the message with its arguments put in. */
const l10n = {
  t: (message: string, ...args: (string | number | boolean)[]) => message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)])),
};

/** What the epochs item reads for a model's text, with the workspace setting `settingEpochs` and no value typed in. */
function epochsItem(modelText: string, settingEpochs: number): string {
  return describeValue(undefined, effectiveDefault(trainingNumbers(modelText).epochs, settingEpochs), l10n);
}

describe('flowItems: the effective values on the Analyze CNN quick input', () => {
  it("shows the epochs of the model's training export as the number it will use", () => {
    // examples/mnist-lenet.ts exports `training = { epochs: 3, batchSize: 64, … }`.
    assert.equal(epochsItem(read(example('mnist-lenet.ts')), 5), "3 (the model's training export)");
  });

  it('shows the setting’s epochs when the model exports no training numbers', () => {
    assert.equal(epochsItem('export function createModel() {}', 5), '5 (the setting)');
    assert.equal(epochsItem('export const training = { epochs: n * 2 };', 8), '8 (the setting)');
  });

  it('shows the typed-in number, not a default, once the user set one', () => {
    assert.equal(describeValue(12, effectiveDefault(3, 5), l10n), '12');
  });

  it('marks no dataset "last used" for a model never recorded here; the default dataset is marked "default"', () => {
    const items = ['', 'mnist', 'synthetic'];
    const marks = (last: string | undefined, initial: string) =>
      items.map((spec) => datasetMark((dataset) => dataset === spec, last, initial, l10n) ?? '');
    assert.deepEqual(marks(undefined, ''), ['default', '', '']);
    assert.ok(!marks(undefined, 'mnist').includes('last used'));
    assert.deepEqual(marks('synthetic', ''), ['', '', 'last used'], 'a recorded model marks the dataset it was recorded with');
  });
});
