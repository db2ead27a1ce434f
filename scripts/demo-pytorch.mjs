#!/usr/bin/env node
// @ts-check
// `npm run demo:pytorch`: the PyTorch demo (docs/pytorch.md). examples/pytorch/train_lenet.py trains
// a LeNet on the built-in MNIST digits with the recorder in its loop; then `cnn-slicer report`
// measures its epochs with CNN Slicer's engine and writes the report. Where no Python has torch it
// says how to get it, in one line, and fails.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noTorchLine, torchPython } from './torchPython.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const python = torchPython();
if (!python) {
  console.error(noTorchLine('demo:pytorch'));
  process.exit(1);
}
// The report below measures the epochs; no second measurer beside the training.
const train = spawnSync(python, ['examples/pytorch/train_lenet.py'], {
  cwd: ROOT,
  env: { ...process.env, CNN_SLICER_MEASURE: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
process.stdout.write(train.stdout ?? '');
if (train.status !== 0) process.exit(train.status ?? 1);
const run = (train.stdout ?? '').split('\n')[0].trim();
const out = resolve(ROOT, 'pytorch-report.html');
const report = spawnSync(process.execPath, ['dist/cli.js', 'report', run, '--out', out], { cwd: ROOT, stdio: 'inherit' });
if (report.status !== 0) process.exit(report.status ?? 1);
console.log(`\nOpen ${out} in a browser. The run: ${run}\nMore: node dist/cli.js findings ${run}`);
