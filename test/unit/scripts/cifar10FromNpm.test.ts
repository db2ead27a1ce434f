// scripts/cifar10-from-npm.mjs: a sprite row (one image, RGBA pixels in row-major order) becomes the
// official record: the label byte, then the red, green and blue planes.
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
// @ts-expect-error: a JavaScript build script with JSDoc types, imported for its pure function
import { spriteToRecords } from '../../../scripts/cifar10-from-npm.mjs';

describe('scripts/cifar10-from-npm.mjs', function () {
  it('writes each sprite row as a label byte and the R, G and B planes of its 1,024 pixels', function () {
    const png = new PNG({ width: 1024, height: 2 });
    for (let i = 0; i < 2; i++)
      for (let p = 0; p < 1024; p++) {
        const o = (i * 1024 + p) * 4;
        png.data[o] = (p + i) % 256;
        png.data[o + 1] = (3 * p + 7) % 256;
        png.data[o + 2] = (255 - p - i) & 255;
        png.data[o + 3] = 255;
      }
    const out = (spriteToRecords as (b: Buffer, l: number[]) => Buffer)(PNG.sync.write(png), [6, 9]);
    assert.equal(out.length, 2 * 3073);
    assert.deepEqual([out[0], out[3073]], [6, 9]);
    for (const [i, p] of [
      [0, 0],
      [0, 1023],
      [1, 513],
    ]) {
      const r = i * 3073 + 1;
      assert.deepEqual([out[r + p], out[r + 1024 + p], out[r + 2048 + p]], [(p + i) % 256, (3 * p + 7) % 256, (255 - p - i) & 255]);
    }
  });

  it('refuses a sprite that is not 1,024 pixels wide with one row an image', function () {
    const png = new PNG({ width: 32, height: 32 });
    assert.throws(
      () => (spriteToRecords as (b: Buffer, l: number[]) => Buffer)(PNG.sync.write(png), [0]),
      /1024 × 1 pixels; this one is 32 × 32/,
    );
  });
});
