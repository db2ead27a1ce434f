/**
 * Loading ONNX Runtime (src/native/ortRuntime.ts): `CNN_SLICER_ENGINE=wasm` keeps it unloaded, a
 * package that cannot load is one line of reason, and the session settings use every core.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ENGINE_VARIABLE, firstLine, nativeRuntime, resetNativeRuntime, sessionOptions, setSpinning } from '../../../src/native/ortRuntime';

describe('ortRuntime: the native runtime, loaded once', () => {
  const saved = process.env[ENGINE_VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[ENGINE_VARIABLE];
    else process.env[ENGINE_VARIABLE] = saved;
    resetNativeRuntime();
  });

  it('CNN_SLICER_ENGINE=wasm answers its reason without loading the package', () => {
    process.env[ENGINE_VARIABLE] = 'wasm';
    let loads = 0;
    const answer = nativeRuntime(() => {
      loads++;
      return {};
    });
    assert.deepEqual(answer, { reason: 'CNN_SLICER_ENGINE=wasm' });
    assert.equal(loads, 0);
  });

  it('a missing package, or a binary that fails to load, is one line of reason, and the load is tried once', () => {
    delete process.env[ENGINE_VARIABLE];
    let loads = 0;
    const missing = () => {
      loads++;
      throw Object.assign(new Error("Cannot find module 'onnxruntime-node'\nRequire stack:\n- /x.js"), { code: 'MODULE_NOT_FOUND' });
    };
    assert.deepEqual(nativeRuntime(missing), { reason: 'onnxruntime-node is not installed' });
    assert.deepEqual(nativeRuntime(missing), { reason: 'onnxruntime-node is not installed' });
    assert.equal(loads, 1);
    resetNativeRuntime();
    const broken = nativeRuntime(() => {
      throw new Error('libonnxruntime.so.1: cannot open shared object file: No such file or directory\nmore');
    });
    assert.ok('reason' in broken);
    assert.match(broken.reason, /^onnxruntime-node has no native build for .*libonnxruntime\.so\.1/);
    assert.ok(!broken.reason.includes('\n'));
    resetNativeRuntime();
    const empty = nativeRuntime(() => ({}));
    assert.ok('reason' in empty && /broken installation/.test(empty.reason));
  });

  it('sessions use every core for an operator, one operator at a time, and keep no arena', () => {
    const options = sessionOptions();
    assert.equal(options.intraOpNumThreads, availableParallelism());
    assert.equal(options.interOpNumThreads, 1);
    assert.equal(options.enableCpuMemArena, false, 'no arena keeping each session at its largest run');
    assert.deepEqual(options.executionProviders, ['cpu']);
    assert.deepEqual(sessionOptions('webgpu').executionProviders, ['webgpu']);
  });

  it('intra-op threads spin between operators unless turned off, for the sessions made after', () => {
    assert.equal(sessionOptions().extra, undefined);
    assert.equal(setSpinning(false), true);
    try {
      assert.deepEqual(sessionOptions().extra, { session: { intra_op: { allow_spinning: '0' } } });
      assert.equal(sessionOptions().intraOpNumThreads, availableParallelism());
    } finally {
      assert.equal(setSpinning(true), false);
    }
    assert.equal(sessionOptions().extra, undefined);
  });

  it("ONNX Runtime's errors are shortened to what failed", () => {
    assert.equal(
      firstLine(
        '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const X&)::<lambda()> adapter_result.status == Success was false. Failed to get a WebGPU adapter: No supported adapters\n',
      ),
      'Failed to get a WebGPU adapter: No supported adapters',
    );
    assert.equal(firstLine('  one\ntwo'), 'one');
  });
});
