import assert from 'node:assert/strict';
import { channelProfiles, clusterChannels, defaultClusterCount, layerActivations, layerValues, seededRandom } from '../../../src/analysis';
import { correlationDistanceMatrix } from '../../../src/analysis/channelClusters';

/** Profiles `[channels, count]` from a seeded generator. */
function randomProfiles(channels: number, count: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: channels * count }, () => random());
}

/** A direct UPGMA: every step scans every pair of clusters and averages the item distances anew. */
function referenceAverageLinkage(profiles: Float64Array, channels: number, count: number, k: number): number[][] {
  const correlation = (a: number, b: number) => {
    const x = profiles.subarray(a * count, a * count + count);
    const y = profiles.subarray(b * count, b * count + count);
    const mx = x.reduce((s, v) => s + v, 0) / count;
    const my = y.reduce((s, v) => s + v, 0) / count;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let n = 0; n < count; n++) {
      sxy += (x[n] - mx) * (y[n] - my);
      sxx += (x[n] - mx) ** 2;
      syy += (y[n] - my) ** 2;
    }
    return sxy / Math.sqrt(sxx * syy);
  };
  let clusters = Array.from({ length: channels }, (_, c) => [c]);
  while (clusters.length > k) {
    let best = [0, 1];
    let bestDistance = Infinity;
    for (let i = 0; i < clusters.length; i++)
      for (let j = i + 1; j < clusters.length; j++) {
        let sum = 0;
        for (const a of clusters[i]) for (const b of clusters[j]) sum += 1 - correlation(a, b);
        const d = sum / (clusters[i].length * clusters[j].length);
        if (d < bestDistance) {
          bestDistance = d;
          best = [i, j];
        }
      }
    const merged = [...clusters[best[0]], ...clusters[best[1]]].sort((a, b) => a - b);
    clusters = clusters.filter((_, i) => i !== best[0] && i !== best[1]).concat([merged]);
  }
  return clusters.sort((a, b) => a[0] - b[0]);
}

/** Checks that `clusters` is a partition of 0..channels-1 in the documented order and agrees with `assignment`. */
function assertPartition(r: ReturnType<typeof clusterChannels>, channels: number, k: number): void {
  assert.equal(r.clusters.length, k);
  const seen = r.clusters.flat().sort((a, b) => a - b);
  assert.deepEqual(
    seen,
    Array.from({ length: channels }, (_, c) => c),
    'every channel exactly once',
  );
  r.clusters.forEach((members, id) => {
    assert.ok(members.length > 0, `cluster ${id} is empty`);
    assert.deepEqual(
      members,
      [...members].sort((a, b) => a - b),
      `cluster ${id} is ascending`,
    );
    for (const c of members) assert.equal(r.assignment[c], id, `channel ${c}'s assignment`);
    if (id > 0) assert.ok(members[0] > r.clusters[id - 1][0], 'clusters ordered by their smallest member');
  });
}

describe('channel clusters: channels grouped by their mean activation per probe input', () => {
  it('defaults to about √channels clusters, at least one', () => {
    assert.deepEqual([1, 2, 3, 16, 32, 64, 512].map(defaultClusterCount), [1, 1, 2, 4, 6, 8, 23]);
  });

  it("takes each channel's profile as its mean activation per input over the feature map", () => {
    // Two inputs, 2×1 maps, three channels: element (n, p, c) at ((n·units)+p)·channels+c.
    const layer = layerActivations([2, 2, 1, 3], Float32Array.from([1, 10, 0, 3, 20, 0, 5, -4, 0, 7, 4, 0]));
    assert.deepEqual(Array.from(channelProfiles(layer)), [2, 6, 15, 0, 0, 0]);
  });

  it('gives each channel the mean of its values summed in order, bit for bit, whatever the channel count and array type', () => {
    const random = seededRandom(9);
    for (const channels of [1, 3, 4, 7, 13]) {
      const [count, units] = [5, 6];
      const values = Float32Array.from({ length: count * units * channels }, () => Math.max(0, random() - 0.3) * 1e3 ** random());
      const expected = new Float64Array(channels * count);
      for (let n = 0; n < count; n++)
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let p = 0; p < units; p++) sum += values[(n * units + p) * channels + c];
          expected[c * count + n] = sum / units;
        }
      for (const data of [values, Float64Array.from(values)])
        for (const kernel of ['js', 'wasm-simd'] as const) {
          const got = channelProfiles(layerActivations([count, 2, 3, channels], data), kernel);
          assert.ok(
            got.every((v, i) => Object.is(v, expected[i])),
            `${channels} channels, ${data.constructor.name}, ${kernel}`,
          );
        }
      // The same layer channels first (a PyTorch layer, not copied): the same bits.
      const first = Float32Array.from({ length: values.length }, (_, i) => {
        const [n, c, p] = [Math.floor(i / (channels * units)), Math.floor(i / units) % channels, i % units];
        return values[(n * units + p) * channels + c];
      });
      const got = channelProfiles(layerValues([count, channels, 2, 3], first, 'channelsFirst'));
      assert.ok(
        got.every((v, i) => Object.is(v, expected[i])),
        `${channels} channels, channels first`,
      );
    }
  });

  it("gives the WebAssembly kernel the JavaScript loop's bits on special values and across its blocks of inputs", () => {
    const random = seededRandom(12);
    const special = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1.17549435e-38];
    // 9 inputs of 32×32 maps × 130 channels: more than the kernel's 4 MiB block, and channels that are not a multiple of 4.
    for (const [count, h, w, channels] of [
      [9, 32, 32, 130],
      [3, 1, 1, 1],
      [4, 3, 5, 6],
    ]) {
      const units = h * w;
      const values = Float32Array.from({ length: count * units * channels }, () =>
        random() < 0.5 / units ? special[Math.floor(random() * special.length)] : (random() - 0.4) * 1e3 ** random(),
      );
      const js = channelProfiles(layerActivations([count, h, w, channels], values), 'js');
      const wasm = channelProfiles(layerActivations([count, h, w, channels], values), 'wasm-simd');
      let differ = 0;
      for (let i = 0; i < js.length; i++) if (!Object.is(js[i], wasm[i]) && !(Number.isNaN(js[i]) && Number.isNaN(wasm[i]))) differ++;
      assert.equal(differ, 0, `${count} × ${units} × ${channels}`);
      if (count * units * channels > 1e5)
        assert.ok(js.some(Number.isNaN) && js.some((v) => v === Infinity), 'NaN and ∞ reached some profiles');
    }
  });

  it('is a partition into exactly K clusters for every K from 1 to the channel count', () => {
    const channels = 13;
    const profiles = randomProfiles(channels, 20, 5);
    for (let k = 1; k <= channels; k++) assertPartition(clusterChannels(profiles, channels, 20, k), channels, k);
    assertPartition(clusterChannels(profiles, channels, 20, 40), channels, channels);
  });

  it('gives the same clusters for the same seeded activations, and matches a direct average-linkage implementation', () => {
    for (const seed of [1, 2, 3]) {
      const profiles = randomProfiles(24, 30, seed);
      const first = clusterChannels(profiles, 24, 30, 5);
      const second = clusterChannels(Float64Array.from(profiles), 24, 30, 5);
      assert.deepEqual(second.clusters, first.clusters);
      assert.deepEqual(first.clusters, referenceAverageLinkage(profiles, 24, 30, 5), `seed ${seed}`);
    }
  });

  it('separates channels built to fall into known groups, whatever their scale and offset', () => {
    const count = 40;
    const random = seededRandom(11);
    const patterns = Array.from({ length: 3 }, () => Array.from({ length: count }, () => random()));
    // Channels 0..14 take group c % 3 (interleaved, so the groups are not runs of indices), each
    // with its own scale, offset and a little noise: correlation ignores scale and offset.
    const channels = 15;
    const profiles = new Float64Array(channels * count);
    for (let c = 0; c < channels; c++) {
      const scale = 0.5 + 3 * random();
      const offset = 10 * random() - 5;
      for (let n = 0; n < count; n++) profiles[c * count + n] = offset + scale * (patterns[c % 3][n] + 0.05 * random());
    }
    const r = clusterChannels(profiles, channels, count, 3);
    assert.deepEqual(r.clusters, [
      [0, 3, 6, 9, 12],
      [1, 4, 7, 10, 13],
      [2, 5, 8, 11, 14],
    ]);
  });

  it('puts constant channels (dead, or with a non-finite value) together and never computes a NaN', () => {
    const count = 10;
    const channels = 7;
    const random = seededRandom(3);
    const pattern = Array.from({ length: count }, () => random());
    const profiles = new Float64Array(channels * count);
    for (let c = 0; c < channels; c++)
      for (let n = 0; n < count; n++) profiles[c * count + n] = c % 2 === 0 ? pattern[n] * (c + 1) + 0.01 * random() : 0;
    profiles[3 * count + 4] = NaN; // channel 3: a non-finite activation
    profiles[5 * count] = 2.5; // channel 5: constant but not zero
    for (let n = 0; n < count; n++) profiles[5 * count + n] = 2.5;
    const r = clusterChannels(profiles, channels, count, 2);
    assert.deepEqual(r.constantChannels, [1, 3, 5]);
    assert.deepEqual(r.clusters, [
      [0, 2, 4, 6],
      [1, 3, 5],
    ]);
    assert.deepEqual(clusterChannels(new Float64Array(4 * count), 4, count, 3).clusters, [[0, 1, 2, 3]], 'all constant: one cluster');
  });

  it("gives the correlation distances of the JavaScript loop bit for bit in WebAssembly, at every channel count round the kernel's blocks of 16", () => {
    for (const channels of [1, 2, 3, 15, 16, 17, 31, 33, 64, 70])
      for (const count of [1, 2, 7, 200]) {
        const profiles = randomProfiles(channels, count, channels * 1000 + count);
        // A constant channel, one with a NaN, and two equal ones (distance 0 up to rounding).
        if (channels > 3) {
          profiles.fill(0.25, 0, count);
          profiles[count + 1] = NaN;
          profiles.copyWithin(3 * count, 2 * count, 3 * count);
        }
        const js = correlationDistanceMatrix(profiles, channels, count, 'js');
        const wasm = correlationDistanceMatrix(profiles, channels, count, 'wasm-simd');
        assert.deepEqual(wasm.constant, js.constant);
        for (let i = 0; i < channels * channels; i++)
          assert.ok(
            Object.is(wasm.distance[i], js.distance[i]),
            `${channels} channels × ${count} inputs, cell ${i}: ${wasm.distance[i]} against ${js.distance[i]}`,
          );
        assert.deepEqual(
          clusterChannels(profiles, channels, count, Math.min(4, channels), 'wasm-simd'),
          clusterChannels(profiles, channels, count, Math.min(4, channels), 'js'),
        );
      }
  });

  it('refuses a K that is not a positive integer and profiles of the wrong length', () => {
    assert.throws(() => clusterChannels(new Float64Array(6), 2, 3, 0), RangeError);
    assert.throws(() => clusterChannels(new Float64Array(5), 2, 3, 1), RangeError);
  });
});
