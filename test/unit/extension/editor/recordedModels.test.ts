// After a reload the Problems panel publishes the findings of every recorded model file, shown or
// not: the newest run of each model file that the lenses would read, when it can be asked.
import assert from 'node:assert/strict';
import { MAX_PUBLISHED_MODELS, runsToPublish } from '../../../../src/extension/editor/recordedModels';
import type { RunManifest } from '../../../../src/contract/runFormat';
import type { RunRecord } from '../../../../src/run/store';

function run(folder: string, file: string, o: { epochs?: number[]; status?: string; control?: boolean } = {}): RunRecord {
  const manifest = {
    model: { file },
    epochs: o.epochs ?? [0, 1],
    status: o.status ?? 'completed',
    ...(o.control ? { control: { sourceRun: 'x' } } : {}),
  } as unknown as RunManifest;
  return { folder, manifest, metrics: [], notes: [] };
}

describe('the model files whose findings are published after a reload', () => {
  it('takes the newest run of each model file, not only of the open ones', () => {
    const runs = [run('r4', '/w/b.ts'), run('r3', '/w/a.ts'), run('r2', '/w/b.ts'), run('r1', '/w/a.ts')];
    assert.deepEqual(
      runsToPublish(runs).map((r) => r.folder),
      ['r4', 'r3'],
    );
  });

  it('skips control runs and runs without an epoch, as the lenses do, and a model whose newest run still records', () => {
    const runs = [
      run('c', '/w/a.ts', { control: true }),
      run('empty', '/w/a.ts', { epochs: [] }),
      run('a', '/w/a.ts'),
      run('live', '/w/b.ts', { status: 'recording' }),
      run('old-b', '/w/b.ts'),
    ];
    assert.deepEqual(
      runsToPublish(runs).map((r) => r.folder),
      ['a'],
    );
  });

  it('publishes at most MAX_PUBLISHED_MODELS model files, the newest', () => {
    const runs = Array.from({ length: MAX_PUBLISHED_MODELS + 5 }, (_, i) => run(`r${i}`, `/w/m${i}.ts`));
    const published = runsToPublish(runs);
    assert.equal(published.length, MAX_PUBLISHED_MODELS);
    assert.equal(published[0].folder, 'r0');
  });
});
