// The lexer of the module scan (src/extension/detection/lexer.ts): what it calls code, what it
// skips as comments, strings, templates and regular expressions, and that nothing makes it throw.
import assert from 'node:assert/strict';
import { ELLIPSIS, Kind, tokenize, type Tokens } from '../../../../src/extension/detection/lexer';

const KIND_NAMES: Record<number, string> = {
  [Kind.Ident]: 'ident',
  [Kind.Punct]: 'punct',
  [Kind.String]: 'string',
  [Kind.Template]: 'template',
  [Kind.TemplatePart]: 'part',
  [Kind.Number]: 'number',
  [Kind.Regex]: 'regex',
};

/** Every token as [kind, its text]. */
function tokens(text: string): [string, string][] {
  const t: Tokens = tokenize(text);
  const out: [string, string][] = [];
  for (let i = 0; i < t.length; i++) out.push([KIND_NAMES[t.kind[i]], text.slice(t.start[i], t.end[i])]);
  return out;
}

describe('lexer: the tokens of JavaScript and TypeScript code', () => {
  it('reads identifiers, punctuators, numbers and strings, skipping whitespace and comments', () => {
    assert.deepEqual(tokens('const a = 1.5e3; // a comment\n/* another */ f(\'x\', "y")'), [
      ['ident', 'const'],
      ['ident', 'a'],
      ['punct', '='],
      ['number', '1.5e3'],
      ['punct', ';'],
      ['ident', 'f'],
      ['punct', '('],
      ['string', "'x'"],
      ['punct', ','],
      ['string', '"y"'],
      ['punct', ')'],
    ]);
  });

  it("reads an exponent's sign as part of its number, and a hexadecimal's e as a digit", () => {
    assert.deepEqual(tokens('1e-4 2.5E+3 0xe-1'), [
      ['number', '1e-4'],
      ['number', '2.5E+3'],
      ['number', '0xe'],
      ['punct', '-'],
      ['number', '1'],
    ]);
  });

  it('gives a string its value with escapes undone, and an identifier its name', () => {
    const t = tokenize("x = 'it\\'s'");
    assert.deepEqual([t.value(0), t.value(2)], ['x', "it's"]);
    assert.ok(t.ident(0, 'x') && !t.ident(0, 'y') && t.isString(2) && !t.isString(0));
    // Past either end every query answers false or nothing.
    assert.ok(!t.ident(-1) && !t.punct(3, '=') && t.value(9) === '');
  });

  it('tells a regular expression from a division by what precedes the slash', () => {
    assert.deepEqual(
      tokens('a / b / c').map(([k]) => k),
      ['ident', 'punct', 'ident', 'punct', 'ident'],
    );
    assert.deepEqual(tokens('x = /a[/]b/g.test(y)').slice(2, 3), [['regex', '/a[/]b/g']]);
    assert.deepEqual(tokens('return /x/').slice(1), [['regex', '/x/']]);
    assert.deepEqual(tokens('f(a) / 2').slice(4), [
      ['punct', '/'],
      ['number', '2'],
    ]);
  });

  it('splits a template around its substitutions, whose code is tokens like any other', () => {
    assert.deepEqual(tokens('`plain`'), [['template', '`plain`']]);
    assert.deepEqual(tokens('`a ${ b({ c }) } d`'), [
      ['part', '`a ${'],
      ['ident', 'b'],
      ['punct', '('],
      ['punct', '{'],
      ['ident', 'c'],
      ['punct', '}'],
      ['punct', ')'],
      ['part', '} d`'],
    ]);
    // A template nested in a substitution.
    assert.deepEqual(
      tokens('`${`${x}`}`').map(([k]) => k),
      ['part', 'part', 'ident', 'part', 'part'],
    );
  });

  it('reads optional chaining as member access and spread as one punctuator, but not a ternary before a number', () => {
    const t = tokenize('a?.b ...c d ? .5 : e');
    assert.equal(t.code[1], '.'.charCodeAt(0));
    assert.ok(t.punct(1, '.'));
    assert.ok(t.punct(3, '...') && t.code[3] === ELLIPSIS);
    assert.deepEqual(
      tokens('d ? .5 : e').map(([k, s]) => `${k}:${s}`),
      ['ident:d', 'punct:?', 'number:.5', 'punct::', 'ident:e'],
    );
  });

  it('ends an unterminated string at its line and an unterminated comment or template at the end of the text', () => {
    assert.deepEqual(tokens("'open\nnext"), [
      ['string', "'open"],
      ['ident', 'next'],
    ]);
    assert.equal(tokenize("'open\nnext").code[0], 0, 'marked as not closed');
    assert.deepEqual(tokens('a /* open\nb'), [['ident', 'a']]);
    assert.deepEqual(tokens('a `open\nb'), [
      ['ident', 'a'],
      ['part', '`open\nb'],
    ]);
  });

  it('notes the strings that may name TensorFlow.js, for the import scan', () => {
    const t = tokenize("import * as tf from '@tensorflow/tfjs'; const s = 'other'; require(`@tensorflow/tfjs-node`)");
    assert.deepEqual(
      t.tfjsStrings.map((i) => t.value(i)),
      ['@tensorflow/tfjs', '@tensorflow/tfjs-node'],
    );
  });

  it('never throws, whatever the text', () => {
    for (const junk of ['`${', '`${`${', '/', "'", '"\\', '/*', '}}}`', '${}', '\\', '\uFEFF\u2028x', '.', '?.', '...']) {
      assert.doesNotThrow(() => tokenize(junk), junk);
    }
  });

  it('grows past its first thousand tokens', () => {
    const t = tokenize('a,'.repeat(3000));
    assert.equal(t.length, 6000);
    assert.ok(t.ident(5998, 'a') && t.punct(5999, ','));
  });
});
