import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NpyArray, serializeNpy } from '../../../src/analysis';
import { writePage } from '../../../src/cli/reportPage';
import { UsageError } from '../../../src/cli/usage';
import { type CliRun, expectOneLine, runCli, runsIn } from '../../support/cliRun';
import { writeFixtureRun } from '../../support/runFixture';
import { copyPytorchRun } from '../../support/fixtureRuns';

// Bad input to the command line, as users type it by mistake, run in this process through main()
// (src/cli/main.ts) on caught streams: each case must end with one line naming what is wrong, no
// stack, and nothing left on disk but what the user asked for. What needs a process of its own (a
// model loaded or trained in the recorder's child, Ctrl-C, dist/'s compute worker) and one refusal
// of the built CLI per command are in test/integration/cli/badInput.test.ts.
const MODELS = path.resolve(__dirname, '../../fixtures/models');

let dir = '';

function run(...args: string[]): Promise<CliRun> {
  return runCli(args);
}

/** Expects the refusal of `result` (see expectOneLine of test/support/cliRun.ts). */
async function refused(result: Promise<CliRun>, code: number, ...mentions: string[]): Promise<string> {
  return expectOneLine(await result, code, ...mentions);
}

function npy(name: string, array: NpyArray): string {
  const file = path.join(dir, name);
  writeFileSync(file, serializeNpy(array));
  return file;
}

describe('cnn-slicer refuses bad input up front, in one line, leaving nothing behind', function () {
  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-robust-'));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('record', function () {
    const model = path.join(MODELS, 'multiFile.ts');

    for (const [option, value, says] of [
      ['--epochs', '1000000000000', '--epochs must be an integer from 0 to 10000'],
      ['--bins', '1000000000', '--bins must be an integer from 2 to 4096'],
      ['--bins', '1', '--bins must be an integer from 2 to 4096'],
      ['--k', '1', '--k must be an integer from 2 to 1000000'],
      ['--k', '50000000', '--k must be an integer from 2 to 1000000'],
      ['--probe', '1000000', '--probe must be an integer from 3 to 100000'],
      ['--model-timeout', '0', '--model-timeout must be an integer from 1 to 86400'],
      ['--model-timeout', 'soon', '--model-timeout must be an integer from 1 to 86400'],
      ['--model-timeout', '100000', '--model-timeout must be an integer from 1 to 86400'],
    ]) {
      it(`refuses ${option} ${value} before anything is loaded or written`, async function () {
        const runs = path.join(dir, `runs${option}${value}`);
        const r = await run('record', model, '--dataset', 'synthetic:100', '--probe', '20', option, value, '--out', runs);
        await refused(Promise.resolve(r), 2, says);
        // Refused before TensorFlow.js was even started.
        assert.ok(!r.stderr.includes('loading'), r.stderr);
        assert.deepEqual(runsIn(runs), []);
      });
    }

    it('refuses --out naming a file, and leaves the file as it was', async function () {
      const file = path.join(dir, 'not-a-folder.txt');
      writeFileSync(file, 'keep me');
      await refused(run('record', model, '--dataset', 'synthetic:100', '--out', file), 2, `--out ${file} is a file, not a folder`);
      assert.equal(readFileSync(file, 'utf8'), 'keep me');
    });
  });

  describe('report, query, runs, findings', function () {
    // A hand-made run (test/support/runFixture.ts): every refusal here comes before a model is loaded.
    let runFolder = '';

    before(function () {
      runFolder = path.join(dir, 'runs-report', '20261122-100000-tiny');
      writeFixtureRun(runFolder);
    });

    it('report refuses --out naming a folder before any work, leaving no <folder>.partial', async function () {
      const out = path.join(dir, 'report-folder');
      mkdirSync(out);
      await refused(run('report', runFolder, '--out', out), 2, `--out ${out} is a folder`, 'name the file to write');
      assert.ok(!existsSync(`${out}.partial`), `${out}.partial was left behind`);
      assert.deepEqual(readdirSync(out), []);
      await refused(run('report', runFolder, runFolder, '--out', out), 2, `--out ${out} is a folder`);
      assert.ok(!existsSync(`${out}.partial`));
    });

    it('report refuses an --out it cannot write before any work, in one line naming the folder and why', async function () {
      // A file where the folder should be: unwritable for any user, root included.
      const file = path.join(dir, 'not-a-folder');
      writeFileSync(file, 'x');
      const out = path.join(file, 'report.html');
      const line = await refused(
        run('report', runFolder, '--out', out),
        2,
        `cannot write --out ${out}`,
        'a part of the path is a file, not a folder (ENOTDIR)',
      );
      assert.doesNotMatch(line, /internal error|bug/);
      await refused(run('report', runFolder, runFolder, '--out', out), 2, `cannot write --out ${out}`);
      assert.equal(readFileSync(file, 'utf8'), 'x');
      if (process.getuid?.() !== 0) {
        // A read-only folder (root writes through permissions, so only checked as another user).
        const locked = path.join(dir, 'read-only');
        mkdirSync(locked);
        chmodSync(locked, 0o555);
        await refused(run('report', runFolder, '--out', path.join(locked, 'r.html')), 2, 'permission denied (EACCES)');
        chmodSync(locked, 0o755);
      }
    });

    it('a page that cannot be written at the end is one line saying where and why, leaving no .partial', function () {
      const file = path.join(dir, 'not-a-folder-either');
      writeFileSync(file, 'x');
      assert.throws(
        () => writePage(path.join(file, 'r.html'), '<html></html>'),
        (e: unknown) => e instanceof UsageError && /^cannot write the report to .*r\.html: a part of the path is a file/.test(e.message),
      );
      const folder = mkdtempSync(path.join(dir, 'page-'));
      assert.equal(writePage(path.join(folder, 'ok.html'), '<html></html>'), 13);
      assert.deepEqual(readdirSync(folder), ['ok.html']);
    });

    it('refuses bad ablation queries with one line each: a bad mode, --mode on another kind, no channels', async function () {
      // A channel, layer or epoch out of range is refused once the engine has started: test/integration/cli/badInput.test.ts.
      await refused(
        run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '1', '--channels', '0', '--mode', 'half'),
        2,
        '"mode" must be "zero" or "mean"',
      );
      await refused(
        run('query', runFolder, 'interSample', '--epoch', '1', '--layer', '1', '--mode', 'zero'),
        2,
        '--mode applies to ablation and channelImportance',
      );
      await refused(run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '1'), 2, '"channels"');
    });

    it('query --json refuses JSON that is not an object', async function () {
      // That options beside --json override its fields is checked on answers: test/integration/cli/badInput.test.ts.
      for (const bad of ['[1,2]', '3', 'null', '{"layer":'])
        await refused(run('query', runFolder, 'interSample', '--json', bad), 2, '--json must be a JSON object');
    });

    it('query refuses an option or a --json field its kind does not take, in one line naming it and what the kind takes', async function () {
      // informationPlane answers every epoch: --epoch 1 beside --json was dropped without a word.
      const line = await refused(
        run('query', runFolder, 'informationPlane', '--json', '{"estimator":"binned"}', '--epoch', '1', '--bins', '3'),
        2,
        '--epoch does not apply to informationPlane',
        '--bins',
      );
      assert.ok(!line.includes('--bins does not'), line);
      await refused(
        run('query', runFolder, 'informationPlane', '--json', '{"estimator":"binned","epoch":1}'),
        2,
        '"epoch" in --json does not apply',
      );
      await refused(
        run('query', runFolder, 'run', '--layer', '1', '--bins', '3'),
        2,
        '--layer, --bins do not apply to run: it takes no options',
      );
      await refused(run('query', runFolder, 'training', '--cells'), 2, '--cells does not apply to training');
      await refused(run('query', runFolder, 'ablation', '--exhaustive'), 2, '--exhaustive does not apply to ablation');
      await refused(
        run('query', runFolder, 'interSample', '--epoch', '1', '--layer', '1', '--exact', '4'),
        2,
        '--exact does not apply to interSample',
      );
    });

    it('query channelImportance --exact refuses what is not a whole number from 0 to 4096, in one line', async function () {
      const ask = (exact: string) => run('query', runFolder, 'channelImportance', '--epoch', '1', '--layer', '1', '--exact', exact);
      await refused(ask('abc'), 2, '--exact');
      await refused(ask('2.5'), 2, '--exact');
      await refused(ask('-1'), 2, '--exact needs a value');
      await refused(
        run('query', runFolder, 'channelImportance', '--epoch', '1', '--layer', '1', '--exact=-1'),
        2,
        '--exact must be a non-negative integer',
      );
      await refused(ask('5000'), 2, '"exact" must be a whole number of channels from 0 to 4096');
    });

    it("says what is wrong with an option in the CLI's words: a negative value, a missing value, an unknown option", async function () {
      const x = npy('opts.npy', { dtype: 'float32', shape: [4, 2], data: new Float32Array(8) });
      await refused(
        run('findings', dir, '--epoch', '-1'),
        2,
        '--epoch needs a value; write a value that starts with "-" as --epoch=VALUE',
        'cnn-slicer findings --help',
      );
      await refused(run('findings', dir, '--epoch=-1'), 2, '--epoch must be');
      await refused(run('entropy', 'inter', x, '--k'), 2, '--k needs a value (see --help)');
      await refused(run('record', 'model.ts', '--bogus'), 2, 'unknown option --bogus (see record --help)');
      await refused(run('runs', '--json=3'), 2, '--json takes no value (see cnn-slicer runs --help)');
    });

    it('runs refuses a file in place of a runs folder', async function () {
      const file = path.join(dir, 'runs.txt');
      writeFileSync(file, '');
      await refused(run('runs', file), 2, `${file} is a file, not a runs folder`);
      await refused(run('query', file, 'run'), 2, `${file} is a file, not a run folder`);
    });
  });

  describe('measure, runs: a PyTorch run whose measures are pending', function () {
    let runs = '';
    let runFolder = '';

    beforeEach(function () {
      ({ runs, folder: runFolder } = copyPytorchRun(dir));
    });

    it('runs lists the epochs awaiting their measures instead of "none"', async function () {
      const r = await run('runs', runs);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /completed\s+\S+\s+\S+\s+0, 1, 2 awaiting measures\n/);
      const json = JSON.parse((await run('runs', runs, '--json')).stdout) as { runs: { epochs: number[]; pendingEpochs?: number[] }[] };
      assert.deepEqual([json.runs[0].epochs, json.runs[0].pendingEpochs], [[], [0, 1, 2]]);
    });

    it('measure refuses a missing folder, a file, a bad --backend or --provider and two folders in one line, writing nothing', async function () {
      // A folder that is no run is refused after the measuring engine started: test/integration/cli/badInput.test.ts.
      const metrics = readFileSync(path.join(runFolder, 'metrics.jsonl'), 'utf8');
      const missing = path.join(dir, 'no-such-run');
      await refused(run('measure', missing), 2, `${missing} does not exist`);
      const file = path.join(dir, 'measure.txt');
      writeFileSync(file, '');
      await refused(run('measure', file), 2, `${file} is a file, not a run folder`);
      await refused(run('measure', runFolder, '--backend', 'gpu'), 2, '--backend must be one of', 'got "gpu"');
      await refused(run('measure', runFolder, '--provider', 'tpu'), 2, '--provider must be one of cpu, webgpu, cuda', 'got "tpu"');
      await refused(run('measure', runFolder, runFolder), 2, 'expected one run folder, got 2');
      assert.equal(readFileSync(path.join(runFolder, 'metrics.jsonl'), 'utf8'), metrics);
    });
  });

  describe('labels and entropy channels', function () {
    it('refuses 50,000 classes (a 20 GB confusion matrix) with the limit and why, instead of aborting', async function () {
      const truth = npy('truth.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 49_999]) });
      const pred = npy('pred.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
      await refused(run('labels', truth, pred), 2, 'label 2 is 49999', 'at most 1000 classes', 'classes² cells');
      const small = npy('small.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
      await refused(run('labels', small, pred, '--classes', '50000'), 2, '--classes must be an integer from 1 to 1000');
      const x = npy('x.npy', { dtype: 'float32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i) });
      await refused(run('entropy', 'channels', x, '--labels', truth), 2, 'at most 1000 classes');
    });

    it('refuses prediction scores holding NaN instead of counting them as class 0', async function () {
      const truth = npy('truth3.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
      const scores = npy('scores.npy', { dtype: 'float32', shape: [3, 3], data: Float32Array.from([1, 0, 0, NaN, NaN, NaN, 0, 0, 1]) });
      await refused(run('labels', truth, scores), 2, 'scores.npy', 'the scores of 1 of 3 inputs are NaN (the first is input 1)');
    });
  });

  // Every pairwise measure grows with N² in memory: 70,000 inputs asked for tens of GB and the
  // process was killed. Each is refused before it allocates, saying how many inputs fit.
  describe('pairwise measures on more inputs than memory allows', function () {
    const inputs = (name: string, n: number, channels = 1) =>
      npy(name, { dtype: 'float32', shape: [n, 1, 1, channels], data: Float32Array.from({ length: n * channels }, (_, i) => i % 97) });
    const labelsOf = (name: string, n: number) =>
      npy(name, { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 10) });

    it('mi pairwise on 70,000 inputs, with and without --channels', async function () {
      const t = inputs('t70k.npy', 70_000, 2);
      const y = labelsOf('y70k.npy', 70_000);
      const started = Date.now();
      await refused(
        run('mi', 'pairwise', t, '--labels', y),
        2,
        'mi pairwise on 70,000 inputs would need about',
        'above the limit of 4.0 GB',
        'use at most 18,176 inputs',
      );
      await refused(run('mi', 'pairwise', t, '--labels', y, '--channels'), 2, 'mi pairwise on 70,000 inputs', 'use at most 17,211 inputs');
      assert.ok(Date.now() - started < 20_000, `refused before computing (${Date.now() - started} ms)`);
    });

    it('capacity, and entropy inter with a --k that keeps every neighbour', async function () {
      const a = inputs('a30k.npy', 30_000, 4);
      await refused(run('capacity', a, a), 2, 'capacity on 30,000 inputs would need about', 'use at most');
      const x = inputs('x20k.npy', 20_000);
      await refused(run('entropy', 'inter', x, '--k', '1000000'), 2, 'entropy inter on 20,000 inputs would need about', 'use at most');
    });
  });
});
