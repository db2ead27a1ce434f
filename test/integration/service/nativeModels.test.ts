/**
 * The analysis service on the native engine (ONNX Runtime, src/native/): for a PyTorch run it serves,
 * every forward pass of the service runs on it — the probe passes, the subset passes, and the
 * ablations' passes, through the checkpoint cut at the ablated layer (src/onnx/segments.ts `cutAt`) —
 * so an ablation compares native values with native values only. On the fixture PyTorch run (a LeNet)
 * and on a residual one made here from the checked-in export test/fixtures/onnx/resnet.onnx, the
 * answers agree with the WebAssembly engine's (the same queries with `nativeEngine: false`, as
 * `CNN_SLICER_ENGINE=wasm` runs them): accuracy by count, losses within 1e-4 relative, entropies
 * within 1e-5 relative; and an ablation that replaces nothing, computed through the cut all the
 * same, is the model's own output, bit for bit.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { npyFromFloat32, serializeNpy } from '../../../src/analysis/npy';
import {
  decodeFloat32,
  type AblationAnswer,
  type ChannelImportanceEstimateAnswer,
  type DeconvolutionAnswer,
  type FindingsAnswer,
} from '../../../src/contract/queries';
import type { RunLayer, RunManifest } from '../../../src/contract/runFormat';
import { NativeCheckpoint } from '../../../src/native/nativeForward';
import { nativeRuntime } from '../../../src/native/ortRuntime';
import { measurePendingEpochs } from '../../../src/measure/measureRun';
import { readRun } from '../../../src/run/store';
import { AblationSession } from '../../../src/service/ablation';
import { AnalysisEngine } from '../../../src/service/engine';
import { rng } from '../../support/reference';

const FIXTURES = resolve(__dirname, '../../fixtures');
const LENET = join(FIXTURES, 'pytorch-run');

/** A PyTorch run of `count` probe inputs, epoch 0 pending, whose checkpoint is test/fixtures/onnx/resnet.onnx (basic blocks, one with a projection shortcut). */
function residualRun(runs: string, count: number): string {
  const lenet = join(LENET, readdirSync(LENET)[0]);
  const base = JSON.parse(readFileSync(join(lenet, 'manifest.json'), 'utf8')) as RunManifest;
  const facts = JSON.parse(readFileSync(join(FIXTURES, 'onnx', 'resnet.json'), 'utf8')) as {
    input: { dims: number[] };
    layers: Omit<RunLayer, 'index' | 'parameters'>[];
  };
  const inputShape = facts.input.dims.slice(1);
  const classes = 10;
  const layers: RunLayer[] = [
    {
      index: 0,
      name: 'input',
      className: 'InputLayer',
      outputShape: inputShape,
      channels: inputShape[0],
      dataFormat: 'channelsFirst',
      parameters: 0,
    },
    ...facts.layers.map((l, k) => ({ ...l, index: k + 1, parameters: 0 })),
  ];
  const id = '20261201-000000-tiny-resnet';
  const folder = join(runs, id);
  mkdirSync(join(folder, 'checkpoints', 'epoch-0000'), { recursive: true });
  mkdirSync(join(folder, 'probe'));
  cpSync(join(FIXTURES, 'onnx', 'resnet.onnx'), join(folder, 'checkpoints', 'epoch-0000', 'model.onnx'));
  const random = rng(67);
  const per = inputShape.reduce((a, b) => a * b, 1);
  const inputs = Float32Array.from({ length: count * per }, () => random() * 2 - 1);
  const labels = Int32Array.from({ length: count }, (_, i) => i % classes);
  writeFileSync(join(folder, 'probe', 'inputs.npy'), serializeNpy(npyFromFloat32([count, ...inputShape], inputs)));
  writeFileSync(join(folder, 'probe', 'labels.npy'), serializeNpy({ dtype: 'int32', shape: [count], data: labels }));
  writeFileSync(join(folder, 'probe', 'indices.json'), JSON.stringify(Array.from(labels, (_, i) => i)));
  const manifest: RunManifest = {
    ...base,
    id,
    model: { ...base.model, name: 'tiny-resnet' },
    layers,
    dataset: { ...base.dataset, classNames: Array.from({ length: classes }, (_, c) => String(c)), inputShape },
    probe: { ...base.probe, size: count, classCounts: Array.from({ length: classes }, (_, c) => labels.filter((l) => l === c).length) },
    settings: { ...base.settings, epochs: 0, probeSize: count },
    output: { layer: 'linear', kind: 'logits', chosenBy: 'only' },
    epochs: [0],
  };
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 1));
  // The LeNet fixture's first line (10 classes too): measuring the epoch replaces its probe numbers.
  writeFileSync(join(folder, 'metrics.jsonl'), `${readFileSync(join(lenet, 'metrics.jsonl'), 'utf8').split('\n')[0]}\n`);
  return folder;
}

/** |a − b| ≤ tolerance × max(|a|, |b|), nulls alike. */
function close(a: number | null | undefined, b: number | null | undefined, tolerance: number, what: string): void {
  if (a === null || a === undefined || b === null || b === undefined) {
    assert.equal(a ?? null, b ?? null, what);
    return;
  }
  assert.ok(Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);
}

type Measures = AblationAnswer['baseline'];

/** Accuracy by count, the confusion exactly, the loss within 1e-4 relative, the entropies within 1e-5 relative. */
function sameMeasures(native: Measures, wasm: Measures, what: string): void {
  assert.equal(native.accuracy, wasm.accuracy, `${what}: accuracy`);
  assert.deepEqual(native.confusion, wasm.confusion, `${what}: confusion`);
  assert.deepEqual(native.perClassAccuracy, wasm.perClassAccuracy, `${what}: per-class accuracy`);
  close(native.loss, wasm.loss, 1e-4, `${what}: loss`);
  native.hLabelGivenPred.forEach((h, c) => close(h, wasm.hLabelGivenPred[c], 1e-5, `${what}: H(label | pred = ${c})`));
  native.hPredGivenLabel.forEach((h, c) => close(h, wasm.hPredGivenLabel[c], 1e-5, `${what}: H(pred | label = ${c})`));
}

/** A Δ loss within 1e-4 of the baseline loss, relative (the difference of two losses each within 1e-4 relative). */
function closeDelta(native: number | null, wasm: number | null, scale: number, what: string): void {
  if (native === null || wasm === null) return assert.equal(native, wasm, what);
  assert.ok(Math.abs(native - wasm) <= 1e-4 * Math.abs(scale), `${what}: ${native} vs ${wasm}`);
}

describe('the service on the native engine: every pass of a PyTorch run, ablations through the cut', function () {
  this.timeout(600_000);
  let dir: string;
  /** Per run (lenet, resnet): its folder under the native engine and its copy under the WebAssembly one. */
  const runs: Record<'lenet' | 'resnet', { native: string; wasm: string }> = {} as never;
  let native: AnalysisEngine;
  let wasm: AnalysisEngine;
  /** Cuts run by the native engine (NativeCheckpoint.forwardFrom), counted. */
  let cuts = 0;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
  const forwardFrom = NativeCheckpoint.prototype.forwardFrom;

  before(async function () {
    if ('reason' in nativeRuntime()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'cnnslicer-native-service-'));
    mkdirSync(join(dir, 'measured'));
    cpSync(LENET, join(dir, 'measured'), { recursive: true });
    residualRun(join(dir, 'measured'), 40);
    for (const run of readdirSync(join(dir, 'measured'))) {
      const { pending } = await measurePendingEpochs(join(dir, 'measured', run), { backend: 'wasm' });
      assert.deepEqual(pending, [], `${run}: measured`);
      assert.ok(readRun(join(dir, 'measured', run)).manifest.epochs.length, `${run}: epochs measured`);
    }
    cpSync(join(dir, 'measured'), join(dir, 'native'), { recursive: true });
    cpSync(join(dir, 'measured'), join(dir, 'wasm'), { recursive: true });
    for (const run of readdirSync(join(dir, 'measured'))) {
      const key = run.endsWith('lenet') ? 'lenet' : 'resnet';
      runs[key] = { native: join(dir, 'native', run), wasm: join(dir, 'wasm', run) };
    }
    native = new AnalysisEngine({ roots: [join(dir, 'native')], backend: 'wasm', cacheBytes: 0 });
    wasm = new AnalysisEngine({ roots: [join(dir, 'wasm')], backend: 'wasm', cacheBytes: 0, nativeEngine: false });
    NativeCheckpoint.prototype.forwardFrom = function (...args) {
      cuts++;
      return forwardFrom.apply(this, args);
    };
  });
  after(() => {
    NativeCheckpoint.prototype.forwardFrom = forwardFrom;
    native?.close();
    wasm?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const both = async <A>(run: 'lenet' | 'resnet', query: object): Promise<[A, A]> => [
    (await native.answer(runs[run].native, query as never)).answer,
    (await wasm.answer(runs[run].wasm, query as never)).answer,
  ];

  it('ablations agree with the WebAssembly engine, on a sequential model and across residual blocks', async () => {
    const cases: ['lenet' | 'resnet', number, number, number[]][] = [
      ['lenet', 2, 1, [0, 2]],
      ['lenet', 2, 6, [1]],
      ['lenet', 1, 7, [0, 3, 5]],
      ['resnet', 0, 2, [0, 1]], // the stem: every block after it
      ['resnet', 0, 5, [3]], // inside the first block: the shortcut from layer 3 read beside it
      ['resnet', 0, 15, [0, 7]], // the second block's main branch, beside the projection shortcut
      ['resnet', 0, 17, [2]], // the projection shortcut, beside the main branch
      ['resnet', 0, 27, [5, 9, 30]], // a block's sum
      ['resnet', 0, 29, [1]], // the pooled vector
    ];
    const before = cuts;
    for (const [run, epoch, layer, channels] of cases)
      for (const mode of ['zero', 'mean'] as const) {
        const [a, b] = await both<AblationAnswer>(run, { kind: 'ablation', epoch, layer, channels, mode });
        const what = `${run} layer ${layer} ${mode}`;
        sameMeasures(a.baseline, b.baseline, `${what}: baseline`);
        sameMeasures(a.ablated, b.ablated, `${what}: ablated`);
        assert.equal(a.delta.accuracy, b.delta.accuracy, `${what}: Δ accuracy`);
        closeDelta(a.delta.loss, b.delta.loss, a.baseline.loss ?? 1, `${what}: Δ loss`);
      }
    assert.ok(cuts > before, 'the ablated passes ran through the native cut');
  });

  it('an ablation that replaces nothing, computed through the cut all the same, is the model’s own output bit for bit: Δ exactly 0', async () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
    const changesNothing = AblationSession.prototype.changesNothing;
    const layers = JSON.parse(readFileSync(join(runs.resnet.native, 'manifest.json'), 'utf8')).layers as RunLayer[];
    try {
      for (let layer = 1; layer < layers.length - 1; layer++) {
        const query = { kind: 'ablation', epoch: 0, layer, channels: [0] } as never;
        // The baseline from the output layer's own activations (the pass to it), the ablation through the cut…
        const real = (await native.answer(runs.resnet.native, query)).answer as AblationAnswer;
        // …and the baseline group, which replaces nothing, through the cut as well.
        AblationSession.prototype.changesNothing = () => false;
        const before = cuts;
        const again = (await native.answer(runs.resnet.native, query)).answer as AblationAnswer;
        AblationSession.prototype.changesNothing = changesNothing;
        assert.ok(cuts > before, `layer ${layer}: through the cut`);
        assert.deepEqual(again.baseline, real.baseline, `layer ${layer}: nothing replaced, through the cut: the model's own output`);
        assert.deepEqual(again.ablated, real.ablated, `layer ${layer}: the ablation`);
        assert.equal(again.delta.loss, real.delta.loss);
      }
    } finally {
      AblationSession.prototype.changesNothing = changesNothing;
    }
  });

  it('channelImportance (two tiers) agrees with the WebAssembly engine', async () => {
    type Importance = {
      baseline: { accuracy: number; loss: number | null };
      channels: { channel: number; measured: boolean; deltaLoss: number | null; deltaAccuracy?: number | null }[];
      estimate: { exhaustive: boolean; measuredCount: number };
      ranking: number[];
    };
    // Layer 23 (the third block's second convolution, 32 channels): 16 measured of 32 by the Taylor estimate (TensorFlow.js in both).
    for (const layer of [20, 23]) {
      const [a, b] = await both<Importance>('resnet', { kind: 'channelImportance', epoch: 0, layer });
      assert.equal(a.estimate.exhaustive, false, 'the second tier');
      assert.deepEqual(a.estimate, b.estimate);
      assert.equal(a.baseline.accuracy, b.baseline.accuracy);
      close(a.baseline.loss, b.baseline.loss, 1e-4, 'baseline loss');
      a.channels.forEach((row, c) => {
        const other = b.channels[c];
        assert.equal(row.measured, other.measured, `channel ${c}: measured`);
        assert.equal(row.deltaAccuracy, other.deltaAccuracy, `channel ${c}: Δ accuracy`);
        closeDelta(row.deltaLoss, other.deltaLoss, a.baseline.loss ?? 1, `layer ${layer} channel ${c}: Δ loss`);
      });
    }
  });

  it('layer slices agree with the WebAssembly engine: channel entropies, a subset’s feature maps', async () => {
    for (const layer of [3, 9, 15, 24, 29]) {
      const [a, b] = await both<{ all: (number | null)[] }>('resnet', { kind: 'channelEntropies', epoch: 0, layer });
      a.all.forEach((h, c) => close(h, b.all[c], 1e-5, `layer ${layer} channel ${c}: entropy`));
      // Two inputs of 40: a subset pass of their own.
      const x = { kind: 'indices', indices: [1, 4] };
      type Maps = { channelRanges: [number, number][]; min: number; max: number };
      const [fa, fb] = await both<Maps>('resnet', { kind: 'featureMaps', epoch: 0, layer, channels: [0, 1], x });
      const scale = Math.max(1, Math.abs(fb.min), Math.abs(fb.max));
      fa.channelRanges
        .flat()
        .forEach((v, i) => assert.ok(Math.abs(v - fb.channelRanges.flat()[i]) <= 1e-5 * scale, `layer ${layer}: feature map ranges`));
    }
  });

  it('findings agree with the WebAssembly engine, their ablations included', async () => {
    for (const run of ['lenet', 'resnet'] as const) {
      const [a, b] = await both<FindingsAnswer>(run, { kind: 'findings' });
      const shape = (f: FindingsAnswer) => f.findings.map((x) => [x.kind, x.severity, x.layer, x.epoch, x.channels]);
      assert.deepEqual(shape(a), shape(b), `${run}: the same findings`);
      a.findings.forEach((f, k) => {
        const g = b.findings[k];
        assert.equal(!!f.ablation, !!g.ablation, `${run} ${f.kind}: ablated in both`);
        if (f.ablation && g.ablation) {
          assert.equal(f.ablation.accuracyBefore, g.ablation.accuracyBefore);
          assert.equal(f.ablation.accuracyAfter, g.ablation.accuracyAfter);
          close(f.ablation.lossBefore, g.ablation.lossBefore, 1e-4, `${run} ${f.kind}: loss before`);
          close(f.ablation.lossAfter, g.ablation.lossAfter, 1e-4, `${run} ${f.kind}: loss after`);
        }
        for (const [name, value] of Object.entries(f.evidence)) {
          const other = g.evidence[name];
          const list = (v: unknown) => (Array.isArray(v) ? v : [v]) as (number | null)[];
          list(value).forEach((v, i) => close(v, list(other)[i], 1e-5, `${run} ${f.kind} evidence ${name}[${i}]`));
        }
      });
      assert.deepEqual(
        a.skipped?.map((s) => s.kind),
        b.skipped?.map((s) => s.kind),
      );
      if (run === 'lenet') continue;
      // Dead channels (0 on every probe input) zeroed, through the cut rather than known unchanged: Δ exactly 0.
      const dead = a.findings.filter((f) => f.kind === 'dead-channels' && f.ablation);
      assert.ok(dead.length >= 2, 'the residual run has dead channels');
      // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
      const changesNothing = AblationSession.prototype.changesNothing;
      AblationSession.prototype.changesNothing = () => false;
      try {
        for (const f of dead) {
          const before = cuts;
          const query = { kind: 'ablation', epoch: f.epoch, layer: f.layer, channels: f.channels } as never;
          const answer = (await native.answer(runs.resnet.native, query)).answer as AblationAnswer;
          assert.ok(cuts > before, `layer ${f.layer}: through the cut`);
          assert.deepEqual(answer.ablated, answer.baseline, `layer ${f.layer}: dead channels zeroed change nothing`);
          assert.equal(answer.delta.loss, 0);
          assert.equal(answer.delta.accuracy, 0);
        }
      } finally {
        AblationSession.prototype.changesNothing = changesNothing;
      }
    }
  });

  it('the Taylor estimate runs on ONNX Runtime and agrees with the WebAssembly engine’s within 1e-5 of each layer’s largest', async () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
    const auxiliary = NativeCheckpoint.prototype.auxiliarySession;
    let sessions = 0;
    NativeCheckpoint.prototype.auxiliarySession = function (...args) {
      sessions++;
      return auxiliary.apply(this, args);
    };
    try {
      for (const run of ['lenet', 'resnet'] as const) {
        const before = sessions;
        const [a, b] = await both<ChannelImportanceEstimateAnswer>(run, { kind: 'channelImportanceEstimate', epoch: 0 });
        assert.equal(sessions, before + 1, `${run}: the estimate's model ran on ONNX Runtime, once`);
        assert.deepEqual(
          a.layers.map((l) => l.layer),
          b.layers.map((l) => l.layer),
        );
        a.layers.forEach((layer, k) => {
          const expected = b.layers[k].estimates;
          const scale = Math.max(...expected.map((v) => Math.abs(v ?? 0)));
          layer.estimates.forEach((v, c) =>
            assert.ok(
              Math.abs((v ?? 0) - (expected[c] ?? 0)) <= 1e-5 * scale,
              `${run} layer ${layer.layer} channel ${c}: ${v} against ${expected[c]}`,
            ),
          );
        });
      }
    } finally {
      NativeCheckpoint.prototype.auxiliarySession = auxiliary;
    }
  });

  it('deconvolutions run on ONNX Runtime, one model per checkpoint, and agree with the WebAssembly engine’s within 2e-5 of each picture’s largest', async () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
    const auxiliary = NativeCheckpoint.prototype.auxiliarySession;
    let sessions = 0;
    NativeCheckpoint.prototype.auxiliarySession = function (...args) {
      sessions++;
      return auxiliary.apply(this, args);
    };
    type Projection = DeconvolutionAnswer;
    try {
      for (const run of ['lenet', 'resnet'] as const) {
        const layers = (JSON.parse(readFileSync(join(runs[run].native, 'manifest.json'), 'utf8')) as RunManifest).layers;
        const maps = layers.filter((l) => l.index > 0 && l.outputShape.length === 3);
        const before = sessions;
        for (const layer of maps)
          for (const channel of [0, layer.outputShape[0] - 1]) {
            const query = { kind: 'deconvolution', layer: layer.index, channel, epoch: 0, x: { kind: 'perClass', count: 1, seed: 0 } };
            const [a, b] = await both<Projection>(run, query);
            const what = `${run} layer ${layer.index} (${layer.name}) channel ${channel}`;
            assert.deepEqual(a.inputs, b.inputs, `${what}: inputs`);
            assert.deepEqual(a.projections.shape, b.projections.shape, `${what}: shape`);
            const expected = Array.from(decodeFloat32(b.projections));
            const scale = Math.max(1e-30, ...expected.map(Math.abs));
            Array.from(decodeFloat32(a.projections)).forEach((v, i) =>
              assert.ok(Math.abs(v - expected[i]) <= 2e-5 * scale, `${what} at ${i}: ${v} native, ${expected[i]} WebAssembly`),
            );
            assert.ok(Math.abs(a.min - b.min) <= 2e-5 * scale && Math.abs(a.max - b.max) <= 2e-5 * scale, `${what}: range`);
          }
        assert.equal(sessions, before + 1, `${run}: one deconvolution model for the checkpoint, on ONNX Runtime`);
      }
    } finally {
      NativeCheckpoint.prototype.auxiliarySession = auxiliary;
    }
  });
});
