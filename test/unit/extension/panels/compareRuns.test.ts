// The pure part of comparing runs in VS Code (src/extension/compareRuns.ts): which run "Compare with
// Previous Run" picks, which runs a tree multi-selection names, how many runs a comparison takes,
// one panel per set of runs, and the run ids a restored comparison panel is trusted with.
import assert from 'node:assert/strict';
import type { RunManifest } from '../../../../src/contract/runFormat';
import {
  compareCountProblem,
  compareKey,
  compareOrder,
  comparedRunIdsOfState,
  comparePanelTitle,
  isRunOfModel,
  previousRunOf,
  selectedRunFolders,
} from '../../../../src/extension/panels/compareRuns';
import { MAX_COMPARED_RUNS } from '../../../../src/contract/webviewProtocol';

const l10n = {
  t: (message: string, ...args: (string | number | boolean)[]) => message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)])),
};

interface Run {
  folder: string;
  manifest: RunManifest;
}

function run(id: string, createdAt: string, model = '/ws/model.ts', epochs = [0, 1]): Run {
  return {
    folder: `/ws/.cnnslicer/runs/${id}`,
    manifest: {
      id,
      createdAt,
      epochs,
      model: { file: model, name: 'model.ts', sourceFiles: [model, '/ws/layers.ts'] },
    } as unknown as RunManifest,
  };
}

describe('extension/compareRuns', () => {
  describe('previousRunOf', () => {
    const first = run('r1', '2026-11-22T10:00:00Z');
    const second = run('r2', '2026-11-22T11:00:00Z');
    const third = run('r3', '2026-11-22T12:00:00Z');
    const otherModel = run('o1', '2026-11-22T11:30:00Z', '/ws/other.ts');
    const all = [third, otherModel, second, first];

    it('picks the newest run of the same model file created before the run', () => {
      assert.equal(previousRunOf(third, all), second);
      assert.equal(previousRunOf(second, all), first);
    });

    it('finds none for the first run of a model, and never a run of another model', () => {
      assert.equal(previousRunOf(first, all), undefined);
      assert.equal(previousRunOf(otherModel, all), undefined);
    });

    it('skips an earlier run with no recorded epoch (it failed before its first one)', () => {
      const failed = run('r2b', '2026-11-22T11:45:00Z', '/ws/model.ts', []);
      assert.equal(previousRunOf(third, [...all, failed]), second);
    });

    it('orders runs created in the same second by id, as the tree numbers them', () => {
      const a = run('20261122-100000-aaaa', '2026-11-22T10:00:00Z');
      const b = run('20261122-100000-bbbb', '2026-11-22T10:00:00Z');
      assert.equal(previousRunOf(b, [a, b]), a);
      assert.equal(previousRunOf(a, [a, b]), undefined);
    });
  });

  it('orders a comparison oldest first, so run A is the earlier run', () => {
    const older = run('r1', '2026-11-22T10:00:00Z');
    const newer = run('r2', '2026-11-22T11:00:00Z');
    assert.deepEqual(
      compareOrder([newer, older]).map((r) => r.manifest.id),
      ['r1', 'r2'],
    );
  });

  it('keys a set of runs whatever the order they were picked in', () => {
    assert.equal(compareKey(['/runs/b', '/runs/a']), compareKey(['/runs/a', '/runs/b/', '/runs/a']));
    assert.notEqual(compareKey(['/runs/a', '/runs/b']), compareKey(['/runs/a', '/runs/c']));
  });

  describe('selectedRunFolders', () => {
    const a = { kind: 'run', runFolder: '/runs/a' };
    const b = { kind: 'run', runFolder: '/runs/b' };
    it('takes the whole tree selection over the clicked node', () => {
      assert.deepEqual(selectedRunFolders(a, [a, b]), ['/runs/a', '/runs/b']);
    });
    it('takes a lone argument, an array of runs, or nothing (then the user is asked)', () => {
      assert.deepEqual(selectedRunFolders(a, undefined), ['/runs/a']);
      assert.deepEqual(selectedRunFolders([{ runFolder: '/runs/a' }, '/runs/b'], undefined), ['/runs/a', '/runs/b']);
      assert.deepEqual(selectedRunFolders(undefined, undefined), []);
    });
    it('ignores layer and detail nodes and a run selected twice', () => {
      const layerNode = { kind: 'layer', runFolder: '/runs/c', layer: { index: 1 } };
      assert.deepEqual(selectedRunFolders(a, [a, layerNode, { kind: 'run', runFolder: '/runs/a/' }, 42, null]), ['/runs/a']);
    });
  });

  it('refuses fewer than two runs and more than the view shows, saying what to do', () => {
    assert.match(compareCountProblem(1, l10n) ?? '', /at least two runs; you picked 1\. Select two or more runs in Recorded Runs/);
    assert.match(compareCountProblem(0, l10n) ?? '', /you picked 0/);
    assert.equal(compareCountProblem(2, l10n), undefined);
    assert.equal(compareCountProblem(MAX_COMPARED_RUNS, l10n), undefined);
    assert.match(compareCountProblem(MAX_COMPARED_RUNS + 1, l10n) ?? '', /at most 8 runs.*Pick fewer runs/);
  });

  it('trusts a restored panel’s saved state only with a list of two or more plausible run ids', () => {
    assert.deepEqual(comparedRunIdsOfState({ version: 1, runId: 'a', views: { compareRuns: ['a', 'b'] } }), ['a', 'b']);
    for (const bad of [
      undefined,
      null,
      'a,b',
      { views: null },
      { views: { compareRuns: ['a'] } },
      { views: { compareRuns: ['a', 7] } },
      { views: { compareRuns: ['a', ''] } },
      { views: { compareRuns: ['a', 'x'.repeat(201)] } },
      { views: { compareRuns: Array.from({ length: MAX_COMPARED_RUNS + 1 }, (_, i) => `r${i}`) } },
    ])
      assert.equal(comparedRunIdsOfState(bad), undefined, JSON.stringify(bad));
  });

  it('knows a run of a model by its entry file or a file it imports', () => {
    const r = run('r1', '2026-11-22T10:00:00Z');
    assert.ok(isRunOfModel(r.manifest, '/ws/model.ts'));
    assert.ok(isRunOfModel(r.manifest, '/ws/layers.ts'));
    assert.ok(!isRunOfModel(r.manifest, '/ws/other.ts'));
  });

  it('titles a comparison with the runs as the tree labels them', () => {
    const runs = [run('r1', '2026-11-22T10:00:00Z'), run('r2', '2026-11-22T11:00:00Z')];
    assert.equal(
      comparePanelTitle(
        runs.map((r, i) => ({ manifest: r.manifest, label: `#${i + 1}` })),
        l10n,
      ),
      'CNN Slicer: compare model.ts (#1) · model.ts (#2)',
    );
  });
});
