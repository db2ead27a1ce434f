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
import { spearman } from '../../../../src/analysis';
import { NEAR_DUPLICATE_SHARE, nearDuplicateRatio } from '../../../../src/analysis/nearDuplicates';
import {
  ESTIMATE_VERIFIED_MIN,
  ESTIMATE_VERIFIED_RHO,
  IMPORTANCE_SAMPLE_SEED,
  IMPORTANCE_SAMPLED,
  IMPORTANCE_TOP_K,
} from '../../../../src/contract/queries';
import { AnalysisEngine } from '../../../../src/service/engine';
import { twoTierChannels } from '../../../../src/service/handlers/channelImportance';
import { recordLenet } from '../../../support/recordedModels';

describe('channelImportance: the two tiers', function () {
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

    it('exact sets the sample: 4 gives the 2 largest estimates and 2 at random; 0 gives the estimates alone, no measure', async () => {
      const two = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: DENSE1 })).answer;
      const estimates = two.channels.map((c) => c.estimate);
      const four = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: DENSE1, exact: 4 })).answer;
      assert.deepEqual(
        four.channels.filter((c) => c.measured).map((c) => c.channel),
        twoTierChannels(estimates, 2, 2, IMPORTANCE_SAMPLE_SEED),
      );
      assert.deepEqual([four.estimate.topK, four.estimate.sampled, four.estimate.measuredCount], [2, 2, 4]);
      // A channel measured in both answers has the same row (its ablation does not depend on the others).
      for (const c of four.channels) if (c.measured && two.channels[c.channel].measured) assert.deepEqual(c, two.channels[c.channel]);
      const only = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: DENSE1, exact: 0 })).answer;
      assert.deepEqual(only.baseline, two.baseline, 'the same baseline, without the layer’s activations');
      assert.deepEqual(
        only.channels.map((c) => c.estimate),
        estimates,
      );
      assert.ok(only.channels.every((c) => !c.measured && c.deltaLoss === null && c.deltaAccuracy === null));
      assert.deepEqual(only.estimate, {
        exhaustive: false,
        measuredCount: 0,
        topK: 0,
        sampled: 0,
        seed: IMPORTANCE_SAMPLE_SEED,
        spearman: null,
        verified: false,
      });
      assert.deepEqual(only.measures, []);
      // Every channel unmeasured, ranked by estimate, largest first (ties by index).
      const byEstimate = estimates
        .map((e, c) => ({ e: e ?? -Infinity, c }))
        .sort((a, b) => b.e - a.e || a.c - b.c)
        .map((x) => x.c);
      assert.deepEqual(only.ranking, byEstimate);
      // Where there is no estimate (a mean ablation), exact: 0 still measures every channel.
      const mean = (await engine.answer(lenet, { kind: 'channelImportance', epoch: 1, layer: DENSE1, mode: 'mean', exact: 0 })).answer;
      assert.equal(mean.estimate.measuredCount, 64);
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
