import assert from 'node:assert/strict';
import { layerActivations, LayerActivations } from '../../../../src/analysis';
import { channelCorrelations } from '../../../../src/analysis/channelCorrelation';
import {
  NEAR_DUPLICATE_SCREEN,
  NEAR_DUPLICATE_SCREEN_R,
  NEAR_DUPLICATE_SHARE,
  nearDuplicateRatio,
} from '../../../../src/analysis/nearDuplicates';
import { redundancy } from '../../../../src/analysis/redundancy';
import { ComputePool } from '../../../../src/compute/pool';
import type { RunManifest } from '../../../../src/contract/runFormat';
import { nearDuplicateRule } from '../../../../src/service/findings/channelRules';
import { screenedSelfCapacity, screenSaves } from '../../../../src/service/selfCapacity';
import type { FindingsInput } from '../../../../src/service/findings/types';
import { rng } from '../../../support/reference';
import { cpSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FindingsAnswer } from '../../../../src/contract/queries';
import { AnalysisEngine } from '../../../../src/service/engine';
import { EVIDENCE } from '../../../../src/service/findings/evidence';
import { SplitForward } from '../../../../src/service/splitForward';
import { copyFixtureRun } from '../../../support/fixtureRuns';

// The near-duplicate screen on a layer with planted copies (estimators.md "Screening the
// near-duplicate pairs"): the screened evidence keeps every pair the exhaustive rule calls a
// near-duplicate, and the findings from it are the findings from the full matrix.

const N = 80;
const SIDE = 4;
const UNITS = SIDE * SIDE;

/**
 * Channels: 0 a base map, 1 its copy, 2 its sign flip, 3 it scaled and shifted, 4 it with a little noise, 5 sinh(x / 12) of it (a
 * monotone nonlinear copy), 6 its ReLU, 7 an unrelated map, 8 a noisier copy of 7, 9 constant, 10 a spatially shifted copy of 7
 * (its pair distances are 7's), 11 unrelated.
 */
function planted(): LayerActivations {
  const r = rng(41);
  const normal = () => {
    const u = Math.max(r(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
  const base = Array.from({ length: N * UNITS }, normal);
  const other = Array.from({ length: N * UNITS }, normal);
  const free = Array.from({ length: N * UNITS }, normal);
  // Channel 10 at (input, y, x) is channel 7 at (input, y, x + 1 mod SIDE): the same values per input, moved.
  const shifted = (i: number) => {
    const input = Math.floor(i / UNITS);
    const p = i % UNITS;
    const y = Math.floor(p / SIDE);
    const x = (p % SIDE) + 1;
    return other[input * UNITS + y * SIDE + (x % SIDE)];
  };
  const channels = [
    (i: number) => base[i],
    (i: number) => base[i],
    (i: number) => -base[i],
    (i: number) => 3 * base[i] + 1,
    (i: number) => base[i] + 0.01 * normal(),
    (i: number) => Math.sinh(base[i] / 12),
    (i: number) => Math.max(base[i], 0),
    (i: number) => other[i],
    (i: number) => other[i] + 0.1 * normal(),
    () => 0.5,
    shifted,
    (i: number) => free[i],
  ];
  const C = channels.length;
  const data = new Float32Array(N * UNITS * C);
  for (let i = 0; i < N * UNITS; i++) for (let c = 0; c < C; c++) data[i * C + c] = channels[c](i);
  return layerActivations([N, SIDE, SIDE, C], data);
}

function input(selfCapacity: FindingsInput['evidence']): FindingsInput {
  const layers = [
    { index: 0, name: 'input', className: 'InputLayer', outputShape: [SIDE, SIDE, 1], channels: 1, parameters: 0 },
    { index: 1, name: 'conv', className: 'Conv2D', outputShape: [SIDE, SIDE, 12], channels: 12, parameters: 120 },
  ];
  const manifest = { layers, epochs: [0] } as unknown as RunManifest;
  return { manifest, metrics: [], epoch: 0, evidence: selfCapacity };
}

describe('findings evidence: the near-duplicate screen on planted copies', function () {
  this.timeout(120_000);
  const pool = new ComputePool({ workers: 2 });
  after(() => pool.close());

  it('keeps every near-duplicate pair of the exhaustive rule, and the findings are those of the full matrix', async () => {
    const layer = planted();
    const C = layer.channels;
    const codes = await pool.layerCodes(layer, 32);
    const full = await pool.capacityFromCodes(codes, codes);
    const exhaustive: string[] = [];
    for (let c = 0; c < C; c++)
      for (let d = c + 1; d < C; d++)
        if ((nearDuplicateRatio(full.values, C, c, d) ?? 0) >= NEAR_DUPLICATE_SHARE) exhaustive.push(`${c}-${d}`);
    // The planted copies the capacity calls near-duplicates: the exact, sign-flipped, scaled, slightly noisy and sinh copies of
    // 0, and 7's shifted copy (its pair distances are 7's). At 32 bins the ReLU copy of 0 and the noisier copy of 7 are not.
    for (const pair of ['0-1', '0-2', '0-3', '0-4', '0-5', '1-2', '2-5', '3-4', '7-10'])
      assert.ok(exhaustive.includes(pair), `${pair} in ${exhaustive.join(', ')}`);
    for (const pair of ['0-6', '7-8']) assert.ok(!exhaustive.includes(pair), `${pair} in ${exhaustive.join(', ')}`);
    assert.ok(!exhaustive.some((p) => p.split('-').includes('9') || p.split('-').includes('11')), exhaustive.join(', '));

    const screened = await screenedSelfCapacity(pool, layer, codes, { screen: NEAR_DUPLICATE_SCREEN });
    const kept = [...screened.pairs].map((p) => `${p.c}-${p.d}`);
    for (const pair of exhaustive) assert.ok(kept.includes(pair), `the screen kept ${pair}`);
    assert.ok(kept.length < (C * (C - 1)) / 2, `${kept.length} pairs kept`);
    // The sinh copy is nearly linear: the position-wise r keeps it.
    assert.ok(screened.pairs.at(screened.pairs.indexOf(0, 5)).r > 0.99);
    // The shifted copy has the same pair distances but a position-wise r near 0: its energies' r keeps it.
    const r = channelCorrelations(layer);
    const shifted = screened.pairs.at(screened.pairs.indexOf(7, 10));
    assert.ok(Math.abs(r[7 * C + 10]) < 0.3, `r(7, 10) = ${r[7 * C + 10]}`);
    assert.equal(shifted.r, r[7 * C + 10]);
    assert.ok(shifted.rEnergy > 0.999, `energies' r(7, 10) = ${shifted.rEnergy}`);
    // The findings from the screened evidence are the full matrix's (but for the screen's sentence).
    const fromFull = nearDuplicateRule(input(new Map([[1, { selfCapacity: { rows: C, columns: C, values: full.values } }]]))).findings;
    const fromScreen = nearDuplicateRule(input(new Map([[1, { selfCapacity: screened }]]))).findings;
    assert.equal(fromFull.length, 1);
    const { detail: fullDetail, ...fullRest } = fromFull[0];
    const { detail: screenDetail, ...screenRest } = fromScreen[0];
    assert.deepEqual(screenRest, fullRest);
    assert.ok(screenDetail.startsWith(fullDetail), screenDetail);
    assert.match(
      screenDetail,
      new RegExp(
        `Pairs with \\|Pearson r\\| ≥ ${NEAR_DUPLICATE_SCREEN_R} .* were compared exactly \\(${kept.length} of ${(C * (C - 1)) / 2}\\)`,
      ),
    );
    assert.deepEqual(redundancy(screened), redundancy({ rows: C, columns: C, values: full.values }));
  });

  it('keeps the pairs of a wide layer whose screen keeps nearly all of them (more than a call takes arguments)', async () => {
    // 700 scaled copies of one map: every one of the 244,650 pairs passes the screen (489,300 numbers).
    const C = 700;
    const n = 8;
    const r = rng(5);
    const base = Array.from({ length: n * 4 }, () => r() - 0.5);
    const data = new Float32Array(n * 4 * C);
    for (let i = 0; i < n * 4; i++) for (let c = 0; c < C; c++) data[i * C + c] = base[i] * (1 + c / C);
    const layer = layerActivations([n, 2, 2, C], data);
    const codes = await pool.layerCodes(layer, 32);
    const screened = await screenedSelfCapacity(pool, layer, codes, { screen: NEAR_DUPLICATE_SCREEN });
    assert.equal(screened.pairs.length, (C * (C - 1)) / 2);
    assert.deepEqual(
      [0, 1].map((k) => [screened.pairs.c[k], screened.pairs.d[k]]),
      [
        [0, 1],
        [0, 2],
      ],
    );
  });

  it('without a screen compares every pair: its cells are the full matrix’s, bit for bit', async () => {
    const layer = planted();
    const C = layer.channels;
    const codes = await pool.layerCodes(layer, 32);
    const full = await pool.capacityFromCodes(codes, codes);
    const all = await screenedSelfCapacity(pool, layer, codes, { screen: null });
    assert.equal(all.pairs.length, (C * (C - 1)) / 2);
    for (let c = 0; c < C; c++) assert.equal(all.diagonal[c], full.values[c * C + c]);
    for (const p of all.pairs) {
      assert.equal(p.cd, full.values[p.c * C + p.d]);
      assert.equal(p.dc, full.values[p.d * C + p.c]);
    }
    // It reads the full matrix's symmetric path (one histogram a pair); each cell asked on its own
    // (the screen's path) gives the same bits.
    const cells = [...all.pairs].flatMap((p) => [p.c, p.d, p.d, p.c]);
    const alone = await pool.capacityCells(codes, cells);
    [...all.pairs].forEach((p, k) => {
      assert.equal(p.cd, alone[2 * k]);
      assert.equal(p.dc, alone[2 * k + 1]);
    });
    assert.deepEqual(redundancy(all), redundancy({ rows: C, columns: C, values: full.values }));
  });

  it('screens a layer only where the correlations cost less than the exact comparisons', () => {
    assert.equal(screenSaves(200, 16), true); // ResNet-18's last stage: 4×4 maps
    assert.equal(screenSaves(200, 64), true); // its third stage: 8×8 maps (2.3× faster screened, measured)
    assert.equal(screenSaves(200, 99), true);
    assert.equal(screenSaves(200, 100), false);
    assert.equal(screenSaves(200, 256), false); // a 16×16 map: about as fast either way, every pair compared
    assert.equal(screenSaves(200, 1024), false); // a 32×32 map: every pair is compared exactly
  });
});

describe('findings evidence of a run: layers in flight, the output kept for the ablations', function () {
  this.timeout(240_000);
  let runs = '';
  let folder = '';

  before(() => {
    // residualDuplicates.ts untrained (synthetic:300, probe 120, k 20, wasm): near-duplicate findings with ablations.
    ({ runs, folder } = copyFixtureRun('residual-duplicates', 'cnn-slicer-findings-evidence-'));
  });
  after(() => {
    EVIDENCE.inFlight = 2;
    rmSync(dirname(runs), { recursive: true, force: true });
  });

  /** The findings answer with `inFlight` layers at once, on a fresh copy of the run, and the forward passes it ran. */
  async function findings(inFlight: number, copy: string): Promise<{ answer: FindingsAnswer; passes: number }> {
    const run = `${folder}-${copy}`;
    cpSync(folder, run, { recursive: true });
    EVIDENCE.inFlight = inFlight;
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
    const original = SplitForward.prototype.layers;
    let passes = 0;
    SplitForward.prototype.layers = function (this: SplitForward, ...args: Parameters<typeof original>) {
      passes++;
      return original.apply(this, args);
    };
    try {
      return { answer: (await engine.answer(run, { kind: 'findings' })).answer, passes };
    } finally {
      SplitForward.prototype.layers = original;
      engine.close();
    }
  }

  it('gives the same answer one layer at a time and with layers in flight, in one forward pass', async () => {
    const one = await findings(1, 'one');
    const two = await findings(2, 'two');
    const three = await findings(3, 'three');
    const ablated = one.answer.findings.filter((f) => f.ablation);
    assert.ok(ablated.length > 0, `the fixture's findings measure ablations (${one.answer.findings.map((f) => f.kind).join(', ')})`);
    assert.deepEqual(two.answer, one.answer);
    assert.deepEqual(three.answer, one.answer);
    // The evidence pass alone (every multi-channel layer, and the scored output, kept; the
    // service's budget holds them all): the ablations' baseline, the model's own output, is read
    // from memory (before: a second pass through every layer to the output).
    for (const r of [one, two, three]) assert.equal(r.passes, 1);
  });
});
