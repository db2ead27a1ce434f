// Every query kind is one descriptor (src/contract/queries/<kind>.ts), one handler and one builder in
// src/contract/plan.ts: a kind added to the vocabulary without the others fails to compile or fails here.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';
import { HANDLERS } from '../../../src/service/handlers';
import { parseQuery, QUERY_DESCRIPTORS, QUERY_KINDS } from '../../../src/contract/queries';
import { QUERY_BUILDERS } from '../../../src/contract/plan';
import { SAMPLES } from '../../support/querySamples';

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
});
