/**
 * Keras model.json files as converters write them (Keras 2.15 and Keras 3.8 through the
 * TensorFlow.js converter 4.22: a small GTSRB-like CNN with a training_config and a weights file):
 * the Keras 3 topology is translated before TensorFlow.js reads it, the training_config compiles
 * the model as its own compile() would, and both record.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { npyFromFloat32, seededRandom, serializeNpy } from '../../../src/analysis';
import { translateKerasTopology } from '../../../src/recorder/kerasTopology';
import { loadModelFile, ModelError } from '../../../src/recorder/modelLoader';
import { recordRun, type RecordOptions } from '../../../src/recorder/record';

const fixture = (name: string) => resolve(__dirname, '../../fixtures/models', name);

/** The first `n` float32 values of a fixture's weights file (the conv kernel comes first). */
function firstWeights(folder: string, n: number): number[] {
  const bytes = readFileSync(fixture(`${folder}/group1-shard1of1.bin`));
  return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 4 * n)));
}

describe('Keras model.json files (Keras 2 and Keras 3 converter output)', function () {
  this.timeout(120000);
  before(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });

  for (const [folder, optimizer, config] of [
    ['gtsrb-keras2', 'Momentum', { learningRate: 0.019999999552965164, momentum: 0.9, useNesterov: false }],
    ['gtsrb-keras3', 'RMSProp', { learningRate: 0.0005000000237487257, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false }],
  ] as const) {
    it(`loads ${folder} with its weights, every layer located, compiled from its training_config`, async () => {
      const m = await loadModelFile(fixture(`${folder}/model.json`), tf);
      assert.deepEqual(
        m.layers.map((l) => [l.className, l.outputShape, l.source?.line]),
        [
          ['InputLayer', [12, 12, 3], 1],
          ['Conv2D', [10, 10, 4], 1],
          ['MaxPooling2D', [5, 5, 4], 1],
          ['Dropout', [5, 5, 4], 1],
          ['Flatten', [100], 1],
          ['Dense', [4], 1],
        ],
      );
      const columns = m.layers.map((l) => l.source!.column);
      assert.equal(new Set(columns).size, 6, 'each layer of the one-line file has its own column');
      const kernel = m.model.getLayer('conv2d').getWeights()[0].dataSync().slice(0, 5);
      assert.deepEqual(Array.from(kernel), firstWeights(folder, 5));
      assert.deepEqual(m.modelCompile, { source: 'training_config' });
      const compiled = m.model.optimizer as unknown as { getClassName(): string; getConfig(): object };
      assert.equal(compiled.getClassName(), optimizer);
      assert.deepEqual(compiled.getConfig(), config);
      assert.equal(m.model.loss, 'categoricalCrossentropy');
    });
  }

  it('translates a Keras 3 functional topology: keras tensors in inbound_nodes, one output as a list, wrappers dropped', () => {
    const k3 = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'tcn',
        trainable: true,
        layers: [
          {
            module: 'keras.layers',
            class_name: 'InputLayer',
            config: { batch_shape: [null, 8, 2], dtype: 'float32', sparse: false, name: 'x' },
            registered_name: null,
            name: 'x',
            inbound_nodes: [],
          },
          {
            module: 'keras.layers',
            class_name: 'Add',
            config: { name: 'add', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } } },
            registered_name: null,
            build_config: {
              input_shape: [
                [null, 8, 2],
                [null, 8, 2],
              ],
            },
            name: 'add',
            inbound_nodes: [
              {
                args: [
                  [
                    { class_name: '__keras_tensor__', config: { shape: [null, 8, 2], dtype: 'float32', keras_history: ['x', 0, 0] } },
                    { class_name: '__keras_tensor__', config: { shape: [null, 8, 2], dtype: 'float32', keras_history: ['x', 0, 0] } },
                  ],
                ],
                kwargs: {},
              },
            ],
          },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: ['add', 0, 0],
      },
      registered_name: 'Functional',
    };
    assert.deepEqual(translateKerasTopology(k3), {
      class_name: 'Functional',
      config: {
        name: 'tcn',
        trainable: true,
        layers: [
          {
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, 8, 2], dtype: 'float32', sparse: false, name: 'x' },
            name: 'x',
            inbound_nodes: [],
          },
          {
            class_name: 'Add',
            config: { name: 'add', trainable: true, dtype: 'float32' },
            name: 'add',
            inbound_nodes: [
              [
                ['x', 0, 0, {}],
                ['x', 0, 0, {}],
              ],
            ],
          },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['add', 0, 0]],
      },
    });
  });

  it('builds and trains a Keras 3 functional model (Conv1D with an L2 regularizer, Add of two tensors) compiled from a serialised sparse loss', async () => {
    const m = await loadModelFile(fixture('keras3-functional/model.json'), tf);
    assert.deepEqual(
      m.layers.map((l) => [l.className, l.outputShape]),
      [
        ['InputLayer', [8, 2]],
        ['Conv1D', [8, 2]],
        ['Add', [8, 2]],
        ['GlobalAveragePooling1D', [2]],
        ['Dense', [3]],
      ],
    );
    assert.deepEqual(
      m.model.getLayer('add').inboundNodes[0].inboundLayers.map((l) => l.name),
      ['x', 'c'],
    );
    assert.equal(m.model.loss, 'categoricalCrossentropy', 'sparse categorical cross-entropy on the one-hot targets the recorder makes');
    assert.deepEqual((m.model.optimizer as unknown as { getConfig(): object }).getConfig(), {
      learningRate: 0.002,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
    const x = tf.ones([4, 8, 2]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
    const history = await m.model.fit(x, y, { epochs: 1, verbose: 0 });
    assert.ok(Number.isFinite(history.history.loss[0]));
    tf.dispose([x, y]);
  });

  it("compiles a model.json saved by TensorFlow.js itself from its top-level trainingConfig (RMSProp's rho is tfjs's decay)", async () => {
    // tfjs writes the trainingConfig only with includeOptimizer.
    const saved = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax', name: 'out' })],
    });
    saved.compile({ optimizer: tf.train.rmsprop(0.003, 0.8), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await saved.save(
      tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
      { includeOptimizer: true },
    );
    const folder = mkdtempSync(join(tmpdir(), 'cnn-slicer-tfjs-saved-'));
    try {
      const json = { format: 'layers-model', modelTopology: artifacts!.modelTopology, trainingConfig: artifacts!.trainingConfig };
      writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
      const m = await loadModelFile(join(folder, 'model.json'), tf);
      assert.deepEqual(m.modelCompile, { source: 'training_config' });
      const config = (m.model.optimizer as unknown as { getConfig(): { learningRate: number; decay: number } }).getConfig();
      assert.equal(config.learningRate, 0.003);
      assert.equal(config.decay, 0.8);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('gives a Keras 3 Sequential built with build(shape), which has no InputLayer, its input shape from build_input_shape', async () => {
    const k3 = JSON.parse(readFileSync(fixture('gtsrb-keras3/model.json'), 'utf8')) as {
      modelTopology: { model_config: { config: { layers: unknown[] } } };
    };
    k3.modelTopology.model_config.config.layers.shift();
    const folder = mkdtempSync(join(tmpdir(), 'cnn-slicer-keras3-built-'));
    try {
      writeFileSync(join(folder, 'model.json'), JSON.stringify(k3));
      writeFileSync(join(folder, 'group1-shard1of1.bin'), readFileSync(fixture('gtsrb-keras3/group1-shard1of1.bin')));
      const m = await loadModelFile(join(folder, 'model.json'), tf);
      assert.deepEqual(m.model.inputs[0].shape, [null, 12, 12, 3]);
      assert.deepEqual(
        m.layers.map((l) => l.className),
        ['Conv2D', 'MaxPooling2D', 'Dropout', 'Flatten', 'Dense'],
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses, naming the key and why, a Keras 3 topology TensorFlow.js cannot read', async () => {
    const k3 = JSON.parse(readFileSync(fixture('gtsrb-keras3/model.json'), 'utf8')) as {
      modelTopology: { model_config: { config: { layers: { config: Record<string, unknown> }[] } } };
      weightsManifest?: unknown;
    };
    k3.modelTopology.model_config.config.layers[1].config.dtype = {
      module: 'keras',
      class_name: 'DTypePolicy',
      config: { name: 'mixed_float16' },
    };
    delete k3.weightsManifest;
    const folder = mkdtempSync(join(tmpdir(), 'cnn-slicer-keras3-'));
    try {
      writeFileSync(join(folder, 'model.json'), JSON.stringify(k3));
      await assert.rejects(loadModelFile(join(folder, 'model.json'), tf), (e: unknown) => {
        assert.ok(ModelError.is(e));
        assert.match(
          (e as Error).message,
          /cannot read the model: layer "conv2d": key "dtype" is the policy "mixed_float16", but TensorFlow.js trains in float32 only/,
        );
        assert.doesNotMatch((e as Error).message, /\n/);
        return true;
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('recording Keras model.json files with their training_config', function () {
  this.timeout(240000);
  let root: string;
  let dataset: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'cnn-slicer-keras-record-'));
    const random = seededRandom(3);
    const count = 64;
    const per = 12 * 12 * 3;
    const labels = Int32Array.from({ length: count }, (_, i) => i % 4);
    const x = Float32Array.from({ length: count * per }, (_, i) => labels[Math.floor(i / per)] / 4 + random() * 0.2);
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data', 'x.npy'), serializeNpy(npyFromFloat32([count, 12, 12, 3], x)));
    writeFileSync(join(root, 'data', 'y.npy'), serializeNpy({ dtype: 'int32', shape: [count], data: labels }));
    dataset = `npy:${join(root, 'data', 'x.npy')},${join(root, 'data', 'y.npy')}`;
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const record = (folder: string, more: Partial<RecordOptions> = {}) =>
    recordRun({
      modelFile: fixture(`${folder}/model.json`),
      dataset,
      epochs: 1,
      batchSize: 16,
      probeSize: 20,
      runsFolder: join(root, 'runs'),
      k: 5,
      backend: 'wasm',
      ...more,
    });

  it("trains a Keras 3 file with its training_config's RMSprop at its learning rate, says so, and names the run by its folder", async () => {
    const lines: string[] = [];
    const r = await recordRun(
      {
        modelFile: fixture('gtsrb-keras3/model.json'),
        dataset,
        epochs: 1,
        batchSize: 16,
        probeSize: 20,
        runsFolder: join(root, 'runs'),
        k: 5,
        backend: 'wasm',
      },
      { log: (line: string) => lines.push(line) },
    );
    assert.equal(r.manifest.status, 'completed');
    assert.deepEqual(r.manifest.epochs, [0, 1]);
    assert.deepEqual(r.manifest.training, {
      compiledBy: 'model',
      optimizer: 'rmsprop',
      loss: 'categoricalCrossentropy',
      source: 'training_config',
    });
    assert.equal(r.manifest.settings.optimizer, 'rmsprop');
    assert.equal(r.manifest.settings.learningRate, 0.0005000000237487257);
    assert.equal(r.manifest.model.name, 'gtsrb-keras3');
    assert.ok(
      lines.some((l) => /training: the model file's training_config — rmsprop \(learning rate 0\.0005/.test(l)),
      lines.join('\n'),
    );
  });

  it('refuses, before any run folder, a training_config optimizer TensorFlow.js lacks, and records when the settings name one', async () => {
    const k3 = JSON.parse(readFileSync(fixture('gtsrb-keras3/model.json'), 'utf8')) as {
      modelTopology: { training_config: { optimizer_config: { class_name: string } } };
      weightsManifest?: unknown;
    };
    k3.modelTopology.training_config.optimizer_config.class_name = 'Nadam';
    delete k3.weightsManifest;
    mkdirSync(join(root, 'nadam'));
    const file = join(root, 'nadam', 'model.json');
    writeFileSync(file, JSON.stringify(k3));
    const options = { modelFile: file, dataset, epochs: 1, batchSize: 16, probeSize: 20, runsFolder: join(root, 'nadam-runs'), k: 5 };
    await assert.rejects(recordRun({ ...options, backend: 'wasm' }), (e: unknown) => {
      assert.ok(ModelError.is(e));
      assert.match(
        (e as Error).message,
        /training_config: optimizer Nadam has no TensorFlow.js counterpart .*; record with --optimizer <name> to train with the settings instead$/,
      );
      return true;
    });
    assert.ok(!existsSync(options.runsFolder) || readdirSync(options.runsFolder).length === 0, 'no run folder is left behind');
    const r = await recordRun({ ...options, backend: 'wasm', optimizer: 'sgd' });
    assert.deepEqual(r.manifest.training, { compiledBy: 'settings', optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  });

  it('trains a Keras 2 file with its SGD with momentum, and with the settings when they name an optimizer', async () => {
    const own = await record('gtsrb-keras2');
    assert.equal(own.manifest.status, 'completed');
    assert.deepEqual(own.manifest.training, {
      compiledBy: 'model',
      optimizer: 'momentum',
      loss: 'categoricalCrossentropy',
      source: 'training_config',
    });
    const overridden = await record('gtsrb-keras2', { optimizer: 'adam' });
    assert.deepEqual(overridden.manifest.training, { compiledBy: 'settings', optimizer: 'adam', loss: 'categoricalCrossentropy' });
  });
});
