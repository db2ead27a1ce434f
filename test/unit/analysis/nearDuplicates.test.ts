import assert from 'node:assert/strict';
import {
  NEAR_DUPLICATE_SCREEN,
  nearDuplicateShares,
  screenedPairs,
  screenedRatio,
  ScreenedPairs,
  SCREENED_OUT,
} from '../../../src/analysis/nearDuplicates';

// The near-duplicate screen's choice of pairs and the ratio the rule reads from its evidence.

describe('near-duplicate screen', function () {
  // Three channels: r(0, 1) = 0.6, r(0, 2) = −0.95, r(1, 2) = 0.1; energies' r(1, 2) = 0.92.
  const r = Float64Array.from([1, 0.6, -0.95, 0.6, 1, 0.1, -0.95, 0.1, 1]);
  const energies = Float64Array.from([1, 0, 0, 0, 1, 0.92, 0, 0.92, 1]);

  it('keeps a pair by |r|, sign flips included, by its energies’ r, or by a channel of small own capacity', function () {
    const screen = { r: 0.5, energyR: 0.9, lowBits: 1 };
    assert.deepEqual(screenedPairs(screen, r, energies, [2, 2, 2]), [0, 1, 0, 2, 1, 2]);
    assert.deepEqual(screenedPairs({ ...screen, r: 0.7 }, r, energies, [2, 2, 2]), [0, 2, 1, 2]);
    assert.deepEqual(screenedPairs({ ...screen, r: 0.96, energyR: 0.95 }, r, energies, [2, 2, 2]), []);
    // Channel 1 nearly constant (0.3 bit): every pair with it is compared.
    assert.deepEqual(screenedPairs({ r: 0.96, energyR: 0.95, lowBits: 1 }, r, energies, [2, 0.3, 2]), [0, 1, 1, 2]);
  });

  it('never keeps a pair with an own capacity undefined or 0, nor by an undefined r', function () {
    const nan = Float64Array.from({ length: 9 }, () => NaN);
    assert.deepEqual(screenedPairs(NEAR_DUPLICATE_SCREEN, nan, nan, [2, 2, 2]), []);
    assert.deepEqual(screenedPairs(NEAR_DUPLICATE_SCREEN, r, energies, [2, 0, null]), []);
  });

  it('reads a kept pair’s cells as the full matrix does, and a pair left out as compared and not a near-duplicate', function () {
    const ratio = screenedRatio({
      channels: 3,
      diagonal: [2, 1.5, 0],
      pairs: ScreenedPairs.of([{ c: 0, d: 1, r: 0.6, rEnergy: 0, cd: 1.4, dc: 1.3 }]),
      screen: NEAR_DUPLICATE_SCREEN,
    });
    assert.equal(ratio(0, 1), 1.35 / 1.5);
    assert.equal(ratio(1, 0), 1.35 / 1.5);
    assert.equal(ratio(0, 2), undefined); // channel 2 has nothing to duplicate
    const two = screenedRatio({ channels: 3, diagonal: [2, 1.5, 1], pairs: new ScreenedPairs(0), screen: NEAR_DUPLICATE_SCREEN });
    assert.equal(two(1, 2), SCREENED_OUT);
  });

  it('gives each channel its share of near-duplicate partners among those it can be compared with', function () {
    // Four channels: (0, 1) compared at 1.4 / 1.5 = 0.93 (a near-duplicate), (0, 2) at 0.5 (not),
    // (1, 2) and (0, 1)'s others left out by the screen (compared, not near-duplicates), channel 3 dead.
    const shares = nearDuplicateShares({
      channels: 4,
      diagonal: [2, 1.5, 1, 0],
      pairs: ScreenedPairs.of([
        { c: 0, d: 2, r: 0.8, rEnergy: 0.9, cd: 0.5, dc: 0.5 },
        { c: 0, d: 1, r: 0.99, rEnergy: 1, cd: 1.4, dc: 1.4 },
      ]),
      screen: NEAR_DUPLICATE_SCREEN,
    });
    assert.deepEqual(shares, [1 / 2, 1 / 2, 0, undefined]);
    // With a lower threshold, (0, 2) counts too; a pair the screen left out never does.
    const low = nearDuplicateShares(
      {
        channels: 3,
        diagonal: [2, 1.5, 1],
        pairs: ScreenedPairs.of([{ c: 0, d: 2, r: 0.8, rEnergy: 0.9, cd: 0.5, dc: 0.5 }]),
        screen: NEAR_DUPLICATE_SCREEN,
      },
      0.4,
    );
    assert.deepEqual(low, [1 / 2, 0, 1 / 2]);
  });

  it('keeps compared pairs in columns that find each pair, and only those', function () {
    // Every fourth pair of 23 channels, given out of order: of() puts them in row order.
    const n = 23;
    const rows: { c: number; d: number; r: number; rEnergy: number; cd: number | null; dc: number | null }[] = [];
    for (let c = 0; c < n; c++)
      for (let d = c + 1; d < n; d++) if ((c * 7 + d * 3) % 4 === 0) rows.push({ c, d, r: c / 10, rEnergy: d / 10, cd: c + d, dc: null });
    const pairs = ScreenedPairs.of([...rows].reverse());
    assert.equal(pairs.length, rows.length);
    assert.equal(pairs.bytes, 40 * rows.length);
    const kept = new Set(rows.map((p) => `${p.c}-${p.d}`));
    for (let c = 0; c < n + 2; c++)
      for (let d = c + 1; d < n + 2; d++) {
        const k = pairs.indexOf(c, d);
        assert.equal(k >= 0, kept.has(`${c}-${d}`), `(${c}, ${d})`);
        if (k >= 0) assert.deepEqual(pairs.at(k), { c, d, r: c / 10, rEnergy: d / 10, cd: c + d, dc: NaN });
      }
    assert.deepEqual(
      [...pairs].map((p) => [p.c, p.d]),
      rows.map((p) => [p.c, p.d]),
    );
    assert.throws(() => pairs.set(0, 3, 3, 0, 0, 0, 0), /c < d/);
    const unordered = new ScreenedPairs(2);
    unordered.set(0, 2, 3, 0, 0, 0, 0);
    unordered.set(1, 1, 3, 0, 0, 0, 0);
    assert.throws(() => unordered.indexOf(1, 3), /row order/);
  });
});
