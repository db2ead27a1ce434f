import assert from 'node:assert/strict';
import {
  binnedInformation,
  channelLabelInformation,
  channelMatrix,
  distanceCodes,
  distanceCodesFromMatrix,
  DistanceKernel,
  distanceMatrix,
  layerActivations,
  layerValues,
  pairwiseInformationFromCodes,
  pairwiseLabelInformation,
  sameLabelPairs,
  shannonEntropyBits,
  uninformativeChannels,
} from '../../../src/analysis';
import { balancedLabels } from '../../support/labels';
import { referenceBinnedInformation, referencePairwiseLabelInformation, rng } from '../../support/reference';

const r = rng(16);
const close = (got: number | undefined, want: number | undefined, eps = 1e-12) =>
  assert.ok(got !== undefined && want !== undefined && Math.abs(got - want) < eps, `got ${got}, want ${want}`);

/** Balanced labels 0..classes-1, shuffled by the seeded generator. */
const labelsFor = (n: number, classes: number) => balancedLabels(n, classes, r);

function oneHot(labels: number[], classes: number) {
  const data = new Float32Array(labels.length * classes);
  labels.forEach((y, i) => (data[i * classes + y] = 1));
  return layerActivations([labels.length, classes], data);
}

function hOfLabels(labels: number[]): number {
  const counts = new Map<number, number>();
  for (const y of labels) counts.set(y, (counts.get(y) ?? 0) + 1);
  return shannonEntropyBits([...counts.values()])!;
}

describe('mutual information with the labels: pairwise estimator', () => {
  it('gives H(S) when the layer is the one-hot labels (distance decides same label)', () => {
    const y = labelsFor(200, 10);
    const same = sameLabelPairs(y);
    close(pairwiseLabelInformation(oneHot(y, 10), y), same.entropyBits);
    // Ten balanced classes of 20: 1,900 of 19,900 pairs share a label, H(S) = 0.454 bit (0.469 as N grows).
    close(same.entropyBits, shannonEntropyBits([1900, 18000]));
  });
  it('is close to 0 for a layer independent of the labels', () => {
    const n = 300;
    const layer = layerActivations([n, 16], Float64Array.from({ length: n * 16 }, r));
    const bits = pairwiseLabelInformation(layer, labelsFor(n, 10))!;
    assert.ok(bits >= 0 && bits < 0.01, `${bits}`);
  });
  it('gives 0 for a constant layer', () => {
    const y = labelsFor(50, 5);
    assert.equal(pairwiseLabelInformation(layerActivations([50, 4], new Float32Array(200).fill(3)), y), 0);
  });
  it('is undefined with fewer than 2 inputs or with one class only', () => {
    assert.equal(pairwiseLabelInformation(layerActivations([1, 3], [1, 2, 3]), [0]), undefined);
    assert.equal(pairwiseLabelInformation(layerActivations([0, 3], []), []), undefined);
    assert.equal(
      pairwiseLabelInformation(layerActivations([20, 2], Float64Array.from({ length: 40 }, r)), new Array(20).fill(4)),
      undefined,
    );
  });
  it('agrees with a direct implementation of the definition', () => {
    const n = 60;
    const y = labelsFor(n, 4);
    // Rows that lean towards their class, so the answer is well away from 0.
    const t = y.map((c) => Array.from({ length: 7 }, (_, k) => (k === c ? 1 : 0) + r() * 0.8));
    for (const bins of [2, 8, 32]) {
      close(pairwiseLabelInformation(layerActivations([n, 7], t.flat()), y, bins), referencePairwiseLabelInformation(t, y, bins));
    }
    assert.ok(pairwiseLabelInformation(layerActivations([n, 7], t.flat()), y, 8)! > 0.05);
  });
  it('counts the joint of bins and same labels to the bits of one increment a pair (any pair count, non-finite codes, 8 and 300 bins)', () => {
    const r = rng(61);
    for (const [n, bins] of [
      [2, 8],
      [7, 8],
      [40, 32],
      [90, 300],
    ]) {
      const labels = sameLabelPairs(Array.from({ length: n }, () => Math.floor(r() * 4)));
      if (labels.entropyBits === undefined) continue;
      const pairs = (n * (n - 1)) / 2;
      const codes = bins <= 255 ? new Uint8Array(pairs) : new Uint16Array(pairs);
      for (let p = 0; p < pairs; p++) codes[p] = r() < 0.05 ? bins : Math.floor(r() * r() * bins);
      const counts = new Float64Array(bins);
      for (const c of codes) if (c < bins) counts[c]++;
      const d = { n, bins, codes, entropyBits: shannonEntropyBits(counts), nonFiniteCount: 0 };
      // The definition, one increment a pair (a non-finite pair's cell lies past the table: counted nowhere).
      const joint = new Float64Array(bins * 2);
      for (let p = 0; p < pairs; p++) if (codes[p] < bins) joint[codes[p] * 2 + labels.same[p]]++;
      const want = Math.max(0, d.entropyBits! + labels.entropyBits - shannonEntropyBits(joint)!);
      assert.ok(Object.is(pairwiseInformationFromCodes(d, labels), want), `${n} inputs, ${bins} bins`);
    }
  });

  it('never exceeds H(S)', () => {
    const n = 80;
    const y = labelsFor(n, 3);
    const t = y.map((c) => Array.from({ length: 5 }, () => c + r() * 0.1));
    const bits = pairwiseLabelInformation(layerActivations([n, 5], t.flat()), y)!;
    assert.ok(bits <= sameLabelPairs(y).entropyBits! + 1e-12 && bits > 0.3, `${bits}`);
  });
  it('rejects labels that do not match the inputs', () => {
    assert.throws(() => pairwiseLabelInformation(layerActivations([3, 1], [1, 2, 3]), [0, 1]), RangeError);
    assert.throws(() => pairwiseLabelInformation(layerActivations([2, 1], [1, 2]), [0, 1], 1), RangeError);
  });
});

describe('distance codes from a distance matrix already computed', () => {
  it('are exactly the codes of the pair distances computed anew (the recorder reuses the inter-sample matrix)', () => {
    const n = 70;
    const x = Float32Array.from({ length: n * 13 }, r);
    const kernel = new DistanceKernel(x, n, 13);
    const fromMatrix = distanceCodesFromMatrix(distanceMatrix(kernel), n, 32);
    kernel.dispose();
    const direct = distanceCodes(x, n, 13, 32);
    assert.deepEqual(fromMatrix.codes, direct.codes);
    assert.equal(fromMatrix.entropyBits, direct.entropyBits);
    assert.throws(() => distanceCodesFromMatrix(new Float64Array(5), 2), RangeError);
  });
});

describe('mutual information with the labels: per channel', () => {
  const n = 50;
  const y = labelsFor(n, 5);
  // Channel 0 carries the class, channel 1 is noise, channel 2 is constant: [N, 2, 2, 3].
  const data = new Float32Array(n * 4 * 3);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < 4; p++) {
      data[(i * 4 + p) * 3] = y[i] * 2 + r() * 0.1;
      data[(i * 4 + p) * 3 + 1] = r();
      data[(i * 4 + p) * 3 + 2] = 1;
    }
  const layer = layerActivations([n, 2, 2, 3], data);

  it('measures each channel on its own feature maps, as the direct implementation does', () => {
    const bits = channelLabelInformation(layer, y, 16);
    for (let c = 0; c < 3; c++) {
      const m = channelMatrix(layer, c);
      const rows = Array.from({ length: n }, (_, i) => Array.from(m.subarray(i * 4, i * 4 + 4)));
      close(bits[c], referencePairwiseLabelInformation(rows, y, 16));
    }
    assert.ok(bits[0]! > 0.3 && bits[1]! < 0.05 && bits[2] === 0, `${bits.join(', ')}`);
  });
  it('lists the channels below 0.01 bit as uninformative, ignoring undefined ones', () => {
    assert.deepEqual(uninformativeChannels([0.5, 0.009, null, 0, undefined, 0.01]), [1, 3]);
  });
});

describe('information plane: binning estimator (Shwartz-Ziv & Tishby)', () => {
  it('gives H(Y) for both I(X;T) and I(T;Y) when the layer is the one-hot labels', () => {
    const y = labelsFor(120, 6);
    const b = binnedInformation(oneHot(y, 6), y);
    close(b.ixtBits, hOfLabels(y));
    close(b.ityBits, hOfLabels(y));
    assert.equal(b.saturated, false);
    assert.equal(b.symbols, 6);
  });
  it('is saturated at log2 N and H(Y) when every input has its own symbol', () => {
    const n = 64;
    const y = labelsFor(n, 4);
    const b = binnedInformation(layerActivations([n, 20], Float64Array.from({ length: n * 20 }, r)), y);
    assert.equal(b.saturated, true);
    close(b.ixtBits, Math.log2(n));
    close(b.ityBits, hOfLabels(y));
    close(b.ixtCeilingBits, Math.log2(n));
    close(b.ityCeilingBits, hOfLabels(y));
  });
  it('gives I(T;Y) close to 0 for a coarse layer independent of the labels', () => {
    const n = 2000;
    const data = Float64Array.from({ length: n * 2 }, () => (r() < 0.5 ? 0 : 1));
    const b = binnedInformation(layerActivations([n, 2], data), labelsFor(n, 4));
    assert.ok(b.ityBits! < 0.02, `${b.ityBits}`);
    assert.ok(Math.abs(b.ixtBits! - 2) < 0.01, `${b.ixtBits}`);
  });
  it('gives 0 for both with a constant layer', () => {
    const b = binnedInformation(layerActivations([30, 3], new Float32Array(90).fill(-2)), labelsFor(30, 3));
    assert.equal(b.ixtBits, 0);
    assert.equal(b.ityBits, 0);
  });
  it('is undefined with fewer than 2 inputs, and I(T;Y) is undefined with one class only', () => {
    const one = binnedInformation(layerActivations([1, 2], [1, 2]), [0]);
    assert.equal(one.ixtBits, undefined);
    assert.equal(one.ityBits, undefined);
    const single = binnedInformation(
      layerActivations(
        [10, 1],
        Float64Array.from({ length: 10 }, (_, i) => i),
      ),
      new Array(10).fill(2),
    );
    assert.equal(single.ityBits, undefined);
    assert.equal(single.ixtBits, Math.log2(10));
  });
  it('agrees with a direct implementation of the definition', () => {
    const n = 90;
    const y = labelsFor(n, 3);
    const t = y.map((c) => Array.from({ length: 3 }, () => c * 0.3 + r()));
    for (const bins of [2, 3, 5]) {
      const got = binnedInformation(layerActivations([n, 3], t.flat()), y, bins);
      const want = referenceBinnedInformation(t, y, bins);
      close(got.ixtBits, want.ixt);
      close(got.ityBits, want.ity);
      assert.equal(got.saturated, want.saturated);
    }
  });
  it('counts non-finite values and gives them a symbol value of their own', () => {
    const b = binnedInformation(layerActivations([4, 1], [0, NaN, 1, NaN]), [0, 1, 0, 1]);
    assert.equal(b.nonFiniteCount, 2);
    assert.equal(b.symbols, 3);
  });
});

describe('whole-layer estimators of a channels-first layer, read in place', () => {
  it('the binned information and the pairwise I_pair(T; Y) are those of the channels-last copy', () => {
    const random = rng(11);
    const [N, C, H, W] = [40, 2, 1, 2];
    // Few distinct values, so that inputs share symbols and the estimates are not at their ceilings.
    const data = Float32Array.from({ length: N * C * H * W }, () => Math.floor(random() * 2));
    const labels = Int32Array.from({ length: N }, (_, n) => n % 4);
    const inPlace = layerValues([N, C, H, W], data, 'channelsFirst');
    const copy = layerActivations([N, C, H, W], data, 'channelsFirst');
    const binned = binnedInformation(inPlace, labels, 2);
    assert.deepEqual(binned, binnedInformation(copy, labels, 2));
    assert.equal(binned.saturated, false);
    assert.ok(binned.symbols < N);
    assert.equal(pairwiseLabelInformation(inPlace, labels, 8), pairwiseLabelInformation(copy, labels, 8));
  });
});
