import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// The repository documents itself: a clone, a packaged extension or a reader on GitHub has only
// what is in it, so no file may point at a document outside it, and every link of the Markdown
// documentation must lead to a file that the repository holds.

const ROOT = path.resolve(__dirname, '../../..');
const SELF = path.relative(ROOT, __filename).split(path.sep).join('/');

/** Files whose text is read; everything else tracked (images, fonts, the lock file) is skipped. */
const TEXT_EXTENSIONS = new Set([
  '.md',
  '.ts',
  '.tsx',
  '.mts',
  '.cts',
  '.js',
  '.mjs',
  '.cjs',
  '.json',
  '.jsonc',
  '.py',
  '.wat',
  '.css',
  '.html',
  '.txt',
  '.yml',
  '.yaml',
  '.sh',
]);
const SKIPPED_FILES = new Set(['package-lock.json']);

/**
 * Markdown file names that a file may name although the repository holds no such file, with the
 * reason: each is a name some other tool looks for, not a document of this project.
 */
const FOREIGN_MARKDOWN_NAMES: Record<string, string> = {
  'license.md': 'scripts/package.mjs lists the licence file names vsce accepts',
};

/**
 * Repository-relative paths (forward slashes) of the files git tracks or would track (new files not
 * yet added count, ignored ones do not), or of the working tree when there is no git.
 */
function repositoryFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = out.split('\0').filter((f) => f !== '' && existsSync(path.join(ROOT, f)));
    if (files.length > 0) return files;
  } catch {
    // No git (an unpacked archive): walk the tree instead.
  }
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      if (['node_modules', 'dist', '.git', 'test-artifacts', '.cnnslicer'].includes(entry.name)) continue;
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) found.push(rel);
    }
  };
  walk('');
  return found;
}

function textFiles(): string[] {
  return repositoryFiles().filter(
    (f) => f !== SELF && !SKIPPED_FILES.has(path.basename(f)) && TEXT_EXTENSIONS.has(path.extname(f).toLowerCase()),
  );
}

interface Finding {
  line: number;
  text: string;
}

/** Patterns of a reference to something outside the repository: the shared docs folder and the machine's work folder. */
const OUTSIDE_PATTERNS: { pattern: RegExp; what: string }[] = [
  { pattern: /(?:\.\.[\\/])+shared[\\/]/, what: 'a path into the shared folder beside the repository' },
  { pattern: /\bshared[\\/](?:docs|reference)[\\/]/, what: 'a path into the shared docs or reference folder' },
  { pattern: /(?:^|[^\w.-])\/work\//, what: 'an absolute path under /work/' },
];

/** Every line of `text` that refers to a path outside the repository (once per line). */
function outsideReferences(text: string): (Finding & { what: string })[] {
  const findings: (Finding & { what: string })[] = [];
  text.split('\n').forEach((line, i) => {
    const hit = OUTSIDE_PATTERNS.find(({ pattern }) => pattern.test(line));
    if (hit) findings.push({ line: i + 1, text: line.trim(), what: hit.what });
  });
  return findings;
}

/** Every Markdown file name (`name.md`, lower case) that `text` mentions, with its line. */
function markdownNames(text: string): (Finding & { name: string })[] {
  const names: (Finding & { name: string })[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/(?<![\w-])([\w-]+\.md)(?![\w-])/gi))
      names.push({ line: i + 1, text: line.trim(), name: m[1].toLowerCase() });
  });
  return names;
}

/** The targets of the inline (`[text](target)`, images too) and reference (`[id]: target`) links of a Markdown text, outside code. */
function markdownLinks(markdown: string): (Finding & { target: string })[] {
  const links: (Finding & { target: string })[] = [];
  let fenced = false;
  markdown.split('\n').forEach((raw, i) => {
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const line = raw.replace(/`[^`]*`/g, (span) => ' '.repeat(span.length));
    for (const m of line.matchAll(/\]\(\s*(?:<([^>]*)>|([^)\s]+))(?:\s+["'(][^)]*)?\s*\)/g))
      links.push({ line: i + 1, text: raw.trim(), target: m[1] ?? m[2] });
    const reference = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (reference) links.push({ line: i + 1, text: raw.trim(), target: reference[1] });
  });
  return links;
}

/**
 * The anchors of a Markdown text's headings, as GitHub makes them: lower case, punctuation other
 * than `-` and `_` removed, each space a `-`, and `-1`, `-2`, … appended to repeats.
 */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const repeats = seen.get(base) ?? 0;
    seen.set(base, repeats + 1);
    anchors.add(repeats === 0 ? base : `${base}-${repeats}`);
  }
  return anchors;
}

/**
 * Why the link `target` written in `fromFile` (repository-relative) does not lead to a file of the
 * repository (or, for a Markdown file, to one of its headings), or `undefined` when it does or is a
 * web link. `read` gives the text of a repository file, or `undefined` when there is none.
 */
function brokenLink(fromFile: string, target: string, read: (relative: string) => string | undefined): string | undefined {
  if (/^(https?:|mailto:)/i.test(target)) return undefined;
  if (/^([a-z][a-z0-9+.-]*:|\/|\\|~)/i.test(target)) return 'is absolute; link to a file of the repository with a relative path';
  const [file, anchor] = target.replace(/\?[^#]*/, '').split('#', 2);
  let decoded: string;
  try {
    decoded = decodeURI(file);
  } catch {
    return 'is not a valid URI';
  }
  const resolved = decoded === '' ? fromFile : path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), decoded));
  if (resolved === '..' || resolved.startsWith('../')) return 'leads outside the repository';
  const text = read(resolved);
  if (text === undefined) return `names ${resolved}, which does not exist`;
  if (anchor && resolved.endsWith('.md') && !headingAnchors(text).has(decodeURIComponent(anchor).toLowerCase())) {
    return `names the heading #${anchor}, which ${resolved} does not have`;
  }
  return undefined;
}

const exists = (relative: string) => existsSync(path.join(ROOT, relative));
const readRepositoryFile = (relative: string): string | undefined => {
  const full = path.join(ROOT, relative);
  if (!existsSync(full)) return undefined;
  return statSync(full).isFile() ? readFileSync(full, 'utf8') : '';
};

describe('the repository documents itself (docs stand alone)', () => {
  describe('the checks', () => {
    it('find references to the shared folder beside the repository and to /work/ paths', () => {
      assert.deepEqual(
        outsideReferences(
          'a\nsee ../shared/docs/design.md\n * (../../../shared/docs/compute-facts.md)\nshared/reference/paper.md\nopen /work/main/x\nsrc/work/file.ts',
        ).map((f) => f.line),
        [2, 3, 4, 5],
      );
      assert.deepEqual(outsideReferences('SharedArrayBuffer, src/analysis/shared.ts, docs/estimators.md'), []);
    });

    it('find the Markdown file names a text mentions', () => {
      assert.deepEqual(
        markdownNames('(design.md, Datasets) and docs/estimators.md; README.md\nfoo.mdx, x.md5').map((n) => [n.line, n.name]),
        [
          [1, 'design.md'],
          [1, 'estimators.md'],
          [1, 'readme.md'],
        ],
      );
    });

    it('find inline, image and reference links but not links in code', () => {
      const md = [
        '[a](docs/a.md) and ![i](media/i.png "title") and [b](<docs/b c.md>)',
        '`[not](x.md)`',
        '```',
        '[no](y.md)',
        '```',
        '[ref]: ../shared/z.md',
      ].join('\n');
      assert.deepEqual(
        markdownLinks(md).map((l) => [l.line, l.target]),
        [
          [1, 'docs/a.md'],
          [1, 'media/i.png'],
          [1, 'docs/b c.md'],
          [6, '../shared/z.md'],
        ],
      );
    });

    it('make the anchors GitHub gives headings', () => {
      const anchors = headingAnchors(
        '# Title\n## Min–max binning\n## Label entropies (paper 5.2)\n```\n# not a heading\n```\n## `code` and [a link](x.md)\n## Title',
      );
      assert.deepEqual([...anchors], ['title', 'minmax-binning', 'label-entropies-paper-52', 'code-and-a-link', 'title-1']);
    });

    it('accept relative links to existing files, headings and web links, and refuse absolute, outside and missing targets', () => {
      const files: Record<string, string> = {
        'docs/run-format.md': '# Run format\n## manifest.json\n',
        'README.md': '# CNN Slicer\n## Tests\n',
        docs: '',
      };
      const read = (f: string) => files[f];
      assert.equal(brokenLink('docs/queries.md', 'run-format.md#manifestjson', read), undefined);
      assert.equal(brokenLink('README.md', 'docs/run-format.md', read), undefined);
      assert.equal(brokenLink('README.md', 'docs', read), undefined);
      assert.equal(brokenLink('docs/queries.md', '../README.md', read), undefined);
      assert.equal(brokenLink('README.md', 'https://example.org/x', read), undefined);
      assert.equal(brokenLink('README.md', '#tests', read), undefined);
      assert.match(brokenLink('README.md', '#testing', read)!, /heading #testing/);
      assert.match(brokenLink('docs/queries.md', 'run-format.md#crash-safety', read)!, /heading #crash-safety/);
      assert.match(brokenLink('README.md', '../shared/docs/estimators.md', read)!, /outside the repository/);
      assert.match(brokenLink('README.md', '/work/shared/docs/estimators.md', read)!, /absolute/);
      assert.match(brokenLink('README.md', 'file:///etc/passwd', read)!, /absolute/);
      assert.match(brokenLink('README.md', 'docs/estimators.md', read)!, /does not exist/);
    });
  });

  it('has its own definition of the estimators, linked from the README', () => {
    assert.ok(exists('docs/estimators.md'), 'docs/estimators.md is missing');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(
      markdownLinks(readme).some((l) => l.target.replace(/#.*$/, '') === 'docs/estimators.md'),
      'README.md does not link to docs/estimators.md',
    );
  });

  it('no tracked text file refers to a path outside the repository', () => {
    const problems: string[] = [];
    for (const file of textFiles()) {
      for (const f of outsideReferences(readFileSync(path.join(ROOT, file), 'utf8')))
        problems.push(`${file}:${f.line}: ${f.what}: ${f.text}`);
    }
    assert.deepEqual(
      problems,
      [],
      `files refer to paths outside the repository; name the repository's own document instead:\n${problems.join('\n')}`,
    );
  });

  it('every Markdown document a tracked text file names is in the repository', () => {
    const held = new Set(repositoryFiles().map((f) => path.basename(f).toLowerCase()));
    const problems: string[] = [];
    for (const file of textFiles()) {
      for (const n of markdownNames(readFileSync(path.join(ROOT, file), 'utf8'))) {
        if (!held.has(n.name) && !(n.name in FOREIGN_MARKDOWN_NAMES)) problems.push(`${file}:${n.line}: ${n.name}: ${n.text}`);
      }
    }
    assert.deepEqual(
      problems,
      [],
      `files name documents the repository does not hold; add the content to a document of docs/ and name that:\n${problems.join('\n')}`,
    );
  });

  it('every link in README, ARCHITECTURE and docs/ is relative and leads to a file (and heading) in the repository', () => {
    const documents = repositoryFiles().filter((f) => f.endsWith('.md') && (!f.includes('/') || f.startsWith('docs/')));
    assert.ok(documents.includes('README.md') && documents.includes('ARCHITECTURE.md'), `documents found: ${documents.join(', ')}`);
    const problems: string[] = [];
    for (const file of documents) {
      for (const link of markdownLinks(readFileSync(path.join(ROOT, file), 'utf8'))) {
        const why = brokenLink(file, link.target, readRepositoryFile);
        if (why) problems.push(`${file}:${link.line}: (${link.target}) ${why}`);
      }
    }
    assert.deepEqual(problems, [], `broken links:\n${problems.join('\n')}`);
  });
});
