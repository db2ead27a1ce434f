// "Insert the recorder lines" of Analyze CNN on a `.py` file: the training loops of a Python file
// the user may pick (found with tree-sitter's syntax tree, detection/pythonSyntax.ts), and the edit
// that puts the three lines of docs/pytorch.md ("Recording: three lines in your loop") around the
// one picked:
//
//     from cnn_slicer import Recorder                      (after the file's last top-level import)
//     ...
//     with Recorder(model, probe=(x_probe, y_probe), name="<model class>", classes=…, epochs=…) as rec:
//         rec.epoch(0)  # the model before training
//         for epoch in range(epochs):                      (the loop, one indentation level deeper)
//             ...
//             rec.epoch(epoch + 1)                         (the body's last line)
//
// The epoch recorded after each pass is the loop variable when the loop counts from 1
// (`range(1, n + 1)`), the variable + 1 when it counts from 0 (`range(n)`, `range(0, n)`), and a
// placeholder to fill otherwise. The model, the probe and that epoch are snippet placeholders: the
// model is guessed from the file (`X.train()`, then `X.parameters()`), the probe is the user's to
// name (held-out inputs and labels, never trained on). The run is named after the class the model is
// built by (`net = ResNet18()` → "ResNet18", else the file's name), and `classes=` and `epochs=` are
// passed where the script has them (runFacts). Pure: text in, edit out.
import { copyTree, type SyntaxNode } from '../detection/pythonSyntax';
import type { PythonSyntaxParser } from '../detection/pythonScan';

/** A loop that may be the training loop. Lines are 0-based. */
export interface TrainingLoop {
  /** The `for` line's line and text (trimmed), for the quick pick. */
  line: number;
  text: string;
  /** Why it looks like a training loop: `epochs` (an epoch-named counter over a range), `backward`, `step`. */
  signs: ('epochs' | 'backward' | 'step')[];
  /** The function it is in, if any. */
  functionName?: string;
  /** The first line of the top-level statement that holds it (the loop itself at the top level): the import goes before it. */
  topLine: number;
  /** Where it ends (inclusive) and where its body's last line is. */
  endLine: number;
  bodyEndLine: number;
  /** Leading whitespace of the `for` line, and one indentation level of its body. */
  indent: string;
  unit: string;
  /** What `rec.epoch(...)` gets after each pass, and whether it is only a guess to check. */
  epochAfter: { text: string; guess: boolean };
  /** The model's and the optimizer's names, guessed from the code around the loop. */
  model?: string;
  optimizer?: string;
  /** The class (or function) the model is built by, `ResNet18` of `net = ResNet18()`: the run's name. */
  modelClass?: string;
  /** What `classes=` gets: a class-name tuple's or list's variable, or `range(<num_classes>)`. */
  classes?: string;
  /** What `epochs=` gets: the loop's count (`200` of `range(start_epoch, start_epoch+200)`) or an epochs constant. */
  epochs?: string;
  /** Lines inside the loop that continue a multi-line string: they are moved as they are. */
  stringLines: number[];
}

/** The file's facts the insertion needs. */
export interface RecorderSites {
  loops: TrainingLoop[];
  /** Where the import goes (before this 0-based line), or undefined when the file already imports Recorder. */
  importLine: number | undefined;
  /** The line of an existing `Recorder(` call, when the file has one. */
  existingRecorder?: number;
}

const EPOCH_NAME = /^(epoch|epochs|ep|e|epoch_?(i|idx|index|num|number)|i_?epoch)$/i;

/** The training loops of a Python file (best first), where the import goes and any Recorder already there. */
export function findRecorderSites(text: string, parser: PythonSyntaxParser): RecorderSites {
  const tree = parser.parse(text);
  if (!tree) return { loops: [], importLine: 0 };
  let root: SyntaxNode;
  try {
    root = copyTree(tree, text);
  } finally {
    tree.delete();
  }
  const lines = text.split(/\r?\n/);
  const loops: (TrainingLoop & { score: number; order: number })[] = [];
  for (const loop of root.descendantsOfType('for_statement')) {
    const found = loopOf(loop, lines);
    if (found) loops.push({ ...found, order: loops.length, score: scoreOf(found.signs) });
  }
  loops.sort((a, b) => b.score - a.score || a.order - b.order);
  const existing = root.descendantsOfType('call').find((c) => calleeName(c) === 'Recorder');
  return {
    loops: loops.map(({ score: _score, order: _order, ...loop }) => loop),
    importLine: importsRecorder(root) ? undefined : importLineOf(root),
    existingRecorder: existing?.startPosition.row,
  };
}

/** How strongly the signs say "the epoch loop": an epoch counter first, then a loop that trains. */
function scoreOf(signs: TrainingLoop['signs']): number {
  return (signs.includes('epochs') ? 4 : 0) + (signs.includes('backward') ? 2 : 0) + (signs.includes('step') ? 1 : 0);
}

function loopOf(loop: SyntaxNode, lines: string[]): TrainingLoop | undefined {
  const body = loop.childForFieldName('body');
  const left = loop.childForFieldName('left');
  const right = loop.childForFieldName('right');
  const start = loop.startPosition;
  // A body on the `for` line itself has no line of its own to add the last recorder line after.
  if (!body || !left || !right || body.startPosition.row === start.row) return undefined;
  const calls = body.descendantsOfType('call').map(calleeName);
  const rangeArgs = right.type === 'call' && calleeName(right) === 'range' ? rangeArguments(right) : undefined;
  const counter = left.type === 'identifier' ? left.text : undefined;
  const signs: TrainingLoop['signs'] = [];
  if (counter && EPOCH_NAME.test(counter) && rangeArgs) signs.push('epochs');
  if (calls.includes('backward')) signs.push('backward');
  if (calls.includes('step')) signs.push('step');
  if (signs.length === 0) return undefined;
  const line = lines[start.row] ?? '';
  const indent = /^[ \t]*/.exec(line)![0];
  const bodyIndent = /^[ \t]*/.exec(lines[body.startPosition.row] ?? '')![0];
  const unit = bodyIndent.startsWith(indent) && bodyIndent.length > indent.length ? bodyIndent.slice(indent.length) : '    ';
  const scope = enclosingFunction(loop);
  const stringLines = new Set<number>();
  for (const s of loop.descendantsOfType('string')) {
    for (let row = s.startPosition.row + 1; row <= s.endPosition.row; row++) stringLines.add(row);
  }
  let top = loop;
  while (top.parent?.parent) top = top.parent;
  return {
    line: start.row,
    text: line.trim(),
    topLine: top.startPosition.row,
    signs,
    functionName: scope?.childForFieldName('name')?.text,
    endLine: loop.endPosition.row,
    bodyEndLine: body.endPosition.row,
    indent,
    unit,
    epochAfter: epochAfter(counter, rangeArgs),
    model: modelName(loop, scope),
    optimizer: optimizerName(body),
    ...runFacts(loop, scope, modelName(loop, scope), rangeArgs),
    stringLines: [...stringLines].sort((a, b) => a - b),
  };
}

/** `rec.epoch(...)`'s argument after each pass of the loop (see the file's comment). */
function epochAfter(counter: string | undefined, rangeArgs: SyntaxNode[] | undefined): TrainingLoop['epochAfter'] {
  if (!counter) return { text: 'epoch', guess: true };
  if (rangeArgs?.length === 1 || (rangeArgs && rangeArgs.length >= 2 && rangeArgs[0].text === '0')) {
    return { text: `${counter} + 1`, guess: false };
  }
  if (rangeArgs && rangeArgs.length >= 2 && rangeArgs[0].text === '1') return { text: counter, guess: false };
  return { text: `${counter} + 1`, guess: true };
}

/** The positional arguments of a `range(...)` call (none when any is a keyword or a splat). */
function rangeArguments(call: SyntaxNode): SyntaxNode[] | undefined {
  const args = call.childForFieldName('arguments')?.namedChildren ?? [];
  return args.every((a) => !['keyword_argument', 'list_splat', 'dictionary_splat'].includes(a.type)) ? args : undefined;
}

/** The called name: `f` of `f(...)`, `step` of `opt.step(...)`. */
function calleeName(call: SyntaxNode): string | undefined {
  const f = call.childForFieldName('function');
  if (f?.type === 'identifier') return f.text;
  if (f?.type === 'attribute') return f.childForFieldName('attribute')?.text;
  return undefined;
}

/** The receiver's name of calls to `method` among `calls` (`model` of `model.train()`), the first that is a plain name. */
function receiverOf(calls: SyntaxNode[], method: string): string | undefined {
  for (const c of calls) {
    const f = c.childForFieldName('function');
    const object = f?.type === 'attribute' ? f.childForFieldName('object') : undefined;
    if (object?.type === 'identifier' && f?.childForFieldName('attribute')?.text === method) return object.text;
  }
  return undefined;
}

/** The model trained: `X` of `X.train()` in the loop, else of `X.parameters()` in its function (or file), else undefined. */
function modelName(loop: SyntaxNode, scope: SyntaxNode | undefined): string | undefined {
  let root = loop;
  while (root.parent) root = root.parent;
  return (
    receiverOf(loop.descendantsOfType('call'), 'train') ??
    (scope ? receiverOf(scope.descendantsOfType('call'), 'parameters') : undefined) ??
    receiverOf(root.descendantsOfType('call'), 'parameters')
  );
}

/** `X` of `X.step()` in the loop's body, when it is a plain name (the optimizer, recorded in the run's settings). */
function optimizerName(body: SyntaxNode): string | undefined {
  const name = receiverOf(body.descendantsOfType('call'), 'step');
  return name && /optim|opt$/i.test(name) ? name : undefined;
}

/** Calls that wrap or move a model rather than build it (`net = net.to(device)`, `net = nn.DataParallel(net)`). */
const NOT_A_BUILDER = new Set([
  'to',
  'cuda',
  'cpu',
  'half',
  'float',
  'double',
  'DataParallel',
  'DistributedDataParallel',
  'compile',
  'train',
  'eval',
]);
const CLASS_NAMES = /^(classes|class_names|CLASSES|CLASS_NAMES)$/;
const CLASS_COUNT = /^(num_classes|n_classes|NUM_CLASSES|N_CLASSES)$/;
const EPOCHS_NAME = /^(epochs|num_epochs|n_epochs|EPOCHS|NUM_EPOCHS|N_EPOCHS)$/;

/**
 * The run's name, classes and epochs as the script gives them, from the assignments visible at the
 * loop (the module's and those of the loop's function, before it): `name` the class (or function)
 * called to build the model variable, `classes` a class-name tuple or list (`classes = ('plane', …)`)
 * else `range(num_classes)`, `epochs` the count of the loop's `range` else an epochs constant.
 */
function runFacts(
  loop: SyntaxNode,
  scope: SyntaxNode | undefined,
  model: string | undefined,
  rangeArgs: SyntaxNode[] | undefined,
): Pick<TrainingLoop, 'modelClass' | 'classes' | 'epochs'> {
  let root = loop;
  while (root.parent) root = root.parent;
  const visible = root
    .descendantsOfType('assignment')
    .filter((a) => a.startPosition.row < loop.startPosition.row)
    .filter((a) => {
      const f = enclosingFunction(a);
      return f === undefined || (scope !== undefined && f.equals(scope));
    });
  const assigned = (name: RegExp, types: string[]) =>
    visible.find((a) => name.test(a.childForFieldName('left')?.text ?? '') && types.includes(a.childForFieldName('right')?.type ?? ''));
  let modelClass: string | undefined;
  for (const a of visible) {
    const right = a.childForFieldName('right');
    if (!model || a.childForFieldName('left')?.text !== model || right?.type !== 'call') continue;
    const callee = calleeName(right);
    const args = right.childForFieldName('arguments')?.namedChildren ?? [];
    if (callee && !NOT_A_BUILDER.has(callee) && !args.some((x) => x.text === model)) {
      modelClass = callee;
      break;
    }
  }
  const names = assigned(CLASS_NAMES, ['tuple', 'list']);
  const count = names ? undefined : assigned(CLASS_COUNT, ['integer']);
  const classes = names ? names.childForFieldName('left')!.text : count ? `range(${count.childForFieldName('left')!.text})` : undefined;
  const epochs = (rangeArgs && rangeCount(rangeArgs)) ?? assigned(EPOCHS_NAME, ['integer'])?.childForFieldName('left')?.text;
  return { modelClass, classes, epochs };
}

/** How many passes `range(…)` makes, as a short expression: `n` of `range(n)`, `range(0, n)`, `range(1, n + 1)` and `range(s, s + n)`. */
function rangeCount(args: SyntaxNode[]): string | undefined {
  if (args.length === 1) return args[0].text;
  if (args.length !== 2) return undefined;
  const [from, to] = args;
  if (from.text === '0') return to.text;
  if (to.type === 'binary_operator' && to.childForFieldName('operator')?.text === '+') {
    const [l, r] = [to.childForFieldName('left'), to.childForFieldName('right')];
    if (l && r && l.text === from.text) return r.text;
    if (l && r && r.text === from.text) return l.text;
    if (l && r && from.text === '1' && r.text === '1') return l.text;
  }
  const simple = (n: SyntaxNode) => ['identifier', 'integer', 'attribute'].includes(n.type);
  return simple(from) && simple(to) ? `${to.text} - ${from.text}` : undefined;
}

function enclosingFunction(node: SyntaxNode): SyntaxNode | undefined {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'function_definition') return n;
  return undefined;
}

function importsRecorder(root: SyntaxNode): boolean {
  return root.children.some(
    (s) =>
      s.type === 'import_from_statement' &&
      s.childForFieldName('module_name')?.text === 'cnn_slicer' &&
      s.childrenForFieldName('name').some((n) => n.text === 'Recorder' || n.text.startsWith('Recorder ')),
  );
}

/** The line after the last top-level import; else after the module docstring; else the first line. */
function importLineOf(root: SyntaxNode): number {
  const imports = root.children.filter((s) => /^(import_statement|import_from_statement|future_import_statement)$/.test(s.type));
  if (imports.length) return imports[imports.length - 1].endPosition.row + 1;
  const first = root.namedChildren[0];
  if (first?.type === 'expression_statement' && first.namedChildren[0]?.type === 'string') return first.endPosition.row + 1;
  return 0;
}

/** A piece of the inserted text: literal, or a snippet placeholder (its tab stop and default). */
export type SnippetPart = { text: string } | { tabStop: number; value: string };

/** The edit around one loop: its whole lines `startLine..endLine` are replaced by `parts`. */
export interface LoopEdit {
  startLine: number;
  endLine: number;
  parts: SnippetPart[];
}

export const RECORDER_IMPORT = 'from cnn_slicer import Recorder';

/**
 * The recorder lines around `loop` of `text` (lines as `findRecorderSites` saw them); the run is
 * named after the model's class where the script builds it (`loop.modelClass`), else `name`.
 */
export function loopEdit(text: string, loop: TrainingLoop, name: string): LoopEdit {
  const lines = text.split(/\r?\n/);
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const inner = loop.indent + loop.unit;
  const keep = new Set(loop.stringLines);
  const shifted = (row: number) => {
    const l = lines[row] ?? '';
    return keep.has(row) || l.trim() === '' ? l : loop.unit + l;
  };
  const parts: SnippetPart[] = [
    { text: `${loop.indent}with Recorder(` },
    { tabStop: 1, value: loop.model ?? 'model' },
    { text: ', probe=(' },
    { tabStop: 2, value: 'x_probe' },
    { text: ', ' },
    { tabStop: 3, value: 'y_probe' },
    {
      text:
        `), name=${JSON.stringify(loop.modelClass ?? name)}` +
        (loop.classes ? `, classes=${loop.classes}` : '') +
        (loop.epochs ? `, epochs=${loop.epochs}` : '') +
        (loop.optimizer ? `, optimizer=${loop.optimizer}` : '') +
        `) as rec:${eol}`,
    },
    { text: `${inner}rec.epoch(0)  # the model before training${eol}` },
  ];
  const body: string[] = [];
  for (let row = loop.line; row <= loop.bodyEndLine; row++) body.push(shifted(row));
  parts.push({ text: body.join(eol) + eol + inner + loop.unit + 'rec.epoch(' });
  parts.push(loop.epochAfter.guess ? { tabStop: 4, value: loop.epochAfter.text } : { text: loop.epochAfter.text });
  parts.push({ text: ')' });
  // An `else:` clause of the loop stays after the recorded body.
  const rest: string[] = [];
  for (let row = loop.bodyEndLine + 1; row <= loop.endLine; row++) rest.push(shifted(row));
  if (rest.length) parts.push({ text: eol + rest.join(eol) });
  return { startLine: loop.line, endLine: loop.endLine, parts };
}

/** Where the import goes for `loop`: after the file's imports, but before the statement that holds the loop; undefined when it is there. */
export function importLineFor(sites: RecorderSites, loop: TrainingLoop): number | undefined {
  return sites.importLine === undefined ? undefined : Math.min(sites.importLine, loop.topLine);
}

/**
 * `text` with the import (before 0-based line `importLine`, at or before the loop: importLineFor) and
 * the loop edit applied, the placeholders at their defaults: what the user sees before typing.
 */
export function applyRecorderLines(text: string, importLine: number | undefined, edit: LoopEdit): string {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const replaced = edit.parts.map((p) => ('text' in p ? p.text : p.value)).join('');
  const out = [...lines.slice(0, edit.startLine), ...replaced.split(/\r?\n/), ...lines.slice(edit.endLine + 1)];
  if (importLine !== undefined) out.splice(importLine, 0, RECORDER_IMPORT);
  return out.join(eol);
}

/**
 * The recorder lines of a new notebook cell (Analyze CNN on a notebook, "Add a cell with the recorder
 * lines"): the import where no cell has it, then a loop over epochs to fill in, the model, the probe,
 * the epoch count and the training its placeholders. The run is named `name`.
 */
export function recorderCell(name: string, withImport: boolean): SnippetPart[] {
  return [
    ...(withImport ? [{ text: `${RECORDER_IMPORT}\n\n` }] : []),
    { text: 'with Recorder(' },
    { tabStop: 1, value: 'model' },
    { text: ', probe=(' },
    { tabStop: 2, value: 'x_probe' },
    { text: ', ' },
    { tabStop: 3, value: 'y_probe' },
    { text: `), name=${JSON.stringify(name)}, epochs=` },
    { tabStop: 4, value: 'epochs' },
    { text: ') as rec:\n    rec.epoch(0)  # the model before training\n    for epoch in range(1, ' },
    { tabStop: 4, value: 'epochs' },
    { text: ' + 1):\n        ' },
    { tabStop: 5, value: 'pass  # train one epoch' },
    { text: '\n        rec.epoch(epoch)' },
  ];
}
