// tree-sitter's syntax tree of a Python file, copied into plain JavaScript objects in one walk of a
// tree cursor, for the Python model scan (pythonScan.ts). The scan reads every node several times
// (its type, fields, children, text), and each read of a tree-sitter `Node` is a call into
// WebAssembly that allocates a wrapper: on a 300-line model the copy halves the scan's time. Kept:
// the named nodes but comments, and the anonymous ones a field names (the `+` of `a + b`).
// Positions are 0-based, the column in UTF-16 code units (as `vscode.Position` counts).
import type { Tree } from '@vscode/tree-sitter-wasm';
import { lineStarts, position } from './positions';

/** A node of the copied tree. */
export class SyntaxNode {
  readonly children: SyntaxNode[] = [];
  constructor(
    private readonly source: Source,
    readonly type: string,
    readonly isNamed: boolean,
    /** This node's field in its parent (`function` of a call), if any. */
    readonly field: string | null,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly parent: SyntaxNode | null,
  ) {}

  get text(): string {
    return this.source.text.slice(this.startIndex, this.endIndex);
  }

  private named: SyntaxNode[] | undefined;

  get namedChildren(): SyntaxNode[] {
    return (this.named ??= this.children.filter((c) => c.isNamed));
  }

  get startPosition(): { row: number; column: number } {
    const p = position(this.source.lines(), this.startIndex);
    return { row: p.line, column: p.column };
  }

  get endPosition(): { row: number; column: number } {
    const p = position(this.source.lines(), this.endIndex);
    return { row: p.line, column: p.column };
  }

  childForFieldName(field: string): SyntaxNode | null {
    return this.children.find((c) => c.field === field) ?? null;
  }

  childrenForFieldName(field: string): SyntaxNode[] {
    return this.children.filter((c) => c.field === field);
  }

  /** The nodes below this one of the given types, in document order. */
  descendantsOfType(types: string | readonly string[]): SyntaxNode[] {
    const wanted = typeof types === 'string' ? [types] : types;
    const out: SyntaxNode[] = [];
    const walk = (node: SyntaxNode) => {
      for (const c of node.children) {
        if (wanted.includes(c.type)) out.push(c);
        walk(c);
      }
    };
    walk(this);
    return out;
  }

  equals(other: SyntaxNode): boolean {
    return this === other;
  }
}

/** The text a tree was parsed from, and its line starts when a position is first asked. */
class Source {
  private starts: number[] | undefined;
  constructor(readonly text: string) {}
  lines(): number[] {
    return (this.starts ??= lineStarts(this.text));
  }
}

/** The copy of `tree`, parsed from `text`; the tree itself is left to the caller (to delete). */
export function copyTree(tree: Tree, text: string): SyntaxNode {
  const source = new Source(text);
  const cursor = tree.walk();
  try {
    const root = new SyntaxNode(source, cursor.nodeType, true, null, cursor.startIndex, cursor.endIndex, null);
    let parent = root;
    if (!cursor.gotoFirstChild()) return root;
    for (;;) {
      // Each read of the cursor is a call into WebAssembly: an anonymous token without a field is left after one.
      const named = cursor.nodeIsNamed;
      const field = cursor.currentFieldName;
      let node: SyntaxNode | undefined;
      if (named || field !== null) {
        const type = cursor.nodeType;
        if (type !== 'comment') {
          node = new SyntaxNode(source, type, named, field, cursor.startIndex, cursor.endIndex, parent);
          parent.children.push(node);
        }
      }
      // Down into a kept node's children (an anonymous token has none worth keeping).
      if (node && named && cursor.gotoFirstChild()) {
        parent = node;
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent() || parent.parent === null) return root;
        parent = parent.parent;
      }
    }
  } finally {
    cursor.delete();
  }
}
