import assert from 'node:assert/strict';
import {
  applyControlToInputs,
  checkControlFits,
  keptPixels,
  majorityClassRate,
  parseControlSpec,
  pixelPermutation,
  seededPermutation,
  shuffledLabels,
} from '../../../src/data/control';
import { sharedContract } from '../../../src/contract/sharedContract';

/** A 6×6 one-channel image as rows of 0/1 for printing. */
function rows(values: ArrayLike<number>, width: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < values.length / width; r++)
    out.push(Array.from({ length: width }, (_, c) => (values[r * width + c] ? '1' : '0')).join(''));
  return out;
}

describe('control experiment transforms (src/data/control.ts)', () => {
  describe('parseControlSpec', () => {
    it('reads the four forms', () => {
      assert.deepEqual(parseControlSpec('border:4'), { kind: 'border', parameter: 4, spec: 'border:4' });
      assert.deepEqual(parseControlSpec('mask-centre:0.5'), { kind: 'mask-centre', parameter: 0.5, spec: 'mask-centre:0.5' });
      assert.deepEqual(parseControlSpec('mask-center:1'), { kind: 'mask-centre', parameter: 1, spec: 'mask-centre:1' });
      assert.deepEqual(parseControlSpec('shuffle-pixels'), { kind: 'shuffle-pixels', spec: 'shuffle-pixels' });
      assert.deepEqual(parseControlSpec('shuffle-labels'), { kind: 'shuffle-labels', spec: 'shuffle-labels' });
    });
    it('refuses bad specs with one line naming the accepted forms', () => {
      for (const bad of [
        'border',
        'border:0',
        'border:2.5',
        'border:-1',
        'border:x',
        'mask-centre:0',
        'mask-centre:1.5',
        'mask-centre:',
        'shuffle',
        'blur:3',
        '',
      ]) {
        assert.throws(
          () => parseControlSpec(bad),
          (e: Error) =>
            e instanceof RangeError &&
            !e.message.includes('\n') &&
            /border:N.*mask-centre:F.*shuffle-pixels.*shuffle-labels/.test(e.message),
          bad,
        );
      }
    });
    it('checks border:N against the image size: N < min(H, W) / 2', () => {
      checkControlFits(parseControlSpec('border:2'), [6, 6, 1]);
      assert.throws(() => checkControlFits(parseControlSpec('border:3'), [6, 6, 1]), /below half/);
      assert.throws(() => checkControlFits(parseControlSpec('border:4'), [6, 10]), /below half/);
      assert.throws(() => checkControlFits(parseControlSpec('shuffle-pixels'), [100]), /needs images/);
      checkControlFits(parseControlSpec('shuffle-labels'), [100]);
    });
  });

  describe('border:N', () => {
    it('keeps exactly the pixels within N of an edge of a 6×6 image', () => {
      assert.deepEqual(rows(keptPixels('border', 1, 6, 6), 6), ['111111', '100001', '100001', '100001', '100001', '111111']);
      assert.deepEqual(rows(keptPixels('border', 2, 6, 6), 6), ['111111', '111111', '110011', '110011', '111111', '111111']);
    });
    it('zeroes every channel of the inner pixels and leaves the border values as they were', () => {
      const shape = [6, 6, 2];
      const inputs = Float32Array.from({ length: 2 * 72 }, (_, i) => i + 1);
      const out = applyControlToInputs(parseControlSpec('border:1'), inputs.slice(), shape, 7);
      for (let n = 0; n < 2; n++)
        for (let r = 0; r < 6; r++)
          for (let c = 0; c < 6; c++)
            for (let ch = 0; ch < 2; ch++) {
              const i = n * 72 + (r * 6 + c) * 2 + ch;
              const border = r === 0 || r === 5 || c === 0 || c === 5;
              assert.equal(out[i], border ? inputs[i] : 0, `input ${n} pixel (${r}, ${c}) channel ${ch}`);
            }
    });
  });

  describe('mask-centre:F', () => {
    it('zeroes the central round(F·H) × round(F·W) rectangle', () => {
      assert.deepEqual(rows(keptPixels('mask-centre', 0.5, 6, 6), 6), ['111111', '100011', '100011', '100011', '111111', '111111']);
      assert.deepEqual(rows(keptPixels('mask-centre', 1 / 3, 6, 6), 6), ['111111', '111111', '110011', '110011', '111111', '111111']);
      // round(0.5 · 5) = 3 (rounds half up), placed at ⌊(5 − 3) / 2⌋ = 1.
      assert.deepEqual(rows(keptPixels('mask-centre', 0.5, 5, 4), 4), ['1111', '1001', '1001', '1001', '1111']);
      assert.ok(keptPixels('mask-centre', 1, 6, 6).every((k) => k === 0));
    });
    it('on a [H, W] input (one channel)', () => {
      const out = applyControlToInputs(parseControlSpec('mask-centre:0.5'), new Float32Array(36).fill(3), [6, 6], 1);
      assert.deepEqual(rows(out, 6), ['111111', '100011', '100011', '100011', '111111', '111111']);
    });
  });

  describe('shuffle-pixels', () => {
    it('is a bijection of the pixel positions, fixed for a seed and different for another', () => {
      const p = pixelPermutation(28, 28, 1);
      assert.equal(p.length, 784);
      assert.deepEqual(
        Array.from(p).sort((a, b) => a - b),
        Array.from({ length: 784 }, (_, i) => i),
      );
      assert.deepEqual(pixelPermutation(28, 28, 1), p);
      assert.notDeepEqual(pixelPermutation(28, 28, 2), p);
      assert.ok(Array.from(p).filter((from, i) => from === i).length < 20, 'a permutation that moves the pixels');
    });
    it('moves all channels of a pixel together, with the same permutation for every input', () => {
      const shape = [4, 5, 3];
      // Pixel p of input n holds (1000 n + 10 p + channel).
      const inputs = Float32Array.from({ length: 3 * 60 }, (_, i) => {
        const n = Math.floor(i / 60);
        const p = Math.floor((i % 60) / 3);
        return 1000 * n + 10 * p + (i % 3);
      });
      const out = applyControlToInputs(parseControlSpec('shuffle-pixels'), inputs.slice(), shape, 5);
      const permutation = pixelPermutation(4, 5, 5);
      for (let n = 0; n < 3; n++)
        for (let p = 0; p < 20; p++) for (let c = 0; c < 3; c++) assert.equal(out[n * 60 + p * 3 + c], 1000 * n + 10 * permutation[p] + c);
      // The multiset of each input's values is unchanged.
      assert.deepEqual(
        Array.from(out.subarray(0, 60)).sort((a, b) => a - b),
        Array.from(inputs.subarray(0, 60)).sort((a, b) => a - b),
      );
    });
  });

  it("draws the known answers of the shared contract (python/cnn_slicer/contract.json, which the recorder's control.py meets)", () => {
    const answers = sharedContract().knownAnswers;
    for (const { height, width, seed, permutation } of answers.pixelPermutation)
      assert.deepEqual([...pixelPermutation(height, width, seed)], permutation);
    for (const { count, seed, permutation } of answers.labelPermutation) {
      const labels = Int32Array.from({ length: count }, (_, i) => 10 * i);
      assert.deepEqual(
        [...shuffledLabels(labels, seed)],
        permutation.map((from) => 10 * from),
      );
    }
    // Written out once: a change of the generator or of the streams changes these.
    assert.deepEqual([...pixelPermutation(4, 5, 1)], [13, 0, 18, 15, 4, 7, 19, 16, 12, 14, 1, 5, 17, 9, 8, 6, 2, 3, 11, 10]);
    assert.deepEqual([...seededPermutation(10, 0)], [3, 8, 6, 4, 5, 9, 7, 1, 0, 2]);
  });

  describe('shuffle-labels', () => {
    it('permutes the labels: the same multiset, another order, fixed for a seed', () => {
      const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
      const shuffled = shuffledLabels(labels, 3);
      assert.deepEqual(
        Array.from(shuffled).sort((a, b) => a - b),
        Array.from(labels).sort((a, b) => a - b),
      );
      assert.deepEqual(shuffledLabels(labels, 3), shuffled);
      const same = shuffled.filter((y, i) => y === labels[i]).length;
      assert.ok(same > 50 && same < 150, `about a tenth keep their label by chance, got ${same}`);
    });
    it('leaves the inputs alone', () => {
      const inputs = Float32Array.from({ length: 36 }, (_, i) => i);
      assert.deepEqual(applyControlToInputs(parseControlSpec('shuffle-labels'), inputs.slice(), [6, 6], 1), inputs);
    });
  });

  it('seededPermutation is a bijection of any size', () => {
    for (const n of [0, 1, 2, 17])
      assert.deepEqual(
        Array.from(seededPermutation(n, 9)).sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
      );
  });

  it('majorityClassRate is the share of the most common class, undefined without labels', () => {
    assert.equal(majorityClassRate([0, 1, 1, 2], 3), 0.5);
    assert.equal(majorityClassRate([], 3), undefined);
  });
});
