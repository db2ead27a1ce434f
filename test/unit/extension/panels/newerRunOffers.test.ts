import assert from 'node:assert/strict';
import { newerRunOffers } from '../../../../src/extension/panels/newerRunOffers';

describe('one "newer run exists" message per newer run, not one per open older panel', () => {
  it('two older panels of one model get one offer; Switch moves the latest older run', () => {
    const offers = newerRunOffers([
      { panel: 'run1', newer: '/runs/3', createdAt: '2026-11-23T10:00:00Z' },
      { panel: 'run2', newer: '/runs/3', createdAt: '2026-11-23T11:00:00Z' },
    ]);
    assert.deepEqual(offers, [{ newer: '/runs/3', panels: ['run1', 'run2'], switches: 'run2' }]);
  });

  it('panels of two models get one offer each', () => {
    const offers = newerRunOffers([
      { panel: 'a1', newer: '/runs/a2', createdAt: '2026-11-23T10:00:00Z' },
      { panel: 'b1', newer: '/runs/b2', createdAt: '2026-11-23T10:00:00Z' },
    ]);
    assert.deepEqual(
      offers.map((o) => o.switches),
      ['a1', 'b1'],
    );
    assert.deepEqual(newerRunOffers([]), []);
  });
});
