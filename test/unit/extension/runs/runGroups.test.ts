// The Recorded Runs view's groups: one group per model file, the model
// recorded last first, each group's runs in the listing's order (newest first).
import assert from 'node:assert/strict';
import { groupRunsByModel } from '../../../../src/extension/runs/runGroups';
import type { RunRecord } from '../../../../src/run/store';
import { fixtureManifest } from '../../../support/runFixture';

function run(id: string, modelFile: string, createdAt: string): RunRecord {
  const manifest = {
    ...fixtureManifest(id, []),
    createdAt,
    model: { file: modelFile, fingerprint: 'f', name: 'm', sourceFiles: [modelFile] },
  };
  return { folder: `/ws/.cnnslicer/runs/${id}`, manifest, metrics: [], notes: [] };
}

describe('runGroups: runs grouped by model file', () => {
  it('makes one group per model file, the model recorded last first, runs kept newest first', () => {
    const runs = [
      run('c3', '/ws/c.ts', '2026-11-05T00:00:00.000Z'),
      run('a2', '/ws/a.ts', '2026-11-04T00:00:00.000Z'),
      run('b1', '/ws/sub/b.ts', '2026-11-03T00:00:00.000Z'),
      run('a1', '/ws/a.ts', '2026-11-02T00:00:00.000Z'),
      run('c1', '/ws/c.ts', '2026-11-01T00:00:00.000Z'),
    ];
    const groups = groupRunsByModel(runs);
    assert.deepEqual(
      groups.map((g) => [g.modelFile, g.runs.map((r) => r.manifest.id)]),
      [
        ['/ws/c.ts', ['c3', 'c1']],
        ['/ws/a.ts', ['a2', 'a1']],
        ['/ws/sub/b.ts', ['b1']],
      ],
    );
  });

  it('puts runs of one file written as different paths in one group', () => {
    const groups = groupRunsByModel([
      run('x', '/ws/./m.ts', '2026-11-02T00:00:00.000Z'),
      run('y', '/ws/sub/../m.ts', '2026-11-01T00:00:00.000Z'),
    ]);
    assert.deepEqual(
      groups.map((g) => [g.modelFile, g.runs.length]),
      [['/ws/m.ts', 2]],
    );
  });

  it('makes no group without runs', () => {
    assert.deepEqual(groupRunsByModel([]), []);
  });
});
