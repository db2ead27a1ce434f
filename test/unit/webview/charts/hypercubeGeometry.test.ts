// The edits the hypercube slicer's axes make to a draft slice, and the channel runs it draws.
import assert from 'node:assert/strict';
import { classSegments, LEFT, runsOf, SPAN, toggleClass, toggleLayer, withChannels } from '../../../../webview/charts/hypercubeGeometry';
import type { Draft } from '../../../../webview/slice';

const draft: Draft = { layers: [2], channels: {}, subset: { kind: 'all' }, epoch: 1 };

describe('hypercube slicer geometry', () => {
  it('toggles a class out of all inputs, back to all when every class is in, never to none', () => {
    const without1 = toggleClass(draft, 1, 3);
    assert.deepEqual(without1?.subset, { kind: 'classes', classes: [0, 2] });
    assert.deepEqual(toggleClass(without1, 1, 3)?.subset, { kind: 'all' });
    const only0: Draft = { ...draft, subset: { kind: 'classes', classes: [0] } };
    assert.equal(toggleClass(only0, 0, 3), undefined);
  });

  it('keeps layers sorted when one is toggled in', () => {
    assert.deepEqual(toggleLayer(draft, 1).layers, [1, 2]);
    assert.deepEqual(toggleLayer(draft, 2).layers, []);
  });

  it('stores no channel list for none or all of a layer’s channels', () => {
    assert.deepEqual(withChannels(draft, 2, [0, 3], 8).channels, { '2': [0, 3] });
    assert.deepEqual(withChannels(draft, 2, [0, 1, 2, 3], 4).channels, {});
    assert.deepEqual(withChannels({ ...draft, channels: { '2': [1] } }, 2, undefined, 4).channels, {});
  });

  it('splits the inputs axis by class share and finds contiguous runs', () => {
    const segs = classSegments([1, 3]);
    assert.equal(segs[0].x, LEFT);
    assert.ok(Math.abs(segs[1].w - (3 / 4) * SPAN) < 1e-9);
    assert.deepEqual(
      runsOf(7, (i) => i !== 2 && i !== 3),
      [
        [0, 1],
        [4, 6],
      ],
    );
  });
});
