/**
 * readRun on a run whose metrics.jsonl holds two lines of one epoch (two measurers of a PyTorch run
 * before the measuring lock, issue 66): the first line of each epoch counts, once, and a note says so.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRun, readRunAsync } from '../../../src/run/store';
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
});
