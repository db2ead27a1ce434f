// `cnn-slicer runs` and every run display name call a model.json run by its folder, as its run id
// does, since every converter calls the file model.json; other files keep their own name.
// `cnn-slicer runs` lists through the runs folder's listing index, as the extension does.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRuns } from '../../../src/cli/query';
import { LISTING_INDEX_FILE } from '../../../src/run/listingIndex';
import { modelDisplayName } from '../../../src/run/paths';
import { caughtStreams } from '../../support/cliRun';
import { writeFixtureRun } from '../../support/runFixture';

/** What runRuns writes to stdout. */
async function runsOutput(argv: string[]): Promise<string> {
  const caught = caughtStreams();
  await runRuns(argv, caught.io);
  return caught.stdout();
}

describe('model names of runs', () => {
  it('names a model.json by its folder and any other file by its own name', () => {
    assert.equal(modelDisplayName(join('/zoo', 'gtsrb-keras3', 'model.json')), 'gtsrb-keras3');
    assert.equal(modelDisplayName(join('/zoo', 'gtsrb-keras3', 'model.json'), 'model.json'), 'gtsrb-keras3');
    assert.equal(modelDisplayName(join('/zoo', 'lenet.ts')), 'lenet.ts');
    assert.equal(modelDisplayName(join('/zoo', 'lenet.json')), 'lenet.json');
    assert.equal(modelDisplayName('/model.json'), 'model.json', 'a model.json at the root has no folder to be named by');
  });

  it('shows the folder of a model.json run recorded with the name "model.json" in cnn-slicer runs, as text and JSON', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cnnslicer-runs-name-'));
    try {
      const folder = join(root, '20261122-100000-gtsrb-keras3');
      const manifest = writeFixtureRun(folder, [0]);
      manifest.model = { ...manifest.model, file: '/zoo/gtsrb-keras3/model.json', name: 'model.json' };
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
      const rows = (JSON.parse(await runsOutput([root, '--json'])) as { runs: { model: string }[] }).runs;
      assert.deepEqual(
        rows.map((r) => r.model),
        ['gtsrb-keras3'],
      );
      assert.match(await runsOutput([root]), /20261122-100000-gtsrb-keras3 +completed +gtsrb-keras3 /);
      assert.equal((JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as typeof manifest).model.name, 'model.json');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('lists through the listing index: written by the first listing, and a run edited since is read again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cnnslicer-runs-index-'));
    try {
      const folder = join(root, '20261124-100000-lenet');
      const manifest = writeFixtureRun(folder, [0]);
      assert.match(await runsOutput([root]), /20261124-100000-lenet +completed /);
      assert.ok(existsSync(join(root, LISTING_INDEX_FILE)), 'the first listing writes the index');
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, status: 'failed' }));
      assert.match(await runsOutput([root]), /20261124-100000-lenet +failed /, 'a changed manifest is read, not taken from the index');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
