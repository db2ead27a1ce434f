import assert from 'node:assert/strict';
import { whenRecorded } from '../../../src/extension/recording/whenRecorded';

describe('a completed recording opens its panel (setting to turn off)', () => {
  it('opens a completed run by default, and still offers Open Run', () => {
    assert.deepEqual(whenRecorded('completed', true, true), { openPanel: true, offerOpen: true });
  });
  it('with the setting off, the message offers Open Run', () => {
    assert.deepEqual(whenRecorded('completed', true, false), { openPanel: false, offerOpen: true });
  });
  it('never opens a cancelled run by itself, and offers nothing without a folder', () => {
    assert.deepEqual(whenRecorded('cancelled', true, true), { openPanel: false, offerOpen: true });
    assert.deepEqual(whenRecorded('completed', false, true), { openPanel: false, offerOpen: false });
  });
});
