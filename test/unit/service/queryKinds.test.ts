// Every query kind is one descriptor (src/contract/queries/<kind>.ts), one handler and one builder in
// src/contract/plan.ts: a kind added to the vocabulary without the others fails to compile or fails here.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';
import * as v from 'valibot';
import { AnalysisEngine } from '../../../src/service/engine';
import { HANDLERS } from '../../../src/service/handlers';
import {
  answeredFromRecord,
  descriptorOf,
  parseQuery,
  Query,
  QUERY_DESCRIPTORS,
  QUERY_KINDS,
  QueryKind,
} from '../../../src/contract/queries';
import { QUERY_BUILDERS } from '../../../src/contract/plan';
import { writeFixtureRun } from '../support/runFixture';

const ROOT = resolve(__dirname, '../../..');
const VOCABULARY = join(ROOT, 'src/contract/queries/index.ts');
const EXTRA_KIND = join(ROOT, 'test/fixtures/queryKinds/extraKind.ts');

/**
 * The compile errors of `files` when the vocabulary lists the fixture's extra descriptor too: the
 * program reads src/contract/queries/index.ts with `extraKind` appended to QUERY_DESCRIPTORS.
 */
function errorsWithExtraKind(files: string[]): { file: string; message: string }[] {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  const options = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
  const source = readFileSync(VOCABULARY, 'utf8');
  const listed = source.replace(/(\n\s*findings,\n)(\] as const;)/, `$1  extraKind,\n$2`);
  assert.notEqual(listed, source, 'the fixture found the end of QUERY_DESCRIPTORS');
  const extended = `import { extraKind } from ${JSON.stringify(EXTRA_KIND.replace(/\.ts$/, ''))};\n${listed}`;
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (resolve(f) === VOCABULARY ? extended : read(f));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, language, onError, create) =>
    resolve(f) === VOCABULARY ? ts.createSourceFile(f, extended, language) : getSourceFile(f, language, onError, create);
  const program = ts.createProgram(files, options, host);
  return files.flatMap((file) =>
    program.getSemanticDiagnostics(program.getSourceFile(file)).map((d) => ({
      file: d.file ? d.file.fileName.slice(ROOT.length + 1) : '',
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    })),
  );
}

/** One query of each kind about the fixture run (three layers, epochs 0–2, two classes of two inputs). */
const SAMPLES: { [K in QueryKind]: Query[] } = {
  run: [{ kind: 'run' }],
  training: [{ kind: 'training' }],
  confusion: [
    { kind: 'confusion', epoch: 1 },
    { kind: 'confusion', epoch: 1, inputs: true },
  ],
  inputs: [{ kind: 'inputs', x: { kind: 'all' } }],
  featureMaps: [{ kind: 'featureMaps', layer: 1, channels: [0], epoch: 1, x: { kind: 'all' } }],
  channelEntropies: [
    { kind: 'channelEntropies', layer: 1, epoch: 1 },
    { kind: 'channelEntropies', layer: 1, epoch: 1, x: { kind: 'indices', indices: [0, 1] } },
  ],
  smallMultiples: [{ kind: 'smallMultiples', layer: 1 }],
  interSample: [
    { kind: 'interSample', layer: 1, epoch: 1 },
    { kind: 'interSample', layer: 1, epoch: 1, x: { kind: 'classes', classes: [1] } },
    { kind: 'interSample', layer: 1, epoch: 1, x: { kind: 'classes', classes: [5] } },
    { kind: 'interSample', layer: 1, epoch: 1, x: { kind: 'classes', classes: [0, 1] } },
  ],
  inputDiversity: [{ kind: 'inputDiversity', sizes: [3] }],
  capacityMatrix: [{ kind: 'capacityMatrix', layerI: 0, layerJ: 1, epoch: 1 }],
  layerCapacity: [{ kind: 'layerCapacity', layerI: 0, layerJ: 1, epoch: 1 }],
  channelPair: [{ kind: 'channelPair', layerI: 0, channelI: 0, layerJ: 1, channelJ: 0, epoch: 1 }],
  deconvolution: [{ kind: 'deconvolution', layer: 1, channel: 0, epoch: 1, x: { kind: 'all' } }],
  networkGraph: [{ kind: 'networkGraph', epoch: 1 }],
  channelLabelInformation: [{ kind: 'channelLabelInformation', layer: 1 }],
  informationPlane: [{ kind: 'informationPlane', estimator: 'binned' }],
  ablation: [{ kind: 'ablation', epoch: 1, layer: 1, channels: [0] }],
  channelImportance: [{ kind: 'channelImportance', epoch: 1, layer: 1 }],
  channelImportanceEstimate: [
    { kind: 'channelImportanceEstimate', epoch: 1 },
    { kind: 'channelImportanceEstimate', epoch: 1, layers: [1] },
  ],
  findings: [{ kind: 'findings' }, { kind: 'findings', epoch: 1 }],
};

describe('query kinds: one descriptor, one handler, one builder each', function () {
  this.timeout(240_000);

  it('adding a descriptor without its handler and builder fails to compile in the handler table and the builder table', () => {
    const errors = errorsWithExtraKind([join(ROOT, 'src/service/handlers/index.ts'), join(ROOT, 'src/contract/plan.ts')]);
    const at = (file: string) => errors.filter((e) => e.file === file);
    assert.ok(
      at('src/service/handlers/index.ts').some((e) => /extraKind/.test(e.message) && /HandlerTable/.test(e.message)),
      `HANDLERS misses the kind: ${JSON.stringify(errors)}`,
    );
    assert.ok(
      at('src/contract/plan.ts').some((e) => /extraKind/.test(e.message)),
      `QUERY_BUILDERS misses the kind: ${JSON.stringify(errors)}`,
    );
    assert.deepEqual(
      errors.filter((e) => e.file !== 'src/service/handlers/index.ts' && e.file !== 'src/contract/plan.ts'),
      [],
      'no other file breaks',
    );
  });

  it('lists every kind once, with its handler, its builder and its section in docs/queries.md', () => {
    assert.deepEqual(
      QUERY_DESCRIPTORS.map((d) => d.kind),
      [...new Set(QUERY_KINDS)],
    );
    assert.deepEqual(Object.keys(HANDLERS).sort(), [...QUERY_KINDS].sort(), 'HANDLERS');
    assert.deepEqual(Object.keys(QUERY_BUILDERS).sort(), [...QUERY_KINDS].sort(), 'QUERY_BUILDERS');
    const docs = readFileSync(join(ROOT, 'docs/queries.md'), 'utf8');
    for (const kind of QUERY_KINDS) assert.ok(docs.includes(`\n### \`${kind}\`\n`), `docs/queries.md has a section on ${kind}`);
    assert.ok(docs.includes('\n## Adding a query kind\n'), 'docs/queries.md says how to add a kind');
  });

  it('parses each sample query to itself: the samples are valid queries of their kind', () => {
    for (const kind of QUERY_KINDS) for (const q of SAMPLES[kind]) assert.deepEqual(parseQuery(q), q);
  });

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
