/**
 * A dead layer recorded (issue 44 items 1 and 5): test/fixtures/models/deadLayer.ts has a conv whose
 * every output is 0 after its ReLU, followed by a max-pool and a flatten. Its inter-sample entropy
 * is undefined with the reason (not the ceiling log2(N(N−1))), no measurement-ceiling finding fires
 * there, and its dead channels are reported once, at the conv, naming the pool and the flatten.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { readRun } from '../../../src/run/store';
import type { RunManifest } from '../../../src/contract/runFormat';
import { AnalysisEngine } from '../../../src/service/engine';
import { AnswerOf, Query, QueryKind } from '../../../src/contract/queries';
import { copyFixtureRun } from '../../support/fixtureRuns';

describe('a dead layer recorded (deadLayer.ts: conv → dead conv → pool → flatten)', function () {
  this.timeout(120_000);
  let dir = '';
  let folder = '';
  let manifest: RunManifest;
  let engine: AnalysisEngine;
  const ask = async <K extends QueryKind>(query: Extract<Query, { kind: K }>) => (await engine.answer(folder, query)).answer as AnswerOf[K];
  const layer = (name: string) => manifest.layers.find((l) => l.name === name)!.index;

  before(() => {
    // The recorded run of deadLayer.ts (synthetic:150, 1 epoch, batch 25, probe 45, wasm): test/fixtures/runs/dead-layer.
    const r = copyFixtureRun('dead-layer', 'cnn-slicer-dead-');
    dir = r.runs;
    folder = r.folder;
    manifest = r.manifest;
    engine = new AnalysisEngine({ roots: [dir], backend: 'wasm', cacheBytes: 0 });
  });
  after(() => {
    engine?.close();
    if (dir) rmSync(dirname(dir), { recursive: true, force: true });
  });

  it('records the dead layer, its pool and its flatten with an undefined inter-sample entropy and the reason', async () => {
    const { metrics } = readRun(folder);
    const last = metrics.at(-1)!;
    for (const name of ['dead', 'deadPool', 'flat']) {
      const m = last.layers[layer(name)];
      assert.equal(m.interSampleBits, null, name);
      assert.equal(m.interSampleUndefined, 'identical-samples', name);
      assert.ok(
        m.interSampleUndefinedPerClass?.every((r) => r === 'identical-samples'),
        name,
      );
    }
    assert.deepEqual(last.layers[layer('dead')].deadChannels, [0, 1, 2, 3]);
    assert.equal(typeof last.layers[layer('conv')].interSampleBits, 'number');
    const answer = await ask({ kind: 'interSample', layer: layer('dead'), epoch: 1 });
    assert.equal(answer.bits, null);
    assert.equal(answer.reason, 'all probe inputs are identical here');
    const subset = await ask({ kind: 'interSample', layer: layer('deadPool'), epoch: 1, x: { kind: 'indices', indices: [0, 3, 7, 9] } });
    assert.deepEqual([subset.bits, subset.reason, subset.source], [null, 'all probe inputs are identical here', 'computed']);
  });

  it('fires no measurement-ceiling finding there, and reports the dead channels once, at the conv, naming the pool and flatten', async () => {
    const { findings } = await ask({ kind: 'findings', epoch: 1 });
    const dead = [layer('dead'), layer('deadPool'), layer('flat')];
    assert.deepEqual(
      findings.filter((f) => f.kind === 'measurement-ceiling' && f.layer !== undefined && dead.includes(f.layer)),
      [],
    );
    const deadChannels = findings.filter((f) => f.kind === 'dead-channels');
    assert.deepEqual(
      deadChannels.map((f) => f.layerName),
      ['dead'],
    );
    const [f] = deadChannels;
    assert.equal(f.message, '4 dead channels of 4: 0, 1, 2, 3');
    assert.match(f.detail, /deadPool, flat only pass them on/);
    // The dense layer after it reads identical inputs: not an inert layer of its own.
    assert.deepEqual(
      findings.filter((f) => f.kind === 'inert-layer').map((f) => f.layerName),
      [],
    );
    // The count and the ablated channels agree.
    assert.deepEqual(f.ablation?.channels, f.channels);
  });
});
