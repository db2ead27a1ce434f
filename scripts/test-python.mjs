#!/usr/bin/env node
// @ts-check
// `npm run test:python`: the tests of the PyTorch recorder (python/cnn_slicer, docs/testing.md) with
// `python -m unittest discover -s python/tests -t python`, run by the first Python that imports
// torch: CNN_SLICER_PYTHON, else /usr/bin/python3 (Debian's python3-torch), else python3 on PATH.
// Without one it fails in one line: the tests are never skipped.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The candidates, in the order they are tried. */
function candidates() {
  const named = process.env.CNN_SLICER_PYTHON;
  return named ? [named] : ['/usr/bin/python3', 'python3'];
}

/** Whether `python` runs and imports torch and numpy. */
function hasTorch(/** @type {string} */ python) {
  const r = spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 120000 });
  return r.status === 0;
}

const python = candidates().find(hasTorch);
if (!python) {
  console.error(
    `test:python: no Python with torch (tried ${candidates().join(', ')}); install python3-torch (Debian) or set CNN_SLICER_PYTHON`,
  );
  process.exit(1);
}
// The recorder starts CNN Slicer's measurer beside the training (python/cnn_slicer/measurer.py): off
// in the tests, but in the one that tests it, which names the CLI it starts itself.
const env = { ...process.env, CNN_SLICER_MEASURE: '0' };
const r = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'python/tests', '-t', 'python'], { cwd: ROOT, stdio: 'inherit', env });
process.exit(r.status ?? 1);
