#!/usr/bin/env node
// @ts-check
// `npm run test:python`: the tests of the PyTorch recorder (python/cnn_slicer, docs/testing.md) with
// `python -m unittest discover -s python/tests -t python`, run by the first Python that imports
// torch (scripts/torchPython.mjs). Without one it fails in one line: the tests are never skipped.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noTorchLine, torchPython } from './torchPython.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const python = torchPython();
if (!python) {
  console.error(noTorchLine('test:python'));
  process.exit(1);
}
// The recorder starts CNN Slicer's measurer beside the training (python/cnn_slicer/measurer.py): off
// in the tests, but in the one that tests it, which names the CLI it starts itself.
const env = { ...process.env, CNN_SLICER_MEASURE: '0' };
const r = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'python/tests', '-t', 'python'], { cwd: ROOT, stdio: 'inherit', env });
process.exit(r.status ?? 1);
