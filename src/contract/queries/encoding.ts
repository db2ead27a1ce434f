/** Float32 arrays in base64, the form large answers (images, feature maps) take in JSON: compact and exact. */
import * as v from 'valibot';
import { base64ToBytes, bytesToBase64 } from '../base64';
import { badQuery } from './errors';

/** A float32 array in base64 (little-endian), row-major with `shape`: compact in JSON and exact. */
export const EncodedArraySchema = v.object({
  dtype: v.literal('float32'),
  shape: v.array(v.number()),
  base64: v.string(),
});
export type EncodedArray = v.InferOutput<typeof EncodedArraySchema>;

/**
 * Encodes float32 values (host byte order is little-endian on every platform Node and VS Code run
 * on), base64 by the contract's one codec (src/contract/base64.ts).
 */
export function encodeFloat32(shape: number[], data: Float32Array): EncodedArray {
  return { dtype: 'float32', shape, base64: bytesToBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
}

/** Values already decoded (or never encoded), by the array object that stands for them. */
const decoded = new WeakMap<EncodedArray, Float32Array>();

/**
 * An EncodedArray of values already in memory (a report's dequantised pictures): decodeFloat32
 * returns a copy of them without parsing, and the base64 is written only if something reads it.
 */
export function encodedValues(shape: number[], data: Float32Array): EncodedArray {
  let base64: string | undefined;
  const a: EncodedArray = {
    dtype: 'float32',
    shape,
    get base64(): string {
      base64 ??= encodeFloat32(shape, data).base64;
      return base64;
    },
  };
  decoded.set(a, data);
  return a;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes an EncodedArray; throws QueryError('bad-query') on a malformed one. An array object is
 * parsed once: later calls get a copy of its values (callers may write into what they get).
 */
export function decodeFloat32(a: EncodedArray): Float32Array {
  const known = decoded.get(a);
  if (known) return known.slice();
  const s = a.base64;
  const count = a.shape.reduce((p, v) => p * v, 1);
  if (s.length % 4 !== 0) throw badQuery('encoded array: base64 length is not a multiple of 4');
  if (!BASE64.test(s)) throw badQuery('encoded array: not base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const length = (s.length / 4) * 3 - pad;
  if (length !== count * 4) throw badQuery(`encoded array: ${length} bytes for shape [${a.shape.join(', ')}]`);
  const values = new Float32Array(base64ToBytes(s).buffer);
  decoded.set(a, values);
  return values.slice();
}
