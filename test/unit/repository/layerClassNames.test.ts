import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

// One table says what the code decides by a layer's class (src/contract/layerKinds.ts). This test
// reads every module of src/ and webview/ with the TypeScript parser and fails where a class name is decided on
// anywhere else: a class-name value (`x.className`, `x.class_name`, `x.getClassName()`, a variable
// set from one, a `className` parameter) compared with a string, switched on, looked up in a list,
// set, map or regular expression, or tested with startsWith/endsWith/includes. Naming a layer's class
// in a message is fine. A class name that is not a layer's (an optimizer, a regularizer) is listed
// in NOT_LAYER_CLASSES with the reason.

const ROOT = path.resolve(__dirname, '../../..');
const TABLE = 'src/contract/layerKinds.ts';

/** Decisions on class names that are not layer classes: `file: text of the decision` → why it may stay. */
const NOT_LAYER_CLASSES: Record<string, string> = {
  "src/recorder/kerasTopology.ts: value.class_name === '__keras_tensor__'": 'a serialised Keras tensor, not a layer',
  "src/recorder/kerasTopology.ts: value.class_name === 'L2'": 'a Keras regularizer',
  "src/recorder/kerasTopology.ts: value.class_name === 'L1'": 'a Keras regularizer',
  'src/recorder/kerasTopology.ts: /^L[12]$/.test(value.class_name)': 'Keras regularizers',
  "src/recorder/kerasTopology.ts: optimizer.className === 'RMSprop'": 'an optimizer class',
  "src/recorder/kerasTopology.ts: optimizer.className === 'RMSProp'": 'an optimizer class',
  'src/tfjs/onnxModel.ts: FACTORIES[step.className]':
    "the ONNX import's tf.layers factory per Keras class it builds (src/onnx/plan.ts PlanClass)",
};

/** Every .ts/.tsx file below `dir` (repository-relative). */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const child = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(child);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [child] : [];
  });
}

const LOOKUPS = new Set(['test', 'includes', 'has', 'get', 'startsWith', 'endsWith', 'match', 'indexOf', 'exec', 'search']);
const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

/** The decisions on class names in one module's text: `file: text of the expression`. */
export function classNameDecisions(file: string, text: string): string[] {
  const source = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.ES2022,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  // Variables holding a class name: `const type = layer.getClassName()`, a parameter `className`.
  const holders = new Set<string>(['className']);
  const isClassName = (e: ts.Expression): boolean => {
    const x = ts.skipPartiallyEmittedExpressions(e);
    if (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isNonNullExpression(x)) return isClassName(x.expression);
    if (ts.isPropertyAccessExpression(x)) return x.name.text === 'className' || x.name.text === 'class_name';
    if (ts.isElementAccessExpression(x)) return ts.isStringLiteral(x.argumentExpression) && x.argumentExpression.text === 'class_name';
    if (ts.isCallExpression(x)) return ts.isPropertyAccessExpression(x.expression) && x.expression.name.text === 'getClassName';
    return ts.isIdentifier(x) && holders.has(x.text);
  };
  const collect = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isClassName(node.initializer)) {
      holders.add(node.name.text);
    }
    ts.forEachChild(node, collect);
  };
  collect(source);
  const found: string[] = [];
  const note = (node: ts.Node) => found.push(`${file}: ${node.getText(source).replace(/\s+/g, ' ')}`);
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind)) {
      const [a, b] = [node.left, node.right];
      if ((isClassName(a) && ts.isStringLiteralLike(b)) || (isClassName(b) && ts.isStringLiteralLike(a))) note(node);
    } else if (ts.isSwitchStatement(node) && isClassName(node.expression)) {
      for (const clause of node.caseBlock.clauses)
        if (ts.isCaseClause(clause) && ts.isStringLiteralLike(clause.expression)) note(clause.expression);
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && LOOKUPS.has(node.expression.name.text)) {
      if (isClassName(node.expression.expression) || node.arguments.some(isClassName)) note(node);
    } else if (ts.isElementAccessExpression(node) && isClassName(node.argumentExpression)) {
      note(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('layer class names', function () {
  // Parsing every module of src/ and webview/ takes a few seconds.
  this.timeout(60_000);
  let decisions: string[] = [];
  before(() => {
    decisions = [...sources('src'), ...sources('webview')]
      .filter((f) => f !== TABLE)
      .flatMap((f) => classNameDecisions(f, readFileSync(path.join(ROOT, f), 'utf8')));
  });

  it('are decided on only in the table of layer kinds', () => {
    const found = decisions.filter((d) => !(d in NOT_LAYER_CLASSES));
    assert.deepEqual(found, [], `decide these through ${TABLE} (layerKind), or list a class that is not a layer's in NOT_LAYER_CLASSES`);
  });

  it('finds each way of deciding on a class name', () => {
    const text = `
      const LIST = ['Dropout'];
      const RE = /^Flatten$/;
      function f(layer: { getClassName(): string; className: string }, json: { class_name: string }, className: string) {
        const type = layer.getClassName();
        switch (type) { case 'Conv2D': return 1; }
        if (layer.className === 'Concatenate') return 2;
        if ('Add' !== json.class_name) return 3;
        if (LIST.includes(layer.getClassName()) || RE.test(className) || new Set(LIST).has(type)) return 4;
        if (className.startsWith('Max')) return 5;
        return { a: 1 }[layer.className];
      }
      console.log(\`layer (\${className})\`, className.length);`;
    assert.deepEqual(
      classNameDecisions('x.ts', text).map((d) => d.slice('x.ts: '.length)),
      [
        "'Conv2D'",
        "layer.className === 'Concatenate'",
        "'Add' !== json.class_name",
        'LIST.includes(layer.getClassName())',
        'RE.test(className)',
        'new Set(LIST).has(type)',
        "className.startsWith('Max')",
        '{ a: 1 }[layer.className]',
      ],
    );
  });

  it('lists no decision in NOT_LAYER_CLASSES that is gone', () => {
    const all = new Set(decisions);
    assert.deepEqual(
      Object.keys(NOT_LAYER_CLASSES).filter((d) => !all.has(d)),
      [],
    );
  });
});
