/**
 * Positions in the text of a user's model file, without TensorFlow.js: where a `tf.layers.…(`
 * expression starts (from the position V8 reports for the call), and where each layer's entry of
 * a model.json starts. Used by src/recorder/modelLoader.ts to locate every layer.
 */
/**
 * From the position V8 reports for a call (`tf.layers.conv2d(` → the `conv2d` token), walks back
 * over a member chain (`tf.layers.`, also across line breaks) to where the expression starts, so
 * the location points at the start of `tf.layers.conv2d(...)` as a reader would. Positions are
 * 0-based in and out.
 */
export function expressionStart(text: string, line0: number, column0: number): { line: number; column: number } {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  if (line0 >= lineStarts.length) return { line: line0, column: column0 };
  let pos = lineStarts[line0] + column0;
  for (;;) {
    let k = pos - 1;
    while (k >= 0 && /\s/.test(text[k])) k--;
    if (k < 0 || text[k] !== '.') break;
    k--;
    while (k >= 0 && /\s/.test(text[k])) k--;
    let start = k;
    while (start >= 0 && /[\w$]/.test(text[start])) start--;
    if (start === k) break;
    pos = start + 1;
  }
  let line = 0;
  while (line + 1 < lineStarts.length && lineStarts[line + 1] <= pos) line++;
  return { line, column: pos - lineStarts[line] };
}

/** A JSON value with where it starts in its text: objects keep each key's offset too. */
type JsonAt =
  | { kind: 'object'; offset: number; entries: { key: string; keyOffset: number; value: JsonAt }[] }
  | { kind: 'array'; offset: number; items: JsonAt[] }
  | { kind: 'string'; offset: number; value: string }
  | { kind: 'other'; offset: number };

/**
 * Parses JSON text that `JSON.parse` has accepted into values with their character offsets (a
 * small reader of its own: jsonc-parser's default build does not bundle into the recorder).
 */
function parseJsonAt(text: string): JsonAt {
  let pos = 0;
  const space = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const string = (): string => {
    const start = pos++;
    while (text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (): JsonAt => {
    space();
    const offset = pos;
    if (text[pos] === '{') {
      pos++;
      const entries: { key: string; keyOffset: number; value: JsonAt }[] = [];
      for (space(); text[pos] !== '}'; space()) {
        if (text[pos] === ',') pos++;
        space();
        const keyOffset = pos;
        const key = string();
        space();
        pos++; // the colon
        entries.push({ key, keyOffset, value: value() });
      }
      pos++;
      return { kind: 'object', offset, entries };
    }
    if (text[pos] === '[') {
      pos++;
      const items: JsonAt[] = [];
      for (space(); text[pos] !== ']'; space()) {
        if (text[pos] === ',') pos++;
        items.push(value());
      }
      pos++;
      return { kind: 'array', offset, items };
    }
    if (text[pos] === '"') return { kind: 'string', offset, value: string() };
    while (pos < text.length && !/[\s,\]}]/.test(text[pos])) pos++;
    return { kind: 'other', offset };
  };
  return value();
}

/**
 * Where each layer's entry starts in a model.json text, by layer name: the character offset of its
 * `"class_name"` key (of its `{` when it has none). Found on the parsed values, not line by line,
 * so converter output written on one line gets a column per layer; an entry is an object in a
 * `"layers"` array whose `config` has a `"name"` (the first entry of a name wins, so a nested
 * model's layers keep theirs).
 */
export function layerEntryOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  const visit = (node: JsonAt, inLayers: boolean): void => {
    if (node.kind === 'object') {
      const entry = (key: string) => node.entries.find((e) => e.key === key);
      const config = entry('config')?.value;
      const name = config?.kind === 'object' ? config.entries.find((e) => e.key === 'name')?.value : undefined;
      if (inLayers && name?.kind === 'string' && !offsets.has(name.value)) {
        offsets.set(name.value, entry('class_name')?.keyOffset ?? node.offset);
      }
      for (const e of node.entries) visit(e.value, e.key === 'layers' && e.value.kind === 'array');
    } else if (node.kind === 'array') {
      for (const item of node.items) visit(item, inLayers);
    }
  };
  visit(parseJsonAt(text), false);
  return offsets;
}
