// Known answers of the ablation queries on models whose channels' roles are built in.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  bootstrapDraws,
  classScores,
  pairedDifferences,
  percentileInterval,
  predictionMeasures,
  PredictionMeasures,
  resampledMeans,
  seededRandom,
  spearman,
} from '../../../src/analysis';
import { resampledDeltaLoss, spearmanIntervals } from '../../../src/service/handlers/channelImportance';
import { readProbe } from '../../../src/run/probe';
import { ABLATION_PASS, ABLATION_PATHS, groupsPerPass, holdsOnly } from '../../../src/service/ablation';
import { AnalysisEngine } from '../../../src/service/engine';
import type { AblationAnswer } from '../../../src/contract/queries';
import { initBackend } from '../../../src/tfjs/backend';
import { forwardLayer, loadCheckpoint } from '../../../src/tfjs/forward';
import { recordLenet } from '../../support/recordedModels';
import { copyFixtureRun } from '../../support/fixtureRuns';

describe('ablation: known answers', function () {
  this.timeout(240_000);
  /** The runs folder of the LeNet run below; the two fixture runs are each copied into a runs folder of their own. */
  let runs: string;
  let copies: string[] = [];
  let engine: AnalysisEngine;
  let carrier: string;
  let graph: string;

  before(() => {
    runs = mkdtempSync(join(tmpdir(), 'cnnslicer-ablation-'));
    // Both untrained, k 20, wasm: labelCarrier.ts on 2×2 grey inputs, every pixel +1 for label 1 and −1 for label 0
    // (test/fixtures/datasets/labelCarrier, 200 inputs), a class-balanced probe of 50 per class, so that every
    // channel that copies x has mean exactly 0 (test/fixtures/runs/label-carrier); graphBranches.ts on
    // synthetic:300, probe 80 (test/fixtures/runs/graph-untrained).
    const c = copyFixtureRun('label-carrier', 'cnnslicer-ablation-carrier-');
    const g = copyFixtureRun('graph-untrained', 'cnnslicer-ablation-graph-');
    carrier = c.folder;
    graph = g.folder;
    copies = [c.runs, g.runs];
    engine = new AnalysisEngine({ roots: [...copies, runs], backend: 'wasm' });
  });
  after(() => {
    engine?.close();
    rmSync(runs, { recursive: true, force: true });
    for (const copy of copies) rmSync(dirname(copy), { recursive: true, force: true });
  });

  const ablate = async (run: string, q: object) =>
    (await engine.answer(run, { kind: 'ablation', epoch: 0, layer: 1, ...q } as never)).answer as AblationAnswer;

  it('a channel whose outgoing weights are all zero changes nothing, exactly', async () => {
    const a = await ablate(carrier, { channels: [2] });
    assert.equal(a.baseline.accuracy, 1);
    assert.deepEqual(a.ablated, a.baseline);
    assert.equal(a.delta.accuracy, 0);
    assert.equal(a.delta.loss, 0);
    assert.ok(a.delta.perClassAccuracy.every((d) => d === 0));
  });

  it('the channels that carry the label, ablated, leave the model at chance', async () => {
    const a = await ablate(carrier, { channels: [0, 1] });
    // Both scores equal: every input is predicted as the first class, right for exactly half of a balanced probe.
    assert.equal(a.ablated.accuracy, 0.5);
    assert.deepEqual(a.ablated.perClassAccuracy, [1, 0]);
    assert.ok(Math.abs(a.ablated.loss! - Math.LN2) < 1e-6, `loss ${a.ablated.loss} = ln 2`);
    assert.equal(a.delta.accuracy, -0.5);
    assert.equal(a.ablated.hLabelGivenPred[1], null, 'nothing predicted as class 1: H(label | pred = 1) undefined');
  });

  it('mean mode equals zero mode on a channel whose mean is 0', async () => {
    const zero = await ablate(carrier, { channels: [1], mode: 'zero' });
    const mean = await ablate(carrier, { channels: [1], mode: 'mean' });
    assert.notEqual(zero.delta.loss, 0, 'channel 1 matters to the loss');
    assert.deepEqual({ ...mean, mode: 'zero' }, zero);
    const zero2 = await ablate(carrier, { channels: [0], mode: 'zero' });
    const mean0 = await ablate(carrier, { channels: [0], mode: 'mean' });
    assert.deepEqual(mean0.ablated, zero2.ablated, 'channel 0 has mean 0 too');
  });

  it('channelImportance ranks the label carrier first, the unread channel last at exactly 0, and correlates the measures', async () => {
    const { answer } = await engine.answer(carrier, { kind: 'channelImportance', epoch: 0, layer: 1 });
    assert.deepEqual(answer.ranking, [0, 1, 2]);
    assert.equal(answer.channels[2].deltaLoss, 0);
    assert.equal(answer.channels[2].deltaAccuracy, 0);
    const one = await ablate(carrier, { channels: [0] });
    assert.equal(answer.channels[0].deltaLoss, one.delta.loss, 'the same number as the ablation query');
    assert.deepEqual(
      answer.measures.map((m) => m.measure),
      ['channelEntropy', 'labelInformation', 'capacityToNext', 'nearDuplicateShare'],
    );
    for (const m of answer.measures) assert.equal(m.values.length, 3);
    const toNext = answer.measures.find((m) => m.measure === 'capacityToNext')!;
    assert.equal(toNext.otherLayer, 3, 'flatten moves values only: the next layer that mixes channels is the dense output');
    // Δ loss with its bootstrap interval over the 100 probe inputs: the carrier's clear of 0 (every input loses the
    // same here, so the interval is that one value, up to rounding), the unread channel's exactly 0.
    assert.deepEqual(answer.bootstrap, { resamples: 2000, seed: 0, level: 0.95 });
    assert.equal(answer.correction, 'holm');
    const carrierRow = answer.channels[0];
    assert.ok(
      carrierRow.deltaLossLow! > 0 &&
        carrierRow.deltaLossLow! <= carrierRow.deltaLoss! + 1e-12 &&
        carrierRow.deltaLoss! <= carrierRow.deltaLossHigh! + 1e-12,
    );
    assert.deepEqual([answer.channels[2].deltaLossLow, answer.channels[2].deltaLossHigh], [0, 0]);
    // Holm over the measures tested in this answer: each adjusted p at least its own, at most 1; ρ within its interval.
    const tested = answer.measures.filter((m) => m.pValue !== null);
    for (const m of answer.measures) {
      if (m.pValue === null) assert.equal(m.adjustedPValue, null);
      else assert.ok(m.adjustedPValue! >= m.pValue && m.adjustedPValue! <= 1 && m.adjustedPValue! <= tested.length * m.pValue + 1e-12);
      if (m.spearman !== null) assert.ok(m.spearmanLow! <= m.spearman + 1e-9 && m.spearman - 1e-9 <= m.spearmanHigh!, m.measure);
    }
  });

  it('knows an ablation that changes no value: a channel that holds its replacement everywhere, bit for bit', () => {
    // Two positions of three channels: channel 0 is all +0, channel 1 holds a -0, channel 2 is constant 0.5.
    const data = Float32Array.from([0, -0, 0.5, 0, 0, 0.5]);
    assert.equal(holdsOnly(data, 0, 3, 0), true);
    assert.equal(holdsOnly(data, 1, 3, 0), false, '-0 is not the replacement 0');
    assert.equal(holdsOnly(data, 2, 3, 0), false);
    assert.equal(holdsOnly(data, 2, 3, 0.5), true, 'a constant channel holds its mean');
    assert.equal(holdsOnly(data.subarray(3), 0, 3, 0), true, 'a view at an offset');
  });

  it('refuses channels out of range and the input layer, naming the range', async () => {
    await assert.rejects(ablate(carrier, { channels: [3] }), /channel 3 is out of range: layer 1 \(carrier\) has channels 0\.\.2/);
    await assert.rejects(ablate(carrier, { layer: 0, channels: [0] }), /layer 0 is the input/);
  });

  it('a graph model: its output layer ablated (nothing after it) is its class scores with those channels zeroed', async () => {
    const manifest = (await engine.answer(graph, { kind: 'run' })).answer.manifest;
    const output = manifest.layers.length - 1;
    const a = await ablate(graph, { layer: output, channels: [0] });
    assert.equal(a.layer, output);
    assert.ok(Number.isFinite(a.ablated.accuracy) && a.ablated.accuracy <= 1);
  });

  it('a graph model with a residual add and a concatenate: the same as the full model with the channel zeroed in its weights', async () => {
    const manifest = (await engine.answer(graph, { kind: 'run' })).answer.manifest;
    const stem = manifest.layers.findIndex((l) => l.name === 'stem');
    const a = await ablate(graph, { layer: stem, channels: [0, 3] });
    // The reference: the checkpoint of epoch 0 with the stem's filters 0 and 3 zeroed (kernel and
    // bias; after its ReLU the channels are 0, as the ablation makes them), run from the input.
    const { tf } = await initBackend('wasm');
    const model = await loadCheckpoint(tf, join(graph, 'checkpoints', 'epoch-0000'), manifest.layers);
    const [kernel, bias] = model.getLayer('stem').getWeights();
    const mask = tf.tensor1d([0, 1, 1, 0, 1, 1]);
    model.getLayer('stem').setWeights([kernel.mul(mask), bias.mul(mask)]);
    const probe = readProbe({ folder: graph, manifest });
    const out = await forwardLayer({
      tf,
      model,
      layers: manifest.layers,
      inputs: probe.inputs,
      count: probe.labels.length,
      layer: manifest.layers.length - 1,
    });
    const expected = predictionMeasures(classScores('softmax', out.data, 3), probe.labels, 3);
    assert.equal(a.ablated.accuracy, expected.accuracy);
    assert.deepEqual(a.ablated.confusion, expected.confusion);
    assert.ok(Math.abs(a.ablated.loss! - expected.loss!) < 1e-9, `${a.ablated.loss} vs ${expected.loss}`);
    assert.notEqual(a.ablated.loss, a.baseline.loss, 'the ablation changes the predictions');
    model.dispose();
  });

  it('a graph model: the ablations that run only the layers after the ablated one give the numbers of forwardFrom, bit for bit', async () => {
    // Every multi-channel layer's channel importance (each channel ablated alone, and the measures),
    // once through the graph tail and once, on a copy of the run, through forwardFrom.
    const copy = join(dirname(graph), 'graph-forward-from');
    cpSync(graph, copy, { recursive: true });
    const manifest = (await engine.answer(graph, { kind: 'run' })).answer.manifest;
    const layers = manifest.layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
    assert.ok(layers.length >= 6, `layers ${layers.join(', ')}`);
    for (const layer of layers) {
      const q = { kind: 'channelImportance' as const, layer, epoch: 0 };
      const tail = (await engine.answer(graph, q)).answer;
      ABLATION_PATHS.graphTail = false;
      try {
        const reference = (await engine.answer(copy, q)).answer;
        assert.deepEqual(tail, reference, `layer ${layer} (${manifest.layers[layer].name})`);
      } finally {
        ABLATION_PATHS.graphTail = true;
      }
      assert.ok(
        tail.channels.some((c) => c.deltaLoss !== 0),
        `layer ${layer}: some ablation changes the loss`,
      );
    }
  });

  it('a graph model: ablations one per pass give the numbers of many per pass; a pass counts the graph tail’s copies', async () => {
    const manifest = (await engine.answer(graph, { kind: 'run' })).answer.manifest;
    const layer = manifest.layers.find((l) => l.index > 0 && l.channels > 2)!.index;
    const q = { kind: 'channelImportance' as const, layer, epoch: 0 };
    const copy = join(dirname(graph), 'graph-one-per-pass');
    cpSync(graph, copy, { recursive: true });
    rmSync(join(copy, 'cache'), { recursive: true, force: true });
    const many = (await engine.answer(graph, q)).answer;
    const saved = ABLATION_PASS.bytes;
    ABLATION_PASS.bytes = 1;
    try {
      assert.deepEqual((await engine.answer(copy, q)).answer, many);
    } finally {
      ABLATION_PASS.bytes = saved;
    }
    // 200 inputs of a 32 × 32 × 72 layer (59 MB a block) and its copies for the tail: 2 a pass, not 73.
    const block = 200 * 32 * 32 * 72 * 4;
    assert.equal(groupsPerPass(200 * 10 * 4, block * 1.5, 192 * 1024 ** 2), 2);
    assert.equal(groupsPerPass(block, 0, 192 * 1024 ** 2), 3);
    assert.equal(groupsPerPass(block * 10, 0, 192 * 1024 ** 2), 1, 'at least one');
  });

  describe('a sequential model: ablations computed from the first layer that mixes channels', () => {
    let lenet: string;
    before(async () => {
      lenet = (await recordLenet(runs)).folder;
    });

    /** The measures of the checkpoint at epoch 1 with `layer`'s filters `channels` zeroed (kernel and bias; after its ReLU the channels are 0). */
    async function zeroedInWeights(layerName: string, channels: number[]) {
      const manifest = (await engine.answer(lenet, { kind: 'run' })).answer.manifest;
      const { tf } = await initBackend('wasm');
      const model = await loadCheckpoint(tf, join(lenet, 'checkpoints', 'epoch-0001'), manifest.layers);
      const [kernel, bias] = model.getLayer(layerName).getWeights();
      const units = bias.shape[0];
      const mask = tf.tensor1d(Array.from({ length: units }, (_, c) => (channels.includes(c) ? 0 : 1)));
      model.getLayer(layerName).setWeights([kernel.mul(mask), bias.mul(mask)]);
      const probe = readProbe({ folder: lenet, manifest });
      const out = await forwardLayer({ tf, model, layers: manifest.layers, inputs: probe.inputs, count: probe.labels.length, layer: 7 });
      model.dispose();
      return predictionMeasures(classScores('softmax', out.data, 10), probe.labels, 10);
    }

    for (const [name, layer, channels] of [
      ['conv1 (pool1 between it and conv2)', 1, [0, 3]],
      ['dense1 (its units, read by the output layer)', 6, [1, 5, 40]],
    ] as const) {
      it(`${name}: the same predictions as the model with those filters zeroed in its weights`, async () => {
        const a = await ablate(lenet, { epoch: 1, layer, channels: [...channels] });
        const expected = await zeroedInWeights(layer === 1 ? 'conv1' : 'dense1', [...channels]);
        assert.equal(a.ablated.accuracy, expected.accuracy);
        assert.deepEqual(a.ablated.confusion, expected.confusion);
        assert.ok(Math.abs(a.ablated.loss! - expected.loss!) < 1e-6, `${a.ablated.loss} vs ${expected.loss}`);
        assert.ok(a.delta.loss! > 0, 'removing trained filters costs loss');
      });
    }
  });
});

describe('channel importance: the bootstrap intervals of Δ loss and ρ', function () {
  const measuresOf = (losses: number[][]) =>
    losses.map((l) => ({ loss: l.reduce((a, b) => a + b, 0) / l.length, inputLosses: Float64Array.from(l) }));

  it('resamples every channel on the same draws, and gives ρ on each resample as spearman does', () => {
    const random = seededRandom(3);
    const n = 40;
    const baseline = measuresOf([Array.from({ length: n }, () => random())])[0] as PredictionMeasures;
    const ablated = measuresOf(
      Array.from({ length: 6 }, (_, c) =>
        Array.from({ length: n }, (_, i) => baseline.inputLosses[i] + 0.01 * c + 0.05 * (random() - 0.5)),
      ),
    ) as PredictionMeasures[];
    ablated[4] = { ...ablated[4], loss: undefined };
    const resampled = resampledDeltaLoss(ablated, baseline);
    assert.equal(resampled[4], undefined, 'no loss, no interval');
    const draws = bootstrapDraws(n, 2000, 0);
    assert.deepEqual(resampled[2], resampledMeans(pairedDifferences(ablated[2].inputLosses, baseline.inputLosses), draws));
    const values = [0.5, 0.1, null, 0.9, 0.3, 0.2];
    const [interval, tooFew] = spearmanIntervals([values, [1, null, null, 2, 3, null]], resampled);
    assert.equal(tooFew, undefined, 'two channels with both values: no ρ');
    // The same as spearman's ρ of the values with each resample's Δ losses.
    const rhos = Float64Array.from(
      { length: 2000 },
      (_, b) =>
        spearman(
          values,
          resampled.map((r) => r?.[b] ?? null),
          { permutations: 0 },
        ).rho ?? 0,
    );
    assert.deepEqual(interval, percentileInterval(rhos));
  });
});
