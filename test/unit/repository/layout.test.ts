import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { filesBelow } from '../support/repositoryFiles';

// The unit tests mirror the source folders, so a reader finds the test of src/run/store.ts in
// test/unit/run/ and a new test has one obvious place (docs/testing.md, "Where a test goes"). The
// rules are checked here rather than trusted, because tests written on other branches arrive at a
// merge wherever their authors put them.

const ROOT = path.resolve(__dirname, '../../..');
const UNIT = 'test/unit';

/**
 * Folders of test/unit that mirror no source folder, with the reason each exists: a test folder
 * otherwise bears the name of the folder whose code its tests check.
 */
const OWN_FOLDERS: Record<string, string> = {
  support: 'helpers shared by the tests (reference implementations, fixture runs); it holds no test',
  repository: 'checks of rules that span the repository: folder boundaries, house rules, this layout',
};

/** Top-level folders whose code a unit test may check, besides the folders of src/. */
const TOP_LEVEL_SOURCES = ['webview', 'bench', 'docs', 'examples', 'scripts'];

/** Where a path mentioned in the repository may point: files that no longer exist are found here. */
const MENTION_ROOTS = ['src', 'webview', 'docs', 'scripts', 'bench', 'test', 'README.md', 'ARCHITECTURE.md', '.dependency-cruiser.cjs'];
const TEXT = /\.(ts|tsx|mts|cts|js|mjs|cjs|md|wat|json)$/;
/** Files whose mentions of test paths are fixtures of their own tests, not references. */
const FIXTURE_MENTIONS = new Set([`${UNIT}/repository/boundaries.test.ts`, `${UNIT}/repository/layout.test.ts`]);

/**
 * What breaks the layout among `files` (paths below test/unit, e.g. 'run/store.test.ts'), given the
 * folder names a test folder may bear: one line per problem, naming the file and what to do.
 */
function layoutProblems(files: string[], sourceFolders: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (!/\.tsx?$/.test(file)) continue;
    const parts = file.split('/');
    const isTest = file.endsWith('.test.ts') || file.endsWith('.test.tsx');
    if (parts.length === 1) {
      problems.push(
        isTest
          ? `${file} sits directly in ${UNIT}: move it to the folder named after the source folder of the module it tests`
          : `${file} is a helper directly in ${UNIT}: move it to ${UNIT}/support`,
      );
      continue;
    }
    const folder = parts[0];
    if (folder === 'support') {
      if (isTest) problems.push(`${file} is a test in ${UNIT}/support, which holds helpers only: move it beside its module's tests`);
      continue;
    }
    if (!isTest) problems.push(`${file} is a helper outside ${UNIT}/support: move it there`);
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

describe('test layout: unit tests mirror the source folders', () => {
  it('flags a test or a helper directly in test/unit, a helper outside support, a test in support and a folder no source folder is named after', () => {
    const problems = layoutProblems(
      [
        'flat.test.ts',
        'helper.ts',
        'run/store.test.ts',
        'run/fixture.ts',
        'support/tinyRun.ts',
        'support/tinyRun.test.ts',
        'tickets/issue.test.ts',
        'run/README.md',
      ],
      new Set(['run']),
    );
    assert.deepEqual(
      problems.map((p) => p.split(' ')[0]),
      ['flat.test.ts', 'helper.ts', 'run/fixture.ts', 'support/tinyRun.test.ts', 'tickets/issue.test.ts'],
    );
  });

  it('holds for test/unit: every test in the folder of its source folder, every helper in support', () => {
    const prefix = `${UNIT}/`;
    const files = filesBelow(UNIT).map((f) => f.slice(prefix.length));
    assert.ok(files.length > 90, `only ${files.length} files found below ${UNIT}`);
    assert.deepEqual(layoutProblems(files, sourceFolders()), []);
  });

  it('every test path that a comment or a document names exists, so moved tests leave no stale pointers', () => {
    const stale: string[] = [];
    for (const file of MENTION_ROOTS.flatMap(filesBelow)) {
      if (!TEXT.test(file) || FIXTURE_MENTIONS.has(file) || file.startsWith('test/fixtures/runs')) continue;
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [mention] of text.matchAll(/\btest\/(?:unit|browser|vscode)\/[\w./-]*\w\.(?:tsx?|mjs)\b/g))
        if (!existsSync(path.join(ROOT, mention))) stale.push(`${file} names ${mention}`);
    }
    assert.deepEqual(stale, []);
  });
});
