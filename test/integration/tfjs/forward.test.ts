/**
 * Forward passes of graph models (src/tfjs/forward.ts): one pass over the graph, each layer applied
 * once per chunk of inputs, gives what one extraction model per layer (the way it used to run,
 * each from the input) gives, on a model with branches, a residual add, BatchNormalization, a
 * concatenation and a nested model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { recordedLayers } from '../../../src/recorder/modelFacts';
import { layerTable } from '../../../src/recorder/modelLoader';
import { recordRun } from '../../../src/recorder/record';
import type { RunLayer } from '../../../src/contract/runFormat';
import { readRun } from '../../../src/run/store';
import { AnalysisEngine } from '../../../src/service/engine';
import {
  Activations,
  FORWARD_CHUNK,
  FORWARD_CHUNK_BYTES,
  forwardChunk,
  forwardLayer,
  forwardLayers,
  graphPlan,
} from '../../../src/tfjs/forward';
import { runTailChunks, tailPlan } from '../../../src/tfjs/graphTail';
import { rng } from '../../support/reference';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createModel } = require(join(__dirname, '../../fixtures/models/graphBranches.ts')) as { createModel: () => tf.LayersModel };

/** Random weights everywhere (positive variances for BatchNormalization), so no layer is an identity by accident. */
function randomize(model: tf.LayersModel): void {
  const random = rng(11);
  model.setWeights(
    model.weights.map((w) => {
      const shape = w.shape as number[];
      const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
      if (w.name.includes('moving_variance')) for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]) + 0.5;
      return tf.tensor(values, shape);
    }),
  );
}

/**
 * The way graph models used to run: an extraction model from the input to the layer's output (a
 * nested model's output in this model is its last node's; its first is its own inner graph's).
 */
function extracted(model: tf.LayersModel, name: string, x: tf.Tensor): Activations {
  const layer = model.getLayer(name);
  const extractor = tf.model({ inputs: model.inputs, outputs: layer.getOutputAt(layer.inboundNodes.length - 1) });
  const y = extractor.predict(x) as tf.Tensor;
  const out = { shape: y.shape, data: y.dataSync() as Float32Array };
  y.dispose();
  return out;
}

function assertClose(actual: Activations, expected: Activations, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let scale = 1e-6;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.data.length; i++)
    assert.ok(
      Math.abs(actual.data[i] - expected.data[i]) <= 1e-5 * scale,
      `${what}: element ${i} is ${actual.data[i]}, expected ${expected.data[i]}`,
    );
}

/** Counts each model layer's `apply` calls (a nested model counts as one layer). */
function countApplies(model: tf.LayersModel): Map<string, number> {
  const calls = new Map<string, number>();
  for (const layer of model.layers) {
    const apply = layer.apply.bind(layer);
    calls.set(layer.name, 0);
    layer.apply = (inputs, kwargs) => {
      calls.set(layer.name, calls.get(layer.name)! + 1);
      return apply(inputs, kwargs);
    };
  }
  return calls;
}

describe('forward passes of graph models', () => {
  // More inputs than one chunk, so every layer runs on two chunks.
  const n = FORWARD_CHUNK + 22;
  let model: tf.LayersModel;
  let layers: RunLayer[];
  let inputs: Float32Array;
  let reference: Activations[];

  before(async () => {
    await tf.setBackend('cpu');
    model = createModel();
    randomize(model);
    layers = recordedLayers({ model, layers: layerTable(model, () => undefined) });
    const random = rng(5);
    inputs = Float32Array.from({ length: n * 12 * 12 }, () => random());
    const x = tf.tensor(inputs, [n, 12, 12, 1]);
    reference = layers.map((layer, l) => (l === 0 ? { shape: [n, 12, 12, 1], data: inputs } : extracted(model, layer.name, x)));
    x.dispose();
  });

  after(() => model.dispose());

  it('the fixture has every block the one pass must handle', () => {
    const classes = new Set(layers.map((l) => l.className));
    for (const c of ['Add', 'Concatenate', 'BatchNormalization', 'Functional', 'GlobalAveragePooling2D'])
      assert.ok(classes.has(c) || (c === 'Functional' && classes.has('Model')), `${c} in ${[...classes].join(', ')}`);
  });

  it('one pass gives every layer, in order, equal to one extraction model per layer', async () => {
    const seen: number[] = [];
    for await (const { index, out } of forwardLayers({ tf, model, layers, inputs, count: n })) {
      seen.push(index);
      assertClose(out, reference[index], `layer ${index} (${layers[index].name})`);
    }
    assert.deepEqual(
      seen,
      layers.slice(1).map((l) => l.index),
    );
  });

  it('applies every layer once per chunk of inputs and leaves no tensor behind', async () => {
    const calls = countApplies(model);
    const tensorsBefore = tf.memory().numTensors;
    try {
      for await (const step of forwardLayers({ tf, model, layers, inputs, count: n })) assert.ok(step.out.data.length > 0);
    } finally {
      for (const layer of model.layers) delete (layer as { apply?: unknown }).apply;
    }
    const chunks = Math.ceil(n / FORWARD_CHUNK);
    for (const layer of layers.slice(1))
      assert.equal(calls.get(layer.name), chunks, `${layer.name} applied ${calls.get(layer.name)} times`);
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });

  it('one layer runs only the layers it depends on', async () => {
    const joined = layers.findIndex((l) => l.name === 'joined');
    const calls = countApplies(model);
    let out: Activations;
    try {
      out = await forwardLayer({ tf, model, layers, inputs, count: n, layer: joined });
    } finally {
      for (const layer of model.layers) delete (layer as { apply?: unknown }).apply;
    }
    assertClose(out, reference[joined], 'joined');
    const ran = [...calls].filter(([, c]) => c > 0).map(([name]) => name);
    assert.deepEqual(ran.sort(), ['a1', 'a1_bn', 'a2', 'b', 'joined', 'residual', 'stem']);
  });

  it('continues from known activations of a layer, running again only what later layers read from below it', async () => {
    const a2 = layers.findIndex((l) => l.name === 'a2');
    const seen: number[] = [];
    for await (const { index, out } of forwardLayers({
      tf,
      model,
      layers,
      inputs,
      count: n,
      from: { index: a2, activations: reference[a2] },
    })) {
      seen.push(index);
      assertClose(out, reference[index], `layer ${index} (${layers[index].name})`);
    }
    assert.deepEqual(seen[0], a2 + 1);
    assert.equal(seen.at(-1), layers.length - 1);
  });

  it('writes a layer into the destination it is given', async () => {
    const residual = layers.findIndex((l) => l.name === 'residual');
    const destination = new Float32Array(reference[residual].data.length);
    const out = await forwardLayer({
      tf,
      model,
      layers,
      inputs,
      count: n,
      layer: residual,
      destinations: new Map([[residual, destination]]),
    });
    assert.equal(out.data, destination);
    assertClose(out, reference[residual], 'residual');
  });

  it('plans each node once, dependencies first', () => {
    const steps = graphPlan(
      model,
      layers,
      layers.slice(1).map((l) => l.index),
      new Set([model.inputs[0].id]),
    );
    const names = steps.map((s) => s.node.outboundLayer.name);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(
      names,
      layers.slice(1).map((l) => l.name),
    );
  });
});

describe('recording and querying a graph model', function () {
  this.timeout(300_000);

  it('records every layer of a model with branches, add, concatenate and a nested model, and the service answers from one pass', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-graph-'));
    try {
      const r = await recordRun({
        modelFile: join(__dirname, '../../fixtures/models/graphBranches.ts'),
        dataset: 'synthetic:120',
        epochs: 1,
        batchSize: 16,
        probeSize: 30,
        runsFolder: runs,
        k: 10,
        backend: 'wasm',
      });
      const run = readRun(r.folder);
      const last = run.metrics.at(-1)!;
      assert.deepEqual(
        last.layers.map((l) => l.layer),
        run.manifest.layers.map((l) => l.index),
      );
      const joined = run.manifest.layers.find((l) => l.name === 'joined')!;
      assert.ok(last.layers[joined.index].channelBits.length === 10, 'the concatenation has its 6 + 4 channels');
      const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
      try {
        const residual = run.manifest.layers.find((l) => l.name === 'residual')!.index;
        const answer = (await engine.answer(r.folder, { kind: 'capacityMatrix', layerI: residual, layerJ: joined.index, epoch: 1 }))
          .answer as {
          values: number[];
        };
        assert.equal(answer.values.length, 6 * 10);
      } finally {
        engine.close();
      }
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  });
});

describe('forward chunks of wide layers', () => {
  it('run fewer inputs at a time where a layer is wide, with the same values as one pass over every input', async () => {
    await tf.setBackend('cpu');
    assert.equal(forwardChunk([{ outputShape: [28, 28, 1] }, { outputShape: [10] }]), FORWARD_CHUNK);
    // A ResNet-50's widest layer at 32×32 inputs: 32 × 32 × 256 values, 1 MB an input.
    assert.equal(forwardChunk([{ outputShape: [32, 32, 3] }, { outputShape: [32, 32, 256] }]), 16);
    assert.equal(forwardChunk([{ outputShape: [512, 512, 64] }]), 1);

    const wide = tf.sequential();
    wide.add(tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 1024, kernelSize: 1, activation: 'relu' }));
    wide.add(tf.layers.globalAveragePooling2d({}));
    wide.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
    randomize(wide);
    const layers = recordedLayers({ model: wide, layers: layerTable(wide, () => undefined) });
    const chunk = forwardChunk(layers);
    assert.equal(chunk, FORWARD_CHUNK_BYTES / (4 * 16 * 16 * 1024));
    const n = 2 * chunk + 5;
    const random = rng(9);
    const inputs = Float32Array.from({ length: n * 16 * 16 }, () => random());
    const passes: Activations[] = [];
    for await (const { out } of forwardLayers({ tf, model: wide, layers, inputs, count: n })) passes.push(out);
    const x = tf.tensor(inputs, [n, 16, 16, 1]);
    layers.slice(1).forEach((layer, k) => {
      // apply, not predict (which runs batches of 32): every input in one call.
      const y = tf.model({ inputs: wide.inputs, outputs: wide.getLayer(layer.name).output }).apply(x) as tf.Tensor;
      const whole = { shape: y.shape, data: y.dataSync() };
      y.dispose();
      assert.deepEqual(passes[k].shape, whole.shape);
      assert.ok(
        passes[k].data.every((v, i) => v === whole.data[i]),
        `${layer.name}: the values of ${n} inputs in chunks of ${chunk} differ from one pass`,
      );
    });
    x.dispose();
    wide.dispose();
  });

  it("run an ablation's graph tail in the same chunks, with the same values as one pass over every input", async () => {
    await tf.setBackend('cpu');
    // A graph model whose tail after `narrow` holds a wide layer (1 MB an input) and a shortcut.
    const input = tf.input({ shape: [16, 16, 1] });
    const narrow = tf.layers.conv2d({ name: 'narrow', filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const wideLayer = tf.layers.conv2d({ name: 'wide', filters: 1024, kernelSize: 1, activation: 'relu' });
    const wide = wideLayer.apply(narrow) as tf.SymbolicTensor;
    const back = tf.layers.conv2d({ name: 'back', filters: 4, kernelSize: 1 }).apply(wide) as tf.SymbolicTensor;
    const joined = tf.layers.add({ name: 'joined' }).apply([back, narrow]) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(joined) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'out', units: 3 }).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomize(model);
    const layers = recordedLayers({ model, layers: layerTable(model, () => undefined) });
    const chunk = forwardChunk(layers);
    assert.equal(chunk, FORWARD_CHUNK_BYTES / (4 * 16 * 16 * 1024));
    const n = 2 * chunk + 5;
    const random = rng(13);
    const inputs = Float32Array.from({ length: n * 16 * 16 }, () => random());
    const from = layers.findIndex((l) => l.name === 'narrow');
    const output = layers.length - 1;
    const plan = tailPlan(model, layers, from, output);
    assert.ok(plan, 'the model has a graph tail after "narrow"');
    let values: Float32Array | undefined;
    for await (const step of forwardLayers({ tf, model, layers, inputs, count: n, last: from }))
      if (step.index === from) values = step.out.data;
    // Two blocks: the layer as it is, and its channel 2 zeroed.
    const ablated = Float32Array.from(values!, (v, i) => (i % 4 === 2 ? 0 : v));
    const outs = [new Float32Array(n * 3), new Float32Array(n * 3)];
    let wideCalls = 0;
    const apply = wideLayer.apply.bind(wideLayer);
    wideLayer.apply = (x, kwargs) => {
      wideCalls++;
      return apply(x, kwargs);
    };
    try {
      await runTailChunks(tf, plan, layers, { fromLayer: from, blocks: [values!, ablated], sides: new Map(), count: n, outs });
    } finally {
      delete (wideLayer as { apply?: unknown }).apply;
    }
    assert.equal(wideCalls, 2 * Math.ceil(n / chunk), 'each block runs the wide layer once per chunk');
    // The whole batch at once through the layers after `narrow`.
    const layer = (name: string) => model.getLayer(name);
    for (const [k, block] of [values!, ablated].entries()) {
      const whole = tf.tidy(() => {
        const x = tf.tensor(block, [n, 16, 16, 4]);
        const run = (name: string, v: tf.Tensor | tf.Tensor[]) => layer(name).apply(v) as tf.Tensor;
        const sum = run('joined', [run('back', run('wide', x)), x]);
        return run('out', run('pooled', sum)).dataSync();
      });
      assert.ok(
        outs[k].every((v, i) => v === whole[i]),
        `block ${k}: the tail's output of ${n} inputs in chunks of ${chunk} differs from one pass`,
      );
    }
    model.dispose();
  });
});
