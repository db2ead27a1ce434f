/**
 * readRun on a run whose metrics.jsonl holds two lines of one epoch (two measurers of a PyTorch run
 * before the measuring lock, issue 66): the first line of each epoch counts, once, and a note says so.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsAppendedSince, readRun, readRunAsync } from '../../../src/run/store';
import { fixtureMetrics, writeFixtureRun } from '../../support/runFixture';

describe('run/store: one record per epoch', () => {
  let dir: string;
  let folder: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-store-'));
    folder = join(dir, 'r1');
    writeFixtureRun(folder, [0, 1, 2]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the first line of an epoch written twice (sync and async readers), and says how many were ignored', async () => {
    appendFileSync(join(folder, 'metrics.jsonl'), JSON.stringify({ ...fixtureMetrics(1), probeAccuracy: 0.9 }) + '\n');
    appendFileSync(join(folder, 'metrics.jsonl'), JSON.stringify({ ...fixtureMetrics(2), probeAccuracy: 0.1 }) + '\n');
    for (const run of [readRun(folder), await readRunAsync(folder)]) {
      assert.deepEqual(
        run.metrics.map((m) => [m.epoch, m.probeAccuracy]),
        [
          [0, 0.5],
          [1, 0.5],
          [2, 0.5],
        ],
      );
      assert.deepEqual(run.manifest.epochs, [0, 1, 2]);
      assert.ok(
        run.notes.includes('2 more metrics line(s) of an epoch already recorded were ignored: the first line of each epoch counts'),
        run.notes.join('\n'),
      );
    }
  });

  it('a run with one line per epoch has no such note', () => {
    assert.ok(!readRun(folder).notes.some((n) => /already recorded/.test(n)));
  });

  it('reads only what was appended since a record was read: complete lines once, a line still being written not yet', () => {
    const path = join(folder, 'metrics.jsonl');
    const run = readRun(folder);
    assert.equal(run.metricsBytes, readFileSync(path).length);
    const from = run.metricsBytes ?? 0;
    assert.deepEqual(metricsAppendedSince(folder, run.manifest, from), { complete: [], next: from });
    const line = JSON.stringify(fixtureMetrics(3)) + '\n';
    // Half of a line: nothing yet, and the bytes read stay where they were.
    appendFileSync(path, line.slice(0, 40));
    assert.deepEqual(metricsAppendedSince(folder, run.manifest, from), { complete: [], next: from });
    appendFileSync(path, line.slice(40) + JSON.stringify({ ...fixtureMetrics(4), layers: 'damaged' }) + '\n');
    const appended = metricsAppendedSince(folder, run.manifest, from);
    // The damaged line counts for nothing, as readRun skips it.
    assert.deepEqual(appended, { complete: [3], next: readFileSync(path).length });
    assert.deepEqual(metricsAppendedSince(folder, run.manifest, appended.next), { complete: [], next: appended.next });
    // From the start, every complete line.
    assert.deepEqual(metricsAppendedSince(folder, run.manifest, 0)?.complete, [0, 1, 2, 3]);
  });

  it('says when metrics.jsonl no longer continues what was read (cut short, or written anew), so that the run is read again', () => {
    const path = join(folder, 'metrics.jsonl');
    const run = readRun(folder);
    const from = run.metricsBytes ?? 0;
    truncateSync(path, from - 10);
    assert.equal(metricsAppendedSince(folder, run.manifest, from), undefined);
    // As long as before, but no line ends where the last one read did.
    writeFileSync(path, 'x'.repeat(from + 100));
    assert.equal(metricsAppendedSince(folder, run.manifest, from), undefined);
    rmSync(path);
    assert.equal(metricsAppendedSince(folder, run.manifest, from), undefined);
    assert.deepEqual(metricsAppendedSince(folder, run.manifest, 0), { complete: [], next: 0 });
  });
});
