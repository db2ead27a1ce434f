import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = resolve(__dirname, '../../..');
const SERVICE = join(ROOT, 'dist/service.js');

/** The node bundles' externals in esbuild.mjs: resolved at run time, never bundled. */
const EXTERNAL = ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node', 'esbuild', 'playwright-core'];

/** What the analysis service must never load: esbuild (the recorder bundles user models with it) and the recorder. */
function forbidden(path: string): boolean {
  return (
    path === 'esbuild' ||
    /[\\/]node_modules[\\/]esbuild[\\/]/.test(path) ||
    /(^|[\\/])src[\\/]recorder[\\/]/.test(path) ||
    /[\\/]dist[\\/]recorder\.js$/.test(path)
  );
}

/** A --require hook that logs every module request (and the file it resolves to) when the process exits. */
const HOOK = `
const Module = require('node:module');
const { writeFileSync } = require('node:fs');
const seen = [];
const load = Module._load;
Module._load = function (request, parent, isMain) {
  let file = request;
  try { file = Module._resolveFilename(request, parent, isMain); } catch {}
  seen.push({ request, file });
  return load.apply(this, arguments);
};
process.on('exit', () => writeFileSync(process.env.CNNSLICER_REQUIRE_LOG, JSON.stringify(seen)));
`;

describe('the analysis service bundle (dist/service.js) never loads esbuild nor the recorder', function () {
  this.timeout(120000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-service-bundle-'));
    writeFileSync(join(dir, 'hook.js'), HOOK);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `args` under node with the hook; the requests it logged. */
  function requests(args: string[]): { request: string; file: string }[] {
    const log = join(dir, `log-${Math.random().toString(36).slice(2)}.json`);
    const r = spawnSync(process.execPath, ['--require', join(dir, 'hook.js'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CNNSLICER_REQUIRE_LOG: log },
    });
    assert.ok(existsSync(log), `node ${args.join(' ')} exited with ${r.status} before logging: ${r.stderr}`);
    return JSON.parse(readFileSync(log, 'utf8')) as { request: string; file: string }[];
  }

  for (const [name, entry] of [
    ['service', 'src/service/serviceProcess.ts'],
    ['forwardWorker', 'src/tfjs/forwardWorker.ts'],
  ]) {
    it(`the ${name} bundle's import graph (esbuild metafile of ${entry}) has no src/recorder input and no esbuild import`, async () => {
      const r = await esbuild.build({
        entryPoints: [join(ROOT, entry)],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        external: EXTERNAL,
        write: false,
        metafile: true,
        logLevel: 'silent',
        absWorkingDir: ROOT,
      });
      const inputs = Object.keys(r.metafile.inputs);
      assert.ok(inputs.includes(entry) && inputs.some((p) => p.startsWith('src/tfjs/')), 'the metafile lists the bundle inputs');
      assert.deepEqual(inputs.filter(forbidden), []);
      const imports = Object.entries(r.metafile.inputs).flatMap(([from, input]) =>
        input.imports.filter((i) => forbidden(i.path)).map((i) => `${from} → ${i.path}`),
      );
      assert.deepEqual(imports, []);
    });
  }

  it('loading the built dist/service.js requires neither esbuild nor recorder code (a --require hook that does see esbuild when it is loaded)', () => {
    assert.ok(existsSync(SERVICE), `${SERVICE} is missing: run "npm run build" first`);
    // The hook sees esbuild when something loads it.
    assert.ok(requests(['-e', "require('esbuild')"]).some((s) => forbidden(s.request) || forbidden(s.file)));
    // Without an IPC channel the service loads its whole bundle, starts its engine and exits.
    const seen = requests([SERVICE]);
    assert.ok(
      seen.some((s) => s.file === 'node:worker_threads' || s.request === 'worker_threads' || s.request === 'node:worker_threads'),
      'the bundle ran: it loaded worker_threads',
    );
    assert.deepEqual(
      seen.filter((s) => forbidden(s.request) || forbidden(s.file)),
      [],
    );
  });
});
