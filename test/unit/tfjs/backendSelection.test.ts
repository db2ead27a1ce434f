// Backend selection with tfjs-node-gpu first: neither native package can be installed here, so the
// selection is driven by a fake loader. A fake "package" registers a tfjs backend named 'tensorflow'
// (as both native packages do) backed by the CPU backend, and returns the tfjs namespace (as both
// re-export it); the loader records which packages were asked for.
import assert from 'node:assert/strict';
import * as tfjs from '@tensorflow/tfjs';
import { parseRecordArgs } from '../../../src/cli/record';
import { initBackend, type BackendLoader } from '../../../src/tfjs/backend';

const GPU = '@tensorflow/tfjs-node-gpu';
const NODE = '@tensorflow/tfjs-node';

/** What `require` throws for a package that is not installed. */
function notFound(name: string): Error {
  return Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /somewhere/dist/recorder.js`), {
    code: 'MODULE_NOT_FOUND',
  });
}

/** The CPU backend's class (a fresh instance per fake registration, so removing it disposes nothing else). */
function cpuBackendClass(): new () => tfjs.KernelBackend {
  const cpu = tfjs.findBackend('cpu');
  assert.ok(cpu, 'the CPU backend is registered by @tensorflow/tfjs');
  return cpu.constructor as new () => tfjs.KernelBackend;
}

type FakePackage = 'installed' | 'missing' | Error;

/** A loader whose packages are installed, missing or broken as given; `asked` lists every package it was asked for. */
function fakeLoader(packages: Record<string, FakePackage>): BackendLoader & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    requireModule(name: string): unknown {
      asked.push(name);
      const p = packages[name] ?? 'missing';
      if (p === 'missing') throw notFound(name);
      if (p instanceof Error) throw p;
      if (tfjs.findBackendFactory('tensorflow') === null) tfjs.registerBackend('tensorflow', () => new (cpuBackendClass())());
      return tfjs;
    },
  };
}

describe('backend selection (src/tfjs/backend.ts): tfjs-node-gpu, then tfjs-node, then wasm, then cpu', function () {
  this.timeout(120000);
  let previous: string;
  before(() => {
    previous = tfjs.getBackend();
  });
  afterEach(async () => {
    if (previous) await tfjs.setBackend(previous);
    if (tfjs.findBackendFactory('tensorflow') !== null) tfjs.removeBackend('tensorflow');
  });

  it('uses tfjs-node-gpu when it is installed, before tfjs-node, and says so', async () => {
    const loader = fakeLoader({ [GPU]: 'installed', [NODE]: 'installed' });
    const r = await initBackend('auto', loader);
    assert.equal(r.backend, 'tensorflow-gpu');
    assert.equal(tfjs.getBackend(), 'tensorflow');
    assert.deepEqual(loader.asked, [GPU]);
    assert.deepEqual(r.fallbackReasons, []);
    assert.equal(r.summary, 'using tfjs-node-gpu');
  });

  it('without tfjs-node-gpu uses tfjs-node, giving "not installed" as the reason', async () => {
    const loader = fakeLoader({ [GPU]: 'missing', [NODE]: 'installed' });
    const r = await initBackend('auto', loader);
    assert.equal(r.backend, 'tensorflow');
    assert.deepEqual(loader.asked, [GPU, NODE]);
    assert.deepEqual(r.fallbackReasons, ['tfjs-node-gpu: not installed']);
    assert.equal(r.summary, 'tfjs-node-gpu: not installed; using tfjs-node');
  });

  it('a tfjs-node-gpu that throws on load falls through with its reason, down to WebAssembly', async () => {
    const broken = new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions');
    const loader = fakeLoader({ [GPU]: broken, [NODE]: 'missing' });
    const r = await initBackend('auto', loader);
    assert.equal(r.backend, 'wasm');
    assert.equal(tfjs.getBackend(), 'wasm');
    assert.deepEqual(r.fallbackReasons, [
      'tfjs-node-gpu: libcudart.so.11.0: cannot open shared object file: No such file or directory',
      'tfjs-node: not installed',
    ]);
    assert.equal(
      r.summary,
      'tfjs-node-gpu: libcudart.so.11.0: cannot open shared object file: No such file or directory; tfjs-node: not installed; using WebAssembly',
    );
  });

  it('a package that is present but misses one of its own dependencies is not called "not installed"', async () => {
    const loader = fakeLoader({ [GPU]: notFound('some-dependency-of-tfjs-node-gpu'), [NODE]: 'missing' });
    const r = await initBackend('auto', loader);
    assert.match(r.fallbackReasons[0], /^tfjs-node-gpu: Cannot find module 'some-dependency-of-tfjs-node-gpu'$/);
  });

  it("'tfjs-node' starts below the GPU package: tfjs-node-gpu is never loaded", async () => {
    const loader = fakeLoader({ [GPU]: 'installed', [NODE]: 'installed' });
    const r = await initBackend('tfjs-node', loader);
    assert.equal(r.backend, 'tensorflow');
    assert.deepEqual(loader.asked, [NODE]);
  });

  it("'tfjs-node-gpu' can be asked for by the CLI's --backend", () => {
    assert.equal(parseRecordArgs(['model.ts', '--backend', 'tfjs-node-gpu'])?.backend, 'tfjs-node-gpu');
    assert.throws(() => parseRecordArgs(['model.ts', '--backend', 'gpu']), /--backend must be auto, tfjs-node-gpu, tfjs-node, wasm or cpu/);
  });
});
