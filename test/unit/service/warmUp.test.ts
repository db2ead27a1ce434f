import { strict as assert } from 'node:assert';
import { channelMatrix } from '../../../src/analysis';
import { WARM_UP_LAYER, warmUpLayer } from '../../../src/service/warmUp';

/** Rows of zeros of every channel of the warm-up layer, and whether the channel is constant. */
function channelStats(): { zeroRows: number; constant: boolean; dead: boolean }[] {
  const layer = warmUpLayer();
  const { count, units, channels } = layer;
  return Array.from({ length: channels }, (_, c) => {
    const m = channelMatrix(layer, c);
    let zeroRows = 0;
    let constant = true;
    let dead = true;
    for (let i = 0; i < count; i++) {
      let zero = true;
      for (let u = 0; u < units; u++) {
        const v = m[i * units + u];
        if (v !== 0) zero = dead = false;
        if (v !== m[u]) constant = false;
      }
      if (zero) zeroRows++;
    }
    return { zeroRows, constant, dead };
  });
}

describe('warmUp', () => {
  it('has the shape WARM_UP_LAYER names and the same values on every call', () => {
    const [count, units, channels] = WARM_UP_LAYER;
    const a = warmUpLayer();
    assert.deepEqual([a.count, a.units, a.channels], [count, units, channels]);
    assert.deepEqual(warmUpLayer().data, a.data);
  });

  it('has every kind of channel trained ReLU layers have, each on two neighbouring channels (one per worker)', () => {
    const stats = channelStats();
    const count = WARM_UP_LAYER[0];
    // The float32 screening packs rows of zeros out of its kernel from 1 row in 16 on
    // (src/analysis/distanceCodes.ts): both sides of that rule must run.
    const kinds = {
      dead: (s: (typeof stats)[0]) => s.dead,
      constant: (s: (typeof stats)[0]) => s.constant && !s.dead,
      noZeroRow: (s: (typeof stats)[0]) => s.zeroRows === 0 && !s.constant,
      fewZeroRows: (s: (typeof stats)[0]) => s.zeroRows > 0 && s.zeroRows < count / 16,
      packedZeroRows: (s: (typeof stats)[0]) => s.zeroRows >= count / 16 && s.zeroRows < count - 10,
      nearlyDead: (s: (typeof stats)[0]) => s.zeroRows >= count - 10 && !s.dead,
    };
    for (const [name, is] of Object.entries(kinds)) {
      const pair = stats.findIndex((s, c) => c % 2 === 0 && is(s) && is(stats[c + 1]));
      assert.ok(pair >= 0, `no two neighbouring channels of kind ${name}`);
    }
  });
});
