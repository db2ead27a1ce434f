/**
 * `channelImportance` in two tiers (src/service/handlers/channelImportance.ts): every channel's
 * Taylor estimate, the top-k by estimate and a seeded sample of the rest ablated exactly, ρ between
 * the two over the measured channels, "verified" only where ρ and the count allow; `exhaustive`
 * ablates every channel, and a measured channel's row is the exhaustive answer's row.
 */
import { strict as assert } from 'node:assert';
import { sampleWithoutReplacement } from '../../../../src/analysis';
import { estimateSentence, measuredText } from '../../../../src/contract/queries';
import type { ChannelAblation } from '../../../../src/contract/queries';
import { importanceRanking, twoTierChannels } from '../../../../src/service/handlers/channelImportance';

describe('channelImportance: the two tiers', function () {
  it('measures the top-k estimates (a missing estimate last) and a seeded sample of the rest, ascending', () => {
    const estimates = [0.5, null, 0.1, 0.9, -0.2, 0.3, 0.05, 0.7];
    // Top 3 by estimate: 3 (0.9), 7 (0.7), 0 (0.5); the rest ascending: 1, 2, 4, 5, 6.
    const rest = [1, 2, 4, 5, 6];
    const expected = [3, 7, 0, ...sampleWithoutReplacement(rest, 2, 5)].sort((a, b) => a - b);
    assert.deepEqual(twoTierChannels(estimates, 3, 2, 5), expected);
    assert.equal(new Set(twoTierChannels(estimates, 3, 2, 5)).size, 5);
    assert.deepEqual(twoTierChannels(estimates, 3, 2, 5), twoTierChannels(estimates, 3, 2, 5), 'seeded: the same every time');
    assert.deepEqual(twoTierChannels(estimates, 3, 10, 0), [0, 1, 2, 3, 4, 5, 6, 7], 'a sample larger than the rest takes all of it');
    assert.deepEqual(twoTierChannels([null, null, 0], 1, 0, 0), [2]);
  });

  it('ranks the measured channels by Δ loss, then the unmeasured by estimate', () => {
    const row = (channel: number, measured: boolean, deltaLoss: number | null, estimate: number | null): ChannelAblation => ({
      channel,
      measured,
      estimate,
      deltaLoss,
      deltaLossLow: null,
      deltaLossHigh: null,
      deltaAccuracy: measured ? 0 : null,
      classesLosing: [],
    });
    const rows = [
      row(0, false, null, 0.9),
      row(1, true, 0.1, 0.0),
      row(2, true, 0.3, 0.2),
      row(3, false, null, 0.4),
      row(4, true, null, 1),
    ];
    assert.deepEqual(importanceRanking(rows), [2, 1, 4, 0, 3]);
  });

  it('says which channels were measured, ρ, and whether it verifies the estimates', () => {
    const tier = { exhaustive: false, measuredCount: 16, topK: 8, sampled: 8, seed: 0, spearman: 0.91, verified: true };
    assert.equal(
      estimateSentence(tier),
      'Taylor estimate for every channel; the 8 it ranks most costly and 8 more at random (seed 0) ablated exactly: ρ = 0.91 over the 16 measured channels — verified (ρ ≥ 0.8).',
    );
    assert.match(
      estimateSentence({ ...tier, spearman: 0.62, verified: false }),
      /ρ = 0\.62 over the 16 measured channels — unverified \(ρ < 0\.8\)/,
    );
    assert.match(estimateSentence({ ...tier, measuredCount: 5, verified: false }), /unverified \(fewer than 8 channels measured\)/);
    assert.match(estimateSentence({ ...tier, spearman: null, verified: false }), /ρ undefined .* unverified \(no ρ\)/);
    assert.equal(
      estimateSentence({ ...tier, exhaustive: true, measuredCount: 12 }),
      'Every channel ablated exactly; the Taylor estimate orders them with ρ = 0.91 (Spearman, over the 12 measured channels).',
    );
    assert.equal(
      estimateSentence({ ...tier, exhaustive: true, spearman: null, note: 'no loss' }),
      'Every channel ablated exactly; no Taylor estimate: no loss.',
    );
    assert.equal(measuredText({ channels: new Array(64), estimate: tier }), '16 of 64 channels measured');
    assert.equal(measuredText({ channels: new Array(16), estimate: tier }), '16 channels');
  });
});
