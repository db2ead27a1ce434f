import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import wabtInit from 'wabt';
import { binOf, finiteRange } from '../../../src/analysis/binning';
import { BinningKernel } from '../../../src/analysis/binningKernel';
import { sampleChannelEntropies } from '../../../src/analysis/intraSample';
import { binnedInformation, binnedSymbols } from '../../../src/analysis/labelInformation';
import type { LayerActivations } from '../../../src/analysis/layout';
import { rng } from '../../support/reference';

/**
 * The WebAssembly SIMD binning kernel (src/analysis/wasm/binning.wat) against the plain-JS loops it
 * replaces, which stay the fallback and the reference: the channel entropies, the binned
 * estimator's codes, hashes and symbols, and the finite range must agree bit for bit. The same
 * comparisons are run on deliberately broken builds of the kernel to show they would notice.
 */

const random = rng(1515);

/** The kinds of layer outputs the comparisons run on (float32, channels last). */
type Fill = (i: number, units: number, channels: number) => number;
const fills: Record<string, Fill> = {
  'random with half zeros (ReLU)': () => (random() < 0.5 ? 0 : random() * 4),
  'signed random': () => random() * 2 - 1,
  'all zeros': () => 0,
  'a constant': () => 2.5,
  'zeros of both signs': () => (random() < 0.5 ? -0 : 0),
  'few distinct values (ties)': () => Math.floor(random() * 5) - 2,
  'NaN and ±Infinity among values': () => {
    const u = random();
    return u < 0.05 ? NaN : u < 0.1 ? Infinity : u < 0.15 ? -Infinity : u < 0.2 ? -0 : random() * 3 - 1;
  },
  'no finite value': () => (random() < 0.5 ? NaN : -Infinity),
  'huge and tiny magnitudes': () => (random() < 0.5 ? (random() - 0.5) * 3e38 : (random() - 0.5) * 1e-38),
  'tiny magnitudes alone (subnormal differences)': () => (random() - 0.5) * 1e-37,
  "both signs up to float32's largest (differences beyond it)": () => (random() - 0.5) * 6.8e38,
  'one channel non-finite, the others random': (i, _units, channels) => (i % channels === 0 ? NaN : random()),
};

/**
 * Values at and beside every bin edge of [lo, hi] = [-1.5, 2.25] for `bins` bins: lo + k·span/B
 * and its float32 neighbours, with lo and hi themselves present in every feature map.
 */
function edgeValues(count: number, units: number, channels: number, bins: number): Float32Array {
  const lo = -1.5;
  const hi = 2.25;
  const edges: number[] = [];
  const f32 = new Float32Array(1);
  const bits = new Int32Array(f32.buffer);
  for (let k = 0; k <= bins; k++) {
    f32[0] = lo + (k * (hi - lo)) / bins;
    edges.push(f32[0]);
    const at = bits[0];
    bits[0] = at + 1;
    edges.push(f32[0]);
    bits[0] = at - 1;
    edges.push(f32[0]);
  }
  const data = new Float32Array(count * units * channels);
  for (let n = 0; n < count; n++)
    for (let p = 0; p < units; p++)
      for (let c = 0; c < channels; c++) {
        const i = (n * units + p) * channels + c;
        data[i] = p === 0 ? lo : p === 1 ? hi : edges[Math.floor(random() * edges.length)];
      }
  return data;
}

function layerOf(count: number, units: number, channels: number, fill: Fill): LayerActivations {
  const data = new Float32Array(count * units * channels);
  for (let i = 0; i < data.length; i++) data[i] = fill(i, units, channels);
  return { count, units, channels, data };
}

/** Shapes `[count, units, channels]`: LeNet's, one channel, many channels, odd sizes, single values. */
const shapes: [number, number, number][] = [
  [9, 24 * 24, 8],
  [7, 64, 16],
  [5, 16, 16],
  [6, 64, 1],
  [11, 10, 1],
  [3, 7, 3],
  [4, 5, 6],
  [2, 9, 37],
  [3, 3, 130],
  [4, 1, 5],
  [1, 1, 1],
  [3, 13, 2],
];

/** Element-wise identity of two float arrays (NaN equals NaN, -0 differs from +0); names the first difference. */
function sameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: entry ${i} is ${actual[i]}, the JS loop gives ${expected[i]}`);
  }
}

/** The channel entropies of `layer` from `kernel` and from the JS loop must be the same bits. */
function compareEntropies(kernel: BinningKernel, layer: LayerActivations, bins: number, what: string): void {
  const expected = sampleChannelEntropies(layer, bins, 'js');
  const actual = sampleChannelEntropies(layer, bins, kernel);
  sameBits(actual.entropyBits, expected.entropyBits, `${what}, ${bins} bins: entropies`);
  assert.equal(actual.nonFiniteCount, expected.nonFiniteCount, `${what}, ${bins} bins: non-finite count`);
  // The layer's finite range found on the way is finiteRange's (a zero's sign aside: no bin depends on it), from either loop.
  const range = finiteRange(layer.data);
  for (const [who, got] of [
    ['kernel', actual.range],
    ['JS loop', expected.range],
  ] as const) {
    assert.deepEqual(
      [got.lo + 0, got.hi + 0, got.finiteCount, got.nonFiniteCount],
      [range.lo + 0, range.hi + 0, range.finiteCount, range.nonFiniteCount],
      `${what}, ${bins} bins: the ${who}'s range`,
    );
  }
}

/** The binned estimator's codes and FNV hashes, computed here from binOf, one input after another. */
function expectedCodes(data: Float32Array, n: number, d: number, bins: number, lo: number, hi: number) {
  const codes = new Uint16Array(n * d);
  const hashes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x811c9dc5 ^ d;
    for (let u = 0; u < d; u++) {
      const v = data[i * d + u];
      const code = v - v !== 0 ? bins : binOf(v, lo, hi, bins);
      codes[i * d + u] = code;
      h = Math.imul(h ^ code, 0x01000193);
    }
    hashes[i] = h;
  }
  return { codes, hashes };
}

/** Codes, hashes, finite range, symbols and the whole binned point of `layer`: kernel against JS. */
function compareBinned(kernel: BinningKernel, layer: LayerActivations, bins: number, what: string): void {
  const data = layer.data as Float32Array;
  const n = layer.count;
  const d = layer.units * layer.channels;
  const range = finiteRange(data, 0, n * d);
  const fast = kernel.finiteRange(data, 0, n * d);
  // lo and hi as numbers (the sign of a zero may differ and no bin depends on it), counts exactly.
  assert.ok(fast.lo === range.lo && fast.hi === range.hi, `${what}: range [${fast.lo}, ${fast.hi}], JS [${range.lo}, ${range.hi}]`);
  assert.equal(fast.finiteCount, range.finiteCount, `${what}: finite count`);
  assert.equal(fast.nonFiniteCount, range.nonFiniteCount, `${what}: non-finite count`);
  const expected = expectedCodes(data, n, d, bins, range.lo, range.hi);
  const codes = new Uint16Array(n * d);
  const hashes = new Int32Array(n);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const done = kernel.codeBlock(data, d, all, 0, d, bins, range.lo, range.hi, (rowCodes, rowHashes, first, rows) => {
    codes.set(rowCodes.subarray(0, rows * d), first * d);
    hashes.set(rowHashes.subarray(0, rows), first);
  });
  assert.ok(done, `${what}: the kernel took the layer`);
  sameBits(codes, expected.codes, `${what}, ${bins} bins: codes`);
  sameBits(hashes, expected.hashes, `${what}, ${bins} bins: hashes`);
  // A block of values of every other input, from the last backwards: the same codes, hashed as rows of the block's width.
  const from = Math.floor(d / 3);
  const to = Math.max(from + 1, Math.ceil((2 * d) / 3));
  if (to <= d) {
    const some = Int32Array.from({ length: Math.ceil(n / 2) }, (_, k) => n - 1 - 2 * k);
    const w = to - from;
    const block = new Float32Array(some.length * w);
    some.forEach((i, k) => block.set(data.subarray(i * d + from, i * d + to), k * w));
    const want = expectedCodes(block, some.length, w, bins, range.lo, range.hi);
    const got = new Uint16Array(some.length * w);
    const gotHashes = new Int32Array(some.length);
    kernel.codeBlock(data, d, some, from, to, bins, range.lo, range.hi, (rowCodes, rowHashes, first, rows) => {
      got.set(rowCodes.subarray(0, rows * w), first * w);
      gotHashes.set(rowHashes.subarray(0, rows), first);
    });
    sameBits(got, want.codes, `${what}, ${bins} bins: block codes`);
    sameBits(gotHashes, want.hashes, `${what}, ${bins} bins: block hashes`);
  }
  const symbolsJs = binnedSymbols(data, n, d, bins, range.lo, range.hi, 'js');
  const symbolsWasm = binnedSymbols(data, n, d, bins, range.lo, range.hi, kernel);
  assert.equal(symbolsWasm.symbols, symbolsJs.symbols, `${what}: symbol count`);
  sameBits(symbolsWasm.symbolOf, symbolsJs.symbolOf, `${what}: symbols`);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  assert.deepEqual(binnedInformation(layer, labels, bins, kernel), binnedInformation(layer, labels, bins, 'js'), `${what}: binned point`);
}

/** Every comparison of this file on every shape, fill and bin count below. */
function compareAll(kernel: BinningKernel): void {
  for (const [count, units, channels] of shapes) {
    for (const [name, fill] of Object.entries(fills)) {
      const layer = layerOf(count, units, channels, fill);
      const what = `${name}, [${count}, ${units}, ${channels}]`;
      for (const bins of [2, 3, 32]) {
        compareEntropies(kernel, layer, bins, what);
        compareBinned(kernel, layer, bins, what);
      }
    }
    for (const bins of [2, 7, 30, 32, 255, 4096]) {
      const layer = { count, units, channels, data: edgeValues(count, units, channels, bins) };
      const what = `values at bin edges, [${count}, ${units}, ${channels}]`;
      compareEntropies(kernel, layer, bins, what);
      compareBinned(kernel, layer, bins, what);
    }
  }
}

/** The kernel built from binning.wat with `edits` applied (each `[from, to]` must occur). */
async function alteredKernel(edits: [string, string][]): Promise<BinningKernel> {
  let text = readFileSync(resolve(__dirname, '../../../src/analysis/wasm/binning.wat'), 'utf8');
  for (const [from, to] of edits) {
    assert.ok(text.includes(from), `binning.wat no longer contains ${from}`);
    text = text.split(from).join(to);
  }
  const wabt = await wabtInit();
  const module = wabt.parseWat('binning.wat', text, { simd: true, bulk_memory: true });
  const { buffer } = module.toBinary({ log: false, write_debug_names: false });
  module.destroy();
  return new BinningKernel(new WebAssembly.Module(Uint8Array.from(buffer)));
}

describe('binning kernel (WebAssembly SIMD)', () => {
  const kernel = BinningKernel.shared();

  before(function () {
    if (!kernel) this.skip(); // no WebAssembly SIMD: the JS loops run, and are tested elsewhere
  });

  it('gives the same channel entropies, codes, hashes, ranges and symbols as the JS loops, bit for bit, on random data, ties, zeros of both signs, NaN, ±Infinity, constants, bin edges, odd sizes, 1 to 130 channels and 2 to 4096 bins', () => {
    compareAll(kernel!);
  });

  it('runs by default on float32 layers and agrees with the JS loop on LeNet-sized layers of 500 inputs', () => {
    const layer = layerOf(500, 24 * 24, 8, fills['random with half zeros (ReLU)']);
    const labels = Int32Array.from({ length: 500 }, (_, i) => i % 10);
    sameBits(sampleChannelEntropies(layer).entropyBits, sampleChannelEntropies(layer, 32, 'js').entropyBits, 'default channel entropies');
    assert.deepEqual(binnedInformation(layer, labels), binnedInformation(layer, labels, 30, 'js'));
    // The binned information on the range the channel entropies found: the same.
    assert.deepEqual(
      binnedInformation(layer, labels, 30, undefined, sampleChannelEntropies(layer).range),
      binnedInformation(layer, labels),
    );
  });

  it('splits layers larger than its chunk of memory without changing a bit', () => {
    // 300 inputs of 4,608 values: more than one chunk of 2^20 values for both passes.
    const layer = layerOf(300, 24 * 24, 8, fills['signed random']);
    compareEntropies(kernel!, layer, 32, 'chunked layer');
    compareBinned(kernel!, layer, 30, 'chunked layer');
    // One input wider than a chunk.
    const wide = layerOf(2, 300_000, 4, fills['random with half zeros (ReLU)']);
    compareEntropies(kernel!, wide, 32, 'input wider than a chunk');
    compareBinned(kernel!, wide, 30, 'input wider than a chunk');
  });

  it('keeps two inputs whose codes differ but hash alike apart, and matches a later copy of the second', () => {
    // Codes [1, 2826, 0] and [8, 0, 2083] (d = 3) have the same FNV hash; with lo = 0, hi = 4096 and
    // 4096 bins, the value c + 0.5 has the code c. The last input pins the range.
    const data = Float32Array.from([1.5, 2826.5, 0.5, 8.5, 0.5, 2083.5, 8.5, 0.5, 2083.5, 0, 4096, 0]);
    const { codes, hashes } = expectedCodes(data, 4, 3, 4096, 0, 4096);
    assert.deepEqual(Array.from(codes.subarray(0, 6)), [1, 2826, 0, 8, 0, 2083]);
    assert.equal(hashes[0], hashes[1], 'the two inputs collide');
    for (const kind of [kernel!, 'js'] as const) {
      const { symbolOf, symbols } = binnedSymbols(data, 4, 3, 4096, 0, 4096, kind);
      assert.deepEqual(Array.from(symbolOf), [0, 1, 1, 2]);
      assert.equal(symbols, 3);
    }
  });

  it('leaves float64 layers to the JS loop (which is the reference)', () => {
    const layer = layerOf(4, 16, 3, fills['signed random']);
    const wide = { ...layer, data: Float64Array.from(layer.data) };
    sameBits(sampleChannelEntropies(wide, 32).entropyBits, sampleChannelEntropies(layer, 32, 'js').entropyBits, 'float64 layer');
  });

  describe('notices a broken kernel', () => {
    const broken: [string, [string, string][]][] = [
      ['(z + 1) / 2 computed with a multiplier off by one ulp', [['(f64.const 0.5)', '(f64.const 0.49999999999999994)']]],
      ['rounding to nearest instead of down', [['f64x2.floor', 'f64x2.nearest']]],
      [
        '±Infinity taken for finite values',
        [['(f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (f32x4.splat (f32.const 0)))', '(f32x4.eq (local.get $v) (local.get $v))']],
      ],
      [
        'the histograms of extra slots not added into their channel',
        [
          [
            '(local.set $j (local.get $C))\n      (local.set $c (i32.const 0))\n      (block $foldDone',
            '(local.set $j (local.get $P))\n      (local.set $c (i32.const 0))\n      (block $foldDone',
          ],
        ],
      ],
      ['a different hash multiplier', [['(i32.const 0x01000193)', '(i32.const 0x01000197)']]],
      [
        'one map at a time: the float32 bins trusted nearer an edge than their error allows',
        [
          [
            '(f32.mul (f32.convert_i32_s (local.get $bins)) (f32.const 0x1p-20))',
            '(f32.mul (f32.convert_i32_s (local.get $bins)) (f32.const 0x1p-40))',
          ],
        ],
      ],
      [
        'one map at a time: the float32 bins trusted for a map whose span is above their range',
        [['(f64.le (local.get $span) (f64.const 0x1p90))', '(f64.le (local.get $span) (f64.const inf))']],
      ],
      [
        'one map at a time: the float32 bins trusted for a map whose span is below their range',
        [['(f64.ge (local.get $span) (f64.const 0x1p-90))', '(f64.ge (local.get $span) (f64.const 0))']],
      ],
      [
        "one map at a time: a map's counters not zeroed for the next",
        [
          [
            '        (v128.store offset=0 (local.get $a) (v128.const i32x4 0 0 0 0))\n        (v128.store offset=16',
            '        (v128.store offset=16',
          ],
        ],
      ],
      [
        "one channel's sum of c log2 c rounded to float32 at each term",
        [
          [
            '(local.set $s2 (f64.add (local.get $s2) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))',
            '(local.set $s2 (f64.promote_f32 (f32.demote_f64 (f64.add (local.get $s2) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))))',
          ],
        ],
      ],
    ];
    for (const [name, edits] of broken) {
      it(name, async function () {
        if (!kernel) this.skip();
        const altered = await alteredKernel(edits);
        assert.throws(() => compareAll(altered), assert.AssertionError);
      });
    }
  });
});

describe('the binning kernel on float64 pair distances (capacity.ts binDistances)', () => {
  /** binDistances as estimators.md defines it: binOf on the finite values' range, B for a non-finite one, the counts of the others. */
  function reference(distances: Float64Array, bins: number): { codes: number[]; counts: number[] } {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of distances)
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    const counts = new Array<number>(bins).fill(0);
    const codes = Array.from(distances, (v) => {
      if (!Number.isFinite(v)) return bins;
      const b = binOf(v, lo, hi, bins);
      counts[b]++;
      return b;
    });
    return { codes, counts };
  }

  it('gives the codes and counts binOf gives, whatever the count (odd, one), ties, equal values, non-finite ones and bins', () => {
    const kernel = BinningKernel.shared();
    assert.ok(kernel, 'WebAssembly SIMD in this Node');
    const r = rng(71);
    const cases: [string, Float64Array][] = [
      ['random', Float64Array.from({ length: 19_900 }, () => Math.sqrt(3 * r()))],
      ['odd count', Float64Array.from({ length: 4_951 }, () => r() * 10)],
      ['one pair', Float64Array.from([2.5])],
      ['all equal', new Float64Array(1_001).fill(1.25)],
      ['zeros and a few values', Float64Array.from({ length: 999 }, (_, i) => (i % 7 === 0 ? r() : 0))],
      ['bin edges', Float64Array.from({ length: 3_201 }, (_, i) => (i % 33) / 32)],
      ['non-finite', Float64Array.from({ length: 777 }, (_, i) => (i % 50 === 3 ? NaN : i % 91 === 5 ? Infinity : r()))],
      ['none finite', Float64Array.from([NaN, Infinity, -Infinity])],
    ];
    for (const [name, distances] of cases)
      for (const bins of [1, 2, 16, 32, 255]) {
        const codes = new Uint8Array(distances.length);
        const counts: Float64Array = kernel.binDistances(distances, codes, bins)!;
        const want = reference(distances, bins);
        assert.deepEqual(Array.from(codes), want.codes, `${name}, ${bins} bins: codes`);
        assert.deepEqual(Array.from(counts), want.counts, `${name}, ${bins} bins: counts`);
      }
  });
});
