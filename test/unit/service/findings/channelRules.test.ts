/**
 * The channel rules and the layer rules on a PyTorch run's layers: channels first `[C, H, W]`, a
 * `[C, 1, 1]` map after global average pooling, and vectors (issue 66 item 1: "512 dead channels
 * of 512" at `F.avg_pool2d(out, 4)`). The rules read a layer's channel axis from its `dataFormat`.
 */
import assert from 'node:assert/strict';
import type { RunLayer } from '../../../../src/contract/runFormat';
import type { Finding, FindingKind } from '../../../../src/contract/queries';
import { computeFindings } from '../../../../src/service/findings/rules';
import { groupList, movesTogether } from '../../../../src/service/findings/channelRules';
import type { FindingsInput, LayerEvidence } from '../../../../src/service/findings/types';
import { deepInputsOf, deepManifest, healthyMetrics } from '../../../support/deepManifest';

function deepInput(width = 64): FindingsInput {
  const manifest = deepManifest({ width, size: 32 });
  return {
    manifest,
    metrics: [healthyMetrics(manifest, 1), healthyMetrics(manifest, 2)],
    epoch: 2,
    inputsOf: deepInputsOf(manifest.layers),
  };
}

const at = (input: FindingsInput, name: string): RunLayer => input.manifest.layers.find((l) => l.name === name)!;
const metricsOf = (input: FindingsInput, name: string) => input.metrics[1].layers[at(input, name).index];
const ofKind = (input: FindingsInput, kind: FindingKind): Finding[] => computeFindings(input).findings.filter((f) => f.kind === kind);

/** Evidence of a `channels`-wide layer: own capacity 2 bits each, pair capacity 0.4 but for `pairs` at 1.9 (near-duplicate). */
function selfCapacity(channels: number, pairs: [number, number][], labelBits?: (number | null)[]): LayerEvidence {
  const values = new Array<number>(channels * channels).fill(0.4);
  for (let c = 0; c < channels; c++) values[c * channels + c] = 2;
  for (const [c, d] of pairs) values[c * channels + d] = values[d * channels + c] = 1.9;
  return { selfCapacity: { rows: channels, columns: channels, values }, ...(labelBits ? { channelLabelBits: labelBits } : {}) };
}

describe('findings rules on channels-first layers', function () {
  it('find nothing on a healthy ResNet18 run: [512, 1, 1] channels of 0 bits hold one value each, not a constant map', function () {
    const input = deepInput();
    const pool = at(input, 'avg_pool2d');
    assert.deepEqual(pool.outputShape, [512, 1, 1]);
    assert.ok(metricsOf(input, 'avg_pool2d').channelBits.every((b) => b === 0));
    assert.deepEqual(computeFindings(input).findings, []);
  });

  describe('dead-channels', function () {
    it('names channels zero on every input at a [C, 1, 1] map, with the channel count of its first axis', function () {
      const input = deepInput();
      metricsOf(input, 'avg_pool2d').deadChannels = [3, 5];
      const [f, ...rest] = ofKind(input, 'dead-channels');
      assert.deepEqual(rest, []);
      assert.equal(f.layerName, 'avg_pool2d');
      assert.deepEqual(f.channels, [3, 5]);
      assert.match(f.message, /^2 dead channels of 512: 3, 5$/);
      assert.deepEqual(f.evidence.constantChannels, []);
    });

    it('names a constant map of a [C, H, W] conv (entropy 0 on its H·W values), passed on by its BatchNorm', function () {
      const input = deepInput(8);
      const conv = at(input, 'layer2.0.conv1');
      assert.deepEqual(conv.outputShape, [16, 16, 16]);
      metricsOf(input, 'layer2.0.conv1').channelBits[4] = 0;
      metricsOf(input, 'layer2.0.bn1').channelBits[4] = 0;
      const [f, ...rest] = ofKind(input, 'dead-channels');
      assert.deepEqual(rest, []);
      assert.equal(f.layer, conv.index);
      assert.deepEqual(f.channels, [4]);
      assert.deepEqual(f.evidence.constantChannels, [4]);
      assert.deepEqual(f.evidence.passedOnBy, [at(input, 'layer2.0.bn1').index]);
      assert.match(f.message, /^1 dead channel of 16: 4$/);
    });

    it('counts the units of a vector layer whose one channel has entropy 0', function () {
      const input = deepInput(8);
      metricsOf(input, 'flatten').channelBits[0] = 0;
      const [f, ...rest] = ofKind(input, 'dead-channels');
      assert.deepEqual(rest, []);
      assert.equal(f.layerName, 'flatten');
      assert.match(f.message, /^all 64 units dead/);
      assert.equal(f.channels?.length, 64);
    });
  });

  describe('near-duplicate-channels', function () {
    it('fire on a channels-first conv and on a [C, 1, 1] map alike (the capacity matrix knows no layout)', function () {
      const input = deepInput(8);
      const conv = at(input, 'layer1.0.conv1').index;
      const pool = at(input, 'avg_pool2d').index;
      input.evidence = new Map([
        [conv, selfCapacity(8, [[1, 2]])],
        [pool, selfCapacity(64, [[10, 11]])],
      ]);
      const found = ofKind(input, 'near-duplicate-channels');
      assert.deepEqual(
        found.map((f) => [f.layer, f.evidence.nearDuplicatePairs]),
        [
          [conv, 1],
          [pool, 1],
        ],
      );
    });
  });

  describe('uninformative-channels', function () {
    it('name channels of a [C, 1, 1] map below 0.01 bit: a channel of one value is not dead, so it is not left out', function () {
      const input = deepInput(8);
      const pool = at(input, 'avg_pool2d').index;
      const bits = Array.from({ length: 64 }, (_, c) => (c === 2 || c === 9 ? 0.004 : 0.2));
      input.evidence = new Map([[pool, selfCapacity(64, [], bits)]]);
      const [f, ...rest] = ofKind(input, 'uninformative-channels');
      assert.deepEqual(rest, []);
      assert.equal(f.layer, pool);
      assert.deepEqual(f.channels, [2, 9]);
    });

    it('leave out the constant channels of a [C, H, W] map (the dead-channel finding names them)', function () {
      const input = deepInput(8);
      const conv = at(input, 'layer1.0.conv1').index;
      metricsOf(input, 'layer1.0.conv1').channelBits[2] = 0;
      const bits = Array.from({ length: 8 }, (_, c) => (c === 2 || c === 5 ? 0.004 : 0.2));
      input.evidence = new Map([[conv, selfCapacity(8, [], bits)]]);
      const [f] = ofKind(input, 'uninformative-channels');
      assert.deepEqual(f.channels, [5]);
    });
  });

  describe('the layer rules', function () {
    it('read label information, capacity and the ceiling of channels-first and [C, 1, 1] layers at their own layer', function () {
      const input = deepInput(8);
      const conv = at(input, 'layer3.1.conv2').index;
      const bn = at(input, 'layer3.1.bn2').index;
      const pool = at(input, 'avg_pool2d').index;
      const m = input.metrics[1].layers;
      // A drop at the pooling (label information 0.9 → 0.3), a BatchNorm equal to its conv (rescales: never inert), a conv equal to its input.
      m[pool - 1].labelInformationBits = 0.9;
      m[pool].labelInformationBits = 0.3;
      m[conv].labelInformationBits = m[conv - 1].labelInformationBits;
      m[conv].inputCapacityBits = m[conv - 1].inputCapacityBits;
      m[bn].labelInformationBits = m[conv].labelInformationBits;
      m[bn].inputCapacityBits = m[conv].inputCapacityBits;
      m[pool].interSampleBits = Math.log2(100 * 99);
      const r = computeFindings(input).findings.map((f) => [f.kind, f.layer]);
      assert.deepEqual(r, [
        ['label-information-drop', pool],
        ['inert-layer', conv],
        ['measurement-ceiling', pool],
      ]);
    });
  });

  describe('a deep model summarised', function () {
    it("gives a BatchNorm's near-duplicate pairs to the conv they come from, which names it; a pair of its own keeps its finding", function () {
      const input = deepInput(8);
      const conv = at(input, 'layer1.0.conv1').index;
      const bn = at(input, 'layer1.0.bn1').index;
      const conv2 = at(input, 'layer1.0.conv2').index;
      const bn2 = at(input, 'layer1.0.bn2').index;
      input.evidence = new Map([
        [conv, selfCapacity(8, [[1, 2]])],
        [bn, selfCapacity(8, [[1, 2]])],
        [conv2, selfCapacity(8, [[3, 4]])],
        // bn2 has conv2's pair and one of its own: its finding stays, with both pairs.
        [
          bn2,
          selfCapacity(8, [
            [3, 4],
            [5, 6],
          ]),
        ],
      ]);
      const found = ofKind(input, 'near-duplicate-channels');
      assert.deepEqual(
        found.map((f) => [f.layerName, f.evidence.nearDuplicatePairs, f.evidence.passedOnBy ?? []]),
        [
          ['layer1.0.conv1', 1, [bn]],
          ['layer1.0.conv2', 1, []],
          ['layer1.0.bn2', 2, []],
        ],
      );
      assert.match(found[0].detail, /layer1\.0\.bn1 only passes these pairs on \(not reported again there\)/);
    });

    it('gives a BatchNorm’s uninformative channels to its conv too', function () {
      const input = deepInput(8);
      const conv = at(input, 'layer2.1.conv2').index;
      const bn = at(input, 'layer2.1.bn2').index;
      const bits = Array.from({ length: 16 }, (_, c) => (c === 3 ? 0.002 : 0.3));
      input.evidence = new Map([
        [conv, selfCapacity(16, [], bits)],
        [bn, selfCapacity(16, [], bits)],
      ]);
      const [f, ...rest] = ofKind(input, 'uninformative-channels');
      assert.deepEqual(rest, []);
      assert.equal(f.layer, conv);
      assert.deepEqual(f.evidence.passedOnBy, [bn]);
    });

    it('says once, naming no channel, that most channels of a layer move together (1,000 pairs, or over a quarter of 16+ channels)', function () {
      const input = deepInput(64);
      const conv = at(input, 'layer4.1.conv2').index;
      // 512 channels: pairs among the first 64 and among the next 40 (2,016 + 780 = 2,796 pairs).
      const pairs: [number, number][] = [];
      for (const [from, to] of [
        [0, 64],
        [64, 104],
      ])
        for (let c = from; c < to; c++) for (let d = c + 1; d < to; d++) pairs.push([c, d]);
      input.evidence = new Map([[conv, selfCapacity(512, pairs)]]);
      const [f, ...rest] = ofKind(input, 'near-duplicate-channels');
      assert.deepEqual(rest, []);
      assert.equal(f.severity, 'information');
      assert.equal(f.channels, undefined);
      assert.equal(
        f.message,
        'most channels of layer4.1.conv2 move together: 2,796 of 130,816 channel pairs are near-duplicates (2.1%), typical early in training',
      );
      assert.equal(movesTogether(999, 130816, 512), false);
      assert.equal(movesTogether(1000, 130816, 512), true);
      assert.equal(movesTogether(31, 120, 16), true);
      assert.equal(movesTogether(30, 120, 16), false);
      assert.equal(movesTogether(5, 6, 4), false);
    });

    it('cuts long channel lists and group lists to the first few and a count', function () {
      const input = deepInput(8);
      const conv = at(input, 'layer3.0.conv1').index;
      // 5 groups of 2 (5 pairs) and one group of 8 (a chain: 7 pairs), on 32 channels: 12 of 496 pairs.
      const pairs: [number, number][] = [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
        [8, 9],
      ];
      for (let c = 10; c < 17; c++) pairs.push([c, c + 1]);
      input.evidence = new Map([[conv, selfCapacity(32, pairs)]]);
      const [f] = ofKind(input, 'near-duplicate-channels');
      assert.equal(
        f.message,
        '12 near-duplicate channel pairs in 6 groups {10, 11, 12, 13, 14, 15, …} (8 channels), {0, 1}, {2, 3} and 3 more: 12 channels could go (1, 3, 5, 7, 9, … (12 in all))',
      );
      assert.equal(groupList([[1, 2]]), '{1, 2}');
    });
  });
});
