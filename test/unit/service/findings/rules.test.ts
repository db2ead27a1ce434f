import assert from 'node:assert/strict';
import type { EpochMetrics, LayerEpochMetrics, RunManifest } from '../../../../src/contract/runFormat';
import { interSampleCeilingBits, resolvingProbeSize } from '../../../../src/service/findings/layerRules';
import { BY_DESIGN_IN_CONTROL, computeFindings, withAblation } from '../../../../src/service/findings/rules';
import { THRESHOLDS } from '../../../../src/service/findings/thresholds';
import type { FindingsInput, LayerEvidence } from '../../../../src/service/findings/types';
import type { Finding, FindingKind } from '../../../../src/contract/queries';
import { probeLossEpochs } from '../../../../src/service/findings/trainingRules';
import { pairedProbeLosses } from '../../../support/probeLosses';

// Each rule on a fixture built for it (it fires, with the numbers that made it) and on one built
// against it (just across its threshold: it stays quiet). The fixtures are LeNet-shaped: input,
// conv1 (4 channels), pool1, flatten, dense1, output; three classes; 90 probe inputs.

const LAYERS = [
  { name: 'input', className: 'InputLayer', outputShape: [8, 8, 1], parameters: 0 },
  { name: 'conv1', className: 'Conv2D', outputShape: [6, 6, 4], parameters: 40 },
  { name: 'pool1', className: 'MaxPooling2D', outputShape: [3, 3, 4], parameters: 0 },
  { name: 'flatten', className: 'Flatten', outputShape: [36], parameters: 0 },
  { name: 'dense1', className: 'Dense', outputShape: [16], parameters: 592 },
  { name: 'output', className: 'Dense', outputShape: [3], parameters: 51 },
];

function manifest(epochs: number[], extra: Partial<RunManifest> = {}): RunManifest {
  return {
    formatVersion: 1,
    id: 'fixture',
    status: 'completed',
    createdAt: '',
    updatedAt: '',
    model: { file: '/m/lenet.ts', fingerprint: 'f', name: 'lenet.ts', sourceFiles: [] },
    layers: LAYERS.map((l, index) => ({
      index,
      ...l,
      channels: l.outputShape.length >= 2 ? l.outputShape[l.outputShape.length - 1] : 1,
      ...(index > 0 ? { source: { file: '/m/lenet.ts', line: 10 + index, column: 3 } } : {}),
    })),
    dataset: { spec: 'synthetic', name: 's', fingerprint: 'd', classNames: ['a', 'b', 'c'], inputShape: [8, 8, 1], trainSize: 910 },
    probe: { size: 90, inputsFile: '', labelsFile: '', classCounts: [30, 30, 30] },
    settings: {
      epochs: 3,
      batchSize: 8,
      optimizer: 'adam',
      learningRate: 0.001,
      seed: 1,
      recordEvery: 1,
      probeSize: 90,
      bins: 32,
      k: 1000,
    },
    backend: { name: 'cpu', fallbackReasons: [] },
    epochs,
    ...extra,
  };
}

/** A healthy layer: label information rising with depth, capacity falling, no dead channel, nothing saturated. */
function layer(l: number): LayerEpochMetrics {
  const channels = LAYERS[l].outputShape.length >= 2 ? LAYERS[l].outputShape[LAYERS[l].outputShape.length - 1] : 1;
  return {
    layer: l,
    interSampleBits: 12 - l,
    interSampleBitsPerClass: [null, null, null],
    channelBits: Array.from({ length: channels }, () => 2),
    channelBitsPerClass: [],
    deadChannels: [],
    nonFiniteCount: 0,
    labelInformationBits: [0.1, 0.12, 0.14, 0.14, 0.25, 0.4][l],
    inputCapacityBits: [4, 2.5, 2, 2, 1, 0.5][l],
    binnedInformation: { ixtBits: 5, ityBits: 1, saturated: false },
  };
}

function epochMetrics(epoch: number, trainLoss: number | null, probeLoss: number): EpochMetrics {
  return {
    epoch,
    trainLoss,
    trainAccuracy: trainLoss === null ? null : 0.9,
    probeLoss,
    probeAccuracy: 0.9,
    confusion: [
      [27, 2, 1],
      [1, 28, 1],
      [2, 1, 27],
    ],
    hLabelGivenPred: [0.5, 0.5, 0.5],
    hPredGivenLabel: [0.5, 0.5, 0.5],
    layers: LAYERS.map((_, l) => layer(l)),
    timingsMs: { train: 1, record: 1 },
  };
}

function healthy(): FindingsInput {
  const metrics = [epochMetrics(0, null, 1.1), epochMetrics(1, 0.6, 0.5), epochMetrics(2, 0.4, 0.4), epochMetrics(3, 0.3, 0.35)];
  return { manifest: manifest([0, 1, 2, 3]), metrics, epoch: 3, evidence: new Map([[1, selfCapacity([0.5, 0.5, 0.5])]]) };
}

/** Evidence of a 4-channel layer: own capacities 2 bits, every pair at `ratio` of that (one per pair 0-1, 0-2, … given, the rest 0.2). */
function selfCapacity(ratios: number[], labelBits: (number | null)[] = [0.05, 0.05, 0.05, 0.05]): LayerEvidence {
  const n = 4;
  const values = new Array<number>(n * n).fill(0.4);
  for (let c = 0; c < n; c++) values[c * n + c] = 2;
  const pairs = [
    [0, 1],
    [0, 2],
    [1, 2],
  ];
  ratios.forEach((r, k) => {
    const [c, d] = pairs[k];
    values[c * n + d] = values[d * n + c] = 2 * r;
  });
  return { selfCapacity: { rows: n, columns: n, values }, channelLabelBits: labelBits };
}

const kinds = (fs: readonly Finding[]) => fs.map((f) => f.kind);
const ofKind = (input: FindingsInput, kind: FindingKind) => computeFindings(input).findings.filter((f) => f.kind === kind);

describe('findings rules', function () {
  it('say nothing about a healthy run, and list every threshold by name', function () {
    const r = computeFindings(healthy());
    assert.deepEqual(kinds(r.findings), []);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.thresholds.NEAR_DUPLICATE_SHARE, 0.9);
    assert.equal(r.thresholds.UNINFORMATIVE_BITS, 0.01);
    assert.deepEqual(r.thresholds, THRESHOLDS);
  });

  describe('dead-channels', function () {
    it('names channels zero on every input and channels of entropy 0, at the layer and its line', function () {
      const input = healthy();
      const at = input.metrics[3].layers[1];
      at.deadChannels = [2];
      at.channelBits[0] = 0;
      const [f] = ofKind(input, 'dead-channels');
      assert.equal(f.severity, 'warning');
      assert.deepEqual(f.channels, [0, 2]);
      assert.equal(f.layer, 1);
      assert.deepEqual(f.source, { file: '/m/lenet.ts', line: 11, column: 3 });
      assert.match(f.message, /2 dead channels of 4: 0, 2/);
      assert.deepEqual(f.view, { view: 'channel', layer: 1, epoch: 3, channel: 0 });
    });

    it('reports a dead conv once, at the conv, naming the pool and flatten that pass it on (issue 44 item 5)', function () {
      const input = healthy();
      const at = input.metrics[3].layers;
      at[1].deadChannels = [0, 1, 2, 3]; // conv1 dead
      at[2].deadChannels = [0, 1, 2, 3]; // pool1 only max-pools it
      at[3].deadChannels = [0]; // flatten: its one channel (36 units) is 0
      const found = ofKind(input, 'dead-channels');
      assert.deepEqual(
        found.map((f) => f.layer),
        [1],
      );
      const [f] = found;
      assert.match(f.message, /^4 dead channels of 4: 0, 1, 2, 3$/);
      assert.match(f.detail, /pool1, flatten only pass them on \(not reported again there\)/);
      assert.deepEqual(f.evidence.passedOnBy, [2, 3]);
    });

    it('keeps a finding of its own at a pooling layer for channels alive at its input, and follows a concatenate channel by channel', function () {
      const input = healthy();
      input.metrics[3].layers[1].deadChannels = [1];
      input.metrics[3].layers[2].deadChannels = [1, 3]; // 3 is alive in conv1: pool1's own
      const found = ofKind(input, 'dead-channels');
      assert.deepEqual(
        found.map((f) => [f.layer, f.channels]),
        [
          [1, [1]],
          [2, [3]],
        ],
      );
      assert.match(found[0].detail, /pool1 only passes it on/);
      // A concatenate of conv1 (4 channels) and pool-like layer 2 (4 channels): its channel 4 + c comes from layer 2's channel c.
      const concat = healthy();
      concat.manifest.layers[3] = { ...concat.manifest.layers[3], className: 'Concatenate', outputShape: [6, 6, 8], channels: 8 };
      concat.metrics[3].layers[3] = { ...concat.metrics[3].layers[3], channelBits: new Array<number>(8).fill(2) };
      concat.inputsOf = [[], [0], [1], [1, 2], [3], [4]];
      concat.metrics[3].layers[2].deadChannels = [0];
      concat.metrics[3].layers[2].channelBits[0] = 0;
      concat.metrics[3].layers[3].deadChannels = [4, 5];
      assert.deepEqual(
        ofKind(concat, 'dead-channels').map((f) => [f.layer, f.channels]),
        [
          [2, [0]],
          [3, [5]],
        ],
      );
    });

    it('counts the units of a dead vector layer, the same units its ablation zeroes', function () {
      const input = healthy();
      input.metrics[3].layers[4].deadChannels = [0]; // dense1: all 16 units 0
      const [f] = ofKind(input, 'dead-channels');
      assert.equal(f.layer, 4);
      assert.match(f.message, /^all 16 units dead/);
      assert.deepEqual(
        f.channels,
        Array.from({ length: 16 }, (_, u) => u),
      );
      const a = withAblation(f, {
        channels: f.channels ?? [],
        mode: 'zero',
        baseline: { accuracy: 0.9, loss: 0.3 } as never,
        ablated: { accuracy: 0.1, loss: 2 } as never,
      });
      assert.deepEqual(a.ablation!.channels, f.channels);
    });

    it('stays quiet for a small but non-zero entropy', function () {
      const input = healthy();
      input.metrics[3].layers[1].channelBits[0] = 1e-6;
      assert.deepEqual(ofKind(input, 'dead-channels'), []);
    });
  });

  describe('near-duplicate-channels', function () {
    it('fires on a pair at 0.9 of the smaller own capacity and names all but one of each group', function () {
      const input = healthy();
      input.evidence = new Map([[1, selfCapacity([0.95, 0.9, 0.5])]]);
      const [f] = ofKind(input, 'near-duplicate-channels');
      assert.equal(f.severity, 'information');
      assert.deepEqual(f.channels, [1, 2]);
      assert.equal(f.evidence.nearDuplicatePairs, 2);
      assert.deepEqual(f.evidence.groupSizes, [3]);
      assert.equal(f.view.view, 'information');
    });

    it('stays quiet just below 0.9, and says why it was not checked without evidence', function () {
      const input = healthy();
      input.evidence = new Map([[1, selfCapacity([0.89, 0.5, 0.5])]]);
      assert.deepEqual(ofKind(input, 'near-duplicate-channels'), []);
      input.evidence = undefined;
      input.evidenceSkipped = [{ kind: 'near-duplicate-channels', reason: 'no layer with several channels' }];
      const r = computeFindings(input);
      assert.deepEqual(
        r.skipped.find((s) => s.kind === 'near-duplicate-channels'),
        { kind: 'near-duplicate-channels', reason: 'no layer with several channels' },
      );
    });
  });

  describe('uninformative-channels', function () {
    it('names channels below 0.01 bit that are not dead', function () {
      const input = healthy();
      input.evidence = new Map([[1, selfCapacity([0.5, 0.5, 0.5], [0.005, 0.2, 0, null])]]);
      input.metrics[3].layers[1].deadChannels = [2];
      const [f] = ofKind(input, 'uninformative-channels');
      assert.deepEqual(f.channels, [0]);
      assert.match(f.message, /1 channel of 4 tells almost nothing/);
    });

    it('stays quiet at 0.01 bit exactly and above, and is skipped without class output', function () {
      const input = healthy();
      input.evidence = new Map([[1, selfCapacity([0.5, 0.5, 0.5], [0.01, 0.2, 0.3, null])]]);
      assert.deepEqual(ofKind(input, 'uninformative-channels'), []);
      input.manifest = manifest([0, 1, 2, 3], {
        output: { layer: 'output', kind: 'none', chosenBy: 'only', labelMeasuresAbsent: 'a regression' },
      });
      const skipped = computeFindings(input).skipped.map((s) => s.kind);
      for (const k of ['uninformative-channels', 'label-information-drop', 'inert-layer', 'probe-loss-rising', 'class-never-predicted'])
        assert.ok(skipped.includes(k as FindingKind), k);
    });
    it('sits at the layer that causes it: a pooling that repeats its input’s channels is named, not reported again', function () {
      const input = healthy();
      input.evidence = new Map([
        [1, selfCapacity([0.5, 0.5, 0.5], [0.005, 0.2, 0.004, 0.3])],
        [2, selfCapacity([0.5, 0.5, 0.5], [0.006, 0.25, 0.003, 0.005])],
      ]);
      const fs = ofKind(input, 'uninformative-channels');
      assert.deepEqual(
        fs.map((f) => [f.layerName, f.channels]),
        [
          ['conv1', [0, 2]],
          ['pool1', [3]],
        ],
      );
      assert.match(fs[0].detail, /pool1 only passes them on \(not reported again there\)/);
      assert.deepEqual(fs[0].evidence.passedOnBy, [2]);
    });

    it('names no channel where every live channel of a layer is below the threshold, and says why', function () {
      const input = healthy();
      input.evidence = new Map([[1, selfCapacity([0.5, 0.5, 0.5], [0.005, 0.002, 0, 0.009])]]);
      input.metrics[3].layers[1].deadChannels = [2];
      assert.deepEqual(ofKind(input, 'uninformative-channels'), []);
      const why = computeFindings(input).skipped.find((s) => s.kind === 'uninformative-channels');
      assert.match(
        why?.reason ?? '',
        /on conv1 every channel is below UNINFORMATIVE_BITS = 0.01 bit, so the measure singles out none of them/,
      );
    });
  });

  describe('label-information-drop', function () {
    it("fires when a layer keeps at most half of its input's label information and loses at least 0.05 bit", function () {
      const input = healthy();
      input.metrics[3].layers[5].labelInformationBits = 0.1; // dense1 0.25 → 0.1: 60 %, 0.15 bit
      const [f] = ofKind(input, 'label-information-drop');
      assert.equal(f.layer, 5);
      assert.equal(f.severity, 'warning');
      assert.equal(f.evidence.inputLayer, 4);
      assert.match(f.message, /0\.250 bit \(dense1\) to 0\.100 bit: 60% lost/);
    });

    it("stays quiet for a drop of less than half, for a small drop in bits, and reads the topology's inputs", function () {
      const input = healthy();
      input.metrics[3].layers[5].labelInformationBits = 0.13; // 48 %
      assert.deepEqual(ofKind(input, 'label-information-drop'), []);
      input.metrics[3].layers[4].labelInformationBits = 0.08;
      input.metrics[3].layers[5].labelInformationBits = 0.035; // 56 % but 0.045 bit
      assert.deepEqual(ofKind(input, 'label-information-drop'), []);
      // Read through the topology, the output's input is pool1 (0.14 → 0.035 is a drop); flatten unchanged.
      input.inputsOf = [[], [0], [1], [2], [3], [2]];
      assert.deepEqual(
        ofKind(input, 'label-information-drop').map((f) => f.evidence.inputLayer),
        [2],
      );
    });

    it('is skipped on runs recorded before label information was measured', function () {
      const input = healthy();
      for (const m of input.metrics) for (const l of m.layers) delete l.labelInformationBits;
      assert.ok(computeFindings(input).skipped.some((s) => s.kind === 'label-information-drop'));
    });
  });

  describe('inert-layer', function () {
    it("fires on a layer with parameters whose capacity and label information equal its input's", function () {
      const input = healthy();
      Object.assign(input.metrics[3].layers[4], { inputCapacityBits: 2.005, labelInformationBits: 0.145 });
      const [f] = ofKind(input, 'inert-layer');
      assert.equal(f.layer, 4);
      assert.equal(f.evidence.inputLayer, 3);
    });

    it("stays quiet on a layer that reads a dead layer (identical inputs): the finding is the dead layer's", function () {
      const input = healthy();
      const at = input.metrics[3].layers;
      at[4] = {
        ...at[4],
        deadChannels: [0],
        interSampleBits: null,
        interSampleUndefined: 'identical-samples',
        inputCapacityBits: 0,
        labelInformationBits: 0,
      };
      at[5] = { ...at[5], inputCapacityBits: 0, labelInformationBits: 0 };
      assert.deepEqual(ofKind(input, 'inert-layer'), []);
    });

    it('stays quiet beyond the tolerance and on layers without parameters (flatten equals pool1 exactly)', function () {
      const input = healthy();
      Object.assign(input.metrics[3].layers[4], { inputCapacityBits: 2.02, labelInformationBits: 0.14 });
      assert.deepEqual(ofKind(input, 'inert-layer'), []);
    });
  });

  describe('measurement-ceiling', function () {
    it('the inter-sample ceiling is log2 of the weighted ordered pairs', function () {
      assert.equal(interSampleCeilingBits(500, 1000), Math.log2(500 * 499));
      assert.equal(interSampleCeilingBits(5000, 100), Math.log2(5000 * 200));
      assert.deepEqual(resolvingProbeSize(500, Math.log2(500), Math.log2, 9999), { size: 2000, capped: false });
      assert.deepEqual(resolvingProbeSize(500, Math.log2(500), Math.log2, 1000), { size: 1000, capped: true });
    });

    it('fires per layer at the inter-sample ceiling, with the probe size that resolves it', function () {
      const input = healthy();
      const ceiling = interSampleCeilingBits(90, 1000);
      input.metrics[3].layers[2].interSampleBits = ceiling - 0.01;
      const [f] = ofKind(input, 'measurement-ceiling');
      assert.equal(f.layer, 2);
      assert.equal(f.view.view, 'query');
      assert.equal(f.evidence.suggestedProbeSize, 180);
      // The advice is the surfaces' to word (the CLI's flag, VS Code's setting): the message names no flag.
      assert.doesNotMatch(f.message, /--probe/);
      input.metrics[3].layers[2].interSampleBits = ceiling - 0.06;
      assert.deepEqual(ofKind(input, 'measurement-ceiling'), []);
    });

    it('never fires on a layer whose probe inputs are identical (every channel dead), even where a run recorded the ceiling', function () {
      const input = healthy();
      const ceiling = interSampleCeilingBits(90, 1000);
      input.metrics[3].layers[1] = { ...input.metrics[3].layers[1], interSampleBits: ceiling, deadChannels: [0, 1, 2, 3] };
      input.metrics[3].layers[2] = {
        ...input.metrics[3].layers[2],
        interSampleBits: null,
        interSampleUndefined: 'identical-samples',
        deadChannels: [0, 1, 2, 3],
      };
      assert.deepEqual(ofKind(input, 'measurement-ceiling'), []);
    });

    it('gathers saturated binned estimates into one finding, capped by the dataset', function () {
      const input = healthy();
      for (const l of [1, 2, 4]) input.metrics[3].layers[l].binnedInformation!.saturated = true;
      input.manifest.dataset.trainSize = 200; // 290 inputs in all: 4·90 cannot be drawn
      const [f] = ofKind(input, 'measurement-ceiling');
      assert.equal(f.layer, undefined);
      assert.deepEqual(f.evidence.saturatedLayers, [1, 2, 4]);
      assert.equal(f.evidence.suggestedProbeSize, 289);
      assert.match(f.message, /even the whole dataset/);
    });
  });

  describe('probe-loss-rising', function () {
    // The run: 300 probe inputs, probe loss lowest at epoch 2 (0.269), then 0.283 and 0.285
    // while training loss falls. Each input's loss at a later epoch is its epoch-2 loss plus a change
    // of mean `rise` and spread `spread` (uniform, seeded): noise or a real rise.
    function rising(spread: number, rise = 0.016): FindingsInput {
      const metrics = [
        epochMetrics(0, null, 1.1),
        epochMetrics(1, 0.6, 0.5),
        epochMetrics(2, 0.4, 0.269),
        epochMetrics(3, 0.3, 0.283),
        epochMetrics(4, 0.269, 0.285),
      ];
      const probeLosses = pairedProbeLosses(spread, 2, [
        [3, rise * 0.9],
        [4, rise],
      ]);
      return {
        ...healthy(),
        manifest: manifest([0, 1, 2, 3, 4], { probe: { ...manifest([]).probe, size: 300 } }),
        metrics,
        epoch: 4,
        probeLosses,
      };
    }

    it('asks for each input’s loss at the best epoch, the one before and the epoch, only when the recorded losses make a candidate', function () {
      assert.deepEqual(probeLossEpochs(rising(0.4)), [2, 3, 4]);
      assert.deepEqual(probeLossEpochs(healthy()), []);
    });

    it('says "no evidence" (information, not a warning) when a 6 % rise on 300 inputs is within its bootstrap interval', function () {
      const [f] = ofKind(rising(0.4), 'probe-loss-rising');
      assert.equal(f.severity, 'information');
      assert.match(f.message, /probe loss rose 6% since epoch 2 \(0\.269 → 0\.285; \+0\.016, 95% interval −0\.0\d\d to \+0\.0\d\d\)/);
      assert.match(f.message, /no evidence of overfitting/);
      assert.ok((f.evidence.riseLow as number) <= 0 && (f.evidence.riseHigh as number) > 0, JSON.stringify(f.evidence));
      assert.equal(f.evidence.probeInputs, 300);
      assert.match(f.detail, /2000 resamples, seed 0, percentile interval/);
    });

    it('warns when the rise holds at two epochs beyond its standard error, and shows its interval', function () {
      const [f] = ofKind(rising(0.02), 'probe-loss-rising');
      assert.equal(f.severity, 'warning');
      assert.equal(f.evidence.bestEpoch, 2);
      assert.equal(f.evidence.previousEpoch, 3);
      const [mean, se, low, high] = ['riseMean', 'riseStandardError', 'riseLow', 'riseHigh'].map((k) => f.evidence[k] as number);
      assert.ok(mean > se && low > 0 && low < mean && mean < high, JSON.stringify(f.evidence));
      assert.ok((f.evidence.risePreviousLow as number) > 0);
      assert.match(f.message, /95% interval \+0\.0\d\d to \+0\.0\d\d\) while training loss fell/);
      assert.match(f.detail, /it is overfitting/);
      assert.deepEqual(f.view, { view: 'training', epoch: 4 });
    });

    it('stays quiet when the rise is at one epoch only, below 5 %, or training loss rose too', function () {
      const once = rising(0.02);
      once.metrics[3].probeLoss = 0.27; // epoch 3 barely above epoch 2: one epoch of rise
      assert.deepEqual(ofKind(once, 'probe-loss-rising'), []);
      const small = rising(0.02);
      small.metrics[4].probeLoss = 0.28; // +4.1 %
      assert.deepEqual(ofKind(small, 'probe-loss-rising'), []);
      const both = rising(0.02);
      both.metrics[4].trainLoss = 0.45;
      assert.deepEqual(ofKind(both, 'probe-loss-rising'), []);
    });

    it('never fires without each input’s loss (not checked, with why), and is skipped before three trained epochs', function () {
      const input = rising(0.02);
      delete input.probeLosses;
      const r = computeFindings(input);
      assert.deepEqual(kinds(r.findings), []);
      assert.match(
        r.skipped.find((s) => s.kind === 'probe-loss-rising')!.reason,
        /losses of each input at epochs 2, 3 and 4 were not computed/,
      );
      input.epoch = 2;
      assert.match(computeFindings(input).skipped.find((s) => s.kind === 'probe-loss-rising')!.reason, /needs three recorded epochs/);
    });
  });

  describe('class-never-predicted', function () {
    it('fires on an empty column of the confusion matrix, and not on a class predicted once', function () {
      const input = healthy();
      input.metrics[3].confusion = [
        [29, 1, 0],
        [2, 28, 0],
        [25, 5, 0],
      ];
      const [f] = ofKind(input, 'class-never-predicted');
      assert.deepEqual(f.evidence.classes, [2]);
      assert.deepEqual(f.evidence.probeInputsOfClasses, [30]);
      assert.match(f.message, /class "c" is never predicted .*30 of them/);
      input.metrics[3].confusion[2] = [24, 5, 1];
      assert.deepEqual(ofKind(input, 'class-never-predicted'), []);
    });

    it('is one finding naming every class never predicted ("2 of 3 classes"), not one per class', function () {
      const input = healthy();
      input.metrics[3].confusion = [
        [30, 0, 0],
        [30, 0, 0],
        [30, 0, 0],
      ];
      const found = ofKind(input, 'class-never-predicted');
      assert.equal(found.length, 1);
      assert.equal(
        found[0].message,
        '2 of 3 classes are never predicted on the 90 probe inputs: "b", "c" (60 probe inputs of these classes)',
      );
      assert.deepEqual(found[0].evidence, { classes: [1, 2], probeInputsOfClasses: [30, 30], classCount: 3 });
    });
  });

  describe('in a control run', function () {
    it('leaves out what the transform causes by design (classes never predicted at chance, ...) and says why', function () {
      const input = healthy();
      input.metrics[3].confusion = [
        [30, 0, 0],
        [30, 0, 0],
        [30, 0, 0],
      ];
      assert.equal(ofKind(input, 'class-never-predicted').length, 1, 'an ordinary run: the finding fires');
      input.manifest.control = {
        spec: 'shuffle-labels',
        kind: 'shuffle-labels',
        sourceRun: { id: 'source-run', folder: '../source-run' },
        chanceAccuracy: 1 / 3,
      };
      const r = computeFindings(input);
      assert.deepEqual(
        r.findings.filter((f) => BY_DESIGN_IN_CONTROL.includes(f.kind)),
        [],
      );
      const skipped = r.skipped.find((x) => x.kind === 'class-never-predicted');
      assert.match(skipped?.reason ?? '', /control experiment shuffle-labels of run source-run: its transform causes this by design/);
    });
  });

  it('sorts warnings first, then by kind, then by layer', function () {
    const input = healthy();
    const at = input.metrics[3];
    at.layers[2].deadChannels = [1];
    at.layers[1].deadChannels = [3];
    at.layers[5].labelInformationBits = 0.05;
    at.layers[4].binnedInformation!.saturated = true;
    at.confusion = [
      [30, 0, 0],
      [0, 30, 0],
      [0, 30, 0],
    ];
    const r = computeFindings(input);
    assert.deepEqual(
      r.findings.map((f) => [f.kind, f.layer]),
      [
        ['class-never-predicted', undefined],
        ['dead-channels', 1],
        ['dead-channels', 2],
        ['label-information-drop', 5],
        ['measurement-ceiling', undefined],
      ],
    );
  });

  it('adds the measured ablation to a finding in its fields, leaving its message as it is (each surface writes the ablation beside it)', function () {
    const f = withAblation(
      {
        kind: 'dead-channels',
        severity: 'warning',
        epoch: 3,
        message: '5 dead channels of 16: 1, 2, 3, 4, 5',
        detail: '',
        evidence: {},
        view: { view: 'channel' },
      },
      {
        channels: [1, 2, 3, 4, 5],
        mode: 'zero',
        baseline: { accuracy: 0.956, loss: 0.15 } as never,
        ablated: { accuracy: 0.954, loss: 0.16 } as never,
      },
    );
    assert.equal(f.message, '5 dead channels of 16: 1, 2, 3, 4, 5');
    assert.deepEqual(f.ablation, {
      channels: [1, 2, 3, 4, 5],
      mode: 'zero',
      accuracyBefore: 0.956,
      accuracyAfter: 0.954,
      lossBefore: 0.15,
      lossAfter: 0.16,
    });
  });
});
