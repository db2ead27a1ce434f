import assert from 'node:assert/strict';
import { borderBackground, borderContent, keptContent, proposeControl, widestBorder } from '../../../src/analysis/borderContent';

/** `count` blank H × W images of one channel (value `background`), with `ink(n)` listing [row, column, value] to set in image n. */
function images(
  count: number,
  height: number,
  width: number,
  background: number,
  ink: (n: number) => [number, number, number][],
): Float32Array {
  const data = new Float32Array(count * height * width).fill(background);
  for (let n = 0; n < count; n++) for (const [r, c, value] of ink(n)) data[n * height * width + r * width + c] = value;
  return data;
}

describe('borderContent: the content in the border of images, per width', () => {
  it('finds the background as the most common value of the outermost ring (here 1, not the 0 of the centre)', () => {
    const data = images(3, 6, 6, 1, () => [
      [2, 2, 0],
      [2, 3, 0],
      [3, 2, 0],
      [3, 3, 0],
      [0, 0, 0.5],
    ]);
    assert.deepEqual(Array.from(borderBackground(data, 6, 6, 1)), [1]);
  });

  it('counts, per width, the share of images whose border differs from the background, and the share of the content it holds', () => {
    // 10 images of 10 × 10 on a background of 0 (widths 1 to 4): image 0 has ink on ring 0, images 1
    // and 2 on ring 1, image 3 on ring 3; every image has 1 of ink at the centre (ring 4).
    const ink = (n: number): [number, number, number][] => {
      const centre: [number, number, number] = [5, 5, 1];
      if (n === 0) return [centre, [0, 4, 1]];
      if (n === 1 || n === 2) return [centre, [1, 5, 2]];
      if (n === 3) return [centre, [3, 3, 1]];
      return [centre];
    };
    const c = borderContent(images(10, 10, 10, 0, ink), 10, 10, 1);
    assert.equal(c.inputs, 10);
    assert.deepEqual(c.background, [0]);
    assert.equal(widestBorder(10, 10), 4);
    // Content: 10 at the centres, 1 on ring 0, 4 on ring 1, 1 on ring 3: 16 in all.
    assert.deepEqual(c.widths, [
      { width: 1, inputShare: 0.1, contentShare: 1 / 16 },
      { width: 2, inputShare: 0.3, contentShare: 5 / 16 },
      { width: 3, inputShare: 0.3, contentShare: 5 / 16 },
      { width: 4, inputShare: 0.4, contentShare: 6 / 16 },
    ]);
  });

  it('treats a pixel of several channels as differing when any channel differs from its background', () => {
    const data = new Float32Array(2 * 4 * 4 * 3);
    for (let i = 0; i < data.length; i += 3) data[i + 2] = 0.5; // background [0, 0, 0.5]
    data[4 * 4 * 3 + 1] = 0.25; // image 1, pixel (0, 0), channel 1
    const c = borderContent(data, 4, 4, 3);
    assert.deepEqual(c.background, [0, 0, 0.5]);
    assert.deepEqual(c.widths, [{ width: 1, inputShare: 0.5, contentShare: 1 }]);
  });

  it('says the share of images and of content that a kept-pixel mask keeps', () => {
    const data = images(4, 4, 4, 0, (n) =>
      n === 0
        ? [
            [0, 0, 3],
            [1, 1, 1],
          ]
        : n === 1
          ? [[2, 2, 4]]
          : [],
    );
    const kept = new Uint8Array(16);
    kept[0] = 1; // only pixel (0, 0)
    assert.deepEqual(keptContent(data, 4, 4, 1, kept), { inputShare: 0.25, contentShare: 3 / 8 });
    assert.deepEqual(keptContent(new Float32Array(32), 4, 4, 1, kept), { inputShare: 0, contentShare: undefined });
  });
});

describe('proposeControl: the default control', () => {
  const widths = (shares: number[]) => ({
    inputs: 200,
    background: [0],
    widths: shares.map((inputShare, i) => ({ width: i + 1, inputShare, contentShare: inputShare / 10 })),
  });
  it('proposes the widest border that differs from the background in under 1% of the inputs', () => {
    assert.deepEqual(proposeControl(widths([0, 0.005, 0.0099, 0.01, 0.3])), {
      spec: 'border:3',
      kind: 'border',
      width: 3,
      inputShare: 0.0099,
      contentShare: 0.00099,
      inputs: 200,
    });
  });
  it('proposes shuffle-pixels when even the 1-pixel border differs in 1% of the inputs or more (MNIST: 1.5%)', () => {
    assert.deepEqual(proposeControl(widths([0.015, 0.145, 0.355])), {
      spec: 'shuffle-pixels',
      kind: 'shuffle-pixels',
      inputShare: 0.015,
      inputs: 200,
    });
    assert.deepEqual(proposeControl({ inputs: 5, background: [0], widths: [] }), {
      spec: 'shuffle-pixels',
      kind: 'shuffle-pixels',
      inputShare: undefined,
      inputs: 5,
    });
  });
  it('proposes from real images: a frame-free border is proposed, a framed one is not', () => {
    // 100 images of 12 × 12 with ink on rings 3 and deeper only: the borders of widths 1 to 3 (rings 0-2) are blank.
    const clean = images(100, 12, 12, 0, (n) => [[3 + (n % 6), 3 + ((n * 7) % 6), 1]]);
    assert.equal(proposeControl(borderContent(clean, 12, 12, 1)).spec, 'border:3');
    // The same with ink on the outermost ring of 2 images of 100: 2% → no border qualifies.
    const framed = images(100, 12, 12, 0, (n) => [
      [3 + (n % 6), 3 + ((n * 7) % 6), 1],
      ...(n < 2 ? [[0, 5, 1] as [number, number, number]] : []),
    ]);
    assert.equal(proposeControl(borderContent(framed, 12, 12, 1)).spec, 'shuffle-pixels');
  });
});
