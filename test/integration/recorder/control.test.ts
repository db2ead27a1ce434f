import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseNpy, serializeNpy } from '../../../src/analysis';
import { borderContent, proposeControl } from '../../../src/analysis/borderContent';
import { keptPixels } from '../../../src/data/control';
import { controlOptions } from '../../../src/recorder/control';
import { recordRun } from '../../../src/recorder/record';
import { readRun } from '../../../src/run/store';
import { controlFindings } from '../../../src/service/findings/control';

const tinyModel = resolve(__dirname, '../../fixtures/models/multiFile.ts');
const lenet = resolve(__dirname, '../../../examples/mnist-lenet.ts');

/**
 * 3 classes of 12×12 images whose 2-pixel border holds the class (0, 0.5 or 1) and whose centre is
 * uniform noise: only the border tells the classes apart.
 */
function writeBorderCueDataset(folder: string, count = 450): string {
  const side = 12;
  const border = keptPixels('border', 2, side, side);
  let s = 12345;
  const noise = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const inputs = new Float32Array(count * side * side);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 3;
    labels[n] = label;
    for (let p = 0; p < side * side; p++) inputs[n * side * side + p] = border[p] ? label / 2 : noise();
  }
  writeFileSync(join(folder, 'x.npy'), serializeNpy({ dtype: 'float32', shape: [count, side, side, 1], data: inputs }));
  writeFileSync(join(folder, 'y.npy'), serializeNpy({ dtype: 'int32', shape: [count], data: labels }));
  return `npy:${join(folder, 'x.npy')},${join(folder, 'y.npy')}`;
}

/** The probe inputs of a run folder, as recorded. */
function probeInputs(folder: string): Float32Array {
  return parseNpy(readFileSync(join(folder, 'probe/inputs.npy'))).data as Float32Array;
}

function lastEpochFindings(folder: string) {
  const run = readRun(folder, { repair: false });
  return { run, findings: controlFindings(run.manifest, run.metrics, run.manifest.epochs[run.manifest.epochs.length - 1]) };
}

describe('control experiments: record --control on real recordings', function () {
  this.timeout(240000);
  let runs: string;
  let cueSource: string;
  before(() => {
    runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-control-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('a planted border cue: border:2 keeps the class, the finding fires; the source run is untouched', async () => {
    const dataset = writeBorderCueDataset(runs);
    const src = await recordRun({
      modelFile: tinyModel,
      dataset,
      epochs: 3,
      batchSize: 16,
      probeSize: 90,
      runsFolder: runs,
      k: 20,
      seed: 3,
    });
    cueSource = src.folder;
    const before = readFileSync(join(src.folder, 'manifest.json'), 'utf8');
    const ctl = await recordRun({ modelFile: tinyModel, control: { spec: 'border:2', sourceRun: src.folder } });
    assert.equal(readFileSync(join(src.folder, 'manifest.json'), 'utf8'), before, 'the source run is unchanged');
    const m = ctl.manifest;
    assert.equal(resolve(ctl.folder, '..'), resolve(runs), 'the control run goes beside its source');
    const { kept: keptShares, ...control } = m.control!;
    // Every border holds its class: the inputs of the two classes whose value is not the background keep content.
    assert.ok(keptShares && keptShares.inputShare > 0.5 && keptShares.inputShare < 1, JSON.stringify(keptShares));
    assert.deepEqual(control, {
      spec: 'border:2',
      kind: 'border',
      parameter: 2,
      sourceRun: { id: src.manifest.id, folder: `../${src.manifest.id}` },
      chanceAccuracy: Math.max(...src.manifest.probe.classCounts) / 90,
    });
    assert.deepEqual({ ...m.settings }, { ...src.manifest.settings }, 'the same settings');
    assert.equal(m.dataset.spec, dataset);
    assert.equal(m.dataset.trainSize, src.manifest.dataset.trainSize);
    // The same probe inputs (indices), their centres zeroed, their labels kept.
    assert.equal(
      readFileSync(join(ctl.folder, 'probe/indices.json'), 'utf8'),
      readFileSync(join(src.folder, 'probe/indices.json'), 'utf8'),
    );
    const probe = parseNpy(readFileSync(join(ctl.folder, m.probe.inputsFile)));
    const sourceProbe = parseNpy(readFileSync(join(src.folder, m.probe.inputsFile)));
    const kept = keptPixels('border', 2, 12, 12);
    for (let i = 0; i < probe.data.length; i++) assert.equal(probe.data[i], kept[i % 144] ? sourceProbe.data[i] : 0);
    assert.deepEqual(readFileSync(join(ctl.folder, m.probe.labelsFile)), readFileSync(join(src.folder, m.probe.labelsFile)));
    const { run, findings } = lastEpochFindings(ctl.folder);
    const accuracy = run.metrics[run.metrics.length - 1].probeAccuracy;
    assert.ok(accuracy > control.chanceAccuracy + 0.25, `probe accuracy ${accuracy} is far above chance ${control.chanceAccuracy}`);
    assert.equal(findings.length, 1);
    assert.equal(findings[0].kind, 'control-above-chance');
    assert.equal(findings[0].severity, 'warning');
    // The border holds the cue, which differs from the background: the finding says how much it kept.
    assert.match(
      findings[0].message,
      /classifies from what the 2-pixel border kept: .*; the 2-pixel border differs from the background in \d+\.\d% of the probe inputs/,
    );
  });

  it('explicit options override the source run, and a runs folder named puts the control there', async () => {
    const src = readRun(cueSource, { repair: false }).manifest;
    const ctl = await recordRun({
      modelFile: tinyModel,
      epochs: 1,
      runsFolder: join(runs, 'elsewhere'),
      control: { spec: 'mask-centre:0.5', sourceRun: cueSource },
    });
    assert.equal(ctl.manifest.settings.epochs, 1);
    assert.equal(ctl.manifest.settings.seed, src.settings.seed);
    assert.equal(resolve(ctl.folder, '..'), resolve(runs, 'elsewhere'));
    assert.equal(ctl.manifest.control?.sourceRun.folder, `../../${src.id}`);
  });

  describe('on MNIST with LeNet (1 epoch, 2,000 training inputs, 200 probe inputs)', () => {
    let source: string;
    before(async () => {
      source = (await recordRun({ modelFile: lenet, epochs: 1, trainLimit: 2000, probeSize: 200, runsFolder: join(runs, 'mnist') })).folder;
    });

    it('border:1 (MNIST outer ring: blank on 98.6% of the digits) stays near chance: the finding says so and what the border kept', async () => {
      const ctl = await recordRun({ modelFile: lenet, control: { spec: 'border:1', sourceRun: source } });
      const { run, findings } = lastEpochFindings(ctl.folder);
      const accuracy = run.metrics[run.metrics.length - 1].probeAccuracy;
      assert.ok(accuracy < run.manifest.control!.chanceAccuracy + 0.1, `probe accuracy ${accuracy}`);
      assert.deepEqual(
        findings.map((f) => [f.kind, f.severity]),
        [['control-near-chance', 'information']],
      );
      // The same share the proposal measures on the source run's probe (the 1-pixel border).
      const shares = borderContent(probeInputs(source), 28, 28, 1).widths[0];
      assert.equal(run.manifest.control!.kept?.inputShare, shares.inputShare);
      assert.match(findings[0].detail, /the 1-pixel border differs from the background in 1\.5% of the probe inputs/);
    });

    it('the proposed default control (measured on the source probe: shuffle-pixels, no border is blank enough) raises no shortcut warning', async () => {
      const content = borderContent(probeInputs(source), 28, 28, 1);
      // Known answer on this probe (200 digits, seed 1): the 1-pixel border has ink in 3 of them (1.5%), so no border qualifies.
      assert.equal(content.widths[0].inputShare, 0.015);
      const proposal = proposeControl(content);
      assert.equal(proposal.spec, 'shuffle-pixels');
      const ctl = await recordRun({ modelFile: lenet, control: { spec: proposal.spec, sourceRun: source } });
      const { findings } = lastEpochFindings(ctl.folder);
      assert.deepEqual(
        findings.filter((f) => f.severity === 'warning'),
        [],
        JSON.stringify(findings),
      );
      assert.equal(findings.length, 1);
      assert.match(findings[0].message, /keeps every pixel|no better than chance|spatial layout/);
    });

    it('border:4 keeps the ends of the strokes of most digits: the finding says how much it kept, not "the border alone"', async () => {
      const ctl = await recordRun({ modelFile: lenet, control: { spec: 'border:4', sourceRun: source } });
      const { findings } = lastEpochFindings(ctl.folder);
      assert.ok(ctl.manifest.control!.kept!.inputShare > 0.5, JSON.stringify(ctl.manifest.control));
      assert.equal(findings.length, 1, JSON.stringify(findings));
      assert.doesNotMatch(findings[0].message, /alone/);
      assert.match(
        findings[0].message + findings[0].detail,
        /the 4-pixel border differs from the background in \d+\.\d% of the probe inputs/,
      );
    });

    it('shuffle-labels stays near chance on the probe: the memorisation baseline, as information', async () => {
      const ctl = await recordRun({ modelFile: lenet, control: { spec: 'shuffle-labels', sourceRun: source } });
      const { run, findings } = lastEpochFindings(ctl.folder);
      const accuracy = run.metrics[run.metrics.length - 1].probeAccuracy;
      assert.ok(accuracy < run.manifest.control!.chanceAccuracy + 0.1, `probe accuracy ${accuracy}`);
      assert.equal(findings.length, 1);
      assert.equal(findings[0].kind, 'memorisation-baseline');
      assert.equal(findings[0].severity, 'information');
      // The probe keeps its true labels.
      assert.deepEqual(readFileSync(join(ctl.folder, 'probe/labels.npy')), readFileSync(join(source, 'probe/labels.npy')));
    });
  });
});

describe('controlOptions', () => {
  it('fills what the caller left unset from the source manifest, and only that', () => {
    const manifest = {
      settings: {
        epochs: 4,
        batchSize: 32,
        optimizer: 'sgd',
        learningRate: 0.05,
        seed: 9,
        recordEvery: 2,
        probeSize: 300,
        bins: 16,
        k: 50,
      },
      dataset: { spec: 'mnist', trainSize: 1234 },
      training: { compiledBy: 'settings', optimizer: 'sgd', loss: 'categoricalCrossentropy' },
    } as unknown as Parameters<typeof controlOptions>[1];
    const o = controlOptions({ modelFile: 'm.ts', epochs: undefined, batchSize: 8 }, manifest, '/runs/source');
    assert.equal(o.epochs, 4);
    assert.equal(o.batchSize, 8);
    assert.equal(o.optimizer, 'sgd');
    assert.equal(o.learningRate, 0.05);
    assert.equal(o.seed, 9);
    assert.equal(o.recordEvery, 2);
    assert.equal(o.probeSize, 300);
    assert.equal(o.bins, 16);
    assert.equal(o.k, 50);
    assert.equal(o.trainLimit, 1234);
    assert.equal(o.dataset, 'mnist');
    assert.equal(o.runsFolder, resolve('/runs'));
    const compiled = controlOptions(
      { modelFile: 'm.ts' },
      { ...manifest, training: { compiledBy: 'model', optimizer: 'sgd', loss: 'x' } },
      '/runs/s',
    );
    assert.equal(compiled.optimizer, undefined, "the model's own compile() chooses again");
    assert.equal(compiled.learningRate, undefined);
  });
});
