// The float32 encoding of large answers: exact round trips, refusals of malformed arrays, the
// per-object decode cache (callers get copies), and values that stand for an encoding they never wrote.
import assert from 'node:assert/strict';
import { decodeFloat32, encodeFloat32, encodedValues } from '../../../../src/contract/queries';
import { QueryError } from '../../../../src/contract/queries/errors';

describe('float32 encoding', () => {
  it('round-trips every float32, NaN, infinities and -0 exactly, at lengths 0 to 7', () => {
    const special = [0, -0, 1.5, -3.25e-38, 3.4028234663852886e38, Number.NaN, Infinity, -Infinity, 1e-45];
    for (let n = 0; n <= 7; n++) {
      const values = Float32Array.from({ length: n }, (_, i) => special[i % special.length]);
      const encoded = encodeFloat32([n], values);
      assert.equal(encoded.base64, Buffer.from(values.buffer).toString('base64'), 'standard base64 of the little-endian bytes');
      const back = decodeFloat32({ ...encoded });
      assert.deepEqual(new Uint8Array(back.buffer), new Uint8Array(values.buffer));
    }
  });

  it('known answer: [1, -2] is AACAPwAAAMA=', () => {
    assert.equal(encodeFloat32([2], Float32Array.of(1, -2)).base64, 'AACAPwAAAMA=');
    assert.deepEqual([...decodeFloat32({ dtype: 'float32', shape: [2], base64: 'AACAPwAAAMA=' })], [1, -2]);
  });

  it('refuses a malformed array as a bad query', () => {
    const bad =
      (base64: string, shape = [1]) =>
      () =>
        decodeFloat32({ dtype: 'float32', shape, base64 });
    const isBad = (m: RegExp) => (e: unknown) => e instanceof QueryError && e.code === 'bad-query' && m.test(e.message);
    assert.throws(bad('AACAP'), isBad(/multiple of 4/));
    assert.throws(bad('AAC*Pw=='), isBad(/not base64/));
    assert.throws(bad('AA=A'), isBad(/not base64/));
    assert.throws(bad('AACAPwAAAMA=', [1]), isBad(/8 bytes for shape \[1\]/));
    assert.throws(bad('AACA PwA'), isBad(/not base64/));
  });

  it('decodes an array object once and hands out copies', () => {
    const a = encodeFloat32([3], Float32Array.of(1, 2, 3));
    const first = decodeFloat32(a);
    first[0] = 99;
    assert.deepEqual([...decodeFloat32(a)], [1, 2, 3]);
  });

  it('encodedValues decodes to its values without a string and writes the same base64 when read', () => {
    const values = Float32Array.of(0.25, -7, 1e30);
    const a = encodedValues([3], values);
    assert.deepEqual(decodeFloat32(a), values);
    assert.equal(a.base64, encodeFloat32([3], values).base64);
    assert.equal(JSON.parse(JSON.stringify(a)).base64, 'AACAPgAA4MDK8klx', 'serialised like any encoded array');
  });
});
