import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NpyArray,
  NpyData,
  NpyDtype,
  NpyFormatError,
  npyFromFloat32,
  npyFromFloat64,
  npyToFloat64,
  parseNpy,
  serializeNpy,
} from '../../../src/analysis/npy';

// Files written by NumPy 2.4 (np.lib.format.write_array), embedded so the tests do not need Python:
//   F32_2X3          np.arange(6, dtype='<f4').reshape(2, 3)
//   I8_2X2           np.array([[1, 2], [3, 4]], dtype='<i8')
//   I8_EXTREMES      np.array([-2**63, 2**63 - 1, -1, 2**53 + 1], dtype='<i8')
//   BOOL_3           np.array([True, False, True])
//   F64_V2           np.array([1.5, -2.25, np.inf], dtype='<f8'), version=(2, 0)
//   I4_V3            np.array([[-7, 0], [2**31 - 1, -2**31]], dtype='<i4'), version=(3, 0)
//   F64_SCALAR       np.array(3.25, dtype='<f8')
//   U8_4             np.array([0, 1, 128, 255], dtype='u1')
//   F32_EMPTY_0X3    np.zeros((0, 3), dtype='<f4')
//   F32_BIG_ENDIAN   np.arange(3, dtype='>f4')
//   F32_FORTRAN_2X3  np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3))
//   C8               np.zeros(2, dtype='<c8')
//   U3               np.array(['abc', 'de'], dtype='<U3')
//   STRUCTURED_V3    np.zeros(2, dtype=[('größe', '<f4')]), version=(3, 0)
const F32_2X3 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=';
const I8_2X2 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAAAAAAIAAAAAAAAAAwAAAAAAAAAEAAAAAAAAAA==';
const I8_EXTREMES =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAgP////////9///////////8BAAAAAAAgAA==';
const BOOL_3 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=';
const F64_V2 =
  'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAALAAAAAAAAA8H8=';
const I4_V3 =
  'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr5////AAAAAP///38AAACA';
const F64_SCALAR =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAKQA==';
const U8_4 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAYD/';
const F32_EMPTY_0X3 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=';
const F32_BIG_ENDIAN =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAP4AAAEAAAAA=';
const F32_FORTRAN_2X3 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=';
const C8 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGM4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAA';
const U3 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPFUzJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAphAAAAYgAAAGMAAABkAAAAZQAAAAAAAAA=';
const STRUCTURED_V3 =
  'k05VTVBZAwB0AAAAeydkZXNjcic6IFsoJ2dyw7bDn2UnLCAnPGY0JyldLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAA==';

function bytesOf(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** The values of any NpyData as plain numbers or bigints, for deepEqual against literals. */
function values(data: NpyData): Array<number | bigint> {
  return Array.from(data as ArrayLike<number | bigint>);
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** Builds a .npy file by hand around `header` (padded like NumPy unless `pad` is false). */
function handmade(header: string, data: ArrayLike<number> = [], opts: { version?: [number, number]; pad?: boolean } = {}): Uint8Array {
  const [major, minor] = opts.version ?? [1, 0];
  const prefix = major === 1 ? 10 : 12;
  let text = header;
  if (opts.pad !== false) {
    text += '\n';
    while ((prefix + text.length) % 64 !== 0) text = text.slice(0, -1) + ' \n';
  }
  const headerBytes = Buffer.from(text, major === 3 ? 'utf8' : 'latin1');
  const out = new Uint8Array(prefix + headerBytes.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, minor]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, prefix);
  out.set(Array.from(data), prefix + headerBytes.length);
  return out;
}

function f4Header(shape: string): string {
  return `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
}

/** Asserts that parsing throws an NpyFormatError whose one-line message contains `fragment`. */
function assertNpyError(bytes: Uint8Array, fragment: string): string {
  try {
    parseNpy(bytes);
  } catch (e) {
    assert.ok(NpyFormatError.is(e), `expected NpyFormatError, got ${String(e)}`);
    assert.equal(e.code, 'npy-format');
    assert.ok(e.message.includes(fragment), `message ${JSON.stringify(e.message)} should contain ${JSON.stringify(fragment)}`);
    assert.ok(!e.message.includes('\n'), `message should be one line: ${JSON.stringify(e.message)}`);
    return e.message;
  }
  assert.fail(`expected parseNpy to throw "${fragment}"`);
}

describe('npy: reading files written by NumPy', () => {
  it('reads a 2x3 float32 array in C order', () => {
    const a = parseNpy(bytesOf(F32_2X3));
    assert.equal(a.dtype, 'float32');
    assert.deepEqual(a.shape, [2, 3]);
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual(values(a.data), [0, 1, 2, 3, 4, 5]);
  });

  it('reads int64 values into a BigInt64Array, exact beyond 2^53', () => {
    const small = parseNpy(bytesOf(I8_2X2));
    assert.equal(small.dtype, 'int64');
    assert.deepEqual(small.shape, [2, 2]);
    assert.deepEqual(small.data, new BigInt64Array([1n, 2n, 3n, 4n]));
    const extremes = parseNpy(bytesOf(I8_EXTREMES));
    assert.deepEqual(extremes.data, new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -1n, 2n ** 53n + 1n]));
  });

  it('reads bool arrays as a Uint8Array of 0/1 with dtype bool', () => {
    const a = parseNpy(bytesOf(BOOL_3));
    assert.equal(a.dtype, 'bool');
    assert.deepEqual(a.shape, [3]);
    assert.ok(a.data instanceof Uint8Array);
    assert.deepEqual(values(a.data), [1, 0, 1]);
  });

  it('reads uint8 arrays', () => {
    const a = parseNpy(bytesOf(U8_4));
    assert.equal(a.dtype, 'uint8');
    assert.deepEqual(values(a.data), [0, 1, 128, 255]);
  });

  it('reads format version 2.0 (4-byte header length)', () => {
    const bytes = bytesOf(F64_V2);
    assert.equal(bytes[6], 2);
    const a = parseNpy(bytes);
    assert.equal(a.dtype, 'float64');
    assert.deepEqual(a.shape, [3]);
    assert.deepEqual(values(a.data), [1.5, -2.25, Infinity]);
  });

  it('reads format version 3.0 (UTF-8 header) like 2.0', () => {
    const bytes = bytesOf(I4_V3);
    assert.equal(bytes[6], 3);
    const a = parseNpy(bytes);
    assert.equal(a.dtype, 'int32');
    assert.deepEqual(a.shape, [2, 2]);
    assert.deepEqual(values(a.data), [-7, 0, 2147483647, -2147483648]);
  });

  it('reads a 0-d float64 scalar as shape [] with one value', () => {
    const a = parseNpy(bytesOf(F64_SCALAR));
    assert.equal(a.dtype, 'float64');
    assert.deepEqual(a.shape, []);
    assert.deepEqual(values(a.data), [3.25]);
  });

  it('reads a zero-sized (0, 3) array as empty data', () => {
    const a = parseNpy(bytesOf(F32_EMPTY_0X3));
    assert.deepEqual(a.shape, [0, 3]);
    assert.ok(a.data instanceof Float32Array);
    assert.equal(a.data.length, 0);
  });

  it('parses input that is an unaligned subarray (offset 1) of a bigger buffer', () => {
    for (const fixture of [F32_2X3, I8_EXTREMES, F64_V2, I4_V3]) {
      const file = bytesOf(fixture);
      const backing = new Uint8Array(file.length + 3);
      backing.set(file, 1);
      const unaligned = backing.subarray(1, 1 + file.length);
      assert.equal(unaligned.byteOffset, 1);
      assert.deepEqual(parseNpy(unaligned), parseNpy(file));
    }
  });

  it('copies the data into a fresh buffer that does not alias the input', () => {
    const file = bytesOf(F32_2X3);
    const a = parseNpy(file);
    assert.notEqual(a.data.buffer, file.buffer);
    assert.equal(a.data.byteOffset, 0);
    file.fill(0xff, file.length - 24);
    assert.deepEqual(values(a.data), [0, 1, 2, 3, 4, 5]);
  });

  it('serializeNpy reproduces the bytes of np.save exactly', () => {
    for (const fixture of [F32_2X3, I8_2X2, I8_EXTREMES, BOOL_3, F64_SCALAR, U8_4, F32_EMPTY_0X3]) {
      const file = bytesOf(fixture);
      assert.deepEqual(serializeNpy(parseNpy(file)), file);
    }
  });
});

describe('npy: header dict parsing', () => {
  it('accepts the keys in any order, double quotes, extra spaces and no trailing comma', () => {
    const header = `{ "shape" : ( 2 , 1 ) ,"fortran_order":False,  "descr" :"<f4"}`;
    const a = parseNpy(handmade(header, new Uint8Array(new Float32Array([1.5, -1]).buffer)));
    assert.deepEqual(a.shape, [2, 1]);
    assert.deepEqual(values(a.data), [1.5, -1]);
  });

  it('accepts a header without padding or trailing newline', () => {
    const a = parseNpy(handmade(f4Header('(1,)'), new Uint8Array(new Float32Array([7]).buffer), { pad: false }));
    assert.deepEqual(values(a.data), [7]);
  });

  it("accepts '<u1' for uint8, '?' for bool and Python 2 long dimensions like 2L", () => {
    const u1 = parseNpy(handmade(`{'descr': '<u1', 'fortran_order': False, 'shape': (2L,), }`, [9, 200]));
    assert.equal(u1.dtype, 'uint8');
    assert.deepEqual(values(u1.data), [9, 200]);
    const b = parseNpy(handmade(`{'descr': '?', 'fortran_order': False, 'shape': (2,), }`, [0, 1]));
    assert.equal(b.dtype, 'bool');
  });

  it('turns any nonzero byte of a bool array into 1', () => {
    const a = parseNpy(handmade(`{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }`, [0, 2, 255, 1]));
    assert.deepEqual(values(a.data), [0, 1, 1, 1]);
  });

  it("accepts 'fortran_order': True when the layout equals C order (at most one dimension above 1)", () => {
    const header = `{'descr': '|u1', 'fortran_order': True, 'shape': (1, 3, 1), }`;
    assert.deepEqual(values(parseNpy(handmade(header, [1, 2, 3])).data), [1, 2, 3]);
  });
});

describe('npy: malformed input throws NpyFormatError with one clear line', () => {
  it('rejects bytes without the \\x93NUMPY magic, including empty input', () => {
    assertNpyError(new Uint8Array(Buffer.from('hello, world')), 'not a .npy file (missing \\x93NUMPY magic)');
    assertNpyError(new Uint8Array(0), 'missing \\x93NUMPY magic');
    assertNpyError(bytesOf(F32_2X3).subarray(0, 4), 'missing \\x93NUMPY magic');
  });

  it('hints that a zip archive is probably an .npz', () => {
    assertNpyError(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), 'looks like a zip archive such as .npz');
  });

  it('rejects unsupported format versions such as 4.0 and 1.1', () => {
    const v4 = bytesOf(F32_2X3);
    v4[6] = 4;
    assertNpyError(v4, 'unsupported .npy format version 4.0');
    const v11 = bytesOf(F32_2X3);
    v11[7] = 1;
    assertNpyError(v11, 'unsupported .npy format version 1.1');
  });

  it('rejects big-endian data, naming the supported dtypes', () => {
    assertNpyError(
      bytesOf(F32_BIG_ENDIAN),
      "unsupported .npy dtype '>f4' (big-endian); supported: float32, float64, uint8, int32, int64, bool",
    );
  });

  it('rejects Fortran-order arrays', () => {
    assertNpyError(bytesOf(F32_FORTRAN_2X3), 'Fortran-order .npy arrays are not supported; save with np.ascontiguousarray');
  });

  it("rejects unsupported dtypes such as '<c8', '<U3', '<f2' and native '=f4'", () => {
    assertNpyError(bytesOf(C8), "unsupported .npy dtype '<c8'; supported:");
    assertNpyError(bytesOf(U3), "unsupported .npy dtype '<U3'; supported:");
    assertNpyError(handmade(`{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }`, [0, 0]), "'<f2'");
    assertNpyError(handmade(`{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }`, [0, 0, 0, 0]), "'=f4'");
  });

  it('rejects structured dtypes, showing a UTF-8 field name from a 3.0 header', () => {
    const message = assertNpyError(bytesOf(STRUCTURED_V3), 'structured arrays are not supported');
    assert.ok(message.includes("[('größe', '<f4')]"), message);
  });

  it('rejects truncated data, saying how many bytes were expected and found', () => {
    const file = bytesOf(F32_2X3);
    assertNpyError(
      file.subarray(0, file.length - 4),
      'truncated .npy data: header says 6 values of float32 (24 bytes) but the file has 20 bytes after the header',
    );
  });

  it('rejects a file that ends inside the header or its length field', () => {
    const file = bytesOf(F32_2X3);
    assertNpyError(file.subarray(0, 7), 'truncated .npy header');
    assertNpyError(file.subarray(0, 9), 'truncated .npy header');
    assertNpyError(file.subarray(0, 50), 'truncated .npy header: the header length field says 118 bytes');
  });

  it('rejects trailing bytes after the data', () => {
    const file = bytesOf(F32_2X3);
    const longer = new Uint8Array(file.length + 3);
    longer.set(file);
    assertNpyError(longer, '3 unexpected bytes after the data');
  });

  it('rejects headers that are not a dict literal with exactly descr, fortran_order and shape', () => {
    assertNpyError(handmade(`['descr', '<f4']`), 'malformed .npy header: expected a dict literal');
    assertNpyError(handmade(`{'descr': '<f4', 'fortran_order': False}`), "malformed .npy header: missing key 'shape'");
    assertNpyError(handmade(`{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}`), "unexpected key 'x'");
    assertNpyError(handmade(`{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': ()}`), "duplicate key 'descr'");
    assertNpyError(handmade(`{1: '<f4'}`), 'dict keys must be strings');
    assertNpyError(handmade(`${f4Header('()')} extra`), 'unexpected text after the dict');
    assertNpyError(handmade(``), 'malformed .npy header');
  });

  it('rejects syntax errors without evaluating anything', () => {
    assertNpyError(handmade(`{'descr': '<f4, 'fortran_order': False, 'shape': ()}`), 'malformed .npy header');
    assertNpyError(handmade(`{'descr': '<f4'`), 'malformed .npy header');
    assertNpyError(handmade(`{'descr': __import__('os'), 'fortran_order': False, 'shape': ()}`), "unexpected name '__import__'");
    assertNpyError(handmade(`{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}`), 'only integers are allowed');
    assertNpyError(handmade(`{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(5000)}}`), 'nested too deeply');
  });

  it('rejects a shape that is not a tuple of non-negative integers', () => {
    for (const shape of ['(3)', '[3]', '(2, -1)', "('3',)", 'None']) {
      assertNpyError(handmade(f4Header(shape)), `'shape' must be a tuple of non-negative integers, got ${shape}`);
    }
    assertNpyError(handmade(f4Header('(99999999999999999999,)')), 'is too large');
    assertNpyError(handmade(f4Header('(4294967296, 4294967296)')), 'is too large');
  });

  it('rejects a fortran_order that is not True or False', () => {
    assertNpyError(handmade(`{'descr': '<f4', 'fortran_order': 0, 'shape': ()}`), "'fortran_order' must be True or False, got 0");
  });

  it('rejects invalid UTF-8 in a 3.0 header', () => {
    const file = handmade(`{'descr': '<f4', 'fortran_order': False, 'shape': (), }`, [0, 0, 0, 0], { version: [3, 0] });
    file[14] = 0xff;
    assertNpyError(file, 'invalid UTF-8 byte 0xff');
  });

  it('NpyFormatError.is recognises only npy format errors', () => {
    assert.equal(NpyFormatError.is(new NpyFormatError('x')), true);
    assert.equal(NpyFormatError.is(Object.assign(new Error('from another bundle'), { code: 'npy-format' })), true);
    assert.equal(NpyFormatError.is(new RangeError('x')), false);
    assert.equal(NpyFormatError.is('npy-format'), false);
    assert.equal(NpyFormatError.is(undefined), false);
    assert.equal(new NpyFormatError('x').name, 'NpyFormatError');
  });
});

describe('npy: serializeNpy', () => {
  const samples: Record<NpyDtype, () => NpyArray['data']> = {
    float32: () => new Float32Array([0, -1.5, 3.4028234663852886e38, NaN, -Infinity, 1e-45, 2, 3, 4, 5, 6, 7]),
    float64: () => new Float64Array([Math.PI, -0, Number.MAX_VALUE, NaN, Infinity, 5e-324, 2, 3, 4, 5, 6, 7]),
    uint8: () => new Uint8Array([0, 1, 127, 128, 254, 255, 2, 3, 4, 5, 6, 7]),
    int32: () => new Int32Array([-2147483648, 2147483647, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
    int64: () => new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n, 2n ** 53n + 1n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]),
    bool: () => new Uint8Array([1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0]),
  };
  const dtypes = Object.keys(samples) as NpyDtype[];

  for (const dtype of dtypes) {
    it(`round-trips ${dtype} arrays: 3-D, 1-D, scalar and empty`, () => {
      const full = samples[dtype]();
      const cases: NpyArray[] = [
        { dtype, shape: [2, 3, 2], data: full },
        { dtype, shape: [12], data: full },
        { dtype, shape: [], data: full.slice(0, 1) },
        { dtype, shape: [0], data: full.slice(0, 0) },
        { dtype, shape: [3, 0, 2], data: full.slice(0, 0) },
      ];
      for (const array of cases) {
        const back = parseNpy(serializeNpy(array));
        assert.equal(back.dtype, dtype);
        assert.deepEqual(back.shape, array.shape);
        assert.equal(back.data.constructor, array.data.constructor);
        assert.deepEqual(back.data, array.data);
      }
    });
  }

  it('writes version 1.0 with the data starting at a multiple of 64 after a space-padded header ending in a newline', () => {
    for (const shape of [[], [5], [2, 3, 4], [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]]) {
      const count = shape.reduce((a, b) => a * b, 1);
      const bytes = serializeNpy({ dtype: 'float64', shape, data: new Float64Array(count) });
      assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const headerLength = bytes[8] | (bytes[9] << 8);
      const dataStart = 10 + headerLength;
      assert.equal(dataStart % 64, 0);
      assert.equal(bytes.length - dataStart, count * 8);
      assert.equal(bytes[dataStart - 1], 0x0a);
      assert.match(ascii(bytes.subarray(10, dataStart - 1)), /^\{.*\} +$/);
    }
  });

  it('formats the shape like NumPy: (3,) for 1-D, () for scalars, (2, 3) otherwise', () => {
    const header = (shape: number[]) =>
      ascii(serializeNpy({ dtype: 'uint8', shape, data: new Uint8Array(shape.reduce((a, b) => a * b, 1)) }));
    assert.ok(header([3]).includes(`{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }`));
    assert.ok(header([]).includes(`'shape': (), }`));
    assert.ok(header([2, 3]).includes(`'shape': (2, 3), }`));
    assert.ok(ascii(serializeNpy({ dtype: 'bool', shape: [1], data: new Uint8Array(1) })).includes(`'descr': '|b1'`));
  });

  it('switches to version 2.0 when the header would not fit in 65535 bytes', () => {
    const shape = new Array<number>(22000).fill(1);
    const bytes = serializeNpy({ dtype: 'float32', shape, data: new Float32Array([7]) });
    assert.equal(bytes[6], 2);
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    assert.ok(headerLength > 65535);
    assert.equal((12 + headerLength) % 64, 0);
    const back = parseNpy(bytes);
    assert.equal(back.shape.length, 22000);
    assert.deepEqual(values(back.data), [7]);
  });

  it('writes only the viewed part of a typed array that is a subarray of a bigger buffer', () => {
    const big = new Float64Array([1, 2, 3, 4, 5]);
    const back = parseNpy(serializeNpy({ dtype: 'float64', shape: [2], data: big.subarray(2, 4) }));
    assert.deepEqual(values(back.data), [3, 4]);
  });

  it('writes nonzero bool values as 1 without changing the input', () => {
    const data = new Uint8Array([0, 7, 255]);
    const bytes = serializeNpy({ dtype: 'bool', shape: [3], data });
    assert.deepEqual(Array.from(bytes.subarray(bytes.length - 3)), [0, 1, 1]);
    assert.deepEqual(Array.from(data), [0, 7, 255]);
  });

  it('throws RangeError when the shape does not match the data length', () => {
    assert.throws(
      () => serializeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(5) }),
      (e: unknown) => e instanceof RangeError && /shape \[2, 3\] has 6 elements but data has 5 values/.test(e.message),
    );
    assert.throws(() => serializeNpy({ dtype: 'float32', shape: [], data: new Float32Array(0) }), RangeError);
  });

  it('throws RangeError when the typed array does not match the dtype', () => {
    assert.throws(
      () => serializeNpy({ dtype: 'float32', shape: [2], data: new Float64Array(2) }),
      (e: unknown) => e instanceof RangeError && e.message === "dtype 'float32' needs a Float32Array, got Float64Array",
    );
    assert.throws(() => serializeNpy({ dtype: 'int64', shape: [2], data: new Int32Array(2) }), /needs a BigInt64Array/);
    assert.throws(() => serializeNpy({ dtype: 'bool', shape: [2], data: new Int32Array(2) }), /needs a Uint8Array/);
  });

  it('throws RangeError for invalid dimensions and unknown dtypes', () => {
    assert.throws(() => serializeNpy({ dtype: 'float32', shape: [-1], data: new Float32Array(0) }), /non-negative integers/);
    assert.throws(() => serializeNpy({ dtype: 'float32', shape: [1.5], data: new Float32Array(1) }), RangeError);
    assert.throws(
      () => serializeNpy({ dtype: 'complex64' as NpyDtype, shape: [1], data: new Float32Array(1) }),
      (e: unknown) => e instanceof RangeError && /unknown dtype 'complex64'/.test(e.message),
    );
  });
});

describe('npy: npyToFloat64', () => {
  it('converts every dtype to a Float64Array copy', () => {
    const cases: Array<[NpyArray, number[]]> = [
      [{ dtype: 'float32', shape: [2], data: new Float32Array([1.5, -2]) }, [1.5, -2]],
      [{ dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) }, [0, 255]],
      [{ dtype: 'int32', shape: [2], data: new Int32Array([-5, 7]) }, [-5, 7]],
      [{ dtype: 'int64', shape: [3], data: new BigInt64Array([-3n, 2n ** 53n, 2n ** 63n - 1n]) }, [-3, 2 ** 53, 2 ** 63]],
      [{ dtype: 'bool', shape: [3], data: new Uint8Array([0, 1, 9]) }, [0, 1, 1]],
    ];
    for (const [array, expected] of cases) {
      const out = npyToFloat64(array);
      assert.ok(out instanceof Float64Array, array.dtype);
      assert.deepEqual(Array.from(out), expected, array.dtype);
    }
  });

  it('returns a copy for float64 input, never the same array', () => {
    const data = new Float64Array([1, 2]);
    const out = npyToFloat64({ dtype: 'float64', shape: [2], data });
    assert.notEqual(out, data);
    out[0] = 99;
    assert.equal(data[0], 1);
  });
});

describe('npy: npyFromFloat32 and npyFromFloat64', () => {
  it('wrap typed arrays without copying the data but with their own shape array', () => {
    const shape = [2, 2];
    const data = new Float32Array([1, 2, 3, 4]);
    const a = npyFromFloat32(shape, data);
    assert.equal(a.dtype, 'float32');
    assert.equal(a.data, data);
    assert.deepEqual(a.shape, [2, 2]);
    shape[0] = 9;
    assert.deepEqual(a.shape, [2, 2]);
    const b = npyFromFloat64([], new Float64Array([0.5]));
    assert.equal(b.dtype, 'float64');
    assert.deepEqual(values(parseNpy(serializeNpy(b)).data), [0.5]);
  });

  it('throw RangeError when the shape does not match the data', () => {
    assert.throws(() => npyFromFloat32([3], new Float32Array(2)), RangeError);
    assert.throws(() => npyFromFloat64([2, 2], new Float64Array(3)), RangeError);
  });
});

describe('npy: files read from disk', () => {
  it('parses a Node Buffer from readFileSync (whose own slice() is a view, not a copy)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    try {
      const data = Float32Array.from({ length: 3000 }, (_, i) => i / 7);
      writeFileSync(`${dir}/x.npy`, serializeNpy({ dtype: 'float32', shape: [1000, 3], data }));
      const back = parseNpy(readFileSync(`${dir}/x.npy`));
      assert.deepEqual(Array.from(back.data as Float32Array), Array.from(data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
