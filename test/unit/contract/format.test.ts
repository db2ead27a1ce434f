// The formats the views, the editor's hover and the Recorded Runs tree share (src/contract/format.ts),
// and the Markdown escaping of the hover and the tree's tooltips (src/extension/markdown.ts).
import assert from 'node:assert/strict';
import { escapeMarkdown } from '../../../src/extension/markdown';
import { formatBits, formatShape, labelMeasuresAbsent } from '../../../src/contract/format';

describe('formatBits', () => {
  it('writes three decimals and the unit, as the views show them', () => {
    assert.equal(formatBits(3.14159), '3.142 bits');
    assert.equal(formatBits(0), '0.000 bits');
    assert.equal(formatBits(123456.789), '123456.789 bits');
    assert.equal(formatBits(-1.25), '-1.250 bits');
  });

  it('says "undefined" for a value that is not there or not a number, never a made-up figure', () => {
    for (const v of [null, undefined, NaN, Infinity, -Infinity]) assert.equal(formatBits(v), 'undefined', String(v));
  });

  it('takes the precision and drops the unit where the caller says it (the hover: two decimals)', () => {
    assert.equal(formatBits(3.14159, { digits: 2, unit: false }), '3.14');
    assert.equal(formatBits(0, { digits: 2, unit: false }), '0.00');
    assert.equal(formatBits(2, { digits: 1 }), '2.0 bits');
  });
});

describe('formatShape', () => {
  it('joins the dimensions with ×; a dense output is its width', () => {
    assert.equal(formatShape([24, 24, 8]), '24×24×8');
    assert.equal(formatShape([48, 9, 9], 'channelsFirst'), '48×9×9 (channels first)');
    assert.equal(formatShape([10]), '10');
    assert.equal(formatShape([0, 3]), '0×3');
    assert.equal(formatShape([1000000, 2]), '1000000×2');
  });

  it('shows a dimension the model leaves open (-1), or one that is not a whole number, as ?', () => {
    assert.equal(formatShape([-1, 10]), '?×10');
    assert.equal(formatShape([NaN, 1.5]), '?×?');
  });

  it('shows no shape as a dash', () => {
    assert.equal(formatShape([]), '–');
    assert.equal(formatShape(null), '–');
    assert.equal(formatShape(undefined), '–');
  });
});

describe('labelMeasuresAbsent', () => {
  it("turns the recorder's clause into a sentence of its own", () => {
    const m = { output: { labelMeasuresAbsent: ' the output gives 1 linear value per input ' } };
    assert.equal(labelMeasuresAbsent(m), 'The output gives 1 linear value per input.');
    assert.equal(labelMeasuresAbsent({ output: { labelMeasuresAbsent: 'No classes!' } }), 'No classes!');
  });

  it('is undefined for a run that has label measures', () => {
    assert.equal(labelMeasuresAbsent({}), undefined);
    assert.equal(labelMeasuresAbsent({ output: {} }), undefined);
    assert.equal(labelMeasuresAbsent({ output: { labelMeasuresAbsent: '  ' } }), undefined);
  });
});

describe('escapeMarkdown', () => {
  it('escapes every Markdown metacharacter, theme icons and table bars included', () => {
    assert.equal(escapeMarkdown('a*b_c`d[e](f)#g|h<i>$j\\k'), 'a\\*b\\_c\\`d\\[e\\]\\(f\\)\\#g\\|h\\<i\\>\\$j\\\\k');
  });

  it('escapes & so a name holding an HTML entity ("&lt;") shows as typed, not as the character it names', () => {
    assert.equal(escapeMarkdown('a&lt;b & c'), 'a\\&lt;b \\& c');
  });
});
