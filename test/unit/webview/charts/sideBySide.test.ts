// The choices behind the Channel view's side-by-side cards: which channels are shown, how large a
// picture is for a card's width, and the grey range over several maps.
import assert from 'node:assert/strict';
import { gridCellSize, rangeOf } from '../../../../webview/charts/sideBySide';
import { comparedChannels, MAX_SIDE_BY_SIDE } from '../../../../webview/views/channel/comparedChannels';

describe('side-by-side channels', () => {
  it('shows the typed channels, else the slice’s chosen ones when there are two or more, else the first four', () => {
    assert.deepEqual(comparedChannels('9, 2-3', [], 16), { channels: [2, 3, 9], from: 'typed' });
    assert.deepEqual(comparedChannels('', [7, 1], 16), { channels: [1, 7], from: 'slice' });
    assert.deepEqual(comparedChannels('', [7], 16), { channels: [0, 1, 2, 3], from: 'default' });
    assert.deepEqual(comparedChannels('', [], 3), { channels: [0, 1, 2], from: 'default' });
  });

  it('names a channel the layer lacks and a malformed list, and keeps the previous choice meanwhile', () => {
    const outside = comparedChannels('1, 16', [], 16);
    assert.deepEqual(outside.channels, [0, 1, 2, 3]);
    assert.match(outside.error ?? '', /channel 16 is not in this layer \(it has channels 0–15\)/);
    assert.match(comparedChannels('a', [], 16).error ?? '', /"a" is not an index/);
  });

  it(`shows at most ${MAX_SIDE_BY_SIDE} channels and says so`, () => {
    const many = comparedChannels('0-31', [], 64);
    assert.equal(many.channels.length, MAX_SIDE_BY_SIDE);
    assert.match(many.error ?? '', /first 12/);
  });

  it('sizes pictures so that every column fits the width, between 20 and 72 px', () => {
    assert.equal(gridCellSize(2000, 4), 72);
    const size = gridCellSize(600, 13);
    assert.ok(64 + 4 * 14 + 13 * size <= 600);
    assert.equal(gridCellSize(100, 13), 20);
  });

  it('takes the grey range over every map, skipping values that are not finite', () => {
    assert.deepEqual(rangeOf([Float32Array.of(1, NaN, -2), [5]]), [-2, 5]);
    assert.deepEqual(rangeOf([]), [0, 0]);
  });
});
