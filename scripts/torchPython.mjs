// @ts-check
// The Python that has PyTorch, for `npm run test:python` and `npm run demo:pytorch`: CNN_SLICER_PYTHON
// where set, else /usr/bin/python3 (Debian's python3-torch), else python3 on the PATH.
import { spawnSync } from 'node:child_process';

/** The candidates, in the order they are tried. */
export function pythonCandidates() {
  const named = process.env.CNN_SLICER_PYTHON;
  return named ? [named] : ['/usr/bin/python3', 'python3'];
}

/** The first candidate that runs and imports torch and numpy, or undefined. */
export function torchPython() {
  return pythonCandidates().find(
    (python) => spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 120000 }).status === 0,
  );
}

/** What to do where no Python has torch, in one line. */
export function noTorchLine(/** @type {string} */ what) {
  return `${what}: no Python with torch (tried ${pythonCandidates().join(', ')}); install PyTorch (Debian: apt-get install python3-torch; elsewhere: pip install torch numpy, https://pytorch.org) or set CNN_SLICER_PYTHON`;
}
