/** The contract's base64 codec (src/contract/base64.ts): every path this platform has agrees with btoa/atob, byte for byte. */
import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/analysis';
import { BASE64_PATHS, base64ToBytes, bytesToBase64 } from '../../../src/contract/base64';

describe('base64: one codec, its paths agreeing', () => {
  const random = seededRandom(3);
  // Lengths around the padding cases and the binary path's 32 K slices.
  const samples = [0, 1, 2, 3, 4, 5, 0x7fff, 0x8000, 0x8001, 100_003].map((n) =>
    Uint8Array.from({ length: n }, () => Math.floor(256 * random())),
  );

  it('has Node’s path here, and each path encodes and decodes as btoa/atob do', () => {
    assert.ok(BASE64_PATHS.node, 'Node’s Buffer path');
    for (const [name, path] of Object.entries(BASE64_PATHS))
      for (const bytes of samples) {
        const expected = BASE64_PATHS.binary.encode(bytes);
        assert.equal(path.encode(bytes), expected, `${name} encodes ${bytes.length} bytes`);
        assert.deepEqual(path.decode(expected), bytes, `${name} decodes ${bytes.length} bytes`);
      }
  });

  it('encodes a view at an offset of a larger buffer, and decodes into a buffer of its own at offset 0', () => {
    const whole = samples[9];
    const view = whole.subarray(7, 7 + 4 * 1001);
    assert.equal(bytesToBase64(view), BASE64_PATHS.binary.encode(view.slice()));
    // A small decode sits in Node's shared pool: the result must not.
    const small = base64ToBytes(bytesToBase64(samples[5]));
    assert.equal(small.byteOffset, 0);
    assert.equal(small.buffer.byteLength, small.length);
    assert.deepEqual(
      new Float32Array(base64ToBytes(bytesToBase64(new Uint8Array(new Float32Array([1.5, -2, 3e-7]).buffer))).buffer),
      new Float32Array([1.5, -2, 3e-7]),
    );
  });
});
