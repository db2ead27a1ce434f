// A tolerant lexer of JavaScript and TypeScript, for the module scan (moduleScan.ts). It is not a
// parser: the TypeScript compiler would make the extension host bundle several megabytes larger,
// and it parses a 1 MB file in over a second where this lexer needs tens of milliseconds. It knows
// comments, strings, template literals (with nested `${}` code) and regular expression literals
// well enough that text inside them is never mistaken for code, and it never throws: an
// unterminated string ends at its line, an unterminated comment or template at the end of the
// file. Pure (no `vscode` import), so it is unit-tested in plain Node (test/unit/extension/detection/lexer.test.ts).

/** What a token is; kept in a `Uint8Array` of `Tokens`. */
export const enum Kind {
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
export const ELLIPSIS = 0x2026;

// Keywords after which `/` starts a regular expression rather than a division.
const REGEX_AFTER_KEYWORD = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

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
export class Tokens {
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

/**
 * Where template substitutions close: the brace depth of the code, and the depths at which an open
 * `${` closes, innermost last. One object per `tokenize` call, passed to the scanners that open or
 * close a substitution.
 */
class Nesting {
  braceDepth = 0;
  readonly templateDepths: number[] = [];
}

/** Tokens of JavaScript / TypeScript code; comments are skipped. Linear in the text, never throws. */
export function tokenize(text: string): Tokens {
  const tokens = new Tokens(text);
  const nesting = new Nesting();
  const n = text.length;
  let i = 0;
  // Each scanner takes the position of a token's first character and returns where lexing goes on,
  // so `i` stays a plain local of this loop, the hot path on every keystroke.
  while (i < n) {
    const c = text.charCodeAt(i);
    // Whitespace, including the BOM, NBSP and Unicode line separators documents may hold.
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029) {
      i++;
    } else if (isIdentStart(c)) {
      i = scanIdent(tokens, i);
    } else if (c === 47) {
      i = scanSlash(tokens, i);
    } else if (c === 39 || c === 34) {
      i = scanQuoted(tokens, i, c);
    } else if (c === 96) {
      i = scanTemplate(tokens, nesting, i + 1, i);
    } else if (c >= 48 && c <= 57) {
      i = scanNumber(tokens, i);
    } else {
      i = scanPunct(tokens, nesting, i, c);
    }
  }
  return tokens;
}

function scanIdent(tokens: Tokens, i: number): number {
  const text = tokens.text;
  const n = text.length;
  let j = i + 1;
  while (j < n && isIdentPart(text.charCodeAt(j))) j++;
  tokens.push(Kind.Ident, i, j);
  return j;
}

/** A number from its first digit: digits, letters (`e`, `x`, `n`, `_`), dots and an exponent's sign (`1e-4`). */
function scanNumber(tokens: Tokens, i: number): number {
  const text = tokens.text;
  const n = text.length;
  let j = i + 1;
  const decimal = !(text.charCodeAt(i) === 48 && /[xob]/i.test(text[i + 1] ?? ''));
  for (;;) {
    if (j < n && (isIdentPart(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
    else if (decimal && (text[j] === '-' || text[j] === '+') && /[eE]/.test(text[j - 1]) && /\d/.test(text[j + 1] ?? '')) j += 2;
    else break;
  }
  tokens.push(Kind.Number, i, j);
  return j;
}

/** A `/`: a line or block comment (skipped), a regular expression, or a division. */
function scanSlash(tokens: Tokens, i: number): number {
  const text = tokens.text;
  const n = text.length;
  const d = text.charCodeAt(i + 1);
  if (d === 47) {
    const eol = text.indexOf('\n', i + 2);
    return eol < 0 ? n : eol + 1;
  }
  if (d === 42) {
    const close = text.indexOf('*/', i + 2);
    return close < 0 ? n : close + 2;
  }
  if (regexAllowed(tokens)) {
    const end = regexEnd(text, i);
    if (end >= 0) {
      tokens.push(Kind.Regex, i, end);
      return end;
    }
    // No closing slash on the line: not a regular expression after all, a lone punctuator.
  }
  tokens.push(Kind.Punct, i, i + 1, 47);
  return i + 1;
}

/** Whether a `/` here starts a regular expression, by the token before it. */
function regexAllowed(tokens: Tokens): boolean {
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
      return tokens.text.charCodeAt(tokens.end[prev] - 1) === 123;
    default:
      return false;
  }
}

/** The end of the regular expression whose `/` is at `i`, flags included, or -1 when it does not close on its line. */
function regexEnd(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  let inClass = false;
  while (j < n) {
    const r = text.charCodeAt(j);
    if (r === 10 || r === 13) return -1;
    if (r === 92) {
      j += 2;
      continue;
    }
    if (r === 91) inClass = true;
    else if (r === 93) inClass = false;
    else if (r === 47 && !inClass) {
      j++;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      return j;
    }
    j++;
  }
  return -1;
}

/** A string in `quote` (`'` or `"`); an unterminated one ends at its line. */
function scanQuoted(tokens: Tokens, i: number, quote: number): number {
  const text = tokens.text;
  const n = text.length;
  let j = i + 1;
  let closed = false;
  while (j < n) {
    const s = text.charCodeAt(j);
    if (s === quote) {
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
  return closed ? j + 1 : j;
}

/**
 * Template characters from `from` (just after a backtick or a substitution's `}`) up to the closing
 * backtick or the next `${`, whose code the main loop then reads as tokens.
 */
function scanTemplate(tokens: Tokens, nesting: Nesting, from: number, tokenStart: number): number {
  const text = tokens.text;
  const n = text.length;
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
      nesting.templateDepths.push(nesting.braceDepth);
      nesting.braceDepth++;
      return j + 2;
    }
    j++;
  }
  // Unterminated: the rest of the file is the template.
  tokens.push(Kind.TemplatePart, tokenStart, n);
  return n;
}

/**
 * A punctuator: braces (a `}` may close a template substitution, and the template goes on), `...`,
 * a number that starts with a dot, and optional chaining `a?.b`, which reads as member access.
 */
function scanPunct(tokens: Tokens, nesting: Nesting, i: number, c: number): number {
  const text = tokens.text;
  if (c === 123) {
    nesting.braceDepth++;
  } else if (c === 125) {
    nesting.braceDepth--;
    const depths = nesting.templateDepths;
    if (depths.length && depths[depths.length - 1] === nesting.braceDepth) {
      depths.pop();
      return scanTemplate(tokens, nesting, i + 1, i);
    }
  } else if (c === 46) {
    if (text.charCodeAt(i + 1) === 46 && text.charCodeAt(i + 2) === 46) {
      tokens.push(Kind.Punct, i, i + 3, ELLIPSIS);
      return i + 3;
    }
    const d = text.charCodeAt(i + 1);
    if (d >= 48 && d <= 57) {
      const n = text.length;
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      tokens.push(Kind.Number, i, j);
      return j;
    }
  } else if (c === 63 && text.charCodeAt(i + 1) === 46 && !(text.charCodeAt(i + 2) >= 48 && text.charCodeAt(i + 2) <= 57)) {
    tokens.push(Kind.Punct, i, i + 2, 46);
    return i + 2;
  }
  tokens.push(Kind.Punct, i, i + 1, c);
  return i + 1;
}
