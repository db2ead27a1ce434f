import assert from 'node:assert/strict';
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { COMMANDS } from '../../../src/cli/commands';
import type { Command } from '../../../src/cli/commands/descriptor';
import { mainHelp } from '../../../src/cli/main';
import { expectOneLine, runsIn } from '../../support/cliRun';
import { copyPytorchRun } from '../../support/fixtureRuns';

// Bad input to the built command line (dist/cli.js, run `npm run build` first), where it takes a
// process of its own: a model loaded or trained in the recorder's child, Ctrl-C, a factory that
// never returns, the compute worker of dist/, the re-run of report, query and findings with malloc
// tuned (src/cli/mallocTuning.ts). Each case must end with one line naming what is wrong, no stack,
// and nothing left on disk but what the user asked for; one refusal per command checks the real
// binary's streams and exit codes. The refusals that need no process: test/unit/cli/badInput.test.ts.
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const MODELS = path.resolve(__dirname, '../../fixtures/models');

let dir = '';

function run(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
}

/** Every command and kind with the arguments that name it: `["entropy", "intra"]`. */
function named(table: readonly Command[]): { words: string[]; command: Command }[] {
  return table.flatMap((c) => [{ words: [c.name], command: c }, ...(c.kinds ?? []).map((k) => ({ words: [c.name, k.name], command: k }))]);
}

describe('cnn-slicer refuses bad input up front, in one line, leaving nothing behind (the built CLI)', function () {
  this.timeout(120_000);

  before(function () {
    if (!existsSync(CLI)) assert.fail(`${CLI} does not exist; run "npm run build" first`);
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-robust-'));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('every command of the built CLI', function () {
    for (const { words } of named(COMMANDS)) {
      it(`${words.join(' ')} refuses an unknown option in one line on stderr, exit code 2, nothing on stdout`, function () {
        const r = run(...words, '--no-such-option');
        expectOneLine(r, 2, '--no-such-option');
        assert.equal(r.stdout, '');
        assert.deepEqual(readdirSync(dir), []);
      });
    }

    it('prints the main --help on stdout, exit code 0', function () {
      const r = run('--help');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, mainHelp() + '\n');
      assert.equal(r.stderr, '');
    });

    it("prints a group's help on stdout before the one line saying a kind is needed", function () {
      const entropy = COMMANDS.find((c) => c.name === 'entropy')!;
      const r = run('entropy');
      expectOneLine(r, 2, 'entropy needs a kind');
      assert.equal(r.stdout, entropy.help + '\n');
    });

    it('prints report --help on stdout through its re-run with malloc tuned, exit code 0', function () {
      const report = COMMANDS.find((c) => c.name === 'report')!;
      const r = run('report', '--help');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, report.help + '\n');
    });
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

    it('refuses a probe set too large to measure, before any run folder is made', function () {
      // Every pairwise measure grows with N² in memory: refused before it allocates, saying how many inputs fit.
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

  describe('query on a recorded run', function () {
    let runFolder = '';

    before(function () {
      // Recorded by the CLI itself, so this process's TensorFlow.js (and its layer names) stays untouched.
      const runs = path.join(dir, 'runs-report');
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

    it('refuses ablation queries on a channel, layer or epoch out of range with one line each', function () {
      expectOneLine(
        run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '1', '--channels', '999'),
        2,
        'channel 999 is out of range',
      );
      expectOneLine(run('query', runFolder, 'ablation', '--epoch', '1', '--layer', '0', '--channels', '0'), 2, 'layer 0 is the input');
      expectOneLine(run('query', runFolder, 'channelImportance', '--epoch', '9', '--layer', '1'), 2, 'epoch 9 is not recorded');
    });

    it('query --json merges with the options beside it (options override its fields), and what the kind takes still answers', function () {
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
      // What the kind takes answers, options and --json together (what it does not take: test/unit/cli/badInput.test.ts).
      assert.equal(answer('informationPlane', '--json', '{"estimator":"binned"}', '--bins', '3').estimator, 'binned');
    });
  });

  describe('measure: a PyTorch run whose measures are pending', function () {
    let runs = '';
    let runFolder = '';

    beforeEach(function () {
      ({ runs, folder: runFolder } = copyPytorchRun(dir));
    });

    it('measure refuses a folder that is no run in one line, writing nothing', function () {
      const empty = mkdtempSync(path.join(dir, 'not-a-run-'));
      expectOneLine(run('measure', empty), 1, 'manifest.json');
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
});
