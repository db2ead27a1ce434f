import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { filesBelow } from '../../support/repositoryFiles';

// The unit and integration tests mirror the source folders, so a reader finds the test of
// src/run/store.ts in test/unit/run/ (in-process) or test/integration/run/ (processes, the build) and
// a new test has one obvious place (docs/testing.md, "Where a test goes"). Helpers shared by the
// tiers live in test/support/. The rules are checked here rather than trusted, because tests written
// on other branches arrive at a merge wherever their authors put them.

const ROOT = path.resolve(__dirname, '../../..');
/** The tiers whose folders mirror the source folders. */
const MIRRORED_TIERS = ['test/unit', 'test/integration'];
/** Where the helpers shared by every tier live (reference implementations, fixture runs); it holds no test. */
const SUPPORT = 'test/support';

/**
 * Folders of a mirrored tier that mirror no source folder, with the reason each exists: a test folder
 * otherwise bears the name of the folder whose code its tests check.
 */
const OWN_FOLDERS: Record<string, string> = {
  repository: 'checks of rules that span the repository: folder boundaries, house rules, this layout',
};

/** Top-level folders whose code a unit test may check, besides the folders of src/. */
const TOP_LEVEL_SOURCES = ['webview', 'bench', 'docs', 'examples', 'scripts'];

/** Where a path mentioned in the repository may point: files that no longer exist are found here. */
const MENTION_ROOTS = [
  'src',
  'webview',
  'docs',
  'scripts',
  'bench',
  'test',
  'README.md',
  'ARCHITECTURE.md',
  '.dependency-cruiser.cjs',
  'package.json',
];
const TEXT = /\.(ts|tsx|mts|cts|js|mjs|cjs|md|wat|json)$/;
/** Files whose mentions of test paths are fixtures of their own tests, not references. */
const FIXTURE_MENTIONS = new Set(['test/integration/repository/boundaries.test.ts', 'test/unit/repository/layout.test.ts']);

/**
 * What breaks the layout among `files` (paths below the tier's folder `tier`, e.g. 'run/store.test.ts'),
 * given the folder names a test folder may bear: one line per problem, naming the file and what to do.
 */
function layoutProblems(files: string[], sourceFolders: ReadonlySet<string>, tier = 'test/unit'): string[] {
  const UNIT = tier;
  const problems: string[] = [];
  for (const file of files) {
    if (!/\.tsx?$/.test(file)) continue;
    const parts = file.split('/');
    const isTest = file.endsWith('.test.ts') || file.endsWith('.test.tsx');
    if (parts.length === 1) {
      problems.push(
        isTest
          ? `${file} sits directly in ${UNIT}: move it to the folder named after the source folder of the module it tests`
          : `${file} is a helper directly in ${UNIT}: move it to ${SUPPORT}`,
      );
      continue;
    }
    const folder = parts[0];
    if (!isTest) problems.push(`${file} is a helper outside ${SUPPORT}: move it there`);
    if (!(folder in OWN_FOLDERS) && !sourceFolders.has(folder))
      problems.push(`${file} is in ${UNIT}/${folder}, which no source folder is named after: use the tested module's folder`);
  }
  return [...new Set(problems)];
}

/** The folder names test/unit may mirror: the folders of src/ and the top-level source folders. */
function sourceFolders(): Set<string> {
  const src = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory());
  return new Set([...src.map((e) => e.name), ...TOP_LEVEL_SOURCES.filter((name) => existsSync(path.join(ROOT, name)))]);
}

describe('test layout: unit and integration tests mirror the source folders, helpers live in test/support', () => {
  it('flags a test or a helper directly in the tier, a helper outside test/support and a folder no source folder is named after', () => {
    const problems = layoutProblems(
      ['flat.test.ts', 'helper.ts', 'run/store.test.ts', 'run/fixture.ts', 'support/tinyRun.ts', 'tickets/issue.test.ts', 'run/README.md'],
      new Set(['run']),
    );
    assert.deepEqual(
      [...new Set(problems.map((p) => p.split(' ')[0]))],
      ['flat.test.ts', 'helper.ts', 'run/fixture.ts', 'support/tinyRun.ts', 'tickets/issue.test.ts'],
    );
  });

  for (const tier of MIRRORED_TIERS) {
    it(`holds for ${tier}: every test in the folder of its source folder, no helper`, () => {
      const files = filesBelow(tier).map((f) => f.slice(tier.length + 1));
      assert.ok(files.length > 40, `only ${files.length} files found below ${tier}`);
      assert.deepEqual(layoutProblems(files, sourceFolders(), tier), []);
    });
  }

  it('test/support holds helpers only', () => {
    const tests = filesBelow(SUPPORT).filter((f) => /\.test\.tsx?$/.test(f));
    assert.deepEqual(tests, [], "a test in test/support: move it beside its module's tests");
  });

  it('every test path that a comment or a document names exists, so moved tests leave no stale pointers', () => {
    const stale: string[] = [];
    for (const file of MENTION_ROOTS.flatMap(filesBelow)) {
      if (!TEXT.test(file) || FIXTURE_MENTIONS.has(file) || file.startsWith('test/fixtures/runs')) continue;
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [mention] of text.matchAll(/\btest\/(?:unit|integration|browser|ui|vscode|support)\/[\w./-]*\w\.(?:tsx?|mjs)\b/g))
        if (!existsSync(path.join(ROOT, mention))) stale.push(`${file} names ${mention}`);
    }
    assert.deepEqual(stale, []);
  });
});
