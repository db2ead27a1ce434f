import assert from 'node:assert/strict';
import { whenRecorded } from '../../../../src/extension/recording/whenRecorded';

describe('a completed recording opens its panel (setting to turn off)', () => {
  it('opens a completed run by default, and then shows no message (one notice per recording: the panel)', () => {
    assert.deepEqual(whenRecorded('completed', true, true), { openPanel: true, notify: false, offerOpen: false });
  });
  it('with the setting off, the message offers Open Run', () => {
    assert.deepEqual(whenRecorded('completed', true, false), { openPanel: false, notify: true, offerOpen: true });
  });
  it('never opens a cancelled run by itself, and offers nothing without a folder', () => {
    assert.deepEqual(whenRecorded('cancelled', true, true), { openPanel: false, notify: true, offerOpen: true });
    assert.deepEqual(whenRecorded('completed', false, true), { openPanel: false, notify: true, offerOpen: false });
  });
});
