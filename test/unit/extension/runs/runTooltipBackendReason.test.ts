import assert from 'node:assert/strict';
import { fallbackReasonText } from '../../../../src/extension/runs/runDisplay';
import { englishL10n as l10n } from '../../../../src/extension/l10n';

describe("a run's tooltip says native TensorFlow is not installed, not the raw module error", () => {
  it('rewrites a missing tfjs-node module', () => {
    const raw = "tfjs-node: Cannot find module '@tensorflow/tfjs-node'\nRequire stack:\n- /x/recorder.js";
    assert.equal(fallbackReasonText(raw, 'wasm', l10n), 'native TensorFlow not installed, using WebAssembly');
    assert.equal(fallbackReasonText(raw, 'cpu', l10n), 'native TensorFlow not installed, using cpu');
  });

  it('keeps any other reason as written', () => {
    const other = 'wasm: the SIMD kernels failed their self-check';
    assert.equal(fallbackReasonText(other, 'cpu', l10n), other);
  });
});
