import assert from 'node:assert/strict';
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NpyArray, serializeNpy } from '../../../src/analysis';
import { writePage } from '../../../src/cli/reportPage';
import { UsageError } from '../../../src/cli/usage';

// Bad input to the real command line (dist/cli.js, run `npm run build` first), as users type it by
// mistake: each case must end with one line naming what is wrong, no stack, and nothing
// left on disk but what the user asked for.
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const MODELS = path.resolve(__dirname, '../../fixtures/models');

let dir = '';

function run(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
}

/** The lines of stderr that are not progress: the last is the command's message. */
function messageLines(stderr: string): string[] {
  return stderr.split(/[\n\r]/).filter((l) => l.startsWith('cnn-slicer: '));
}

/** Expects exit `code`, no stack anywhere, and exactly one "cnn-slicer: " line mentioning each of `mentions`. */
function expectOneLine(r: { status: number | null; stderr: string }, code: number, ...mentions: string[]): string {
  const shown = `status ${r.status}\nstderr:\n${r.stderr}`;
  assert.equal(r.status, code, shown);
  assert.ok(!r.stderr.includes('    at '), `a stack was printed:\n${shown}`);
  const lines = messageLines(r.stderr);
  assert.equal(lines.length, 1, shown);
  for (const m of mentions) assert.ok(lines[0].includes(m), `expected "${m}" in: ${lines[0]}`);
  return lines[0];
}

/** The run folders under a runs folder (none when it was never made; not its .gitignore). */
function runsIn(runs: string): string[] {
  return existsSync(runs) ? readdirSync(runs).filter((name) => !name.startsWith('.')) : [];
}

function npy(name: string, array: NpyArray): string {
  const file = path.join(dir, name);
  writeFileSync(file, serializeNpy(array));
  return file;
}

describe('cnn-slicer refuses bad input up front, in one line, leaving nothing behind', function () {
  this.timeout(120_000);

  before(function () {
    if (!existsSync(CLI)) assert.fail(`${CLI} does not exist; run "npm run build" first`);
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-robust-'));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('record', function () {
    const model = path.join(MODELS, 'multiFile.ts');

    it('refuses --probe as large as the dataset, naming both sizes, before a run folder is made', function () {
      const runs = path.join(dir, 'runs-probe');
      const line = expectOneLine(run('record', model, '--dataset', 'synthetic:100', '--probe', '100', '--out', runs), 2, '100 inputs');
      assert.match(line, /probe set of 100 inputs would take all 100 inputs of the dataset, leaving none for training/);
      expectOneLine(run('record', model, '--dataset', 'synthetic:100', '--probe', '250', '--out', runs), 2, '250 inputs', 'all 100 inputs');
      assert.deepEqual(runsIn(runs), []);
    });

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
      it(`refuses ${option} ${value} before anything is loaded or written`, function () {
        const runs = path.join(dir, `runs${option}${value}`);
        const r = run('record', model, '--dataset', 'synthetic:100', '--probe', '20', option, value, '--out', runs);
        expectOneLine(r, 2, says);
        // Refused before TensorFlow.js was even started.
        assert.ok(!r.stderr.includes('loading'), r.stderr);
        assert.deepEqual(runsIn(runs), []);
      });
    }

    it('says after 10 s that a model factory has not returned, and stops it after --model-timeout seconds in one line', function () {
      const runs = path.join(dir, 'runs-timeout');
      const started = Date.now();
      const r = run(
        'record',
        path.join(MODELS, 'neverSettles.ts'),
        '--dataset',
        'synthetic:100',
        '--probe',
        '20',
        '--model-timeout',
        '12',
        '--out',
        runs,
      );
      expectOneLine(r, 2, 'did not return a model within 12 s');
      // After 10 s the user is told the factory is still being waited for, and what the limit is.
      assert.match(
        r.stderr,
        /neverSettles\.ts has not returned its model after 10 s; waiting up to 12 s \(record --model-timeout S sets the limit\)/,
      );
      // The default is 60 s: a run this short shows the option reached the loader.
      assert.ok(Date.now() - started < 50_000, `took ${Date.now() - started} ms`);
      assert.deepEqual(runsIn(runs), []);
    });

    for (const backend of ['cpu', 'default']) {
      it(`refuses a 5×5 kernel on a 4×4 input (${backend} backend) in one line naming the layer, its input shape and kernel, at its line`, function () {
        const runs = path.join(dir, `runs-kernel-${backend}`);
        const file = path.join(MODELS, 'kernelTooLarge.ts');
        const args = ['record', file, '--epochs', '1', '--probe', '20', '--out', runs, ...(backend === 'cpu' ? ['--backend', 'cpu'] : [])];
        const r = run(...args);
        const conv =
          readFileSync(file, 'utf8')
            .split('\n')
            .findIndex((l) => l.includes("name: 'conv'")) + 1;
        const line = expectOneLine(r, 2, 'layer conv (Conv2D)', 'input shape is [4, 4, 1]', 'kernel is 5×5', 'output shape is [0, 0, 16]');
        // Located at the layer's own line (the Problems panel's entry), not at line 1 nor at a healthy layer.
        assert.ok(line.startsWith(`cnn-slicer: ${file}:${conv}:`), line);
        assert.ok(!/cannot be trained|memory access|Aborted/.test(r.stderr), r.stderr);
        // Refused before training: no run is left behind, "recording" or otherwise.
        assert.deepEqual(runsIn(runs), []);
      });
    }

    it('refuses --out naming a file, and leaves the file as it was', function () {
      const file = path.join(dir, 'not-a-folder.txt');
      writeFileSync(file, 'keep me');
      expectOneLine(run('record', model, '--dataset', 'synthetic:100', '--out', file), 2, `--out ${file} is a file, not a folder`);
      assert.equal(readFileSync(file, 'utf8'), 'keep me');
    });

    it('stops a training whose model outputs NaN, keeping the epochs before it, instead of counting NaN as class 0', function () {
      const runs = path.join(dir, 'runs-nan');
      // sgd at 1e30 diverges in the first epoch: every probe score is NaN at epoch 1.
      const args = ['--dataset', 'synthetic:100', '--probe', '20', '--epochs', '3', '--optimizer', 'sgd', '--lr', '1e30', '--out', runs];
      const r = run('record', path.join(MODELS, 'untrained.ts'), ...args);
      const [folder] = runsIn(runs);
      assert.ok(folder, 'the run folder is kept');
      const where = path.join(runs, folder);
      const line = expectOneLine(r, 2, 'are NaN', 'so they predict no class', 'lower the learning rate', `epoch 0 is kept in ${where}`);
      assert.match(line, /^cnn-slicer: recording stopped while recording epoch 1: /);
      const manifest = JSON.parse(readFileSync(path.join(where, 'manifest.json'), 'utf8')) as { status: string; epochs: number[] };
      assert.equal(manifest.status, 'failed');
      assert.deepEqual(manifest.epochs, [0]);
    });

    it('reports an internal error after epoch 0 as one line: what failed, which epochs are kept where, what to do', function () {
      const runs = path.join(dir, 'runs-internal');
      const r = run('record', path.join(MODELS, 'failsInTraining.ts'), '--probe', '20', '--epochs', '2', '--out', runs);
      const [folder] = runsIn(runs);
      const where = path.join(runs, folder);
      const line = expectOneLine(
        r,
        1,
        'recording failed while training epoch 1: gradient kernel missing for FailsWhenTraining',
        `epoch 0 is kept in ${where}`,
        `cnn-slicer report ${where}`,
        'run again with --verbose',
      );
      assert.ok(!line.includes('internal error: Error'), line);
      const manifest = JSON.parse(readFileSync(path.join(where, 'manifest.json'), 'utf8')) as { status: string; epochs: number[] };
      assert.deepEqual([manifest.status, manifest.epochs], ['failed', [0]]);
      // --verbose shows where: the stack follows the line.
      const verbose = run('record', path.join(MODELS, 'failsInTraining.ts'), '--probe', '20', '--epochs', '2', '--out', runs, '--verbose');
      assert.equal(verbose.status, 1);
      assert.ok(verbose.stderr.includes('    at '), verbose.stderr);
    });

    it('stops a model factory that never returns on Ctrl-C within seconds, with a line and no run folder', async function () {
      const runs = path.join(dir, 'runs-loop');
      const child = spawn(process.execPath, [CLI, 'record', path.join(MODELS, 'loopsForever.ts'), '--out', runs], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Once the recorder says it loads the model, the factory is running; give it a moment to be in its loop.
      const deadline = Date.now() + 60_000;
      while (!stderr.includes('loading the model')) {
        if (Date.now() > deadline) assert.fail(`the model never started loading:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      const sentAt = Date.now();
      child.kill('SIGINT');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8000));
      const code = await Promise.race([exited, timeout]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        assert.fail(`the CLI did not exit within 8 s of Ctrl-C:\n${stderr}`);
      }
      assert.ok(Date.now() - sentAt < 5000, `took ${Date.now() - sentAt} ms`);
      expectOneLine({ status: code, stderr }, 130, 'stopped while loading the model', 'nothing was recorded');
      assert.deepEqual(runsIn(runs), []);
    });
  });

  describe('report, runs', function () {
    let runFolder = '';
    let runs = '';

    before(function () {
      // Recorded by the CLI itself, so this process's TensorFlow.js (and its layer names) stays untouched.
      runs = path.join(dir, 'runs-report');
      const r = run(
        'record',
        path.join(MODELS, 'multiFile.ts'),
        '--dataset',
        'synthetic:100',
        '--probe',
        '20',
        '--epochs',
        '1',
        '--out',
        runs,
      );
      assert.equal(r.status, 0, r.stderr);
      runFolder = r.stdout.trim();
    });

    it('report refuses --out naming a folder before any work, leaving no <folder>.partial', function () {
      const out = path.join(dir, 'report-folder');
      mkdirSync(out);
      expectOneLine(run('report', runFolder, '--out', out), 2, `--out ${out} is a folder`, 'name the file to write');
      assert.ok(!existsSync(`${out}.partial`), `${out}.partial was left behind`);
      assert.deepEqual(readdirSync(out), []);
      expectOneLine(run('report', runFolder, runFolder, '--out', out), 2, `--out ${out} is a folder`);
      assert.ok(!existsSync(`${out}.partial`));
    });

    it('report refuses an --out it cannot write before any work, in one line naming the folder and why', function () {
      // A file where the folder should be: unwritable for any user, root included.
      const file = path.join(dir, 'not-a-folder');
      writeFileSync(file, 'x');
      const out = path.join(file, 'report.html');
      const r = run('report', runFolder, '--out', out);
      const line = expectOneLine(r, 2, `cannot write --out ${out}`, 'a part of the path is a file, not a folder (ENOTDIR)');
      assert.doesNotMatch(line, /internal error|bug/);
      expectOneLine(run('report', runFolder, runFolder, '--out', out), 2, `cannot write --out ${out}`);
      assert.equal(readFileSync(file, 'utf8'), 'x');
      if (process.getuid?.() !== 0) {
        // A read-only folder (root writes through permissions, so only checked as another user).
        const locked = path.join(dir, 'read-only');
        mkdirSync(locked);
        chmodSync(locked, 0o555);
        expectOneLine(run('report', runFolder, '--out', path.join(locked, 'r.html')), 2, 'permission denied (EACCES)');
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

    it('answers a query on a checkpoint whose scores are NaN with one line naming them, not as an internal error', function () {
      // A checkpoint whose weights are all NaN (as a run recorded before NaN scores were refused
      // can hold): the confusion cells of that epoch cannot be counted, which is a fact about the
      // run (training diverged), not a bug in CNN Slicer.
      const copy = path.join(dir, 'runs-copy', path.basename(runFolder));
      cpSync(runFolder, copy, { recursive: true });
      const weights = path.join(copy, 'checkpoints', 'epoch-0001', 'weights.bin');
      writeFileSync(weights, Buffer.from(new Float32Array(statSync(weights).size / 4).fill(NaN).buffer));
      const line = expectOneLine(run('query', copy, 'confusion', '--epoch', '1', '--cells'), 2, 'the scores of 20 of 20 inputs are NaN');
      assert.ok(!line.includes('internal error'), line);
    });

    it('refuses bad ablation queries with one line each: a bad mode, --mode on another kind, a channel or layer out of range', function () {
      expectOneLine(
        run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '1', '--channels', '0', '--mode', 'half'),
        2,
        '"mode" must be "zero" or "mean"',
      );
      expectOneLine(
        run('query', runFolder, 'interSample', '--epoch', '1', '--layer', '1', '--mode', 'zero'),
        2,
        '--mode applies to ablation and channelImportance',
      );
      expectOneLine(
        run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '1', '--channels', '999'),
        2,
        'channel 999 is out of range',
      );
      expectOneLine(run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '0', '--channels', '0'), 2, 'layer 0 is the input');
      expectOneLine(run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '1'), 2, '"channels"');
      expectOneLine(run('query', runFolder, 'channelImportance', '--epoch', '9', '--layer', '1'), 2, 'epoch 9 is not recorded');
    });

    it('query --json merges with the options beside it (options override its fields), and refuses JSON that is not an object', function () {
      const answer = (...args: string[]) => {
        const r = run('query', runFolder, ...args);
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout) as { epoch?: number; inputCount?: number; estimator?: string };
      };
      // --epoch and --per-class beside --json were silently ignored before.
      const inter = answer('interSample', '--json', '{"layer":1,"epoch":0}', '--epoch', '1', '--per-class', '1');
      assert.equal(inter.epoch, 1);
      assert.ok(inter.inputCount !== undefined && inter.inputCount < 20, `a per-class subset, got ${inter.inputCount} inputs`);
      const plane = answer('informationPlane', '--json', '{"estimator":"binned"}', '--per-class', '2');
      assert.equal(plane.estimator, 'binned');
      assert.ok(plane.inputCount !== undefined && plane.inputCount < 20, `a per-class subset, got ${plane.inputCount} inputs`);
      for (const bad of ['[1,2]', '3', 'null', '{"layer":'])
        expectOneLine(run('query', runFolder, 'interSample', '--json', bad), 2, '--json must be a JSON object');
    });

    it('query refuses an option or a --json field its kind does not take, in one line naming it and what the kind takes', function () {
      // informationPlane answers every epoch: --epoch 1 beside --json was dropped without a word.
      const line = expectOneLine(
        run('query', runFolder, 'informationPlane', '--json', '{"estimator":"binned"}', '--epoch', '1', '--bins', '3'),
        2,
        '--epoch does not apply to informationPlane',
        '--bins',
      );
      assert.ok(!line.includes('--bins does not'), line);
      expectOneLine(
        run('query', runFolder, 'informationPlane', '--json', '{"estimator":"binned","epoch":1}'),
        2,
        '"epoch" in --json does not apply',
      );
      expectOneLine(
        run('query', runFolder, 'run', '--layer', '1', '--bins', '3'),
        2,
        '--layer, --bins do not apply to run: it takes no options',
      );
      expectOneLine(run('query', runFolder, 'training', '--cells'), 2, '--cells does not apply to training');
      expectOneLine(run('query', runFolder, 'ablation', '--exhaustive'), 2, '--exhaustive does not apply to ablation');
      // What the kind takes still answers, options and --json together.
      const r = run('query', runFolder, 'informationPlane', '--json', '{"estimator":"binned"}', '--bins', '3');
      assert.equal(r.status, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { estimator: string }).estimator, 'binned');
    });

    it("says what is wrong with an option in the CLI's words: a negative value, a missing value, an unknown option", function () {
      const x = npy('opts.npy', { dtype: 'float32', shape: [4, 2], data: new Float32Array(8) });
      expectOneLine(
        run('findings', dir, '--epoch', '-1'),
        2,
        '--epoch needs a value; write a value that starts with "-" as --epoch=VALUE',
        'cnn-slicer findings --help',
      );
      expectOneLine(run('findings', dir, '--epoch=-1'), 2, '--epoch must be');
      expectOneLine(run('entropy', 'inter', x, '--k'), 2, '--k needs a value (see --help)');
      expectOneLine(run('record', 'model.ts', '--bogus'), 2, 'unknown option --bogus (see record --help)');
      expectOneLine(run('runs', '--json=3'), 2, '--json takes no value (see cnn-slicer runs --help)');
    });

    it('runs refuses a file in place of a runs folder', function () {
      const file = path.join(dir, 'runs.txt');
      writeFileSync(file, '');
      expectOneLine(run('runs', file), 2, `${file} is a file, not a runs folder`);
      expectOneLine(run('query', file, 'run'), 2, `${file} is a file, not a run folder`);
    });
  });

  describe('measure, runs: a PyTorch run whose measures are pending', function () {
    const PYTORCH_RUN = path.resolve(__dirname, '../../fixtures/pytorch-run');
    let runs = '';
    let runFolder = '';

    beforeEach(function () {
      runs = mkdtempSync(path.join(dir, 'pytorch-'));
      cpSync(PYTORCH_RUN, runs, { recursive: true });
      runFolder = path.join(runs, runsIn(runs)[0]);
    });

    it('runs lists the epochs awaiting their measures instead of "none"', function () {
      const r = run('runs', runs);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /completed\s+\S+\s+\S+\s+0, 1, 2 awaiting measures\n/);
      const json = JSON.parse(run('runs', runs, '--json').stdout) as { runs: { epochs: number[]; pendingEpochs?: number[] }[] };
      assert.deepEqual([json.runs[0].epochs, json.runs[0].pendingEpochs], [[], [0, 1, 2]]);
    });

    it('measure refuses a missing folder, a file, a folder that is no run and a bad --backend in one line, writing nothing', function () {
      const metrics = readFileSync(path.join(runFolder, 'metrics.jsonl'), 'utf8');
      const missing = path.join(dir, 'no-such-run');
      expectOneLine(run('measure', missing), 2, `${missing} does not exist`);
      const file = path.join(dir, 'measure.txt');
      writeFileSync(file, '');
      expectOneLine(run('measure', file), 2, `${file} is a file, not a run folder`);
      const empty = mkdtempSync(path.join(dir, 'not-a-run-'));
      expectOneLine(run('measure', empty), 1, 'manifest.json');
      expectOneLine(run('measure', runFolder, '--backend', 'gpu'), 2, '--backend must be one of', 'got "gpu"');
      expectOneLine(run('measure', runFolder, runFolder), 2, 'expected one run folder, got 2');
      assert.equal(readFileSync(path.join(runFolder, 'metrics.jsonl'), 'utf8'), metrics);
      assert.deepEqual(readdirSync(empty), []);
    });

    it('measure --follow on a run whose recorder died measures what landed and stops; the run reads as interrupted', function () {
      const file = path.join(runFolder, 'manifest.json');
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      // A recorder that is gone: a pid no process has (the kernel's pid_max is at most 2^22).
      writeFileSync(file, JSON.stringify({ ...manifest, status: 'recording', pid: 4_194_304 + 7 }));
      const r = spawnSync(process.execPath, [CLI, 'measure', runFolder, '--follow', '--backend', 'wasm'], {
        encoding: 'utf8',
        cwd: dir,
        timeout: 110_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /epoch 2: measured/);
      const listed = run('runs', runs);
      assert.match(listed.stdout, /interrupted\s+\S+\s+\S+\s+0, 1, 2\n/);
    });
  });

  describe('labels and entropy channels', function () {
    it('refuses 50,000 classes (a 20 GB confusion matrix) with the limit and why, instead of aborting', function () {
      const truth = npy('truth.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 49_999]) });
      const pred = npy('pred.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
      expectOneLine(run('labels', truth, pred), 2, 'label 2 is 49999', 'at most 1000 classes', 'classes² cells');
      const small = npy('small.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
      expectOneLine(run('labels', small, pred, '--classes', '50000'), 2, '--classes must be an integer from 1 to 1000');
      const x = npy('x.npy', { dtype: 'float32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i) });
      expectOneLine(run('entropy', 'channels', x, '--labels', truth), 2, 'at most 1000 classes');
    });

    it('refuses prediction scores holding NaN instead of counting them as class 0', function () {
      const truth = npy('truth3.npy', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
      const scores = npy('scores.npy', { dtype: 'float32', shape: [3, 3], data: Float32Array.from([1, 0, 0, NaN, NaN, NaN, 0, 0, 1]) });
      expectOneLine(run('labels', truth, scores), 2, 'scores.npy', 'the scores of 1 of 3 inputs are NaN (the first is input 1)');
    });
  });

  // Every pairwise measure grows with N² in memory: 70,000 inputs asked for tens of GB and the
  // process was killed. Each is refused before it allocates, saying how many inputs fit.
  describe('pairwise measures on more inputs than memory allows', function () {
    const inputs = (name: string, n: number, channels = 1) =>
      npy(name, { dtype: 'float32', shape: [n, 1, 1, channels], data: Float32Array.from({ length: n * channels }, (_, i) => i % 97) });
    const labelsOf = (name: string, n: number) =>
      npy(name, { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 10) });

    it('mi pairwise on 70,000 inputs, with and without --channels', function () {
      const t = inputs('t70k.npy', 70_000, 2);
      const y = labelsOf('y70k.npy', 70_000);
      const started = Date.now();
      expectOneLine(
        run('mi', 'pairwise', t, '--labels', y),
        2,
        'mi pairwise on 70,000 inputs would need about',
        'above the limit of 4.0 GB',
        'use at most 18,176 inputs',
      );
      expectOneLine(run('mi', 'pairwise', t, '--labels', y, '--channels'), 2, 'mi pairwise on 70,000 inputs', 'use at most 17,211 inputs');
      assert.ok(Date.now() - started < 20_000, `refused before computing (${Date.now() - started} ms)`);
    });

    it('capacity, and entropy inter with a --k that keeps every neighbour', function () {
      const a = inputs('a30k.npy', 30_000, 4);
      expectOneLine(run('capacity', a, a), 2, 'capacity on 30,000 inputs would need about', 'use at most');
      const x = inputs('x20k.npy', 20_000);
      expectOneLine(run('entropy', 'inter', x, '--k', '1000000'), 2, 'entropy inter on 20,000 inputs would need about', 'use at most');
    });

    it('record with a probe set too large to measure, before any run folder is made', function () {
      const runs = path.join(dir, 'runs-big-probe');
      const args = ['--dataset', 'synthetic:40000', '--probe', '30000', '--epochs', '1', '--out', runs];
      expectOneLine(
        run('record', path.join(MODELS, 'untrained.ts'), ...args),
        2,
        'measuring the probe set on 30,000 inputs',
        'record with a probe of at most',
      );
      assert.deepEqual(runsIn(runs), []);
    });
  });
});
