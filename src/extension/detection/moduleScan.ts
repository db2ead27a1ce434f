// Finds the layer definitions of a TypeScript or JavaScript model module without running it: the
// `tf.layers.*(…)` and `tf.input(…)` calls under whatever names the module gives TensorFlow.js, and
// whether it exports a model factory or a built model in one of the forms the recorder loads
// (src/recorder/modelLoader.ts: `createModel`, a default export, `module.exports`, an export named
// `model`). Works on the
// tokens of the lexer (lexer.ts); pure, tested in test/unit/extension/detection/moduleScan.test.ts.
import { Kind, type Tokens, tokenize } from './lexer';
import { lineEnd, lineStarts, position } from './positions';
import type { DetectedLayer, ModelDetection } from './types';

/** The import specifiers that are TensorFlow.js: those the recorder's shim resolves (modelLoader.ts). */
const TFJS_MODULE = /^@tensorflow\/tfjs(-node|-node-gpu|-layers|-core)?$/;

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
      if (open > 0 && (t.ident(open - 1, 'const') || t.ident(open - 1, 'let') || t.ident(open - 1, 'var')))
        addBindings(names, bindingList(t, open, ':'));
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

/**
 * The token index of the value of option `key` directly in a layer options object
 * `({ …, key: value, … })` whose `(` is at `open`, when that value is one token (not `'a' + i`); -1 if none.
 */
function literalOption(t: Tokens, open: number, close: number, key: string): number {
  if (!t.punct(open + 1, '{')) return -1;
  let depth = 0;
  for (let k = open + 1; k < close; k++) {
    if (t.kind[k] === Kind.Punct) {
      const p = t.code[k];
      if (p === 123 || p === 40 || p === 91) depth++;
      else if (p === 125 || p === 41 || p === 93) depth--;
      continue;
    }
    // The key (or 'key') directly in the options object: after `{` or `,`, before `:`.
    if (depth !== 1 || !(t.ident(k, key) || (t.kind[k] === Kind.String && t.value(k) === key))) continue;
    if (!(t.punct(k - 1, '{') || t.punct(k - 1, ',')) || !t.punct(k + 1, ':')) continue;
    return t.punct(k + 3, ',') || t.punct(k + 3, '}') ? k + 2 : -1;
  }
  return -1;
}

/** The literal `name` of a layer options object `({ …, name: 'conv1', … })` whose `(` is at `open`. */
function literalName(t: Tokens, open: number, close: number): string | undefined {
  const k = literalOption(t, open, close, 'name');
  return k >= 0 && t.isString(k) ? t.value(k) : undefined;
}

/** The layer options the matching compares with a run's recorded configuration (`RunLayer.args`). */
export const MATCHED_ARGS = ['filters', 'units', 'kernelSize', 'strides', 'padding', 'activation', 'poolSize', 'rate'] as const;

/** The literal numbers and strings the options object gives for `MATCHED_ARGS` (`{ kernelSize: 5, padding: 'same' }`). */
function literalArgs(t: Tokens, open: number, close: number): Record<string, string | number> | undefined {
  let out: Record<string, string | number> | undefined;
  for (const key of MATCHED_ARGS) {
    const k = literalOption(t, open, close, key);
    if (k < 0) continue;
    const value =
      t.kind[k] === Kind.Number ? Number(t.text.slice(t.start[k], t.end[k]).replace(/_/g, '')) : t.isString(k) ? t.value(k) : undefined;
    if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) continue;
    (out ??= {})[key] = value;
  }
  return out;
}

/**
 * The last dimension of a layer's output as its options give it, a literal `units` (dense,
 * recurrent layers) or `filters` (convolutions).
 */
function literalUnits(t: Tokens, open: number, close: number): number | undefined {
  for (const key of ['units', 'filters']) {
    const k = literalOption(t, open, close, key);
    if (k < 0 || t.kind[k] !== Kind.Number) continue;
    const value = Number(t.text.slice(t.start[k], t.end[k]).replace(/_/g, ''));
    if (Number.isInteger(value) && value > 0) return value;
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

/** The layer definitions and model factory of a module; undefined when it has neither. */
export function scanModule(text: string): ModelDetection | undefined {
  // Cheap rejection, before any lexing, of the many files that cannot hold a model: a model
  // names createModel, imports tfjs, or uses a global tf (tf.layers, tf.input).
  if (!/createModel|tfjs|\btf\b/.test(text)) return undefined;
  const t = tokenize(text);
  const names = tfNames(t);
  let lines: number[] | undefined;
  const layers: DetectedLayer[] = [];
  let usesTf = names.imported;
  let strongFactory = false; // exports something named createModel
  // A default export, module.exports or an export named `model` (a factory or a built model, as
  // the loader takes either): a model only if tfjs is used too.
  let weakFactory = false;

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
      const units = close >= 0 ? literalUnits(t, open, close) : undefined;
      const args = close >= 0 ? literalArgs(t, open, close) : undefined;
      const start = position(lines, t.start[i]);
      const stop = position(lines, end);
      layers.push({
        factory,
        ...(name !== undefined ? { name } : {}),
        ...(units !== undefined ? { units } : {}),
        ...(args !== undefined ? { args } : {}),
        line: start.line,
        column: start.column,
        endLine: stop.line,
        endColumn: stop.column,
      });
      continue;
    }

    // Exports of the model factory, in the forms the loader accepts (createModel, default, CommonJS).
    if (head === 'export') {
      if (t.ident(i + 1, 'default')) weakFactory = true;
      else if (t.punct(i + 1, '{')) {
        for (const b of bindingList(t, i + 1, 'as')) {
          if (b.local === 'createModel') strongFactory = true;
          else if (b.local === 'default' || b.local === 'model') weakFactory = true;
        }
      } else {
        // export [async] function[*] createModel / export const|let|var createModel, and the same of `model`
        let k = i + 1;
        if (t.ident(k, 'async')) k++;
        if (t.ident(k, 'function') || t.ident(k, 'const') || t.ident(k, 'let') || t.ident(k, 'var')) k++;
        if (t.punct(k, '*')) k++;
        if (k > i + 1 && t.ident(k, 'createModel')) strongFactory = true;
        else if (k > i + 1 && t.ident(k, 'model')) weakFactory = true;
      }
    } else if (head === 'module' && t.punct(i + 1, '.') && t.ident(i + 2, 'exports')) {
      if (t.punct(i + 3, '=') && !t.punct(i + 4, '=')) {
        if (t.punct(i + 4, '{')) {
          // module.exports = { createModel, … } or { model, … }
          const close = closing(t, i + 4);
          const stop = close >= 0 ? close : Math.min(t.length, i + 2000);
          let depth = 0;
          for (let k = i + 5; k < stop; k++) {
            if (t.kind[k] === Kind.Punct) {
              const p = t.code[k];
              if (p === 123 || p === 40 || p === 91) depth++;
              else if (p === 125 || p === 41 || p === 93) depth--;
              continue;
            }
            if (t.ident(k, 'createModel') || (t.kind[k] === Kind.String && t.value(k) === 'createModel')) strongFactory = true;
            // A key `model` of the object itself (after its `{` or a `,`), not a `model` nested in a value.
            else if (
              depth === 0 &&
              (t.ident(k, 'model') || (t.kind[k] === Kind.String && t.value(k) === 'model')) &&
              (t.punct(k - 1, '{') || t.punct(k - 1, ','))
            )
              weakFactory = true;
          }
        } else weakFactory = true;
      } else if (t.punct(i + 3, '.') && t.punct(i + 5, '=')) {
        if (t.ident(i + 4, 'createModel')) strongFactory = true;
        else if (t.ident(i + 4, 'default') || t.ident(i + 4, 'model')) weakFactory = true;
      }
    } else if (head === 'exports' && t.punct(i + 1, '.') && t.punct(i + 3, '=')) {
      if (t.ident(i + 2, 'createModel')) strongFactory = true;
      else if (t.ident(i + 2, 'default') || t.ident(i + 2, 'model')) weakFactory = true;
    }
  }

  const isModel = strongFactory || (weakFactory && usesTf);
  if (!isModel && layers.length === 0) return undefined;
  return { kind: 'module', isModel, layers };
}
