/**
 * Reader and writer for NumPy `.npy` files (NumPy NEP 1 / .npy format).
 *
 * Layout (NumPy NEP 1 / .npy format): the magic `\x93NUMPY`, a major and a minor version byte, a little-endian
 * header length (2 bytes in version 1.0, 4 bytes in 2.0 and 3.0), then an ASCII (1.0, 2.0: latin1; 3.0: UTF-8)
 * Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a `\n`,
 * then the raw array data.
 *
 * Pure computation: no imports, no Node or DOM APIs. Typed arrays are assumed to use the host byte order, which is
 * little-endian on every platform VS Code runs on; a big-endian host is still handled by swapping bytes after the copy.
 */
import { CodedError, hasErrorCode } from './errors';

/** The element types this module reads and writes, named like NumPy dtypes. */
export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64' | 'bool';

/** Element storage of an {@link NpyArray}: `bool` uses a Uint8Array of 0/1, `int64` a BigInt64Array. */
export type NpyData = Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array;

/** An n-dimensional array in C (row-major) order; `shape` `[]` is a scalar holding one value. */
export interface NpyArray {
  /** Element type. */
  dtype: NpyDtype;
  /** Dimensions, outermost first; their product is `data.length`. */
  shape: number[];
  /** Values in C order. */
  data: NpyData;
}

/** Thrown by {@link parseNpy} for any input that is not a readable `.npy` file; the message is one line. */
export class NpyFormatError extends CodedError {
  /** @param message one line naming the problem. */
  constructor(message: string) {
    super('npy-format', message, 'NpyFormatError');
  }

  /** Whether `e` is an {@link NpyFormatError} (by its `code`, so also from another copy of this module). */
  static is(e: unknown): e is NpyFormatError {
    return hasErrorCode(e, 'npy-format');
  }
}

interface DtypeInfo {
  /** The descr NumPy writes for this dtype. */
  readonly descr: string;
  readonly itemsize: number;
}

const DTYPES: Readonly<Record<NpyDtype, DtypeInfo>> = {
  float32: { descr: '<f4', itemsize: 4 },
  float64: { descr: '<f8', itemsize: 8 },
  uint8: { descr: '|u1', itemsize: 1 },
  int32: { descr: '<i4', itemsize: 4 },
  int64: { descr: '<i8', itemsize: 8 },
  bool: { descr: '|b1', itemsize: 1 },
};

const SUPPORTED = 'supported: float32, float64, uint8, int32, int64, bool';
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** NumPy aligns the start of the data to this many bytes (NumPy NEP 1 / .npy format, `ARRAY_ALIGN`). */
const ARRAY_ALIGN = 64;
/** NumPy pads the header so the first dimension can grow in place to this many digits (`GROWTH_AXIS_MAX_DIGITS`). */
const GROWTH_AXIS_MAX_DIGITS = 21;
const MAX_NESTING = 32;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(message: string): never {
  throw new NpyFormatError(message);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Escapes control characters and truncates, so that text taken from a file stays on one readable line. */
function printable(text: string, max = 160): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
    if (out.length >= max) return `${out.slice(0, max)}…`;
  }
  return out;
}

/** A Python-style quoted string for messages. */
function quoted(text: string): string {
  return `'${printable(text, 60)}'`;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/**
 * Parses the bytes of a `.npy` file (NumPy NEP 1 / .npy format, versions 1.0, 2.0 and 3.0) into a fresh array.
 *
 * Supports descr `'<f4'`, `'<f8'`, `'|u1'`, `'<i4'`, `'<i8'` and `'|b1'` (also `'<u1'`, `'?'`), C order, any shape
 * including scalars `()` and zero-sized dimensions. The data is copied once into a new, aligned buffer, so `bytes`
 * may be a view at any offset and may be reused afterwards. `bool` values are normalised to 0/1.
 * A `'fortran_order': True` header is accepted only when the layout is identical to C order (at most one dimension
 * larger than 1).
 *
 * @throws NpyFormatError with a one-line message naming the problem for every malformed or unsupported input.
 */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    const zip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
    fail(`not a .npy file (missing \\x93NUMPY magic${zip ? '; this looks like a zip archive such as .npz' : ''})`);
  }
  if (bytes.length < 8) fail('truncated .npy header: the file ends before the format version');
  const major = bytes[6];
  const minor = bytes[7];
  if (minor !== 0 || major < 1 || major > 3) {
    fail(`unsupported .npy format version ${major}.${minor}; supported: 1.0, 2.0, 3.0`);
  }
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) fail('truncated .npy header: the file ends inside the header length field');
  const headerLength = major === 1 ? bytes[8] | (bytes[9] << 8) : (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 0x1000000;
  const dataStart = prefix + headerLength;
  if (bytes.length < dataStart) {
    fail(
      `truncated .npy header: the header length field says ${plural(headerLength, 'byte')} ` +
        `but the file has ${plural(bytes.length - prefix, 'byte')} after it`,
    );
  }
  const header = major === 3 ? decodeUtf8(bytes, prefix, dataStart) : decodeLatin1(bytes, prefix, dataStart);
  const { descr, fortranOrder, shape } = parseHeader(header);
  const dtype = dtypeFromDescr(descr);
  if (fortranOrder && shape.filter((d) => d > 1).length > 1) {
    fail('Fortran-order .npy arrays are not supported; save with np.ascontiguousarray');
  }

  const count = shape.reduce((a, b) => a * b, 1);
  const { itemsize } = DTYPES[dtype];
  const nbytes = count * itemsize;
  if (!Number.isSafeInteger(nbytes)) fail(`malformed .npy header: shape (${shape.join(', ')}) is too large`);
  const available = bytes.length - dataStart;
  const says = `header says ${plural(count, 'value')} of ${dtype} (${plural(nbytes, 'byte')})`;
  if (available < nbytes) {
    fail(`truncated .npy data: ${says} but the file has ${plural(available, 'byte')} after the header`);
  }
  if (available > nbytes) {
    fail(
      `${plural(available - nbytes, 'unexpected byte')} after the data in .npy file: ${says} ` +
        `but the file has ${plural(available, 'byte')} after the header`,
    );
  }

  // One copy into a fresh ArrayBuffer (offset 0, so every typed array view below is aligned).
  // Uint8Array.prototype.slice is called explicitly: a Node Buffer's own slice() returns a view
  // into the same memory, which would make the views below start at the file's first byte.
  const copy: Uint8Array<ArrayBuffer> = Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + nbytes);
  if (!LITTLE_ENDIAN_HOST) swapBytes(copy, itemsize);
  return { dtype, shape, data: viewAs(dtype, copy, count) };
}

function viewAs(dtype: NpyDtype, copy: Uint8Array<ArrayBuffer>, count: number): NpyData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer, 0, count);
    case 'float64':
      return new Float64Array(copy.buffer, 0, count);
    case 'int32':
      return new Int32Array(copy.buffer, 0, count);
    case 'int64':
      return new BigInt64Array(copy.buffer, 0, count);
    case 'uint8':
      return copy;
    case 'bool':
      for (let i = 0; i < copy.length; i++) if (copy[i] !== 0) copy[i] = 1;
      return copy;
  }
}

function swapBytes(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) bytes.subarray(i, i + itemsize).reverse();
}

function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  }
  return out;
}

function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end;) {
    const b = bytes[i];
    let extra: number;
    let cp: number;
    if (b < 0x80) [extra, cp] = [0, b];
    else if (b >= 0xc2 && b < 0xe0) [extra, cp] = [1, b & 0x1f];
    else if (b >= 0xe0 && b < 0xf0) [extra, cp] = [2, b & 0x0f];
    else if (b >= 0xf0 && b < 0xf5) [extra, cp] = [3, b & 0x07];
    else fail(`malformed .npy header: invalid UTF-8 byte 0x${b.toString(16)} at offset ${i}`);
    if (i + extra >= end) fail(`malformed .npy header: truncated UTF-8 sequence at offset ${i}`);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) fail(`malformed .npy header: invalid UTF-8 sequence at offset ${i}`);
      cp = (cp << 6) | (c & 0x3f);
    }
    const tooSmall = (extra === 2 && cp < 0x800) || (extra === 3 && cp < 0x10000);
    if (tooSmall || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
      fail(`malformed .npy header: invalid UTF-8 sequence at offset ${i}`);
    }
    out += String.fromCodePoint(cp);
    i += extra + 1;
  }
  return out;
}

function dtypeFromDescr(descr: string): NpyDtype {
  const order = '<>|='.includes(descr.charAt(0)) ? descr.charAt(0) : '';
  const code = descr.slice(order.length);
  switch (code) {
    case 'u1':
      return 'uint8';
    case 'b1':
    case '?':
      return 'bool';
    case 'f4':
    case 'f8':
    case 'i4':
    case 'i8':
      if (order === '<') return ({ f4: 'float32', f8: 'float64', i4: 'int32', i8: 'int64' } as const)[code];
      if (order === '>') fail(`unsupported .npy dtype ${quoted(descr)} (big-endian); ${SUPPORTED}`);
      return fail(`unsupported .npy dtype ${quoted(descr)} (byte order must be '<'); ${SUPPORTED}`);
    default:
      fail(`unsupported .npy dtype ${quoted(descr)}; ${SUPPORTED}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Header dict: a small parser for the Python literals that can appear in it (no eval).

type PyValue =
  string | number | boolean | null | { readonly kind: 'tuple' | 'list'; readonly items: readonly PyValue[] } | { readonly kind: 'dict' };

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

function parseHeader(header: string): Header {
  const p = new LiteralParser(header);
  p.skipSpace();
  if (p.peek() !== '{') p.fail(`expected a dict literal '{...}'`);
  const entries = p.dict();
  p.skipSpace();
  if (!p.atEnd()) p.fail('unexpected text after the dict');

  function malformed(problem: string): never {
    return fail(`malformed .npy header: ${problem} in ${printable(header.trim())}`);
  }
  for (const key of entries.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') malformed(`unexpected key ${quoted(key)}`);
  }
  const get = (key: string): { value: PyValue; text: string } => entries.get(key) ?? malformed(`missing key '${key}'`);
  const descr = get('descr');
  const fortranOrder = get('fortran_order');
  const shape = get('shape');

  if (typeof descr.value !== 'string') {
    fail(`unsupported .npy dtype ${printable(descr.text, 80)} (structured arrays are not supported); ${SUPPORTED}`);
  }
  if (typeof fortranOrder.value !== 'boolean') {
    malformed(`'fortran_order' must be True or False, got ${printable(fortranOrder.text, 40)}`);
  }
  const dims = shape.value;
  if (
    dims === null ||
    typeof dims !== 'object' ||
    dims.kind !== 'tuple' ||
    !dims.items.every((d): d is number => typeof d === 'number' && d >= 0)
  ) {
    return malformed(`'shape' must be a tuple of non-negative integers, got ${printable(shape.text, 40)}`);
  }
  return { descr: descr.value, fortranOrder: fortranOrder.value, shape: [...dims.items] };
}

class LiteralParser {
  private pos = 0;

  constructor(private readonly src: string) {}

  fail(problem: string): never {
    return fail(`malformed .npy header: ${problem} at column ${this.pos + 1} of ${printable(this.src.trim())}`);
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  peek(): string {
    return this.src.charAt(this.pos);
  }

  skipSpace(): void {
    while (!this.atEnd() && ' \t\n\r\f\v'.includes(this.peek())) this.pos++;
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }

  /** Parses `{ 'key': value, ... }` at the current position; keys must be unique strings. */
  dict(depth = 0): Map<string, { value: PyValue; text: string }> {
    const entries = new Map<string, { value: PyValue; text: string }>();
    this.expect('{');
    for (;;) {
      this.skipSpace();
      if (this.peek() === '}') break;
      const keyStart = this.pos;
      const key = this.value(depth + 1);
      if (typeof key !== 'string') {
        this.pos = keyStart;
        this.fail('dict keys must be strings');
      }
      if (entries.has(key)) {
        this.pos = keyStart;
        this.fail(`duplicate key ${quoted(key)}`);
      }
      this.expect(':');
      this.skipSpace();
      const start = this.pos;
      const value = this.value(depth + 1);
      entries.set(key, { value, text: this.src.slice(start, this.pos) });
      this.skipSpace();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}') this.fail(`expected ',' or '}'`);
    }
    this.pos++;
    return entries;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_NESTING) this.fail('literal nested too deeply');
    this.skipSpace();
    const ch = this.peek();
    if (ch === '') this.fail('unexpected end of header');
    if (ch === "'" || ch === '"') return this.string();
    if ((ch === 'u' || ch === 'U') && (this.src[this.pos + 1] === "'" || this.src[this.pos + 1] === '"')) {
      this.pos++;
      return this.string();
    }
    if (ch === '(' || ch === '[') return this.sequence(depth);
    if (ch === '{') {
      this.dict(depth);
      return { kind: 'dict' };
    }
    if (/[-+0-9]/.test(ch)) return this.integer();
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos, this.pos + 64))?.[0];
    if (name === 'True' || name === 'False' || name === 'None') {
      this.pos += name.length;
      return name === 'None' ? null : name === 'True';
    }
    return this.fail(name ? `unexpected name ${quoted(name)}` : `unexpected character ${quoted(ch)}`);
  }

  private string(): string {
    const q = this.src[this.pos++];
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string');
      const ch = this.src[this.pos++];
      if (ch === q) return out;
      if (ch === '\n') this.fail('unterminated string');
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.src.charAt(this.pos++);
      const hex = esc === 'x' ? 2 : esc === 'u' ? 4 : esc === 'U' ? 8 : 0;
      if (hex > 0) {
        const digits = this.src.slice(this.pos, this.pos + hex);
        const cp = /^[0-9a-fA-F]+$/.test(digits) && digits.length === hex ? parseInt(digits, 16) : NaN;
        if (!(cp <= 0x10ffff)) this.fail(`invalid \\${esc} escape in string`);
        out += String.fromCodePoint(cp);
        this.pos += hex;
      } else {
        const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
        out += simple[esc] ?? `\\${esc}`;
      }
    }
  }

  private integer(): number {
    const m = /^[-+]?[0-9]+[lL]?/.exec(this.src.slice(this.pos, this.pos + 40));
    if (!m) this.fail('expected an integer');
    const n = Number(m[0].replace(/[lL]$/, ''));
    if (!Number.isSafeInteger(n)) this.fail(`integer ${m[0]} is too large`);
    this.pos += m[0].length;
    if (/[0-9.eEjJxX_]/.test(this.peek())) this.fail('only integers are allowed');
    return n;
  }

  /** `(...)` or `[...]`; like Python, `(x)` is just `x` while `()` and `(x,)` are tuples. */
  private sequence(depth: number): PyValue {
    const open = this.src[this.pos++];
    const close = open === '(' ? ')' : ']';
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.peek() === close) break;
      items.push(this.value(depth + 1));
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        sawComma = true;
      } else if (this.peek() !== close) {
        this.fail(`expected ',' or '${close}'`);
      }
    }
    this.pos++;
    if (open === '(' && items.length === 1 && !sawComma) return items[0];
    return { kind: open === '(' ? 'tuple' : 'list', items };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/**
 * Serialises an array as a `.npy` file (NumPy NEP 1 / .npy format) byte-for-byte like `np.save`: version 1.0 when the
 * header fits (length < 65536), else 2.0; header `{'descr': ..., 'fortran_order': False, 'shape': ..., }` padded with
 * spaces and a final `\n` so the data starts at a multiple of 64 bytes; data in C order, little-endian.
 *
 * @throws RangeError if the dtype is unknown, the shape is not a list of non-negative integers, the typed array does
 * not match the dtype, or the shape's product differs from `data.length`.
 */
export function serializeNpy(array: NpyArray): Uint8Array {
  checkArray(array);
  const { dtype, shape, data } = array;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DTYPES[dtype].descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));

  let major = 1;
  let prefix = 10;
  let padded = padHeader(dict.length, prefix);
  if (padded > 0xffff) {
    major = 2;
    prefix = 12;
    padded = padHeader(dict.length, prefix);
  }
  const dataStart = prefix + padded;
  const out = new Uint8Array(dataStart + data.byteLength);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  for (let i = 0, n = padded; i < prefix - 8; i++, n = Math.floor(n / 256)) out[8 + i] = n & 0xff;
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.fill(0x20, prefix + dict.length, dataStart - 1);
  out[dataStart - 1] = 0x0a;

  const body = out.subarray(dataStart);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (dtype === 'bool') for (let i = 0; i < body.length; i++) if (body[i] !== 0) body[i] = 1;
  if (!LITTLE_ENDIAN_HOST) swapBytes(body, DTYPES[dtype].itemsize);
  return out;
}

/** Header length including NumPy's space padding and final newline (NumPy always pads by 1 to 64 bytes). */
function padHeader(dictLength: number, prefix: number): number {
  const hlen = dictLength + 1;
  return hlen + ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
}

function checkArray({ dtype, shape, data }: NpyArray): void {
  if (!Object.prototype.hasOwnProperty.call(DTYPES, dtype)) {
    throw new RangeError(`unknown dtype ${quoted(String(dtype))}; ${SUPPORTED}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`invalid shape [${String(shape)}]: dimensions must be non-negative integers`);
  }
  const expected = {
    float32: Float32Array,
    float64: Float64Array,
    uint8: Uint8Array,
    int32: Int32Array,
    int64: BigInt64Array,
    bool: Uint8Array,
  }[dtype];
  if (!(data instanceof expected)) {
    const got = (data as { constructor?: { name?: string } } | null)?.constructor?.name ?? String(data);
    throw new RangeError(`dtype '${dtype}' needs a ${expected.name}, got ${got}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`shape [${shape.join(', ')}] has ${plural(count, 'element')} but data has ${plural(data.length, 'value')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Conversions

/** Returns a new Float64Array with the array's values: int64 via `Number()` (may round beyond 2^53), bool as 0/1. */
export function npyToFloat64(array: NpyArray): Float64Array {
  const { dtype, data } = array;
  if (data instanceof BigInt64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  if (dtype === 'bool') {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0 ? 1 : 0;
    return out;
  }
  return new Float64Array(data);
}

/**
 * Wraps float32 values as an {@link NpyArray} without copying `data` (the shape array is copied).
 * @throws RangeError if the shape is invalid or its product differs from `data.length`.
 */
export function npyFromFloat32(shape: number[], data: Float32Array): NpyArray {
  const array: NpyArray = { dtype: 'float32', shape: [...shape], data };
  checkArray(array);
  return array;
}

/**
 * Wraps float64 values as an {@link NpyArray} without copying `data` (the shape array is copied).
 * @throws RangeError if the shape is invalid or its product differs from `data.length`.
 */
export function npyFromFloat64(shape: number[], data: Float64Array): NpyArray {
  const array: NpyArray = { dtype: 'float64', shape: [...shape], data };
  checkArray(array);
  return array;
}
