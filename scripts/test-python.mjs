#!/usr/bin/env node
// @ts-check
// `npm run test:python`: the tests of the PyTorch recorder (python/cnn_slicer, docs/testing.md) with
// `python -m unittest discover -s python/tests -t python`, run by the first Python that imports
// torch (scripts/torchPython.mjs). Without one it fails in one line: the tests are never skipped.
//
// `npm run test:python -- --torch2`: the same tests on Debian trixie's torch 2.6, in the chroot of
// scripts/torch2-env.mjs (built on first use). Root only: the chroot sees the repository (bind-mounted
// at its own path, so the tests' paths and dist/cli.js are where they are on the host) and the Node
// running this script (bind-mounted as /usr/local/bin/node: the engine tests run `node dist/cli.js`,
// and trixie's own nodejs would be another Node than the one the build was made for), in a private
// mount namespace, so the mounts end with the run however it ends. `--torch2 --suite forky` runs them on
// Debian testing's torch instead (2.14 in November 2026, whose export defaults to the dynamo
// exporter), in a chroot of its own; CI runs trixie's.
//
// Further arguments name tests instead of the discovery, as unittest takes them from python/
// (`npm run test:python -- --torch2 tests.test_recorder`). The whole suite on the host Python starts
// with `python -m mypy` (python/pyproject.toml): the package's type hints checked, every function typed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CHROOT_ENV, chrootCommand, chrootVersions, ensureTorch2, hasProgram, isRoot } from './torch2-env.mjs';
import { noTorchLine, torchPython } from './torchPython.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values, positionals } = parseArgs({
  options: { torch2: { type: 'boolean', default: false }, suite: { type: 'string' } },
  allowPositionals: true,
  strict: true,
});
const unittest =
  positionals.length > 0 ? ['-m', 'unittest', ...positionals] : ['-m', 'unittest', 'discover', '-s', 'python/tests', '-t', 'python'];
const cwd = positionals.length > 0 ? resolve(ROOT, 'python') : ROOT;

// The recorder starts CNN Slicer's measurer beside the training (python/cnn_slicer/measurer.py): off
// in the tests, but in the one that tests it, which names the CLI it starts itself.
const testEnv = { CNN_SLICER_MEASURE: '0' };

if (values.suite !== undefined && !values.torch2) {
  console.error('test:python: --suite names the chroot of --torch2; add --torch2');
  process.exit(1);
}

if (values.torch2) {
  const what = `test:python --torch2${values.suite ? ` --suite ${values.suite}` : ''}`;
  const cannot =
    process.platform !== 'linux'
      ? `needs Linux (a Debian chroot), not ${process.platform}`
      : !isRoot()
        ? 'needs root (it builds a Debian chroot with debootstrap and mounts the repository and node inside it): run it as root'
        : !hasProgram('unshare') || !hasProgram('chroot')
          ? 'needs unshare and chroot (util-linux, coreutils)'
          : undefined;
  if (cannot) {
    console.error(`${what}: ${cannot}`);
    process.exit(1);
  }
  let dir;
  try {
    dir = await ensureTorch2(values.suite ? { suite: values.suite } : {});
  } catch (error) {
    console.error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  console.error(`${what}: ${chrootVersions(dir)} in ${dir}`);
  const [cmd, args] = chrootCommand({
    dir,
    binds: [
      { from: ROOT, to: ROOT },
      { from: process.execPath, to: '/usr/local/bin/node', file: true },
      // The host's names (torch.distributed's Gloo resolves the host name, which the chroot's own file lacks).
      ...(existsSync('/etc/hosts') ? [{ from: '/etc/hosts', to: '/etc/hosts', file: true }] : []),
    ],
    env: { ...CHROOT_ENV, ...testEnv, PYTHONDONTWRITEBYTECODE: '1' },
    cwd,
    command: ['python3', ...unittest],
    what,
  });
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) console.error(`${what}: cannot start ${cmd}: ${r.error.message}`);
  process.exit(r.status ?? 1);
}

const python = torchPython();
if (!python) {
  console.error(noTorchLine('test:python'));
  process.exit(1);
}
// First, the package's types (python/pyproject.toml [tool.mypy]: every function typed), before the
// whole suite only; without mypy, one line says it was not run (.ci/run installs Debian's mypy).
if (positionals.length === 0) {
  if (spawnSync(python, ['-c', 'import mypy.api'], { stdio: 'ignore' }).status !== 0) {
    console.error(
      `test:python: mypy is not installed for ${python} (apt-get install mypy): the type check of python/cnn_slicer is skipped`,
    );
  } else {
    const typed = spawnSync(python, ['-m', 'mypy'], { cwd: resolve(ROOT, 'python'), stdio: 'inherit' });
    if (typed.status !== 0) {
      console.error('test:python: mypy found type errors in python/cnn_slicer (above)');
      process.exit(typed.status ?? 1);
    }
  }
}
const r = spawnSync(python, unittest, { cwd, stdio: 'inherit', env: { ...process.env, ...testEnv } });
process.exit(r.status ?? 1);
