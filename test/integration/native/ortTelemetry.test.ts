/**
 * ONNX Runtime's telemetry stays off in every process of ours that can load the runtime
 * (src/native/ortTelemetry.ts). With ORT_DISABLE_TELEMETRY unset, onnxruntime-node 1.30 writes a
 * device id and an event database under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, to upload,
 * and a mat-debug-<pid>.log in the temporary folder (checked by hand against the build before: both
 * appeared on `cnn-slicer measure` of the PyTorch fixture run; this test does not run the runtime
 * with its telemetry on, which would try to upload).
 */
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ORT_TELEMETRY_VARIABLE } from '../../../src/native/ortTelemetry';
import { PYTORCH_RUNS } from '../../support/fixtureRuns';

const ROOT = resolve(__dirname, '../../..');

/** Every file and folder under `dir`, relative. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe("ONNX Runtime's telemetry is off in our processes", function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let home: string;
  let temp: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-ort-telemetry-'));
    home = join(dir, 'home');
    temp = join(dir, 'tmp');
    mkdirSync(home);
    mkdirSync(temp);
    env = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), TMPDIR: temp };
    delete env[ORT_TELEMETRY_VARIABLE];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cnn-slicer measure of a PyTorch run (sessions on the native pass worker) leaves nothing in HOME nor the temporary folder', () => {
    const runs = join(dir, 'runs');
    cpSync(PYTORCH_RUNS, runs, { recursive: true });
    const [run] = readdirSync(runs);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'measure', join(runs, run)], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /epoch 2: measured/);
    assert.doesNotMatch(r.stderr, /native engine is not in use/, 'the native engine ran');
    assert.deepEqual(tree(home), []);
    assert.deepEqual(tree(temp), []);
  });

  for (const bundle of ['service', 'recorder'])
    it(`dist/${bundle}.js sets ${ORT_TELEMETRY_VARIABLE}=1 as its module loads (what its exit sees), and keeps a value the user set`, async () => {
      const hook = join(dir, 'hook.js');
      writeFileSync(
        hook,
        `process.on('exit', () => require('node:fs').writeFileSync(process.env.LOG, String(process.env.${ORT_TELEMETRY_VARIABLE})));`,
      );
      const seen = async (extra: NodeJS.ProcessEnv): Promise<string> => {
        const log = join(dir, `${bundle}-${Object.keys(extra).length}.txt`);
        const child = fork(join(ROOT, `dist/${bundle}.js`), [], {
          env: { ...env, ...extra, LOG: log },
          execArgv: ['--require', hook],
          stdio: 'ignore',
        });
        child.disconnect();
        await new Promise((done) => child.on('exit', done));
        assert.ok(existsSync(log), `dist/${bundle}.js exited before logging`);
        return readFileSync(log, 'utf8');
      };
      assert.equal(await seen({}), '1');
      assert.equal(await seen({ [ORT_TELEMETRY_VARIABLE]: '0' }), '0');
    });
});
