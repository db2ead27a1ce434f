// Known answers of the ablation queries on models whose channels' roles are built in.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
import { NativeCheckpoint } from '../../../src/native/nativeForward';
import { nativeRuntime } from '../../../src/native/ortRuntime';
import { measurePendingEpochs } from '../../../src/measure/measureRun';
import { checkpointFolder } from '../../../src/run/paths';
import { readProbe } from '../../../src/run/probe';
import { readRun } from '../../../src/run/store';
import { ABLATION_PASS, ABLATION_PATHS, groupsPerPass, holdsOnly } from '../../../src/service/ablation';
import { AnalysisEngine } from '../../../src/service/engine';
import type { AblationAnswer } from '../../../src/contract/queries';
import { initBackend } from '../../../src/tfjs/backend';
import { forwardLayer, loadCheckpoint } from '../../../src/tfjs/forward';
import { recordLenet } from '../../support/recordedModels';
import { copyFixtureRun, copyPytorchRun } from '../../support/fixtureRuns';

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

/**
 * The exactness goal of issue 67 for ablations: the service's answer equals PyTorch's own forward pass
 * with a forward hook that replaces the channels as docs/estimators.md "Ablation" defines it (zero; the
 * channel's mean over every probe input and position), on the test zoo: the models of
 * python/tests/test_engine.py (scripts/onnx-fixtures.py's VGG with BatchNorm, ResNet basic blocks with
 * identity and projection shortcuts, MobileNetV2's inverted residuals, DenseNet's concatenations,
 * squeeze-and-excitation, and the other activations of `Ops`; channels first, Linear heads), each trained
 * six passes over 320 CIFAR-like inputs and recorded by the Python recorder, and the checked-in PyTorch
 * run (the LeNet, epoch 2). PyTorch (test/support/torch_ablation.py) reads the weights back from the
 * run's ONNX checkpoint. Per case: accuracy by count equal, loss within 1e-4 relative, and the case tells:
 * PyTorch's loss moves by more than 1e-3 relative (ten times the tolerance), so an ablation of the wrong
 * channel, of no channel or with another replacement would fail.
 */
describe('ablation: equal to PyTorch’s hooked forward on the test zoo', function () {
  this.timeout(600_000);
  const PYTHON = '/usr/bin/python3';
  const SCRIPT = resolve(__dirname, '../../support/torch_ablation.py');
  /**
   * Per model: the layers ablated (the manifest's names = PyTorch's modules or recorded calls), their channels
   * and, for some, the classes whose inputs the query asks about (the mean is over every probe input all the same).
   */
  const CASES: Record<string, [string, number[], number[]?][]> = {
    lenet: [
      ['relu1', [2]], // a ReLU module
      ['conv2', [0, 1, 2, 6]],
      ['pool2', [6]], // the last feature map before the view() that flattens it
      ['fc1', [15]], // a hidden Linear layer: its units are the channels
    ],
    vgg_bn: [
      ['features.2', [1]], // ReLU(inplace=True) after a BatchNorm
      ['features.5', [2, 3, 4]], // a BatchNorm
      ['features.5', [2, 3, 4], [0, 1, 2]],
      ['features.5', [2, 3, 4], [0]], // a confident class: its loss is 1.6e-5
      ['features.12', [0, 9]],
      ['classifier', [0]], // the Linear head
    ],
    resnet: [
      ['relu', [1]], // F.relu of the stem: read by layer1's first convolution and by its identity shortcut
      ['layer1.0.bn2', [0, 3, 4]], // inside a block: the left side of the in-place `out += self.shortcut(x)`
      ['layer1.0.bn2', [0, 3, 4], [3, 7]], // the inputs of two classes
      ['layer1.0.relu-2', [3]], // a block's output: read by layer2's first convolution and its projection shortcut
      ['layer2.0.bn1', [2, 9]], // inside the strided block
      ['layer2.0.shortcut.1', [1, 8, 13]], // the projection shortcut's BatchNorm
      ['layer3.0.add', [0, 5, 17]], // a block's sum
      ['linear', [1]], // the Linear head
    ],
    mobilenetv2: [
      ['layers.1.bn3', [3]], // a block's output: read by the next block and by its identity shortcut
      ['layers.2.conv2', [0, 7, 41]], // the depthwise convolution inside the residual block
      ['layers.2.add', [1, 4]],
      ['linear', [4]],
    ],
    densenet: [
      ['conv1', [2, 6]], // read by the first bottleneck and by its torch.cat
      ['dense1.0.conv2', [1]],
      ['dense1.0.cat', [1, 10]],
      ['trans1.avg_pool2d', [1]],
    ],
    se: [
      ['relu', [4]], // read by layer1's first convolution and by its identity shortcut
      ['layer1.bn2', [0, 7]], // read by the squeeze (the average) and by `out * w`
      ['layer1.bn2', [0, 7], [5]],
      ['layer2.sigmoid', [4, 14]], // the excitation's gates
      ['layer2.shortcut.1', [11]],
    ],
    ops: [
      ['bn2', [4]], // before the channel shuffle (a view, a transpose)
      ['act3', [0, 13]], // Tanh
      ['gate', [1, 13]], // Hardsigmoid, before the view() that flattens it
      ['linear', [1]], // the Linear layer before log_softmax
    ],
  };
  const RECORDED = Object.keys(CASES).filter((m) => m !== 'lenet');
  const MODES = ['zero', 'mean'] as const;
  type TorchMeasures = { correct: number; loss: number; margin: number };
  type TorchCase = { baseline: TorchMeasures; ablated: TorchMeasures };
  let dir: string;
  let engine: AnalysisEngine;
  /** Per model: its run folder, the epoch compared, the layers' indices by name. */
  const runs: Record<string, { folder: string; epoch: number; index: Map<string, number> }> = {};
  const torch: Record<string, TorchCase[]> = {};
  /** The ablated passes the native engine ran (NativeCheckpoint.forwardFrom), counted. */
  let cuts = 0;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
  const forwardFrom = NativeCheckpoint.prototype.forwardFrom;

  const python = (args: string[], request: object): unknown => {
    const r = spawnSync(PYTHON, [SCRIPT, ...args], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, `${PYTHON} ${SCRIPT} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const caseList = (model: string) =>
    CASES[model].flatMap(([layer, channels, classes]) => MODES.map((mode) => ({ layer, channels, mode, ...(classes && { classes }) })));

  before(async function () {
    if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
      console.log(`      skipped: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch python3-torchvision)`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'cnnslicer-ablation-torch-'));
    const recorded = python(['record'], { runs: join(dir, 'recorded'), probe: 60, passes: 6, models: RECORDED }) as Record<string, string>;
    const lenet = copyPytorchRun(dir);
    const folders: [string, string, number][] = [
      ...RECORDED.map((m): [string, string, number] => [m, recorded[m], 1]),
      ['lenet', lenet.folder, 2],
    ];
    for (const [model, folder, epoch] of folders) {
      const { pending } = await measurePendingEpochs(folder, { backend: 'wasm' });
      assert.deepEqual(pending, [], `${model}: measured`);
      const { manifest } = readRun(folder);
      assert.ok(manifest.epochs.includes(epoch), `${model}: epoch ${epoch} measured`);
      runs[model] = { folder, epoch, index: new Map(manifest.layers.map((l) => [l.name, l.index])) };
    }
    const answers = python([], {
      runs: Object.keys(CASES).map((model) => ({
        model,
        onnx: join(checkpointFolder(runs[model].folder, runs[model].epoch), 'model.onnx'),
        inputs: join(runs[model].folder, 'probe', 'inputs.npy'),
        labels: join(runs[model].folder, 'probe', 'labels.npy'),
        cases: caseList(model),
      })),
    }) as TorchCase[][];
    Object.keys(CASES).forEach((model, k) => (torch[model] = answers[k]));
    engine = new AnalysisEngine({ roots: [join(dir, 'recorded'), lenet.runs], backend: 'wasm', cacheBytes: 0 });
    NativeCheckpoint.prototype.forwardFrom = function (...args) {
      cuts++;
      return forwardFrom.apply(this, args);
    };
  });
  after(() => {
    NativeCheckpoint.prototype.forwardFrom = forwardFrom;
    engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Accuracy by count, loss within 1e-4 relative; the count is no near-tie of the class scores. */
  const same = (service: AblationAnswer['baseline'], count: number, reference: TorchMeasures, what: string) => {
    assert.ok(reference.margin > 1e-4, `${what}: PyTorch's scores tie within ${reference.margin}: the count cannot tell`);
    const correct = Math.round(service.accuracy * count);
    assert.equal(correct, reference.correct, `${what}: ${correct} of ${count} right, PyTorch ${reference.correct}`);
    assert.ok(service.loss !== null, `${what}: a loss`);
    const gap = Math.abs(service.loss - reference.loss);
    assert.ok(
      gap <= 1e-4 * Math.abs(reference.loss),
      `${what}: loss ${service.loss}, PyTorch's ${reference.loss} (${gap / reference.loss} relative)`,
    );
  };

  for (const model of Object.keys(CASES))
    it(`${model}: every ablation equals PyTorch’s (accuracy by count, loss within 1e-4 relative)`, async () => {
      const { folder, epoch, index } = runs[model];
      const before = cuts;
      for (const [k, { layer, channels, mode, classes }] of caseList(model).entries()) {
        const what = `${model} ${layer} [${channels.join(', ')}] ${mode}${classes ? ` classes ${classes.join(', ')}` : ''}`;
        assert.ok(index.has(layer), `${what}: a layer of the run`);
        const query = {
          kind: 'ablation',
          epoch,
          layer: index.get(layer),
          channels,
          mode,
          ...(classes && { x: { kind: 'classes', classes } }),
        };
        const answer = (await engine.answer(folder, query as never)).answer as AblationAnswer;
        const reference = torch[model][k];
        same(answer.baseline, answer.inputCount, reference.baseline, `${what}: baseline`);
        same(answer.ablated, answer.inputCount, reference.ablated, `${what}: ablated`);
        const moved = Math.abs(reference.ablated.loss - reference.baseline.loss);
        assert.ok(moved > 1e-3 * reference.baseline.loss, `${what}: PyTorch's loss moves by ${moved} only: choose channels that matter`);
      }
      if (!('reason' in nativeRuntime())) assert.ok(cuts > before, `${model}: the ablated passes ran on the native engine`);
    });
});
