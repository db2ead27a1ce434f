// Mechanical enforcement of the module boundaries in ARCHITECTURE.md and the house style, so they
// hold without anyone having to remember them.
//
// Usage: node scripts/check-boundaries.mjs [root]
//   root defaults to the repository this script lives in. Every .ts/.tsx file under root/src and
//   root/webview is scanned for import, export-from, require() and import() specifiers.
//   Violations are printed one per line as `file:line: rule` and the exit status is 1;
//   otherwise a one-line summary is printed and the exit status is 0.
//
// The scan is a regular expression over the source with comments blanked out, not a TypeScript
// parse: it is fast, has no dependencies, and the import forms it does not see (specifiers built
// at run time) are not ones this codebase uses.
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCANNED_DIRS = ['src', 'webview'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);

// The names the house style lists, plus everything this Node version knows, so `fs/promises`,
// `timers` or `dns` are caught too.
const NODE_BUILTINS = new Set([
  ...['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'url', 'util', 'stream', 'events'],
  ...['http', 'https', 'net', 'zlib', 'buffer', 'process', 'module', 'readline', 'assert', 'perf_hooks'],
  ...['v8', 'vm'],
  ...builtinModules.filter((name) => !name.startsWith('_')),
]);

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
if (!existsSync(root) || !statSync(root).isDirectory()) {
  console.error(`check-boundaries: ${root} is not a directory`);
  process.exit(2);
}

const files = SCANNED_DIRS.flatMap((dir) => listSources(path.join(root, dir))).sort();
const violations = [];
for (const file of files) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  const text = readFileSync(file, 'utf8');
  for (const { specifier, line } of findSpecifiers(text)) {
    for (const rule of rulesBroken(rel, specifier)) violations.push(`${rel}:${line}: ${rule}`);
  }
  // The webview API may be acquired only once per webview, so exactly one module may do it.
  if (rel.startsWith('webview/') && rel !== 'webview/vscodeApi.ts') {
    text.split('\n').forEach((content, i) => {
      if (content.includes('acquireVsCodeApi(')) {
        violations.push(`${rel}:${i + 1}: only webview/vscodeApi.ts may call acquireVsCodeApi()`);
      }
    });
  }
}

if (violations.length > 0) {
  for (const v of violations) console.log(v);
  process.exit(1);
}
console.log(`module boundaries: ${files.length} files checked, no violation`);

/** Every .ts/.tsx file below `dir`, skipping node_modules and build output. */
function listSources(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...listSources(full));
    } else if (entry.isFile() && /\.tsx?$/.test(entry.name)) {
      found.push(full);
    }
  }
  return found;
}

/** The module specifiers in `text`, each with the 1-based line its quoted string starts on. */
function findSpecifiers(text) {
  const code = blankComments(text);
  const patterns = [
    // import x from '…', import { a, b } from '…' (across lines), import * as x from '…',
    // import type …, export { … } from '…', export * from '…', export * as ns from '…'.
    /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s*as\s+[\w$]+)?|[\w$]+)\s*from\s*(['"])([^'"\n]+)\1/gm,
    // import '…' (for side effects only).
    /^[ \t]*import\s*(['"])([^'"\n]+)\1/gm,
    // require('…'), import('…'), and `import x = require('…')`; not a method such as foo.require().
    /(?<![\w$.])(?:require|import)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  ];
  const found = [];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const quoteIndex = match.index + match[0].lastIndexOf(match[1] + match[2] + match[1]);
      found.push({ specifier: match[2], line: lineOf(code, quoteIndex) });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/**
 * Replaces comments with spaces (keeping newlines, so line numbers stay right) so that an import
 * mentioned in a comment is not taken for a real one. Strings are kept because specifiers are strings.
 */
function blankComments(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      // Copy the string unchanged, so a `//` inside it (a URL, say) does not start a comment.
      let j = i + 1;
      while (j < text.length && text[j] !== c && !(c !== '`' && text[j] === '\n')) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function lineOf(text, index) {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The rules that importing `specifier` from the repository-relative file `rel` breaks. */
function rulesBroken(rel, specifier) {
  const broken = [];
  const isRelative = specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
  // Specifiers are resolved against the importing file's folder; extensions are irrelevant
  // because every rule is about which folder the target is in.
  const target = isRelative ? path.posix.normalize(path.posix.join(path.posix.dirname(rel), specifier)) : undefined;
  const isTensorflow = specifier.startsWith('@tensorflow/');
  const isNode = !isRelative && isNodeBuiltin(specifier);

  if (under(rel, 'src/analysis')) {
    if (specifier === 'vscode') broken.push(`src/analysis must not import 'vscode'`);
    else if (isTensorflow) broken.push(`src/analysis must not import tfjs ('${specifier}')`);
    else if (isNode) broken.push(`src/analysis must not import Node module '${specifier}'`);
    else if (!isRelative) broken.push(`src/analysis must not import package '${specifier}'`);
    else if (!under(target, 'src/analysis')) {
      broken.push(`src/analysis may only import inside src/analysis ('${specifier}' resolves to ${target})`);
    }
  }

  if (under(rel, 'webview')) {
    if (specifier === 'vscode') broken.push(`webview must not import 'vscode'`);
    if (isTensorflow) broken.push(`webview must not import tfjs ('${specifier}')`);
    if (isNode) broken.push(`webview must not import Node module '${specifier}'`);
    if (isRelative && under(target, 'src/extension')) {
      broken.push(`webview must not import src/extension ('${specifier}')`);
    }
    // The views run in a browser: of the engine they may use only the pure analysis core (the
    // query vocabulary and its types), never the processes behind it.
    const pure = ['src/run/format', 'src/service/queries'];
    for (const dir of ['src/compute', 'src/recorder', 'src/service', 'src/cli', 'src/data', 'src/run', 'src/tfjs']) {
      if (isRelative && under(target, dir) && !pure.includes(target.replace(/\.(ts|js)$/, ''))) broken.push(`webview may import only src/analysis, src/run/format and src/service/queries from src/ ('${specifier}' resolves to ${target})`);
    }
  }

  if (under(rel, 'src/extension')) {
    if (isTensorflow) broken.push(`src/extension must not import tfjs ('${specifier}'); the host stays light`);
    if (isRelative && under(target, 'webview') && !isSharedProtocol(target)) {
      broken.push(`src/extension may import only webview/protocol and webview/page from webview/ ('${specifier}')`);
    }
    // The host starts the recorder as a child process; it may share its message types and read run
    // folders (plain JSON files), but never load the recording code (tfjs) itself.
    const recorderShared = ['src/recorder/protocol'];
    if (isRelative && (under(target, 'src/compute') || under(target, 'src/tfjs') || (under(target, 'src/recorder') && !recorderShared.includes(target.replace(/\.(ts|js)$/, ''))))) {
      broken.push(`src/extension must not import ${target.split('/').slice(0, 2).join('/')} other than src/recorder/protocol ('${specifier}')`);
    }
    // The analysis service runs in its own process: the host talks to it through its client only.
    if (isRelative && under(target, 'src/service') && !['src/service/client', 'src/service/protocol', 'src/service/queries'].includes(target.replace(/\.(ts|js)$/, ''))) {
      broken.push(`src/extension may import only src/service/client and src/service/protocol ('${specifier}')`);
    }
  }

  for (const dir of ['src/compute', 'src/recorder', 'src/cli', 'src/data', 'src/service', 'src/run', 'src/tfjs']) {
    if (under(rel, dir) && specifier === 'vscode') broken.push(`${dir} must not import 'vscode'`);
  }
  return broken;
}

/** True when `p` is the folder `dir` or anything inside it (both repository-relative, posix). */
function under(p, dir) {
  return p === dir || p.startsWith(dir + '/');
}

/** What the host may use from webview/: the message protocol and the page builder (both pure). */
function isSharedProtocol(target) {
  return /^webview\/(protocol|page)(\.ts)?$/.test(target);
}

function isNodeBuiltin(specifier) {
  if (specifier.startsWith('node:')) return true;
  // A builtin may be imported by a subpath such as fs/promises or util/types.
  return NODE_BUILTINS.has(specifier.split('/')[0]);
}
