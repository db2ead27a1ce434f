// The run index's listing with 1,000 runs in a workspace (issue 14, "Many runs"): every run listed,
// newest first, each matched to its model. The time is printed for the report, not asserted: a
// shared machine's timings are no specification.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRunFolders } from '../../src/extension/runListing';
import { isRunOfModel } from '../../src/extension/runLocation';
import { writeFixtureRun, fixtureManifest } from './runFixture';

const RUN_COUNT = 1000;

describe('runListing: the run index with 1,000 runs', function () {
  this.timeout(300000);
  let root: string;
  let runs: string;
  const models = [0, 1, 2, 3].map((i) => `model${i}.ts`);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'cnnslicer-many-runs-'));
    runs = join(root, '.cnnslicer', 'runs');
    for (const m of models) writeFileSync(join(root, m), '// a model\n');
    // One complete run, copied: the other 999 differ only in their manifest (id, time, model).
    const template = join(root, 'template');
    writeFixtureRun(template, [0, 1]);
    mkdirSync(runs, { recursive: true });
    for (let i = 0; i < RUN_COUNT; i++) {
      const id = `run-${String(i).padStart(4, '0')}`;
      const folder = join(runs, id);
      cpSync(template, folder, { recursive: true });
      // Runs are written in a shuffled order of their times, so the listing must sort them.
      const minute = (i * 7919) % RUN_COUNT;
      const model = join(root, models[i % models.length]);
      const manifest = {
        ...fixtureManifest(id, [0, 1]),
        createdAt: new Date(Date.UTC(2026, 10, 1) + minute * 60_000).toISOString(),
        model: { file: model, relativeFile: `../../../${models[i % models.length]}`, fingerprint: 'f', name: 'm.ts', sourceFiles: [model] },
      };
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    }
    rmSync(template, { recursive: true, force: true });
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists every run, newest first, each matched to its model file', async () => {
    const started = performance.now();
    const list = await listRunFolders([runs]);
    const elapsedMs = performance.now() - started;
    const heapMb = process.memoryUsage().heapUsed / 1024 ** 2;
    console.log(`      listing ${RUN_COUNT} runs took ${elapsedMs.toFixed(0)} ms (heap ${heapMb.toFixed(0)} MB)`);
    assert.deepEqual(list.errors, []);
    assert.equal(list.runs.length, RUN_COUNT);
    const times = list.runs.map((r) => r.manifest.createdAt);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal(new Set(list.runs.map((r) => r.manifest.id)).size, RUN_COUNT);
    for (const m of models) assert.equal(list.runs.filter((r) => isRunOfModel(r, join(root, m))).length, RUN_COUNT / models.length);
  });
});
