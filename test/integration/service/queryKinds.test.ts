// Every query kind is one descriptor (src/contract/queries/<kind>.ts), one handler and one builder in
// src/contract/plan.ts: here the descriptors' facts against the handlers on a recorded run (the
// engine's compute pool); the vocabulary, the tables and the samples are checked in
// test/unit/service/queryKinds.test.ts.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { AnalysisEngine } from '../../../src/service/engine';
import { answeredFromRecord, descriptorOf, QUERY_KINDS } from '../../../src/contract/queries';
import { SAMPLES } from '../../support/querySamples';
import { writeFixtureRun } from '../../support/runFixture';

describe('query kinds: one descriptor, one handler, one builder each', function () {
  this.timeout(240_000);

  describe('facts agree with the handlers on a recorded run', () => {
    let runs: string;
    let run: string;
    let engine: AnalysisEngine;
    before(() => {
      runs = mkdtempSync(join(tmpdir(), 'cnnslicer-kinds-'));
      run = join(runs, 'run-a');
      writeFixtureRun(run);
      engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
    });
    after(() => {
      engine.close();
      rmSync(runs, { recursive: true, force: true });
    });

    it('answers from the record exactly what the descriptor says it does, never caching those answers', async () => {
      const manifest = (await engine.answer(run, { kind: 'run' })).answer.manifest;
      for (const kind of QUERY_KINDS) {
        for (const q of SAMPLES[kind]) {
          if (!answeredFromRecord(q, manifest)) continue;
          const { answer } = await engine.answer(run, q);
          const source = (answer as { source?: string }).source;
          assert.ok(source === undefined || source === 'summary', `${JSON.stringify(q)} comes from the record`);
          assert.equal(engine.isCached(run, q), false, `${JSON.stringify(q)} is not cached`);
          // Its answer schema holds every field the handler gives (a field it missed would be dropped at a boundary).
          assert.deepEqual(v.parse(descriptorOf(kind).answer, answer), answer, `${kind}'s answer schema keeps the whole answer`);
        }
      }
    });

    it('computes what the descriptor says is computed: the handler never answers it from the summaries', async () => {
      const manifest = (await engine.answer(run, { kind: 'run' })).answer.manifest;
      const computed = Object.values(SAMPLES)
        .flat()
        .filter((q) => !answeredFromRecord(q, manifest));
      assert.ok(
        computed.some((q) => q.kind === 'interSample' && q.x?.kind === 'classes' && q.x.classes[0] === 5),
        'a class outside the run is computed (and refused)',
      );
      for (const q of computed) {
        // The fixture's checkpoints hold no model: computing fails, reading the summaries would not.
        const answer = await engine.answer(run, q).then(
          (r) => r.answer,
          () => undefined,
        );
        assert.notEqual((answer as { source?: string } | undefined)?.source, 'summary', `${JSON.stringify(q)} is computed`);
      }
    });
  });
});
