// The run listing's index on disk (src/run/listingIndex.ts): the first listing of a new window (a
// fresh RunListing) reads no run that an earlier listing read and that has not changed since; a
// changed, added, removed, damaged or still recording run is read again; a corrupt or foreign index
// is ignored and replaced. Which runs were read is seen by counting the manifests opened.
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { listRunFolders, RunListing, type RunList } from '../../../src/run/listing';
import { LISTING_INDEX_FILE, LISTING_INDEX_VERSION, listingIndexPath, parseListingIndex } from '../../../src/run/listingIndex';
import { processStartTime } from '../../../src/run/process';
import { addManyRun, writeManyRuns } from '../../support/manyRuns';

const COUNT = 6;

/** Lists `runsFolder` with a fresh RunListing (a new window); returns the list and the run folders whose manifest was opened. */
async function listFresh(runsFolder: string): Promise<{ list: RunList; read: string[] }> {
  const read: string[] = [];
  const original = fsp.open;
  fsp.open = ((path: Parameters<typeof fsp.open>[0], ...rest: [never]) => {
    if (String(path).endsWith('manifest.json')) read.push(basename(join(String(path), '..')));
    return original(path, ...rest);
  }) as typeof fsp.open;
  try {
    const listing = new RunListing();
    const list = await listing.list([runsFolder]);
    await listing.indexWritten();
    return { list, read: read.sort() };
  } finally {
    fsp.open = original;
  }
}

function editManifest(folder: string, change: Record<string, unknown>): void {
  const path = join(folder, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...manifest, ...change }, null, 2) + '\n');
}

const indexText = (runsFolder: string) => readFileSync(listingIndexPath(runsFolder), 'utf8');

describe('listing index: the first listing of a new window reads only the runs that changed', function () {
  this.timeout(120000);
  let root: string;
  let runsFolder: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cnnslicer-listing-index-'));
    runsFolder = writeManyRuns(root, COUNT).runsFolder;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a new listing after an earlier one reads no run and lists exactly what reading every run lists', async () => {
    const first = await listFresh(runsFolder);
    assert.equal(first.read.length, COUNT, 'the first listing of all reads every run');
    assert.ok(existsSync(listingIndexPath(runsFolder)), `${LISTING_INDEX_FILE} was written`);
    assert.equal(parseListingIndex(indexText(runsFolder)).length, COUNT);

    const second = await listFresh(runsFolder);
    assert.deepEqual(second.read, [], 'no manifest was opened');
    assert.deepEqual(second.list, await listRunFolders([runsFolder]));
    assert.deepEqual(second.list.errors, []);
    assert.equal(second.list.runs.length, COUNT);
  });

  it('an unchanged listing does not write the index again', async () => {
    await listFresh(runsFolder);
    const before = statSync(listingIndexPath(runsFolder));
    await listFresh(runsFolder);
    const after = statSync(listingIndexPath(runsFolder));
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
  });

  it('an edited, an added, a removed and a damaged run are each seen as they are now', async () => {
    await listFresh(runsFolder);
    const edited = join(runsFolder, 'run-0001');
    editManifest(edited, { updatedAt: '2026-12-01T00:00:00.000Z' });
    const added = addManyRun(root, runsFolder, join(root, 'template'), COUNT, COUNT + 1);
    rmSync(join(runsFolder, 'run-0002'), { recursive: true, force: true });
    const damaged = join(runsFolder, 'run-0003');
    writeFileSync(join(damaged, 'manifest.json'), '{ "id": "run-0003", ');

    const { list, read } = await listFresh(runsFolder);
    assert.deepEqual(read, ['run-0001', 'run-0003', basename(added)].sort());
    assert.equal(list.runs.find((r) => r.folder === edited)?.manifest.updatedAt, '2026-12-01T00:00:00.000Z');
    assert.ok(list.runs.some((r) => r.folder === added));
    assert.ok(!list.runs.some((r) => r.folder.endsWith('run-0002')), 'the removed run is not listed');
    assert.deepEqual(
      list.errors.map((e) => e.folder),
      [damaged],
    );
    assert.match(list.errors[0].message, /damaged/);
    const names = parseListingIndex(indexText(runsFolder)).map(([name]) => name);
    assert.ok(!names.includes('run-0002'), 'the removed run left the index');
    assert.equal(names.length, COUNT, `${COUNT} runs and the damaged one`);

    // And the next window reads none of them again.
    assert.deepEqual((await listFresh(runsFolder)).read, []);
  });

  it('a run still recording is never kept in the index: every new listing reads it', async () => {
    const recording = join(runsFolder, 'run-0004');
    editManifest(recording, { status: 'recording', pid: process.pid, pidStartTime: processStartTime(process.pid) });
    await listFresh(runsFolder);
    assert.ok(!parseListingIndex(indexText(runsFolder)).some(([name]) => name === 'run-0004'));
    const { list, read } = await listFresh(runsFolder);
    assert.deepEqual(read, ['run-0004']);
    assert.equal(list.runs.find((r) => r.folder === recording)?.manifest.status, 'recording');
  });

  for (const [what, damage] of [
    ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['one byte changed', (text: string) => text.replace('"run-0001"', '"run-0009"')],
    ['not JSON', () => 'garbage\n{'],
    ['of another format', (text: string) => text.replace('cnn-slicer-run-listing-index', 'someone-elses-index')],
    ['of a later version', (text: string) => text.replace(`"version":${LISTING_INDEX_VERSION}`, `"version":${LISTING_INDEX_VERSION + 1}`)],
  ] as const) {
    it(`an index that is ${what} is ignored (every run read, as listed without it) and written anew`, async () => {
      await listFresh(runsFolder);
      writeFileSync(listingIndexPath(runsFolder), damage(indexText(runsFolder)));
      const { list, read } = await listFresh(runsFolder);
      assert.equal(read.length, COUNT);
      assert.deepEqual(list, await listRunFolders([runsFolder]));
      assert.equal(parseListingIndex(indexText(runsFolder)).length, COUNT, 'a good index replaced it');
    });
  }

  it('an entry naming a folder outside the runs folder, or of the wrong shape, is dropped even with a matching hash', async () => {
    await listFresh(runsFolder);
    const text = indexText(runsFolder);
    const body = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { runs: unknown[][] };
    const [, stamp, outcome] = body.runs[0];
    body.runs.push(['../elsewhere', stamp, outcome], ['run-x', stamp, { record: { manifest: {} } }], ['run-y', 42, outcome]);
    const newBody = JSON.stringify(body);
    const sha256 = createHash('sha256').update(newBody).digest('hex');
    const forged = `${JSON.stringify({ format: 'cnn-slicer-run-listing-index', version: LISTING_INDEX_VERSION, sha256 })}\n${newBody}`;
    assert.deepEqual(
      parseListingIndex(forged).map(([name]) => name),
      body.runs.slice(0, COUNT).map(([name]) => name),
    );
  });

  it("keeps a PyTorch run's epochs awaiting their measures: a listing from the index still says they are pending", async () => {
    const pytorch = join(root, 'pytorch-runs');
    cpSync(join(__dirname, '..', '..', 'fixtures', 'pytorch-run'), pytorch, { recursive: true });
    const first = await listFresh(pytorch);
    const pending = first.list.runs[0].pending?.map((m) => m.epoch);
    assert.deepEqual(pending, [0, 1, 2]);
    const again = await listFresh(pytorch);
    assert.deepEqual(again.read, [], 'listed from the index');
    assert.deepEqual(again.list.runs[0].pending, first.list.runs[0].pending);
  });

  it('a runs folder deleted after a listing is not created again by the index write', async () => {
    const listing = new RunListing();
    await listing.list([runsFolder]);
    await listing.indexWritten();
    rmSync(runsFolder, { recursive: true, force: true });
    assert.deepEqual((await listing.list([runsFolder])).runs, []);
    await listing.indexWritten();
    assert.ok(!existsSync(runsFolder));
  });

  it('a listing with persist: false writes no index', async () => {
    await new RunListing({ persist: false }).list([runsFolder]);
    assert.ok(!existsSync(listingIndexPath(runsFolder)));
  });
});
