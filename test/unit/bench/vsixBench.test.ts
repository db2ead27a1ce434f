// The .vsix bench's reading of a package (bench/vsixBench.ts): which ONNX Runtime binaries it carries,
// by platform, and the goal that a package carries its own platform's only.
import assert from 'node:assert/strict';
import { onnxRuntimeBinaries, platformFolder, vsixLines } from '../../../bench/vsixBench';

const ORT = 'extension/node_modules/onnxruntime-node';
const MB = 1024 * 1024;

const entries = (names: [string, number][]) => new Map(names.map(([name, size]) => [name, { size }]));

describe('vsix bench', () => {
  it('finds the ONNX Runtime binaries by platform folder, and nothing else of the package', () => {
    const found = onnxRuntimeBinaries(
      entries([
        [`${ORT}/bin/napi-v6/linux/x64/libonnxruntime.so.1`, 45 * MB],
        [`${ORT}/bin/napi-v6/linux/x64/onnxruntime_binding.node`, 0.4 * MB],
        [`${ORT}/dist/index.js`, 1000],
        [`${ORT}/package.json`, 100],
        ['extension/dist/cli.js', 5 * MB],
      ]),
    );
    assert.deepEqual([...found.byPlatform.keys()], ['linux/x64']);
    assert.deepEqual(
      found.byPlatform.get('linux/x64')!.map((f) => f.name),
      ['libonnxruntime.so.1', 'onnxruntime_binding.node'],
    );
  });

  it('maps vsce targets to onnxruntime-node platform folders', () => {
    assert.equal(platformFolder('linux-x64'), 'linux/x64');
    assert.equal(platformFolder('darwin-arm64'), 'darwin/arm64');
    assert.equal(platformFolder('win32-x64'), 'win32/x64');
    assert.equal(platformFolder('linux-armhf'), 'linux/arm');
  });

  it('reports the size and its own binaries, and fails a package that carries another platform’s', () => {
    const own = entries([
      [`${ORT}/bin/napi-v6/linux/x64/libonnxruntime.so.1`, 45 * MB],
      [`${ORT}/bin/napi-v6/linux/x64/onnxruntime_binding.node`, 0.4 * MB],
      ['extension/dist/cli.js', 5 * MB],
    ]);
    const lines = vsixLines('linux-x64', 30 * MB, 31.4, own);
    assert.ok(
      lines.every((l) => l.ok),
      JSON.stringify(lines),
    );
    assert.match(lines[0].label, /^linux-x64: 30\.0 MB \(3 files, 50\.4 MB unpacked\), packaged in 31 s$/);
    assert.equal(lines[1].label, 'ONNX Runtime binaries: linux/x64 only (libonnxruntime.so.1 45.0 MB, onnxruntime_binding.node 0.4 MB)');
    assert.equal(lines[2].label, "other platforms' ONNX Runtime binaries: none");

    const mixed = new Map([...own, [`${ORT}/bin/napi-v6/win32/x64/onnxruntime.dll`, { size: 30 * MB }]]);
    const bad = vsixLines('linux-x64', 60 * MB, 31, mixed);
    assert.equal(bad[2].ok, false);
    assert.match(bad[2].label, /win32\/x64 — GOAL MISSED/);

    const none = vsixLines('linux-armhf', 20 * MB, 30, entries([['extension/dist/cli.js', 5 * MB]]));
    assert.match(none[1].label, /none \(onnxruntime-node has no linux\/arm build/);
    assert.ok(none.every((l) => l.ok));
  });
});
