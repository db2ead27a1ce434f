// A failed recording's located error in the Problems panel (on the file and line it names, or the
// model file's first line), cleared once the model records again — and kept across a window reload
// while the file it points at is unchanged: each entry is stored in the workspace state with that
// file's size and modification time, and restored only when both still match.
import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';

/** workspaceState key: per model file, the error its last failed recording put in the Problems panel. */
export const FAILED_RECORDINGS_KEY = 'cnnSlicer.failedRecordings';

interface StoredFailure {
  /** The file the error is on (the model file, or a file it imports). */
  file: string;
  /** 1-based, as the recorder reports them. */
  line: number;
  column: number;
  message: string;
  /** The recorder named the location (else the model file's first line, for a model error without one). */
  located: boolean;
  /** The file as it was when the recording failed. */
  mtimeMs: number;
  size: number;
}

type Store = Record<string, StoredFailure>;

function isStoredFailure(x: unknown): x is StoredFailure {
  const s = x as StoredFailure;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof s.file === 'string' &&
    typeof s.message === 'string' &&
    typeof s.located === 'boolean' &&
    [s.line, s.column, s.mtimeMs, s.size].every((n) => typeof n === 'number' && Number.isFinite(n))
  );
}

async function stampOf(file: string): Promise<{ mtimeMs: number; size: number } | undefined> {
  try {
    const s = await stat(file);
    return { mtimeMs: s.mtimeMs, size: s.size };
  } catch {
    return undefined;
  }
}

/** The Problems-panel entry of a failure: at its location, without the location prefix the message repeats. */
function diagnosticOf(f: StoredFailure): vscode.Diagnostic {
  const pos = new vscode.Position(Math.max(0, f.line - 1), Math.max(0, f.column - 1));
  const prefix = f.located ? `${f.file}:${f.line}:${f.column}: ` : '';
  const text = prefix && f.message.startsWith(prefix) ? f.message.slice(prefix.length) : f.message;
  const diagnostic = new vscode.Diagnostic(new vscode.Range(pos, pos), text, vscode.DiagnosticSeverity.Error);
  diagnostic.source = 'CNN Slicer';
  return diagnostic;
}

export class FailureDiagnostics implements vscode.Disposable {
  private readonly collection: vscode.DiagnosticCollection;
  /** Resolves once the entries of an earlier window are back (those whose files are unchanged). */
  readonly restored: Promise<void>;
  /** The file shown per model file in this window (also one that could not be stamped, so is not stored). */
  private readonly shownFiles = new Map<string, string>();
  /** Writes to the workspace state, one after another. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: vscode.Memento,
    name = 'cnnSlicer',
  ) {
    this.collection = vscode.languages.createDiagnosticCollection(name);
    this.restored = this.restore();
  }

  /** Shows `modelFile`'s failure (replacing its earlier one) at once; resolves once it is stored with its file's stamp. */
  async show(modelFile: string, message: string, location: { file: string; line: number; column: number } | undefined): Promise<void> {
    this.hide(modelFile);
    const file = location?.file ?? modelFile;
    const shown = { file, line: location?.line ?? 1, column: location?.column ?? 1, message, located: !!location };
    this.collection.set(vscode.Uri.file(file), [diagnosticOf({ ...shown, mtimeMs: 0, size: 0 })]);
    this.shownFiles.set(modelFile, file);
    const stamp = await stampOf(file);
    await this.update((store) => {
      const { [modelFile]: _earlier, ...rest } = store;
      return stamp ? { ...rest, [modelFile]: { ...shown, ...stamp } } : rest;
    });
  }

  /** Removes what `modelFile`'s last failure put in the Problems panel at once; resolves once the stored state forgets it. */
  async clear(modelFile: string): Promise<void> {
    this.hide(modelFile);
    if (this.store()[modelFile]) await this.update(({ [modelFile]: _gone, ...rest }) => rest);
  }

  private hide(modelFile: string): void {
    const files = [this.shownFiles.get(modelFile), this.store()[modelFile]?.file];
    for (const f of files) if (f) this.collection.delete(vscode.Uri.file(f));
    this.shownFiles.delete(modelFile);
  }

  private store(): Store {
    const raw = this.state.get<unknown>(FAILED_RECORDINGS_KEY);
    if (typeof raw !== 'object' || raw === null) return {};
    return Object.fromEntries(Object.entries(raw).filter((e): e is [string, StoredFailure] => isStoredFailure(e[1])));
  }

  private update(change: (store: Store) => Store): Promise<void> {
    this.writing = this.writing.then(() => this.state.update(FAILED_RECORDINGS_KEY, change(this.store()))).catch(() => undefined);
    return this.writing;
  }

  private async restore(): Promise<void> {
    const stale: string[] = [];
    for (const [modelFile, f] of Object.entries(this.store())) {
      const stamp = await stampOf(f.file);
      if (stamp && stamp.mtimeMs === f.mtimeMs && stamp.size === f.size) {
        this.collection.set(vscode.Uri.file(f.file), [diagnosticOf(f)]);
        this.shownFiles.set(modelFile, f.file);
      } else stale.push(modelFile);
    }
    if (stale.length) await this.update((store) => Object.fromEntries(Object.entries(store).filter(([m]) => !stale.includes(m))));
  }

  dispose(): void {
    this.collection.dispose();
  }
}
