// The workspace's runs folders (src/extension/runs/runsFolderPaths.ts): a terminal's CNN_SLICER_RUNS
// as a folder, the runs folder of a discovered manifest, and the order without repeats.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import {
  composeRunsFolders,
  resolveRunsEnv,
  runsFolderOfManifest,
  terminalEnvKey,
  uniqueFolders,
} from '../../../../src/extension/runs/runsFolderPaths';

describe('runsFolders: where the workspace has runs', () => {
  it('reads terminal.integrated.env of the platform', () => {
    assert.equal(terminalEnvKey('linux'), 'linux');
    assert.equal(terminalEnvKey('darwin'), 'osx');
    assert.equal(terminalEnvKey('win32'), 'windows');
    assert.equal(terminalEnvKey('freebsd'), 'linux');
  });

  it('resolves a CNN_SLICER_RUNS value: absolute as is, relative to the workspace folder, VS Code variables substituted', () => {
    assert.equal(resolveRunsEnv('/data/runs', '/ws'), resolve('/data/runs'));
    assert.equal(resolveRunsEnv('/data/runs/', '/ws'), resolve('/data/runs'));
    assert.equal(resolveRunsEnv('out/runs', '/ws'), resolve('/ws/out/runs'));
    assert.equal(resolveRunsEnv('./runs', '/ws'), resolve('/ws/runs'));
    assert.equal(resolveRunsEnv('${workspaceFolder}/runs', '/ws'), resolve('/ws/runs'));
    assert.equal(resolveRunsEnv('${env:HOME}/runs', '/ws', { HOME: '/home/me' }), resolve('/home/me/runs'));
  });

  it('names no folder for an unset, empty, null or unresolvable value', () => {
    assert.equal(resolveRunsEnv(undefined, '/ws'), undefined);
    assert.equal(resolveRunsEnv(null, '/ws'), undefined, 'terminal.integrated.env unsets a variable with null');
    assert.equal(resolveRunsEnv('', '/ws'), undefined);
    assert.equal(resolveRunsEnv('   ', '/ws'), undefined);
    assert.equal(resolveRunsEnv(42, '/ws'), undefined);
    assert.equal(resolveRunsEnv('runs', undefined), undefined, 'relative with no workspace folder');
    assert.equal(resolveRunsEnv('${workspaceFolder}/runs', undefined), undefined);
    assert.equal(resolveRunsEnv('${config:x}/runs', '/ws'), undefined, 'a variable not substituted');
  });

  it('finds the runs folder of a discovered manifest', () => {
    assert.equal(
      runsFolderOfManifest('/ws/examples/pytorch/.cnnslicer/runs/20261126-1-lenet/manifest.json'),
      resolve('/ws/examples/pytorch/.cnnslicer/runs'),
    );
  });

  it('keeps each folder once, however written, in the order first seen', () => {
    assert.deepEqual(uniqueFolders(['/b', '/a', '/b/', '/a/../b', '/c']), [resolve('/b'), resolve('/a'), resolve('/c')]);
  });

  it('orders the folders: configured, terminals, the window, discovered (sorted)', () => {
    const folders = composeRunsFolders({
      folders: [
        { configured: '/ws1/.cnnslicer/runs', terminal: '/data/runs' },
        { configured: '/ws2/out', terminal: undefined },
      ],
      processEnv: '/env/runs',
      discovered: new Set(['/ws1/z/.cnnslicer/runs', '/ws1/.cnnslicer/runs', '/ws1/a/.cnnslicer/runs', '/data/runs']),
    });
    assert.deepEqual(
      folders,
      ['/ws1/.cnnslicer/runs', '/ws2/out', '/data/runs', '/env/runs', '/ws1/a/.cnnslicer/runs', '/ws1/z/.cnnslicer/runs'].map((f) =>
        resolve(f),
      ),
    );
    assert.deepEqual(composeRunsFolders({ folders: [], discovered: [] }), []);
  });
});
