/** Float32 arrays in base64, the form large answers (images, feature maps) take in JSON: compact and exact. */
import * as v from 'valibot';
import { badQuery } from './errors';

/** A float32 array in base64 (little-endian), row-major with `shape`: compact in JSON and exact. */
export const EncodedArraySchema = v.object({
  dtype: v.literal('float32'),
  shape: v.array(v.number()),
  base64: v.string(),
});
export type EncodedArray = v.InferOutput<typeof EncodedArraySchema>;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encodes float32 values (host byte order is little-endian on every platform Node and VS Code run on). */
export function encodeFloat32(shape: number[], data: Float32Array): EncodedArray {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    out +=
      B64[a >> 2] +
      B64[((a & 3) << 4) | (b >> 4)] +
      (i + 1 < bytes.length ? B64[((b & 15) << 2) | (c >> 6)] : '=') +
      (i + 2 < bytes.length ? B64[c & 63] : '=');
  }
  return { dtype: 'float32', shape, base64: out };
}

const B64_INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Decodes an EncodedArray; throws QueryError('bad-query') on a malformed one. */
export function decodeFloat32(a: EncodedArray): Float32Array {
  const s = a.base64;
  const count = a.shape.reduce((p, v) => p * v, 1);
  if (s.length % 4 !== 0) throw badQuery('encoded array: base64 length is not a multiple of 4');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((s.length / 4) * 3 - pad);
  if (bytes.length !== count * 4) throw badQuery(`encoded array: ${bytes.length} bytes for shape [${a.shape.join(', ')}]`);
  for (let i = 0, o = 0; i < s.length; i += 4) {
    const q = [0, 1, 2, 3].map((k) => (s[i + k] === '=' ? 0 : (B64_INDEX[s.charCodeAt(i + k)] ?? -1)));
    if (q.some((v) => v < 0)) throw badQuery('encoded array: not base64');
    const n = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
    if (o < bytes.length) bytes[o++] = n >> 16;
    if (o < bytes.length) bytes[o++] = (n >> 8) & 255;
    if (o < bytes.length) bytes[o++] = n & 255;
  }
  return new Float32Array(bytes.buffer);
}
