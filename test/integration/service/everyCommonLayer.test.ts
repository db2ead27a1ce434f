/**
 * Every common CNN building block (docs/layers.md) records, answers every query kind of
 * the analysis service and writes a report: one tiny fixture per block (test/fixtures/models/block*.ts)
 * recorded for one epoch on a small synthetic set. Checks that each layer's source line is where the
 * model file creates it (also inside helper functions and loops), that every query kind answers on
 * every layer, and that the deconvolution projects exactly the layers docs/layers.md says it can and
 * refuses the others with an 'unsupported' answer naming the layer in the way — never an internal error.
 *
 * The report needs the webview bundle: run `npm run build` first (`npm test` does).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeReport } from '../../../src/cli/report';
import { recordRun } from '../../../src/recorder/record';
import type { RunManifest } from '../../../src/contract/runFormat';
import { AnalysisEngine } from '../../../src/service/engine';
import { AnswerOf, Query, QueryError, QueryKind } from '../../../src/contract/queries';

const FIXTURES = resolve(__dirname, '../../fixtures/models');

interface Block {
  /** The fixture file in test/fixtures/models. */
  file: string;
  what: string;
  /** Layers whose channels project back to the input; every other layer's deconvolution is refused. */
  deconvolves: string[];
  /** For each refused layer, the layer the refusal names (default: the refused layer itself). */
  refusedAt?: Record<string, string>;
  /** The recording backend when it is not the default. */
  backend?: 'cpu';
}

const BLOCKS: Block[] = [
  {
    file: 'blockResidual.ts',
    what: 'residual Add with BatchNormalization and Activation layers',
    deconvolves: ['stem', 'firstConv', 'firstNorm', 'firstAdd', 'firstRelu', 'secondConv', 'secondNorm', 'secondAdd', 'secondRelu', 'pool'],
  },
  {
    file: 'blockConcat.ts',
    what: 'parallel branches joined by Concatenate',
    deconvolves: ['stem', 'branch1', 'branch3', 'branch5', 'branchPool', 'joined', 'mix'],
  },
  { file: 'blockBatchNorm.ts', what: 'BatchNormalization', deconvolves: ['conv', 'norm', 'relu', 'pool'] },
  { file: 'blockGlobalPool.ts', what: 'GlobalAveragePooling2D', deconvolves: ['conv', 'conv2', 'gap'] },
  { file: 'blockDropout.ts', what: 'Dropout and GaussianNoise', deconvolves: ['conv', 'noise', 'pool', 'drop'] },
  { file: 'blockDepthwise.ts', what: 'DepthwiseConv2D', deconvolves: ['stem', 'depthwise', 'pointwise', 'pool'] },
  { file: 'blockSeparable.ts', what: 'SeparableConv2D', deconvolves: ['separable', 'separable2'] },
  { file: 'blockZeroPadding.ts', what: 'ZeroPadding2D', deconvolves: ['pad', 'conv', 'pad2', 'conv2'] },
  {
    file: 'blockActivation.ts',
    what: 'Activation, ReLU and LeakyReLU layers',
    deconvolves: ['conv', 'relu', 'conv2', 'relu2', 'conv3', 'leaky'],
    refusedAt: { flat: 'flat', classes: 'classes' },
  },
  { file: 'blockConv1d.ts', what: 'Conv1D and pooling 1D behind a Reshape', deconvolves: ['rows', 'conv', 'pool', 'conv2', 'gap'] },
  { file: 'blockNested.ts', what: 'a sequential model used as a layer', deconvolves: ['stem', 'features', 'top'] },
  { file: 'blockNestedFunctional.ts', what: 'a functional model used as a layer of a functional model', deconvolves: ['features', 'top'] },
];

/**
 * Where a layer named `name` is created in the fixture source: the line holding `name: 'name'`, or
 * for layers named by a template literal (in a loop or a helper function) the line whose template
 * `prefix${…}suffix` the name fits.
 */
function expectedLine(text: string, name: string): number | undefined {
  const lines = text.split('\n');
  const exact = lines.findIndex((l) => l.includes(`name: '${name}'`));
  if (exact >= 0) return exact + 1;
  const templated = lines.findIndex((l) => {
    const m = /name: `(\w*)\$\{\w+\}(\w*)`/.exec(l);
    return m !== null && name.length > m[1].length + m[2].length && name.startsWith(m[1]) && name.endsWith(m[2]);
  });
  return templated >= 0 ? templated + 1 : undefined;
}

describe('building blocks: every common CNN layer records, answers every query kind and writes a report', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-blocks-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const block of BLOCKS) {
    describe(`${block.file}: ${block.what}`, () => {
      let runs = '';
      let folder = '';
      let manifest: RunManifest;

      before(async () => {
        runs = join(dir, block.file.replace(/\.ts$/, ''));
        mkdirSync(runs);
        const r = await recordRun({
          modelFile: join(FIXTURES, block.file),
          dataset: 'synthetic:150',
          epochs: 1,
          batchSize: 25,
          probeSize: 45,
          runsFolder: runs,
          k: 10,
          backend: block.backend ?? 'wasm',
        });
        folder = r.folder;
        manifest = r.manifest;
      });

      it('records epochs 0 and 1, and locates every layer at the line of the model file that creates it', () => {
        assert.equal(manifest.status, 'completed');
        assert.deepEqual(manifest.epochs, [0, 1]);
        const text = readFileSync(join(FIXTURES, block.file), 'utf8');
        const lines = text.split('\n');
        for (const layer of manifest.layers.slice(1)) {
          const line = expectedLine(text, layer.name);
          assert.ok(line, `the test cannot find layer ${layer.name} in ${block.file}`);
          assert.ok(layer.source, `layer ${layer.name} has no source location`);
          assert.equal(resolve(layer.source.file), join(FIXTURES, block.file), `layer ${layer.name}: file`);
          if (layer.className === 'Sequential' || layer.className === 'Model') {
            // A nested model is located at the tf.sequential/tf.model call that builds it, which may
            // open on the line before its name.
            assert.ok(line - layer.source.line <= 1 && line >= layer.source.line, `layer ${layer.name}: line ${layer.source.line}`);
            assert.match(
              lines[layer.source.line - 1].slice(layer.source.column - 1),
              /^tf\.(sequential|model)\(/,
              `layer ${layer.name}: column`,
            );
            continue;
          }
          assert.equal(layer.source.line, line, `layer ${layer.name}: line`);
          assert.match(lines[line - 1].slice(layer.source.column - 1), /^tf\.layers\.\w+\(/, `layer ${layer.name}: column`);
        }
      });

      it('answers every query kind on every layer; the deconvolution projects exactly the supported layers and refuses the others naming the layer', async () => {
        const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
        const ask = async <K extends QueryKind>(query: Extract<Query, { kind: K }>) =>
          (await engine.answer(folder, query)).answer as AnswerOf[K];
        try {
          const run = await ask({ kind: 'run' });
          assert.ok(run.manifest);
          await ask({ kind: 'training' });
          await ask({ kind: 'confusion', epoch: 1, inputs: true });
          await ask({ kind: 'inputs', x: { kind: 'all' } });
          await ask({ kind: 'inputDiversity', sizes: [10, 20], source: 'probe' });
          const layers = manifest.layers;
          const sample = { kind: 'indices' as const, indices: [0, 7, 30] };
          for (const layer of layers) {
            const l = layer.index;
            const maps = await ask({ kind: 'featureMaps', layer: l, channels: [0, layer.channels - 1], epoch: 1, x: sample });
            assert.equal(maps.maps.shape[0] * maps.maps.shape[1], 3 * 2, `featureMaps of layer ${l}`);
            const entropies = await ask({ kind: 'channelEntropies', layer: l, epoch: 1 });
            assert.equal(entropies.all.length, layer.channels, `channelEntropies of layer ${l}`);
            assert.equal((await ask({ kind: 'smallMultiples', layer: l })).epochs.length, 2);
            assert.equal((await ask({ kind: 'interSample', layer: l, epoch: 1 })).inputCount, 45);
          }
          for (let l = 0; l + 1 < layers.length; l++) {
            const matrix = await ask({ kind: 'capacityMatrix', layerI: l, layerJ: l + 1, epoch: 1 });
            assert.equal(matrix.values.length, matrix.rows * matrix.columns);
            await ask({ kind: 'layerCapacity', layerI: l, layerJ: l + 1, epoch: 0 });
            await ask({ kind: 'channelPair', layerI: l, channelI: 0, layerJ: l + 1, channelJ: layers[l + 1].channels - 1, epoch: 1 });
          }
          const projected: string[] = [];
          for (const layer of layers.slice(1)) {
            try {
              const answer = await ask({ kind: 'deconvolution', layer: layer.index, channel: layer.channels - 1, epoch: 1, x: sample });
              const shape = answer.projections.shape;
              assert.equal(
                shape.reduce((a, b) => a * b, 1),
                3 * 12 * 12,
                `deconvolution of ${layer.name}: shape [${shape.join(', ')}]`,
              );
              assert.ok(Number.isFinite(answer.min) && Number.isFinite(answer.max));
              projected.push(layer.name);
            } catch (e) {
              assert.ok(e instanceof QueryError, `deconvolution of ${layer.name}: ${String(e)}`);
              assert.equal(e.code, 'unsupported', `deconvolution of ${layer.name}: ${e.message}`);
              const at = block.refusedAt?.[layer.name] ?? layer.name;
              assert.match(e.message, new RegExp(`layer '${at}'`), `deconvolution of ${layer.name}: ${e.message}`);
            }
          }
          assert.deepEqual(projected, block.deconvolves);
        } finally {
          engine.close();
        }
      });

      it('writes a report whose only refusals are the deconvolutions of the unsupported layers', async () => {
        const out = join(runs, 'report.html');
        const r = await writeReport({
          runFolder: folder,
          out,
          maxEpochs: 2,
          deconvolutionChannels: 1,
          datasetDiversity: false,
          theme: 'light',
          maxSeconds: Number.POSITIVE_INFINITY,
        });
        assert.ok(statSync(out).size > 0);
        assert.ok(r.answers > 0);
        const report = readFileSync(out, 'utf8');
        assert.ok(report.includes(manifest.id));
        assert.ok(r.errors <= manifest.layers.length - 1 - block.deconvolves.length, `${r.errors} refusals`);
      });
    });
  }
});
