import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { filesBelow, REPOSITORY_ROOT } from '../../support/repositoryFiles';

// ARCHITECTURE.md is the newcomer's five-minute map. What it claims about the folders is checked
// here rather than trusted: every folder is in its table, with the rank that dependency-cruiser's
// allow-list gives it, and every file it names exists.

const DOC = 'ARCHITECTURE.md';
/** The top-level folders the map describes besides those of src/. */
const TOP_LEVEL = ['webview', 'python', 'test', 'bench', 'scripts'];
/** About 1,000 words: a five-minute read. */
const MAX_WORDS = 1_200;

const text = readFileSync(path.join(REPOSITORY_ROOT, DOC), 'utf8');

/** The rows of the "Folders" table: rank ('' where none) and folder (as `src/run/`). */
function folderRows(): { rank: string; folder: string }[] {
  const section = text.split(/^## /m).find((s) => s.startsWith('Folders'));
  assert.ok(section, `${DOC} has a "Folders" section`);
  return section
    .split('\n')
    .map((line) => /^\|\s*(\d*)\s*\|\s*`([\w/.-]+)`\s*\|/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ rank: m[1], folder: m[2] }));
}

/**
 * Each folder of src/ with its rank in dependency-cruiser's allow-list: the rule `rank-<folder>`
 * allows the folder itself and those below it, so a folder's rank is the number of distinct
 * sizes of the allowed sets below its own.
 */
function ranksOfTheAllowList(): Map<string, number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(REPOSITORY_ROOT, '.dependency-cruiser.cjs')) as {
    forbidden: { name: string; to: { pathNot?: string } }[];
  };
  const allowed = new Map<string, number>();
  for (const rule of config.forbidden) {
    const folder = /^rank-(\w+)$/.exec(rule.name)?.[1];
    const names = /^\^src\/\(([\w|]+)\)\/$/.exec(rule.to.pathNot ?? '')?.[1];
    if (folder && names) allowed.set(folder, names.split('|').length);
  }
  const sizes = [...new Set(allowed.values())].sort((a, b) => a - b);
  return new Map([...allowed].map(([folder, size]) => [folder, sizes.indexOf(size)]));
}

describe('ARCHITECTURE.md', () => {
  it('names every folder of src/ and every top-level source folder in its table, and only folders that exist', () => {
    const named = folderRows().map((r) => r.folder);
    const folders = [
      ...readdirSync(path.join(REPOSITORY_ROOT, 'src'), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => `src/${e.name}/`),
      ...TOP_LEVEL.map((f) => `${f}/`),
    ];
    assert.deepEqual(
      folders.filter((f) => !named.includes(f)),
      [],
      'folders missing from the table',
    );
    assert.deepEqual(
      named.filter((f) => !existsSync(path.join(REPOSITORY_ROOT, f))),
      [],
      'rows naming no folder',
    );
  });

  it('ranks the folders of src/ as .dependency-cruiser.cjs does, from the floor up', () => {
    const ranks = ranksOfTheAllowList();
    assert.ok(ranks.size >= 10, `the allow-list's rank rules were found (${ranks.size})`);
    const rows = folderRows().filter((r) => r.folder.startsWith('src/'));
    const claimed = new Map(rows.map((r) => [r.folder.slice('src/'.length, -1), Number(r.rank)]));
    assert.deepEqual(claimed, ranks);
    const order = rows.map((r) => Number(r.rank));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      'rows in rank order',
    );
  });

  it('names only files that exist', () => {
    const files = ['src', 'webview', 'python', 'test', 'bench', 'scripts', 'docs'].flatMap(filesBelow);
    const baseNames = new Set(files.map((f) => path.basename(f)));
    const missing: string[] = [];
    for (const [, name] of text.matchAll(/`([\w./-]+\.(?:ts|tsx|mjs|cjs|py|json|md|wat))`/g)) {
      const found = name.includes('/')
        ? existsSync(path.join(REPOSITORY_ROOT, name))
        : baseNames.has(name) || existsSync(path.join(REPOSITORY_ROOT, name));
      if (!found) missing.push(name);
    }
    assert.deepEqual(missing, []);
  });

  it(`is a five-minute read (at most ${MAX_WORDS} words)`, () => {
    const words = text.split(/\s+/).filter((w) => /\w/.test(w)).length;
    assert.ok(words <= MAX_WORDS, `${DOC} has ${words} words`);
  });
});
