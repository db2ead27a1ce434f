import assert from 'node:assert/strict';
import {
  CONTROL_KINDS,
  controlKindItem,
  controlSpec,
  controlValueProblem,
  MAX_BORDER_PIXELS,
  needsValue,
  offeredKinds,
  proposalReason,
} from '../../../../src/extension/recording/controlSpec';
import { englishL10n } from '../../../../src/extension/l10n';

describe('control experiment specs (controlSpec)', () => {
  it('offers the four controls of the recorder, two of them with a number', () => {
    assert.deepEqual(
      CONTROL_KINDS.map((k) => controlKindItem(k, englishL10n).label),
      ['border:N', 'mask-centre:F', 'shuffle-pixels', 'shuffle-labels'],
    );
    assert.deepEqual(CONTROL_KINDS.filter(needsValue), ['border', 'mask-centre']);
  });

  it('accepts a border of whole pixels from 1 to the maximum and nothing else', () => {
    for (const ok of ['1', '4', ' 12 ', String(MAX_BORDER_PIXELS)])
      assert.equal(controlValueProblem('border', ok, englishL10n), undefined, ok);
    for (const bad of ['', '0', '-1', '2.5', '1e2', 'four', String(MAX_BORDER_PIXELS + 1), '0x4'])
      assert.ok(controlValueProblem('border', bad, englishL10n), bad);
    assert.equal(controlSpec('border', ' 4', englishL10n), 'border:4');
    assert.equal(controlSpec('border', '0', englishL10n), undefined);
  });

  it('accepts a centre fraction strictly between 0 and 1', () => {
    for (const ok of ['0.5', '.25', '0.999', '0.1 ']) assert.equal(controlValueProblem('mask-centre', ok, englishL10n), undefined, ok);
    for (const bad of ['', '0', '1', '1.5', '-0.5', 'half', '50%', 'NaN', 'Infinity'])
      assert.ok(controlValueProblem('mask-centre', bad, englishL10n), bad);
    assert.equal(controlSpec('mask-centre', '.5', englishL10n), 'mask-centre:0.5');
    assert.equal(controlSpec('mask-centre', '1', englishL10n), undefined);
  });

  it('needs no value for the shuffles', () => {
    assert.equal(controlSpec('shuffle-pixels', undefined, englishL10n), 'shuffle-pixels');
    assert.equal(controlSpec('shuffle-labels', 'ignored', englishL10n), 'shuffle-labels');
    assert.equal(controlValueProblem('shuffle-labels', '', englishL10n), undefined);
  });

  it('offers the proposed control first and says why it is proposed', () => {
    assert.deepEqual(offeredKinds('shuffle-pixels'), ['shuffle-pixels', 'border', 'mask-centre', 'shuffle-labels']);
    assert.deepEqual(offeredKinds(undefined), [...CONTROL_KINDS]);
    assert.equal(
      proposalReason({ spec: 'border:2', kind: 'border', width: 2, inputShare: 0.005, contentShare: 0.001, inputs: 200 }, englishL10n),
      'Proposed: the widest border that differs from the background in under 1.0% of the 200 probe inputs (0.5%), so it keeps no content of the task.',
    );
    assert.equal(
      proposalReason({ spec: 'shuffle-pixels', kind: 'shuffle-pixels', inputShare: 0.015, inputs: 200 }, englishL10n),
      'Proposed: even the 1-pixel border differs from the background in 1.5% of the 200 probe inputs (a border control needs under 1.0%): every border holds content of the task.',
    );
  });
});
