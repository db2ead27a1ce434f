import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digitValues, ImageDataset, loadMnist, mnistDigitsFolder } from '../../../src/data/mnist';

describe('loadMnist: the built-in MNIST digits', function () {
  this.timeout(60_000);

  let mnist: ImageDataset;

  before(function () {
    mnist = loadMnist();
  });

  it('holds 10,000 digits of shape [10000, 28, 28, 1] with one label each', function () {
    assert.deepEqual(mnist.shape, [10000, 28, 28, 1]);
    assert.ok(mnist.inputs instanceof Float32Array);
    assert.equal(mnist.inputs.length, 10000 * 28 * 28);
    assert.ok(mnist.labels instanceof Int32Array);
    assert.equal(mnist.labels.length, 10000);
    assert.deepEqual(mnist.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('has between 863 and 1,127 digits of every class 0–9, summing to 10,000', function () {
    const counts = new Array<number>(10).fill(0);
    for (const y of mnist.labels) {
      assert.ok(Number.isInteger(y) && y >= 0 && y <= 9, `label ${y}`);
      counts[y]++;
    }
    for (let k = 0; k < 10; k++) assert.ok(counts[k] >= 863 && counts[k] <= 1127, `class ${k} has ${counts[k]} digits`);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      10000,
    );
  });

  it('keeps the labels in file order: all 0s, then all 1s, ..., then all 9s', function () {
    for (let i = 1; i < mnist.labels.length; i++) {
      if (mnist.labels[i] < mnist.labels[i - 1]) assert.fail(`label ${i} is ${mnist.labels[i]} after ${mnist.labels[i - 1]}`);
    }
    assert.equal(mnist.labels[0], 0);
    assert.equal(mnist.labels[9999], 9);
  });

  it('has pixel values within [0, 1], not all equal', function () {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of mnist.inputs) {
      if (!(v >= 0 && v <= 1)) assert.fail(`pixel value ${v} outside [0, 1]`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    assert.equal(lo, 0);
    assert.ok(hi > 0.5, `largest pixel ${hi}`);
  });

  it('is deterministic: two loads give identical arrays', function () {
    const again = loadMnist();
    assert.deepEqual(again.shape, mnist.shape);
    assert.ok(Buffer.from(again.inputs.buffer).equals(Buffer.from(mnist.inputs.buffer)), 'inputs differ between loads');
    assert.ok(Buffer.from(again.labels.buffer).equals(Buffer.from(mnist.labels.buffer)), 'labels differ between loads');
  });

  it("reads the package's digit files without JSON.parse, to JSON.parse's values as float32, bit for bit", function () {
    for (let d = 0; d < 10; d++) {
      const bytes = readFileSync(path.join(mnistDigitsFolder(), `${d}.json`));
      const fast = digitValues(bytes);
      assert.ok(fast, `digit file ${d} took the JSON path`);
      const json = Float32Array.from((JSON.parse(bytes.toString('utf8')) as { data: number[] }).data);
      assert.ok(Buffer.from(fast.buffer, fast.byteOffset, fast.byteLength).equals(Buffer.from(json.buffer)), `digit file ${d} differs`);
    }
  });

  it('leaves any other spelling of the values to JSON.parse', function () {
    const read = (text: string) => digitValues(Buffer.from(text));
    assert.deepEqual(Array.from(read('{ "data": [0,1,0.5,0.25,0.125,0.062]}\n')!), [0, 1, 0.5, 0.25, 0.125, Math.fround(0.062)]);
    for (const text of [
      '{"data":[0.5]}',
      '{ "data": [0.1234]}',
      '{ "data": [1e-3]}',
      '{ "data": [0, 0.5]}',
      '{ "data": [0.]}',
      '{ "data": [-0.5]}',
      '{ "data": [2]}',
      '{ "data": [0.5]} [1]',
      '{ "data": [0.5',
      '{ "data": []}',
    ])
      assert.equal(read(text), undefined, text);
    // Such files still load, through JSON.parse.
    const folder = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-mnist-'));
    try {
      for (let d = 0; d < 10; d++)
        writeFileSync(path.join(folder, `${d}.json`), JSON.stringify({ data: new Array<number>(28 * 28).fill(d / 10) }, null, 1));
      const spaced = loadMnist(folder);
      assert.deepEqual(Array.from(spaced.inputs.subarray(3 * 784, 3 * 784 + 3)), [Math.fround(0.3), Math.fround(0.3), Math.fround(0.3)]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  describe('with a broken digit file', function () {
    let folder = '';

    before(function () {
      folder = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-mnist-'));
      const oneDigit = JSON.stringify({ data: new Array<number>(28 * 28).fill(0.5) });
      for (let d = 0; d < 10; d++) writeFileSync(path.join(folder, `${d}.json`), d === 3 ? '{"nope": 1}' : oneDigit);
    });

    after(function () {
      if (folder) rmSync(folder, { recursive: true, force: true });
    });

    it('throws an Error naming the broken file', function () {
      const broken = path.join(folder, '3.json');
      assert.throws(
        () => loadMnist(folder),
        (e: unknown) => e instanceof Error && e.message.includes(broken),
      );
    });

    it('loads the same folder once the file is fixed (one digit per file)', function () {
      writeFileSync(path.join(folder, '3.json'), JSON.stringify({ data: new Array<number>(28 * 28).fill(0) }));
      const small = loadMnist(folder);
      assert.deepEqual(small.shape, [10, 28, 28, 1]);
      assert.deepEqual(Array.from(small.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  });
});
