import assert from 'node:assert/strict';
import { besideColumn } from '../../../../src/extension/panels/besideColumn';

describe('extension/panels/besideColumn: where a panel opens beside the code', function () {
  it('opens a second column right of the code when the code is alone', function () {
    assert.equal(besideColumn(1, [1]), 2);
  });

  it('uses the open column right of the code', function () {
    assert.equal(besideColumn(1, [1, 2]), 2);
    assert.equal(besideColumn(2, [1, 2, 3]), 3);
  });

  it('uses the column left of the code rather than opening a third one when the code is in the last column', function () {
    assert.equal(besideColumn(2, [1, 2]), 1);
  });
});
