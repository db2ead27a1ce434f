// The run index's listing with 1,000 runs in a workspace: every run listed,
// newest first, each matched to its model; a refresh reads again only the runs that changed, and
// remembers no more runs than the folder holds. The time is measured by `npm run bench`
// ("1,000-run listing"), not here: a shared machine's timings are no specification.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRunFolders, RunListing } from '../../../src/run/listing';
import { isRunOfModel } from '../../../src/run/location';
import { processStartTime } from '../../../src/run/process';
import type { RunRecord } from '../../../src/run/store';
import { addManyRun, removeManyRunsTemplate, writeManyRuns, type ManyRuns } from '../../support/manyRuns';

const RUN_COUNT = 1000;

describe('runListing: the run index with 1,000 runs', function () {
  this.timeout(300000);
  let root: string;
  let many: ManyRuns;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'cnnslicer-many-runs-'));
    many = writeManyRuns(root, RUN_COUNT);
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists every run, newest first, each matched to its model file', async () => {
    const list = await listRunFolders([many.runsFolder]);
    assert.deepEqual(list.errors, []);
    assert.equal(list.runs.length, RUN_COUNT);
    const times = list.runs.map((r) => r.manifest.createdAt);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal(new Set(list.runs.map((r) => r.manifest.id)).size, RUN_COUNT);
    for (const m of many.models) assert.equal(list.runs.filter((r) => isRunOfModel(r, m)).length, RUN_COUNT / many.models.length);
  });

  it('a refresh reads again only the runs that changed on disk, and remembers no run that is gone', async () => {
    const listing = new RunListing();
    const first = await listing.list([many.runsFolder]);
    assert.equal(first.runs.length, RUN_COUNT);
    assert.equal(listing.rememberedRuns, RUN_COUNT);
    const before = new Set<RunRecord>(first.runs);

    // Nothing changed: every record is the one read before (none was read again).
    const same = await listing.list([many.runsFolder]);
    assert.equal(same.runs.filter((r) => before.has(r)).length, RUN_COUNT);

    // One new run and one run changed on disk: those two are read, the other 999 are not.
    const added = addManyRun(root, many.runsFolder, join(root, 'template'), RUN_COUNT, RUN_COUNT);
    const changed = first.runs[500];
    const manifestPath = join(changed.folder, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, updatedAt: '2026-12-01T00:00:00.000Z' }, null, 2) + '\n');
    const second = await listing.list([many.runsFolder]);
    assert.equal(second.runs.length, RUN_COUNT + 1);
    const reread = second.runs.filter((r) => !before.has(r));
    assert.deepEqual(reread.map((r) => r.folder).sort(), [changed.folder, added].sort());
    assert.equal(second.runs.find((r) => r.folder === changed.folder)?.manifest.updatedAt, '2026-12-01T00:00:00.000Z');
    assert.equal(listing.rememberedRuns, RUN_COUNT + 1);

    // Removed runs are forgotten: what the listing keeps is bounded by the runs on disk.
    rmSync(added, { recursive: true, force: true });
    for (const r of first.runs.slice(0, 10)) rmSync(r.folder, { recursive: true, force: true });
    const third = await listing.list([many.runsFolder]);
    assert.equal(third.runs.length, RUN_COUNT - 10);
    assert.equal(listing.rememberedRuns, RUN_COUNT - 10);
    removeManyRunsTemplate(root);
  });

  it('a run still recording is read at every listing, since its recorder may have died without a file changing', async () => {
    const small = mkdtempSync(join(tmpdir(), 'cnnslicer-recording-run-'));
    try {
      const { runsFolder } = writeManyRuns(small, 2);
      const recording = join(runsFolder, 'run-0001');
      const manifestPath = join(recording, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
      // This test process is the "recorder": alive, so the run stays recording and is not repaired.
      writeFileSync(
        manifestPath,
        JSON.stringify({ ...manifest, status: 'recording', pid: process.pid, pidStartTime: processStartTime(process.pid) }, null, 2) + '\n',
      );
      const listing = new RunListing();
      const first = await listing.list([runsFolder]);
      const second = await listing.list([runsFolder]);
      const byFolder = (list: typeof first, folder: string) => list.runs.find((r) => r.folder === folder);
      assert.equal(byFolder(first, recording)?.manifest.status, 'recording');
      assert.notEqual(byFolder(second, recording), byFolder(first, recording));
      const completed = join(runsFolder, 'run-0000');
      assert.equal(byFolder(second, completed), byFolder(first, completed));
      assert.equal(listing.rememberedRuns, 1);
    } finally {
      rmSync(small, { recursive: true, force: true });
    }
  });
});
