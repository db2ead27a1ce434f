/**
 * Finds model definition files and the layer definitions in them without running anything, for
 * the CodeLens, the hover, the `cnnSlicer.isModelFile` context key and the cursor → panel link.
 *
 * The formats are those the recorder loads (src/recorder/modelLoader.ts): a TypeScript or
 * JavaScript module whose `createModel` (or default / `module.exports`) builds a model from
 * `tf.layers.*` calls, and a TensorFlow.js layers-format `model.json`.
 *
 * This is a small tolerant scanner, not a parser: the TypeScript compiler would make the extension
 * host bundle several megabytes larger, and it parses a 1 MB file in over a second where this
 * scanner needs tens of milliseconds. The lexer knows comments, strings, template literals (with nested `${}` code) and
 * regular expression literals well enough that text inside them is never mistaken for code, and it
 * never throws: an unterminated string ends at its line, an unterminated comment or template at
 * the end of the file. Pure (no `vscode` import), so it is unit-tested in plain Node.
 *
 * Positions are 0-based (line, column in UTF-16 code units), as `vscode.Position` counts; the
 * recorder's manifest is 1-based, `recordedInFile` converts.
 */

/** A layer definition found in the source, in source order. */
export interface DetectedLayer {
  /** The tf.layers factory called (`conv2d`, `maxPooling2d`, `input` for `tf.input`), for modules. */
  factory?: string;
  /** The Keras class name (`Conv2D`), for model.json entries. */
  className?: string;
  /** The layer's `name` when the source gives it as a literal. */
  name?: string;
  /** Start of the expression (`tf` of `tf.layers.conv2d(`), as the recorder locates layers. */
  line: number;
  column: number;
  /** End of the call (just after its closing parenthesis) or of the JSON entry. */
  endLine: number;
  endColumn: number;
}

export interface ModelDetection {
  kind: 'module' | 'json';
  /** The file is something the recorder can load as a model (the `cnnSlicer.isModelFile` key). */
  isModel: boolean;
  /** Layer definitions; a helper module that only creates layers has these but `isModel` false. */
  layers: DetectedLayer[];
}

/** The import specifiers that are TensorFlow.js: those the recorder's shim resolves (modelLoader.ts). */
const TFJS_MODULE = /^@tensorflow\/tfjs(-node|-node-gpu)?$/;

/**
 * Detects a model in a file's text. `fileName` decides the format (`.json` or a module). Returns
 * undefined when the file holds neither a model nor a layer definition.
 */
export function detectModel(text: string, fileName: string): ModelDetection | undefined {
  return /\.json$/i.test(fileName) ? detectModelJson(text) : detectModelModule(text);
}

// ---------------------------------------------------------------------------------------------
// The lexer

const enum Kind {
  Ident,
  Punct,
  /** A quoted string. */
  String,
  /** A whole template literal without substitutions (its value is known). */
  Template,
  /** A part of a template around a substitution: `\`…${`, `}…${` or `}…\``. */
  TemplatePart,
  Number,
  Regex,
}

/** The punctuator code of `...` (spread), so it never reads as member access. */
const ELLIPSIS = 0x2026;

// Keywords after which `/` starts a regular expression rather than a division.
const REGEX_AFTER_KEYWORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 36 || c === 95 || c === 35 || c > 127;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** A string literal's value: escapes of quotes and backslashes undone, which is all names need. */
function unescape(raw: string): string {
  return raw.includes('\\') ? raw.replace(/\\(.)/g, '$1') : raw;
}

/**
 * The tokens of a module as parallel typed arrays rather than one object per token: a 1 MB file
 * has a few hundred thousand tokens, and objects for them cost more in garbage collection than
 * the whole scan. Queries take an index and answer false past either end.
 */
class Tokens {
  kind = new Uint8Array(1024);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  /** Punctuators: the character code (`.` also for `?.`, ELLIPSIS for `...`). Strings: 1 when closed. */
  code = new Int32Array(1024);
  length = 0;
  /** Indices of the strings that begin like a TensorFlow.js module name (import candidates). */
  readonly tfjsStrings: number[] = [];

  constructor(readonly text: string) {}

  push(kind: Kind, start: number, end: number, code = 0): void {
    if (this.length === this.kind.length) {
      const grow = <T extends Uint8Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.kind = grow(this.kind);
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.code = grow(this.code);
    }
    const i = this.length++;
    this.kind[i] = kind;
    this.start[i] = start;
    this.end[i] = end;
    this.code[i] = code;
  }

  /** Whether token i is the punctuator `p` (one character, or '...'). */
  punct(i: number, p: string): boolean {
    return i >= 0 && i < this.length && this.kind[i] === Kind.Punct && this.code[i] === (p === '...' ? ELLIPSIS : p.charCodeAt(0));
  }

  /** Whether token i is an identifier (named `name`, when given). */
  ident(i: number, name?: string): boolean {
    if (i < 0 || i >= this.length || this.kind[i] !== Kind.Ident) return false;
    if (name === undefined) return true;
    return this.end[i] - this.start[i] === name.length && this.text.startsWith(name, this.start[i]);
  }

  /** Whether token i is a string or a plain template literal. */
  isString(i: number): boolean {
    return i >= 0 && i < this.length && (this.kind[i] === Kind.String || this.kind[i] === Kind.Template);
  }

  /** An identifier's name, or a string's / plain template's value; '' for anything else. */
  value(i: number): string {
    if (i < 0 || i >= this.length) return '';
    const s = this.start[i];
    const e = this.end[i];
    switch (this.kind[i]) {
      case Kind.Ident:
        return this.text.slice(s, e);
      case Kind.String:
        return unescape(this.text.slice(s + 1, this.code[i] ? e - 1 : e));
      case Kind.Template:
        return unescape(this.text.slice(s + 1, e - 1));
      default:
        return '';
    }
  }
}

/** Tokens of JavaScript / TypeScript code; comments are skipped. Linear in the text, never throws. */
function tokenize(text: string): Tokens {
  const tokens = new Tokens(text);
  const n = text.length;
  // Brace depths at which an open template substitution `${` closes, innermost last.
  const templateDepths: number[] = [];
  let braceDepth = 0;
  let i = 0;

  const regexAllowed = (): boolean => {
    const prev = tokens.length - 1;
    if (prev < 0) return true;
    switch (tokens.kind[prev]) {
      case Kind.Ident:
        return REGEX_AFTER_KEYWORD.has(tokens.value(prev));
      case Kind.Punct: {
        const p = tokens.code[prev];
        return p !== 41 && p !== 93 && p !== 125; // ) ] }
      }
      case Kind.TemplatePart:
        // A head or middle (`…${`) opens an expression; the tail (`}…\``) ends one.
        return text.charCodeAt(tokens.end[prev] - 1) === 123;
      default:
        return false;
    }
  };

  /**
   * Scans template characters from `from` (just after a backtick or a substitution's `}`) and
   * returns where lexing goes on. Returns the index rather than setting `i`, so that `i` stays a
   * plain local of the hot loop instead of a closure variable.
   */
  const templateChars = (from: number, tokenStart: number): number => {
    let j = from;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 92) {
        j += 2;
        continue;
      }
      if (c === 96) {
        const whole = text.charCodeAt(tokenStart) === 96;
        if (whole && text.startsWith('@tensorflow/tfjs', tokenStart + 1)) tokens.tfjsStrings.push(tokens.length);
        tokens.push(whole ? Kind.Template : Kind.TemplatePart, tokenStart, j + 1);
        return j + 1;
      }
      if (c === 36 && text.charCodeAt(j + 1) === 123) {
        tokens.push(Kind.TemplatePart, tokenStart, j + 2);
        templateDepths.push(braceDepth);
        braceDepth++;
        return j + 2;
      }
      j++;
    }
    // Unterminated: the rest of the file is the template.
    tokens.push(Kind.TemplatePart, tokenStart, n);
    return n;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    // Whitespace, including the BOM, NBSP and Unicode line separators documents may hold.
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029) {
      i++;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      tokens.push(Kind.Ident, i, j);
      i = j;
      continue;
    }
    if (c === 47) {
      const d = text.charCodeAt(i + 1);
      if (d === 47) {
        const eol = text.indexOf('\n', i + 2);
        i = eol < 0 ? n : eol + 1;
        continue;
      }
      if (d === 42) {
        const close = text.indexOf('*/', i + 2);
        i = close < 0 ? n : close + 2;
        continue;
      }
      if (regexAllowed()) {
        let j = i + 1;
        let inClass = false;
        let closed = false;
        while (j < n) {
          const r = text.charCodeAt(j);
          if (r === 10 || r === 13) break;
          if (r === 92) {
            j += 2;
            continue;
          }
          if (r === 91) inClass = true;
          else if (r === 93) inClass = false;
          else if (r === 47 && !inClass) {
            closed = true;
            break;
          }
          j++;
        }
        if (closed) {
          j++;
          while (j < n && isIdentPart(text.charCodeAt(j))) j++;
          tokens.push(Kind.Regex, i, j);
          i = j;
          continue;
        }
        // No closing slash on the line: not a regular expression after all, a lone punctuator.
      }
      tokens.push(Kind.Punct, i, i + 1, c);
      i++;
      continue;
    }
    if (c === 39 || c === 34) {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const s = text.charCodeAt(j);
        if (s === c) {
          closed = true;
          break;
        }
        if (s === 92) {
          // An escaped line break continues the string; any other escape is one character.
          j += text.charCodeAt(j + 1) === 13 && text.charCodeAt(j + 2) === 10 ? 3 : 2;
          continue;
        }
        // Unterminated: a string never spans a raw line break, so it ends here and lexing goes on.
        if (s === 10 || s === 13) break;
        j++;
      }
      j = Math.min(j, n);
      if (text.startsWith('@tensorflow/tfjs', i + 1)) tokens.tfjsStrings.push(tokens.length);
      tokens.push(Kind.String, i, closed ? j + 1 : j, closed ? 1 : 0);
      i = closed ? j + 1 : j;
      continue;
    }
    if (c === 96) {
      i = templateChars(i + 1, i);
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && (isIdentPart(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      tokens.push(Kind.Number, i, j);
      i = j;
      continue;
    }
    if (c === 123) {
      braceDepth++;
    } else if (c === 125) {
      braceDepth--;
      if (templateDepths.length && templateDepths[templateDepths.length - 1] === braceDepth) {
        // The `}` closing a template substitution: the template's text goes on.
        templateDepths.pop();
        i = templateChars(i + 1, i);
        continue;
      }
    } else if (c === 46) {
      if (text.charCodeAt(i + 1) === 46 && text.charCodeAt(i + 2) === 46) {
        tokens.push(Kind.Punct, i, i + 3, ELLIPSIS);
        i += 3;
        continue;
      }
      const d = text.charCodeAt(i + 1);
      if (d >= 48 && d <= 57) {
        let j = i + 1;
        while (j < n && isIdentPart(text.charCodeAt(j))) j++;
        tokens.push(Kind.Number, i, j);
        i = j;
        continue;
      }
    } else if (c === 63 && text.charCodeAt(i + 1) === 46 && !(text.charCodeAt(i + 2) >= 48 && text.charCodeAt(i + 2) <= 57)) {
      // Optional chaining `a?.b` reads as member access here.
      tokens.push(Kind.Punct, i, i + 2, 46);
      i += 2;
      continue;
    }
    tokens.push(Kind.Punct, i, i + 1, c);
    i++;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Modules

/** The names under which a module reaches TensorFlow.js. */
interface TfNames {
  /** Namespace objects: `tf` of `import * as tf`, `const tf = require(…)`. */
  namespaces: Set<string>;
  /** The `layers` object: `import { layers } …`, `const L = tf.layers`. */
  layers: Set<string>;
  /** The `input` function: `import { input } …`. */
  inputs: Set<string>;
  /** Whether the module imports or requires TensorFlow.js at all. */
  imported: boolean;
}

type Binding = { imported: string; local: string };

/** Reads `{ a, b as c, type d }` (imports, exports) or `{ a, b: c }` (destructuring) from the `{` at `open`. */
function bindingList(t: Tokens, open: number, renameWith: 'as' | ':'): Binding[] {
  const out: Binding[] = [];
  let k = open + 1;
  while (k < t.length && !t.punct(k, '}')) {
    if (t.ident(k, 'type') && t.ident(k + 1) && !t.ident(k + 1, 'as')) k++;
    if (t.ident(k) || t.isString(k)) {
      const imported = t.value(k);
      let local = imported;
      if ((renameWith === 'as' && t.ident(k + 1, 'as')) || (renameWith === ':' && t.punct(k + 1, ':'))) {
        if (t.ident(k + 2)) local = t.value(k + 2);
        k += 2;
      }
      out.push({ imported, local });
    }
    // Skip to after the next `,` at this level, or to the closing brace (default values, nested patterns).
    let depth = 0;
    k++;
    for (; k < t.length; k++) {
      if (t.kind[k] !== Kind.Punct) continue;
      const p = t.code[k];
      if (p === 123 || p === 40 || p === 91) depth++;
      else if (p === 41 || p === 93) depth--;
      else if (p === 125) {
        if (depth === 0) break;
        depth--;
      } else if (p === 44 && depth === 0) {
        k++;
        break;
      }
    }
  }
  return out;
}

function addBindings(names: TfNames, bindings: Binding[]): void {
  for (const b of bindings) {
    if (b.imported === 'layers') names.layers.add(b.local);
    else if (b.imported === 'input') names.inputs.add(b.local);
    else if (b.imported === 'default') names.namespaces.add(b.local);
  }
}

/** The `{` opening the pattern whose `}` is at `close`, looking back a bounded distance; -1 if none. */
function openingBrace(t: Tokens, close: number): number {
  let depth = 0;
  for (let m = close; m >= 0 && close - m < 400; m--) {
    if (t.punct(m, '}')) depth++;
    else if (t.punct(m, '{') && --depth === 0) return m;
  }
  return -1;
}

/** Finds the TensorFlow.js namespace, `layers` and `input` bindings of a module. */
function tfNames(t: Tokens): TfNames {
  // `tf` is always accepted: scripts and notebooks use a global `tf`, and a local module that
  // re-exports TensorFlow.js is nearly always imported under that name.
  const names: TfNames = { namespaces: new Set(['tf']), layers: new Set(), inputs: new Set(), imported: false };
  for (const i of t.tfjsStrings) {
    if (!TFJS_MODULE.test(t.value(i))) continue;
    names.imported = true;
    // import … from 'tfjs'
    if (t.ident(i - 1, 'from')) {
      let k = i - 2;
      // Back to the `import` keyword over the clause (bounded: clauses are short).
      while (k >= 0 && i - k < 400 && !t.ident(k, 'import') && !t.ident(k, 'export')) k--;
      if (!t.ident(k, 'import') || t.ident(k + 1, 'type')) continue; // re-exports and type-only imports bind nothing here
      let j = k + 1;
      if (t.ident(j) && !t.ident(j, 'from')) {
        names.namespaces.add(t.value(j)); // default import
        j++;
        if (t.punct(j, ',')) j++;
      }
      if (t.punct(j, '*') && t.ident(j + 1, 'as') && t.ident(j + 2)) names.namespaces.add(t.value(j + 2));
      else if (t.punct(j, '{')) addBindings(names, bindingList(t, j, 'as'));
      continue;
    }
    // require('tfjs') / import('tfjs'), bound by `X =`, `{ … } =` or `import X = require(…)`
    if (t.punct(i - 1, '(') && (t.ident(i - 2, 'require') || t.ident(i - 2, 'import'))) {
      let k = i - 3;
      if (t.ident(k, 'await')) k--;
      if (!t.punct(k, '=')) continue;
      if (t.ident(k - 1)) names.namespaces.add(t.value(k - 1));
      else if (t.punct(k - 1, '}')) {
        const open = openingBrace(t, k - 1);
        if (open >= 0) addBindings(names, bindingList(t, open, ':'));
      }
    }
  }
  // `const L = tf.layers` and `const { layers: L, input } = tf`, once the namespaces are known.
  const { kind, code } = t;
  for (let i = 1; i + 1 < t.length; i++) {
    // Hot loop over every token: plain array reads first, method calls only on a hit.
    if (kind[i] !== Kind.Punct || code[i] !== 61 || kind[i + 1] !== Kind.Ident || !names.namespaces.has(t.value(i + 1))) continue;
    if (t.punct(i + 2, '.') && t.ident(i + 3, 'layers') && !t.punct(i + 4, '.') && t.ident(i - 1)) {
      names.layers.add(t.value(i - 1));
    } else if (t.punct(i - 1, '}') && !t.punct(i + 2, '.')) {
      const open = openingBrace(t, i - 1);
      if (open > 0 && (t.ident(open - 1, 'const') || t.ident(open - 1, 'let') || t.ident(open - 1, 'var'))) addBindings(names, bindingList(t, open, ':'));
    }
  }
  return names;
}

/** The token index of the bracket closing the `(`, `[` or `{` at `open`, or -1 (unbalanced or too far). */
function closing(t: Tokens, open: number): number {
  const want = t.code[open] === 40 ? 41 : t.code[open] + 2; // ( → ), [ → ], { → }
  let depth = 0;
  // Bounded, so a file of many unclosed calls stays linear rather than quadratic.
  const limit = Math.min(t.length, open + 20000);
  for (let k = open; k < limit; k++) {
    if (t.kind[k] !== Kind.Punct) continue;
    const p = t.code[k];
    if (p === 40 || p === 91 || p === 123) depth++;
    else if (p === 41 || p === 93 || p === 125) {
      depth--;
      if (depth === 0) return p === want ? k : -1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

/** The literal `name` of a layer options object `({ …, name: 'conv1', … })` whose `(` is at `open`. */
function literalName(t: Tokens, open: number, close: number): string | undefined {
  if (!t.punct(open + 1, '{')) return undefined;
  let depth = 0;
  for (let k = open + 1; k < close; k++) {
    if (t.kind[k] === Kind.Punct) {
      const p = t.code[k];
      if (p === 123 || p === 40 || p === 91) depth++;
      else if (p === 125 || p === 41 || p === 93) depth--;
      continue;
    }
    // A key `name` (or 'name') directly in the options object: after `{` or `,`, before `:`.
    if (depth !== 1 || !(t.ident(k, 'name') || (t.kind[k] === Kind.String && t.value(k) === 'name'))) continue;
    if (!(t.punct(k - 1, '{') || t.punct(k - 1, ',')) || !t.punct(k + 1, ':')) continue;
    // Only a literal that is the whole value (not `'a' + i`).
    return t.isString(k + 2) && (t.punct(k + 3, ',') || t.punct(k + 3, '}')) ? t.value(k + 2) : undefined;
  }
  return undefined;
}

/**
 * The identifiers that may start a pattern of interest: the first character is that of a head,
 * the identifier is not a member (`x.tf`), and it is followed by `.` or `(` (every head is) or
 * is `export`. This is the one loop over every token, kept small and free of calls so that V8
 * optimises it early: the cold first scan of a large file is what the user waits for.
 */
function candidateHeads(t: Tokens, firstChars: Uint8Array): number[] {
  const { kind, start, code, text } = t;
  const out: number[] = [];
  for (let i = 0, n = t.length; i < n; i++) {
    if (kind[i] !== Kind.Ident || firstChars[text.charCodeAt(start[i])] !== 1) continue;
    if (i > 0 && kind[i - 1] === Kind.Punct && code[i - 1] === 46) continue;
    const next = i + 1 < n && kind[i + 1] === Kind.Punct ? code[i + 1] : 0;
    if (next === 46 || next === 40 || (t.end[i] - start[i] === 6 && text.startsWith('export', start[i]))) out.push(i);
  }
  return out;
}

function detectModelModule(text: string): ModelDetection | undefined {
  // Cheap rejection, before any lexing, of the many files that cannot hold a model: a model
  // names createModel, imports tfjs, or uses a global tf (tf.layers, tf.input).
  if (!/createModel|tfjs|\btf\b/.test(text)) return undefined;
  const t = tokenize(text);
  const names = tfNames(t);
  let lines: number[] | undefined;
  const layers: DetectedLayer[] = [];
  let usesTf = names.imported;
  let strongFactory = false; // exports something named createModel
  let weakFactory = false; // a default export or module.exports: a model only if tfjs is used too

  // Every head the loop looks for, so most identifiers are passed over without building a string.
  const heads = [...new Set([...names.namespaces, ...names.layers, ...names.inputs, 'export', 'module', 'exports'])];
  const firstChars = new Uint8Array(0x10000);
  for (const h of heads) firstChars[h.charCodeAt(0)] = 1;
  for (const i of candidateHeads(t, firstChars)) {
    let head: string | undefined;
    for (const h of heads) {
      if (t.ident(i, h)) {
        head = h;
        break;
      }
    }
    if (head === undefined) continue;

    // Layer factory calls: tf.layers.f(, layers.f(, tf.input(, input(.
    let factory: string | undefined;
    let open = -1;
    if (names.namespaces.has(head) && t.punct(i + 1, '.')) {
      if (t.ident(i + 2, 'layers') && t.punct(i + 3, '.') && t.ident(i + 4) && t.punct(i + 5, '(')) {
        factory = t.value(i + 4);
        open = i + 5;
      } else if (t.ident(i + 2, 'input') && t.punct(i + 3, '(')) {
        factory = 'input';
        open = i + 3;
      } else if ((t.ident(i + 2, 'sequential') || t.ident(i + 2, 'model') || t.ident(i + 2, 'loadLayersModel')) && t.punct(i + 3, '(')) {
        usesTf = true;
      }
    } else if (names.layers.has(head) && t.punct(i + 1, '.') && t.ident(i + 2) && t.punct(i + 3, '(')) {
      factory = t.value(i + 2);
      open = i + 3;
    } else if (names.inputs.has(head) && t.punct(i + 1, '(')) {
      factory = 'input';
      open = i + 1;
    }
    // The recorder locates only the lower-case factories (`tf.layers.Layer` is a class, not a layer).
    if (factory !== undefined && /^[a-z]/.test(factory)) {
      usesTf = true;
      lines ??= lineStarts(text);
      const close = closing(t, open);
      const end = close >= 0 ? t.end[close] : lineEnd(text, lines, t.start[i]);
      const name = close >= 0 ? literalName(t, open, close) : undefined;
      const start = position(lines, t.start[i]);
      const stop = position(lines, end);
      layers.push({ factory, ...(name !== undefined ? { name } : {}), line: start.line, column: start.column, endLine: stop.line, endColumn: stop.column });
      continue;
    }

    // Exports of the model factory, in the forms the loader accepts (createModel, default, CommonJS).
    if (head === 'export') {
      if (t.ident(i + 1, 'default')) weakFactory = true;
      else if (t.punct(i + 1, '{')) {
        for (const b of bindingList(t, i + 1, 'as')) {
          if (b.local === 'createModel') strongFactory = true;
          else if (b.local === 'default') weakFactory = true;
        }
      } else {
        // export [async] function[*] createModel / export const|let|var createModel
        let k = i + 1;
        if (t.ident(k, 'async')) k++;
        if (t.ident(k, 'function') || t.ident(k, 'const') || t.ident(k, 'let') || t.ident(k, 'var')) k++;
        if (t.punct(k, '*')) k++;
        if (k > i + 1 && t.ident(k, 'createModel')) strongFactory = true;
      }
    } else if (head === 'module' && t.punct(i + 1, '.') && t.ident(i + 2, 'exports')) {
      if (t.punct(i + 3, '=') && !t.punct(i + 4, '=')) {
        if (t.punct(i + 4, '{')) {
          // module.exports = { createModel, … }
          const close = closing(t, i + 4);
          const stop = close >= 0 ? close : Math.min(t.length, i + 2000);
          for (let k = i + 5; k < stop; k++) if (t.ident(k, 'createModel') || (t.kind[k] === Kind.String && t.value(k) === 'createModel')) strongFactory = true;
        } else weakFactory = true;
      } else if (t.punct(i + 3, '.') && t.punct(i + 5, '=')) {
        if (t.ident(i + 4, 'createModel')) strongFactory = true;
        else if (t.ident(i + 4, 'default')) weakFactory = true;
      }
    } else if (head === 'exports' && t.punct(i + 1, '.') && t.punct(i + 3, '=')) {
      if (t.ident(i + 2, 'createModel')) strongFactory = true;
      else if (t.ident(i + 2, 'default')) weakFactory = true;
    }
  }

  const isModel = strongFactory || (weakFactory && usesTf);
  if (!isModel && layers.length === 0) return undefined;
  return { kind: 'module', isModel, layers };
}

// ---------------------------------------------------------------------------------------------
// model.json

/**
 * Layers of a TensorFlow.js layers-format model.json: the entries of `modelTopology.config.layers`
 * (or `modelTopology.model_config.config.layers` as the Keras converter writes it, or an old
 * Sequential's `config` array). Each is located at its `"class_name"` key. A tolerant tokenizer
 * rather than JSON.parse, because positions are needed and a file being edited is often invalid.
 */
function detectModelJson(text: string): ModelDetection | undefined {
  if (!text.includes('"modelTopology"')) return undefined;
  const lines = lineStarts(text);
  interface Frame {
    array: boolean;
    /** The key whose value is being read (objects) or the element index (arrays). */
    key: string | number | undefined;
    /** Set on the frame of a layer entry. */
    layer?: { at: number; keyAt?: number; className?: string; name?: string; configName?: string };
  }
  const stack: Frame[] = [];
  const layers: DetectedLayer[] = [];
  let isModel = false;
  let expectKey = false;
  const n = text.length;
  let i = 0;

  const pathIs = (...keys: (string | 0)[]): boolean => {
    if (stack.length !== keys.length) return false;
    for (let k = 0; k < keys.length; k++) {
      const want = keys[k];
      const key = stack[k].key;
      if (want === 0 ? typeof key !== 'number' : key !== want) return false;
    }
    return true;
  };
  const atLayerEntry = (): boolean =>
    pathIs('modelTopology', 'config', 'layers', 0) ||
    pathIs('modelTopology', 'model_config', 'config', 'layers', 0) ||
    pathIs('modelTopology', 'config', 0) ||
    pathIs('modelTopology', 'model_config', 'config', 0);

  /** A value (string, number, literal, or a container's end) was read: the parent moves on. */
  const valueDone = (): void => {
    const top = stack[stack.length - 1];
    if (!top) return;
    if (top.array && typeof top.key === 'number') top.key++;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      while (j < n) {
        const s = text.charCodeAt(j);
        if (s === 34 || s === 10) break;
        j += s === 92 ? 2 : 1;
      }
      const value = unescape(text.slice(i + 1, Math.min(j, n)));
      const top = stack[stack.length - 1];
      if (top && !top.array && expectKey) {
        top.key = value;
        expectKey = false;
        if (stack.length === 1 && value === 'modelTopology') isModel = true;
        if (top.layer && value === 'class_name') top.layer.keyAt = i;
      } else {
        // A string value: note the layer entry's class and names.
        const entry = top?.layer;
        if (entry && top.key === 'class_name') entry.className = value;
        else if (entry && top.key === 'name') entry.name = value;
        const parent = stack[stack.length - 2];
        if (parent?.layer && parent.key === 'config' && top && top.key === 'name') parent.layer.configName = value;
        valueDone();
      }
      i = j + 1;
      continue;
    }
    if (c === 123 || c === 91) {
      const layerHere = c === 123 && atLayerEntry();
      stack.push({ array: c === 91, key: c === 91 ? 0 : undefined, ...(layerHere ? { layer: { at: i } } : {}) });
      expectKey = c === 123;
      i++;
      continue;
    }
    if (c === 125 || c === 93) {
      const frame = stack.pop();
      const entry = frame?.layer;
      if (entry) {
        const start = position(lines, entry.keyAt ?? entry.at);
        const end = position(lines, i + 1);
        const name = entry.name ?? entry.configName;
        layers.push({
          ...(entry.className !== undefined ? { className: entry.className } : {}),
          ...(name !== undefined ? { name } : {}),
          line: start.line,
          column: start.column,
          endLine: end.line,
          endColumn: end.column,
        });
      }
      valueDone();
      i++;
      continue;
    }
    if (c === 44) {
      const top = stack[stack.length - 1];
      if (top && !top.array) expectKey = true;
      i++;
      continue;
    }
    if (c === 58 || c === 32 || c === 10 || c === 13 || c === 9) {
      i++;
      continue;
    }
    // Numbers, true / false / null: one value, up to the next delimiter.
    let j = i;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (d === 44 || d === 58 || d === 123 || d === 125 || d === 91 || d === 93 || d === 34 || d === 32 || d === 10 || d === 13 || d === 9) break;
    }
    valueDone();
    i = Math.max(j, i + 1);
  }
  if (!isModel) return undefined;
  return { kind: 'json', isModel, layers };
}

// ---------------------------------------------------------------------------------------------
// Static definitions ↔ the layers of a recorded run

/** A layer of a recorded run defined in this file, at its recorded position made 0-based. */
export interface RecordedLayer {
  index: number;
  name: string;
  className: string;
  line: number;
  column: number;
}

/** Where a layer definition is, and which layers of the run (if any) it made. */
export interface LayerSite {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The static detection of this definition (absent when only the run knows it). */
  detected?: DetectedLayer;
  /** Run layer indices created here, ascending: several when a helper is called more than once. */
  layers: number[];
}

/**
 * The run's layers defined in `file`: the manifest's 1-based source positions made 0-based.
 * `sameFile` compares paths as the platform does (the caller knows about case-insensitive disks).
 */
export function recordedInFile(
  layers: readonly { index: number; name: string; className: string; source?: { file: string; line: number; column: number } }[],
  sameFile: (path: string) => boolean,
): RecordedLayer[] {
  const out: RecordedLayer[] = [];
  for (const l of layers) {
    if (!l.source || !sameFile(l.source.file)) continue;
    out.push({ index: l.index, name: l.name, className: l.className, line: Math.max(0, l.source.line - 1), column: Math.max(0, l.source.column - 1) });
  }
  return out;
}

/**
 * A comparable key for a layer kind: tf.layers factory names and Keras class names agree once
 * lower-cased (`maxPooling2d` ~ `MaxPooling2D`), except for tfjs's short aliases (`maxPool2d`,
 * `avgPool2d`) and `tf.input`, which are spelled out here.
 */
export function layerKindKey(kind: string): string {
  let k = kind.toLowerCase().replace(/[^a-z0-9]/g, '');
  k = k.replace(/avg/g, 'average').replace(/pool(\d|$)/, 'pooling$1');
  if (k === 'input' || k === 'inputlayer') return 'input';
  return k;
}

function kindOf(d: DetectedLayer): string | undefined {
  const k = d.factory ?? d.className;
  return k === undefined ? undefined : layerKindKey(k);
}

/**
 * Places the layers of a run on the definitions found in the current text. When the file has not
 * changed since the run, every recorded position is the start of a detected call. When it has
 * (lines moved, layers added, removed or reordered), a recorded position may now hold another
 * layer, so positions alone are not trusted: layers are matched by a unique literal name first
 * (always present in model.json, often in code), then by order (the longest common subsequence of
 * compatible layer kinds), preferring among equally long alignments the one that keeps more
 * recorded positions. Lenses thereby stay on their layers while the user edits. Recorded layers
 * that match nothing are kept at their recorded position only when every match was at its
 * recorded position (the file looks unchanged and the scanner just missed a call form);
 * otherwise they are stale and dropped.
 *
 * `fileUnchanged` is what the caller knows for sure (the file on disk is older than the run and
 * the editor holds no unsaved change): then recorded positions are taken as they are, placed on
 * the detected call at that position or on the same line, and kept where no call was detected.
 *
 * `inputLayer` is the run's index of the model input (0), which the recorder does not locate:
 * a single `tf.input(…)` call stands for it.
 */
export function layerSites(
  detected: readonly DetectedLayer[],
  recorded: readonly RecordedLayer[],
  options: { inputLayer?: number; fileUnchanged?: boolean } = {},
): LayerSite[] {
  // Recorded layers grouped by position: one definition may create several layers.
  interface Group {
    line: number;
    column: number;
    layers: RecordedLayer[];
    names: Set<string>;
    kinds: Set<string>;
  }
  const groups: Group[] = [];
  const byPosition = new Map<string, Group>();
  for (const r of recorded) {
    const key = `${r.line}:${r.column}`;
    let g = byPosition.get(key);
    if (!g) {
      g = { line: r.line, column: r.column, layers: [], names: new Set(), kinds: new Set() };
      byPosition.set(key, g);
      groups.push(g);
    }
    g.layers.push(r);
    g.names.add(r.name);
    g.kinds.add(layerKindKey(r.className));
  }
  groups.sort((a, b) => a.line - b.line || a.column - b.column);

  // A definition can have made a group's layers if the kinds agree and a literal name, if any, is theirs.
  const compatible = (g: Group, d: DetectedLayer): boolean => {
    const k = kindOf(d);
    if (k !== undefined && !g.kinds.has(k)) return false;
    return d.name === undefined || g.names.has(d.name);
  };
  const exactAt = (g: Group, d: DetectedLayer): boolean => g.line === d.line && g.column === d.column;

  const boundTo = new Array<number>(groups.length).fill(-1); // group → detected index
  const taken = new Array<boolean>(detected.length).fill(false);
  const bind = (gi: number, di: number): void => {
    boundTo[gi] = di;
    taken[di] = true;
  };

  if (options.fileUnchanged) {
    const detectedAt = new Map<string, number>();
    detected.forEach((d, i) => detectedAt.set(`${d.line}:${d.column}`, i));
    groups.forEach((g, gi) => {
      const di = detectedAt.get(`${g.line}:${g.column}`);
      if (di !== undefined && !taken[di]) bind(gi, di);
    });
    // The same line, for a call form whose start the scanner and the recorder see differently.
    groups.forEach((g, gi) => {
      if (boundTo[gi] >= 0) return;
      const onLine = detected.map((d, i) => i).filter((i) => !taken[i] && detected[i].line === g.line && compatible(g, detected[i]));
      if (onLine.length === 1) bind(gi, onLine[0]);
    });
  } else {
    // 1. Names that occur once on each side identify a layer wherever it moved.
    const detectedByName = new Map<string, number>();
    const nameCount = new Map<string, number>();
    detected.forEach((d, i) => {
      if (d.name === undefined) return;
      nameCount.set(d.name, (nameCount.get(d.name) ?? 0) + 1);
      detectedByName.set(d.name, i);
    });
    const groupNameCount = new Map<string, number>();
    for (const g of groups) for (const n of g.names) groupNameCount.set(n, (groupNameCount.get(n) ?? 0) + 1);
    groups.forEach((g, gi) => {
      for (const n of g.names) {
        const di = detectedByName.get(n);
        if (di === undefined || nameCount.get(n) !== 1 || groupNameCount.get(n) !== 1 || taken[di] || boundTo[gi] >= 0) continue;
        if (compatible(g, detected[di])) bind(gi, di);
      }
    });

    // 2. Order, for the rest.
    const gs = groups.map((_, i) => i).filter((i) => boundTo[i] < 0);
    const ds = detected.map((_, i) => i).filter((i) => !taken[i]);
    if (gs.length && ds.length) {
      const pairs = alignInOrder(
        gs.length,
        ds.length,
        (a, b) => compatible(groups[gs[a]], detected[ds[b]]),
        (a, b) => exactAt(groups[gs[a]], detected[ds[b]]),
      );
      for (const [a, b] of pairs) bind(gs[a], ds[b]);
    }
  }

  const sites: LayerSite[] = detected.map((d) => ({ line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn, detected: d, layers: [] as number[] }));
  groups.forEach((g, gi) => {
    const di = boundTo[gi];
    if (di >= 0) sites[di].layers.push(...g.layers.map((l) => l.index));
  });
  // Unmatched recorded layers: trusted only while the file is or looks unchanged (see above).
  const unchanged = options.fileUnchanged ?? groups.every((g, gi) => boundTo[gi] < 0 || exactAt(g, detected[boundTo[gi]]));
  groups.forEach((g, gi) => {
    if (boundTo[gi] >= 0 || !unchanged) return;
    sites.push({ line: g.line, column: g.column, endLine: g.line, endColumn: g.column, layers: g.layers.map((l) => l.index) });
  });
  // The model input, which the run does not locate.
  if (options.inputLayer !== undefined) {
    const inputs = sites.filter((s) => s.detected && kindOf(s.detected) === 'input' && s.layers.length === 0);
    if (inputs.length === 1) inputs[0].layers.push(options.inputLayer);
  }
  for (const s of sites) s.layers.sort((a, b) => a - b);
  return sites.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Pairs (i, j), increasing in both, of a longest common subsequence of a[0..n) and b[0..m) under
 * `match`; among the longest, one with the most `preferred` pairs. Quadratic in time and memory,
 * so very long inputs (thousands of definitions: not a real model) fall back to a greedy pass.
 */
function alignInOrder(n: number, m: number, match: (i: number, j: number) => boolean, preferred: (i: number, j: number) => boolean): [number, number][] {
  const pairs: [number, number][] = [];
  if (n * m > 4_000_000) {
    let j = 0;
    for (let i = 0; i < n && j < m; i++) {
      let k = j;
      while (k < m && !match(i, k)) k++;
      if (k < m) {
        pairs.push([i, k]);
        j = k + 1;
      }
    }
    return pairs;
  }
  // score[i][j]: best alignment of a[i..] and b[j..]; a pair is worth more than all preferences
  // together, so length comes first and preferred pairs break ties.
  const pairWorth = Math.min(n, m) + 1;
  const w = m + 1;
  const score = new Float64Array((n + 1) * w);
  const gain = (i: number, j: number): number => (match(i, j) ? pairWorth + (preferred(i, j) ? 1 : 0) : -1);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const g = gain(i, j);
      const take = g >= 0 ? score[(i + 1) * w + j + 1] + g : -1;
      score[i * w + j] = Math.max(take, score[(i + 1) * w + j], score[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const g = gain(i, j);
    if (g >= 0 && score[i * w + j] === score[(i + 1) * w + j + 1] + g) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (score[(i + 1) * w + j] >= score[i * w + j + 1]) i++;
    else j++;
  }
  return pairs;
}

/**
 * The definitions at a position, for the hover and the cursor link: the innermost one whose call
 * spans the position (a nested `tf.layers.timeDistributed({ layer: tf.layers.dense(…) })` gives
 * the inner one), else every definition starting on that line (the cursor before or after it).
 */
export function sitesAt(sites: readonly LayerSite[], line: number, column: number): LayerSite[] {
  let inner: LayerSite | undefined;
  for (const s of sites) {
    const startsBefore = s.line < line || (s.line === line && s.column <= column);
    const endsAfter = s.endLine > line || (s.endLine === line && s.endColumn > column);
    if (startsBefore && endsAfter && (!inner || s.line > inner.line || (s.line === inner.line && s.column > inner.column))) inner = s;
  }
  return inner ? [inner] : sites.filter((s) => s.line === line);
}

// ---------------------------------------------------------------------------------------------
// Positions

function lineStarts(text: string): number[] {
  const starts = [0];
  let k = text.indexOf('\n');
  while (k >= 0) {
    starts.push(k + 1);
    k = text.indexOf('\n', k + 1);
  }
  return starts;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: offset - starts[lo] };
}

function lineEnd(text: string, starts: number[], offset: number): number {
  const { line } = position(starts, offset);
  const next = line + 1 < starts.length ? starts[line + 1] - 1 : text.length;
  return text.charCodeAt(next - 1) === 13 ? next - 1 : next;
}
