/**
 * `channelImportance` in two tiers (src/service/handlers/channelImportance.ts): every channel's
 * Taylor estimate, the top-k by estimate and a seeded sample of the rest ablated exactly, ρ between
 * the two over the measured channels, "verified" only where ρ and the count allow; `exhaustive`
 * ablates every channel, and a measured channel's row is the exhaustive answer's row.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleWithoutReplacement, spearman } from '../../../../src/analysis';
import { NEAR_DUPLICATE_SHARE, nearDuplicateRatio } from '../../../../src/analysis/nearDuplicates';
import {
  ESTIMATE_VERIFIED_MIN,
  ESTIMATE_VERIFIED_RHO,
  estimateSentence,
  IMPORTANCE_SAMPLE_SEED,
  IMPORTANCE_SAMPLED,
  IMPORTANCE_TOP_K,
  measuredText,
} from '../../../../src/contract/queries';
import type { ChannelAblation } from '../../../../src/contract/queries';
import { AnalysisEngine } from '../../../../src/service/engine';
import { importanceRanking, twoTierChannels } from '../../../../src/service/handlers/channelImportance';
import { recordLenet } from '../../support/recordedModels';

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

  describe('on a recorded LeNet (dense1: 64 units, conv2: 16 channels)', function () {
    this.timeout(600_000);
    let runs: string;
    let lenet: string;
    let engine: AnalysisEngine;
    const DENSE1 = 6;
    const CONV2 = 3;

    before(async () => {
      runs = mkdtempSync(join(tmpdir(), 'cnnslicer-importance-'));
      lenet = (await recordLenet(runs)).folder;
      engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
    });
    after(() => {
      engine?.close();
      rmSync(runs, { recursive: true, force: true });
    });

    it('estimates every unit of dense1, measures 16, and each measured row is the exhaustive answer’s row', async () => {
      const two = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: DENSE1 })).answer;
      const all = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: DENSE1, exhaustive: true })).answer;
      const estimate = (await engine.answer(lenet, { kind: 'channelImportanceEstimate', epoch: 1 })).answer;
      const estimates = estimate.layers.find((l) => l.layer === DENSE1)!.estimates;
      assert.equal(two.channels.length, 64);
      assert.deepEqual(
        two.channels.map((c) => c.estimate),
        estimates,
        'the estimate of every channel is the run’s Taylor pass',
      );
      const measured = two.channels.filter((c) => c.measured).map((c) => c.channel);
      assert.deepEqual(measured, twoTierChannels(estimates, IMPORTANCE_TOP_K, IMPORTANCE_SAMPLED, IMPORTANCE_SAMPLE_SEED));
      assert.equal(measured.length, 16);
      assert.equal(two.estimate.measuredCount, 16);
      assert.equal(two.estimate.exhaustive, false);
      for (const c of two.channels)
        if (c.measured) assert.deepEqual(c, all.channels[c.channel], `channel ${c.channel}: the exhaustive answer’s row`);
        else {
          assert.deepEqual([c.deltaLoss, c.deltaLossLow, c.deltaLossHigh, c.deltaAccuracy, c.classesLosing], [null, null, null, null, []]);
          assert.notEqual(c.estimate, null);
        }
      assert.deepEqual(two.baseline, all.baseline);
      // ρ(estimate, Δ loss) over the measured channels; verified by the rule.
      const rho = spearman(
        two.channels.map((c) => c.estimate),
        two.channels.map((c) => c.deltaLoss),
        { permutations: 0 },
      ).rho!;
      assert.equal(two.estimate.spearman, rho);
      assert.equal(two.estimate.verified, rho >= ESTIMATE_VERIFIED_RHO && 16 >= ESTIMATE_VERIFIED_MIN);
      // The measures' correlations are over the measured channels only.
      for (const m of two.measures) assert.ok(m.channelCount <= 16, `${m.measure} over ${m.channelCount} channels`);
      assert.deepEqual(
        two.ranking.slice(0, 16).sort((a, b) => a - b),
        measured,
        'the measured channels rank first',
      );
      assert.equal(all.estimate.exhaustive, true);
      assert.equal(all.estimate.measuredCount, 64);
      assert.ok(all.channels.every((c) => c.measured && c.deltaLoss !== null));
      assert.equal(
        all.estimate.spearman,
        spearman(
          estimates,
          all.channels.map((c) => c.deltaLoss),
          { permutations: 0 },
        ).rho,
      );
    });

    it('measures every channel of a layer no larger than the two tiers (conv2), and of a mean ablation, saying why', async () => {
      const conv2 = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: CONV2 })).answer;
      assert.ok(conv2.channels.every((c) => c.measured && c.estimate !== null));
      assert.equal(conv2.estimate.exhaustive, true);
      const mean = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: DENSE1, mode: 'mean' })).answer;
      assert.equal(mean.estimate.measuredCount, 64);
      assert.equal(mean.estimate.spearman, null);
      assert.equal(mean.estimate.verified, false);
      assert.match(mean.estimate.note!, /mean ablation measures every channel/);
      assert.ok(mean.channels.every((c) => c.estimate === null));
    });

    it('reads the codes, self-capacity and matrix every query shares: conv1’s measures are its matrices’ by hand', async () => {
      const CONV1 = 1;
      const a = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: CONV1 })).answer;
      const self = (await engine.answer(lenet, { kind: 'capacityMatrix', layerI: CONV1, layerJ: CONV1, epoch: 1 })).answer;
      const next = (await engine.answer(lenet, { kind: 'capacityMatrix', layerI: CONV1, layerJ: CONV2, epoch: 1 })).answer;
      const label = (await engine.answer(lenet, { kind: 'channelLabelInformation', layer: CONV1, epochs: [1] })).answer;
      const measure = (name: string) => a.measures.find((m) => m.measure === name)!;
      const n = self.columns;
      assert.equal(n, 8);
      // The near-duplicate share from the full matrix (conv1's 24×24 maps: the screen compares every pair).
      const shares = Array.from({ length: n }, (_, c) => {
        let compared = 0;
        let duplicates = 0;
        for (let d = 0; d < n; d++) {
          const ratio = d === c ? undefined : nearDuplicateRatio(self.values, n, c, d);
          if (ratio === undefined) continue;
          compared++;
          if (ratio >= NEAR_DUPLICATE_SHARE) duplicates++;
        }
        return compared ? duplicates / compared : null;
      });
      assert.deepEqual(measure('nearDuplicateShare').values, shares);
      // Each channel's largest capacity to conv2 (the next layer mixing channels): the largest of its column.
      assert.equal(measure('capacityToNext').otherLayer, CONV2);
      const best = Array.from({ length: n }, (_, c) => {
        const column = Array.from({ length: next.rows }, (_, r) => next.values[r * n + c]).filter((v): v is number => v !== null);
        return column.length ? Math.max(...column) : null;
      });
      assert.deepEqual(measure('capacityToNext').values, best);
      assert.deepEqual(measure('labelInformation').values, label.bits[0]);
    });
  });
});
