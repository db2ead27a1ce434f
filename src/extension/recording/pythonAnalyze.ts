// "Analyze CNN" on a `.py` file (docs/vscode.md, "Analyze CNN on a Python file"). CNN Slicer cannot
// train a PyTorch model itself: the user's own script records, with the `cnn_slicer` Recorder in its
// training loop (docs/pytorch.md). So the command offers, in this order:
//   1. run the file with the recorder active: in a VS Code terminal, with the workspace's Python
//      (pythonInterpreter.ts), `CNN_SLICER_RUNS` set to the workspace's runs folder (where the runs
//      tree looks) and `CNN_SLICER_CLI` to the bundled CLI (which measures the epochs as they come).
//      Where that Python lacks `cnn_slicer`, the message shows the pip command that installs the copy
//      the extension ships (its `python/` folder) and offers: run now with that copy on PYTHONPATH (no
//      install), install and run, or copy the command;
//   2. insert the recorder lines around the training loop the user picks (recorderLines.ts);
//   3. open docs/pytorch.md, shipped in the .vsix, in the Markdown preview.
// On a file that only defines the model (no training loop, no Recorder: kuangliu/pytorch-cifar's
// `models/resnet.py`) it first offers the scripts that train it: those its runs name
// (trainingScript.ts) and those of the workspace that import it and have a training loop
// (detection/pythonImports.ts), "main.py trains ResNet18 — record it".
// The dialogs are `ui`, which the integration tests replace (a quick pick cannot be answered there).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { pythonParser } from '../detection/detectModel';
import { importHints, pythonFileFacts, scriptsImporting, type PythonFileFacts } from '../detection/pythonImports';
import {
  CHECK_SCRIPT,
  chooseInterpreter,
  commandLine,
  type Interpreter,
  type InterpreterFacts,
  parseFacts,
  shellKind,
  withPythonPath,
} from './pythonInterpreter';
import {
  findRecorderSites,
  importLineFor,
  loopEdit,
  RECORDER_IMPORT,
  type LoopEdit,
  type SnippetPart,
  type TrainingLoop,
} from './recorderLines';
import { knownTrainingScripts } from './trainingScript';

/** The three things Analyze CNN offers on a `.py` file, in the order it offers them; `cell` is a notebook's (notebookAnalyze.ts). */
export type PythonAction = 'run' | 'insert' | 'docs' | 'cell';

export interface PythonActionItem extends vscode.QuickPickItem {
  action: PythonAction;
}

export interface TrainingLoopItem extends vscode.QuickPickItem {
  loop: TrainingLoop;
}

/** A script (or notebook) that trains the model of a file that only defines it; no `script`: analyze the file itself. */
export interface TrainingScriptItem extends vscode.QuickPickItem {
  script?: TrainingScriptFound;
}

/** A script that trains a model file's model: from a run of it, or found importing it. */
export interface TrainingScriptFound {
  file: string;
  kind: 'script' | 'notebook';
  /** It creates a Recorder already (running it records), else the recorder lines go in first. */
  recorder: boolean;
  /** The model file's names it calls (`ResNet18`), when found by its imports. */
  calls: string[];
  from: 'run' | 'imports';
}

/** The dialogs of the Python flow, replaceable by the integration tests. */
export interface PythonAnalyzeUi {
  pickAction(items: PythonActionItem[], title: string): Thenable<PythonActionItem | undefined>;
  pickLoop(items: TrainingLoopItem[], title: string): Thenable<TrainingLoopItem | undefined>;
  pickScript(items: TrainingScriptItem[], title: string): Thenable<TrainingScriptItem | undefined>;
  /** A modal question (`detail` under `message`); resolves to the choice, undefined for Cancel. */
  ask(message: string, detail: string | undefined, choices: string[]): Thenable<string | undefined>;
}

/** What the command did (for tests): the terminal and command of a run, the line of an insertion. */
export type PythonAnalyzeResult =
  | {
      action: 'run';
      terminal: vscode.Terminal;
      /** The lines sent to the terminal: the pip install when chosen, then the script's run. */
      commands: string[];
      env: Record<string, string>;
      interpreter: Interpreter;
    }
  | { action: 'insert'; line: number; /** In a notebook: the cell's index. */ cell?: number }
  | { action: 'cell'; /** The index of the notebook cell added. */ cell: number }
  | { action: 'docs' }
  | { action: 'notebook'; file: string };

/** The bounded wait for the interpreter's check (a cold start of a Python on a network drive can take seconds). */
const CHECK_TIMEOUT_MS = 20_000;
/** The most `.py` files of a workspace folder read when looking for the scripts that import a model file, and the largest read. */
const MAX_SCANNED_FILES = 2000;
const MAX_SCANNED_BYTES = 1 << 20;

export class PythonAnalyze {
  ui: PythonAnalyzeUi = {
    pickAction: (items, title) => vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('What to do with this file') }),
    pickLoop: (items, title) =>
      vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('The training loop to record'), matchOnDetail: true }),
    pickScript: (items, title) =>
      vscode.window.showQuickPick(items, {
        title,
        placeHolder: vscode.l10n.t('This file defines the model but trains nothing: the script that trains it'),
        matchOnDetail: true,
      }),
    ask: (message, detail, choices) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...choices),
  };

  constructor(private readonly ctx: Ctx) {}

  /** The extension's copy of the recorder package: its `python/` folder (pyproject.toml and `cnn_slicer/`). */
  get bundledPackage(): string {
    return join(this.ctx.extensionUri.fsPath, 'python');
  }

  /** Analyze CNN on `file`: the action given, else the one the user picks. */
  async analyze(file: string, action?: PythonAction, python?: string): Promise<PythonAnalyzeResult | undefined> {
    const title = vscode.l10n.t('Analyze CNN: {0}', basename(file));
    const uri = vscode.Uri.file(file);
    if (action === undefined) {
      const viaScript = await this.offerTrainingScripts(file, title);
      if (viaScript !== 'itself') return viaScript;
    }
    const runsFolder = this.ctx.runsFolderFor(uri);
    const runsAt = runsFolder ? describeRunsFolder(runsFolder, vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath) : undefined;
    const chosen =
      action ??
      (
        await this.ui.pickAction(
          [
            {
              action: 'run',
              label: `$(play) ${vscode.l10n.t('Run {0} with the recorder', basename(file))}`,
              detail: runsAt
                ? vscode.l10n.t("in a terminal, with the workspace's Python; the runs go to {0}", runsAt)
                : vscode.l10n.t("in a terminal, with the workspace's Python"),
            },
            {
              action: 'insert',
              label: `$(insert) ${vscode.l10n.t('Insert the recorder lines at a training loop')}`,
              detail: vscode.l10n.t('the import of the Recorder, then its three lines around the loop you pick'),
            },
            {
              action: 'docs',
              label: `$(book) ${vscode.l10n.t('Open the docs: recording a PyTorch model')}`,
              detail: vscode.l10n.t('the three lines, the probe, what a run holds, the control experiment'),
            },
          ],
          title,
        )
      )?.action;
    if (chosen === 'run') return this.run(file, python);
    if (chosen === 'insert') return this.insert(file, title);
    if (chosen === 'docs') return this.openDocs();
    return undefined;
  }

  /**
   * On a file that only defines the model (no training loop, no Recorder): the scripts that train it
   * in a quick pick, the one picked recorded (run where it has a Recorder, else the recorder lines
   * inserted; a notebook opened). `itself` where there is none, or the user picks the file itself.
   */
  private async offerTrainingScripts(file: string, title: string): Promise<PythonAnalyzeResult | undefined | 'itself'> {
    const text = await readText(file);
    if (text === undefined || /\bRecorder\b|\bcnn_slicer\b/.test(text)) return 'itself';
    const parser = await pythonParser();
    if (findRecorderSites(text, parser).loops.length > 0) return 'itself';
    const scripts = await this.trainingScriptsOf(file);
    if (scripts.length === 0) return 'itself';
    const model = basename(file);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
    // The script's folder, where it is not the workspace folder itself.
    const where = (path: string) => {
      const at = describeRunsFolder(dirname(path), folder);
      return at && at !== folder ? at : undefined;
    };
    const items: TrainingScriptItem[] = scripts.map((script) => {
      const name = basename(script.file);
      const trains = script.calls.length ? script.calls.join(', ') : model;
      return {
        script,
        label:
          script.from === 'run'
            ? `$(history) ${vscode.l10n.t('{0} recorded this model — record it again', name)}`
            : `$(play) ${vscode.l10n.t('{0} trains {1} — record it', name, trains)}`,
        description: where(script.file),
        detail:
          script.kind === 'notebook'
            ? vscode.l10n.t('opens the notebook: run its cells to record')
            : script.recorder
              ? vscode.l10n.t('runs it with the recorder, in a terminal')
              : vscode.l10n.t('it has no Recorder yet: inserts the recorder lines at its training loop'),
      };
    });
    items.push({
      label: `$(file-code) ${vscode.l10n.t('Analyze {0} itself', model)}`,
      detail: vscode.l10n.t('run it, insert the recorder lines, or read the docs'),
    });
    const picked = await this.ui.pickScript(items, title);
    if (!picked) return undefined;
    const script = picked.script;
    if (!script) return 'itself';
    this.ctx.log.info(
      `Analyze CNN: ${file} defines the model; recording ${script.file} (${script.from === 'run' ? 'named by a run' : 'imports it'})`,
    );
    if (script.kind === 'notebook') {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(script.file));
      return { action: 'notebook', file: script.file };
    }
    return script.recorder ? this.run(script.file) : this.insert(script.file, vscode.l10n.t('Analyze CNN: {0}', basename(script.file)));
  }

  /**
   * The scripts that train `file`'s model: those its runs name (newest first), then the workspace
   * folder's `.py` files that import it and have a training loop or a Recorder (pythonImports.ts).
   */
  async trainingScriptsOf(file: string): Promise<TrainingScriptFound[]> {
    const parser = await pythonParser();
    const found: TrainingScriptFound[] = [];
    const fromRuns = knownTrainingScripts(
      (await this.ctx.runs.runs()).map((r) => r.manifest),
      file,
      existsSync,
    );
    for (const s of fromRuns) {
      const text = s.kind === 'script' ? await readText(s.file) : undefined;
      found.push({
        file: s.file,
        kind: s.kind === 'notebook' ? 'notebook' : 'script',
        recorder: text === undefined || /\bRecorder\b/.test(text),
        calls: [],
        from: 'run',
      });
    }
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    if (!folder || folder.uri.scheme !== 'file') return found;
    const root = folder.uri.fsPath;
    const posix = (path: string) => relative(root, path).split(sep).join('/');
    const modelPath = posix(file);
    const hints = importHints(modelPath);
    const uris = await vscode.workspace.findFiles(
      new vscode.RelativePattern(folder, '**/*.py'),
      '{**/.*/**,**/node_modules/**,**/site-packages/**,**/__pycache__/**,**/venv/**}',
      MAX_SCANNED_FILES,
    );
    const facts = new Map<string, PythonFileFacts>();
    const texts = new Map<string, string>();
    for (const u of uris) {
      const text = await readText(u.fsPath);
      if (text === undefined || text.length > MAX_SCANNED_BYTES) continue;
      const path = posix(u.fsPath);
      if (path !== modelPath && !hints.some((h) => text.includes(h))) continue;
      facts.set(path, pythonFileFacts(text, parser));
      texts.set(path, text);
    }
    for (const s of scriptsImporting(modelPath, facts)) {
      const path = join(root, ...s.path.split('/'));
      if (found.some((f) => f.file === path)) continue;
      const text = texts.get(s.path) ?? '';
      const sites = findRecorderSites(text, parser);
      if (sites.loops.length === 0 && sites.existingRecorder === undefined) continue;
      found.push({ file: path, kind: 'script', recorder: sites.existingRecorder !== undefined, calls: s.calls, from: 'imports' });
    }
    return found;
  }

  /** Opens docs/pytorch.md of the extension in the Markdown preview. */
  async openDocs(): Promise<PythonAnalyzeResult> {
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(this.ctx.extensionUri, 'docs', 'pytorch.md'));
    return { action: 'docs' };
  }

  /** Runs `file` in a new terminal with the recorder's environment, after checking its Python: `python` (the one that trained the run Record Again repeats), else the workspace's. */
  async run(file: string, python?: string): Promise<PythonAnalyzeResult | undefined> {
    const uri = vscode.Uri.file(file);
    const runsFolder = this.ctx.runsFolderFor(uri);
    if (!runsFolder) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t('CNN Slicer: open a folder first; runs are recorded into the workspace folder (setting cnnSlicer.runsFolder).'),
      );
      return undefined;
    }
    const document = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.fileName === file);
    if (document?.isDirty) await document.save();
    const text = document?.getText() ?? new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    if (!/\bRecorder\b|\bcnn_slicer\b/.test(text)) {
      const insert = vscode.l10n.t('Insert the Recorder Lines');
      const anyway = vscode.l10n.t('Run Anyway');
      const c = await this.ui.ask(
        vscode.l10n.t('CNN Slicer: {0} does not use the Recorder, so running it records nothing.', basename(file)),
        vscode.l10n.t(
          'Insert the three recorder lines at its training loop first, or run it anyway if it records through a module it imports.',
        ),
        [insert, anyway],
      );
      if (c === insert) return this.insert(file, vscode.l10n.t('Analyze CNN: {0}', basename(file)));
      if (c !== anyway) return undefined;
    }
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const interpreter = chooseInterpreter({
      fromRun: python,
      fromPythonExtension: await pythonExtensionInterpreter(uri, this.ctx.log),
      setting: explicitSetting(uri),
      workspaceFolder: folder?.uri.fsPath,
      home: homedir(),
      platform: process.platform,
    });
    const facts = await this.check(interpreter, dirname(file));
    if (!facts) return undefined;
    const shell = shellKind(vscode.env.shell);
    const env: Record<string, string> = {
      CNN_SLICER_RUNS: runsFolder,
      CNN_SLICER_CLI: this.ctx.bundle('cli'),
      ...this.ctx.childEnvironment(),
    };
    const commands = [commandLine(interpreter.path, [file], shell)];
    if (!facts.cnnSlicer) {
      const missing = await this.askMissing(interpreter, facts, shell);
      if (missing === undefined) return undefined;
      if (missing === 'bundled') env.PYTHONPATH = withPythonPath(this.bundledPackage, process.env.PYTHONPATH, process.platform);
      else commands.unshift(missing.install);
    }
    const terminal = vscode.window.createTerminal({
      name: vscode.l10n.t('CNN Slicer: {0}', basename(file)),
      cwd: folder?.uri.fsPath ?? dirname(file),
      env,
      iconPath: new vscode.ThemeIcon('pulse'),
    });
    terminal.show();
    for (const c of commands) terminal.sendText(c, true);
    this.ctx.log.info(
      `Analyze CNN: ${commands.join(' ; ')} in a terminal (${interpreter.source}), runs into ${runsFolder}${env.PYTHONPATH ? `, PYTHONPATH=${env.PYTHONPATH}` : ''}`,
    );
    return { action: 'run', terminal, commands, env, interpreter };
  }

  /** What the interpreter has; undefined (said to the user) when it cannot run or has no torch. */
  private async check(interpreter: Interpreter, cwd: string): Promise<InterpreterFacts | undefined> {
    const where = describeSource(interpreter);
    let stdout: string;
    try {
      stdout = await new Promise<string>((resolve, reject) =>
        execFile(interpreter.path, ['-c', CHECK_SCRIPT], { cwd, timeout: CHECK_TIMEOUT_MS, windowsHide: true }, (error, out, err) =>
          error ? reject(new Error(`${error.message}${err ? `: ${err.trim().split('\n').pop()}` : ''}`)) : resolve(out),
        ),
      );
    } catch (e) {
      this.ctx.log.warn(`Analyze CNN: ${interpreter.path} -c <check>: ${e instanceof Error ? e.message : String(e)}`);
      void vscode.window.showErrorMessage(
        vscode.l10n.t(
          'CNN Slicer: could not run the Python interpreter {0} ({1}). Choose one with the Python extension or the setting python.defaultInterpreterPath.',
          interpreter.path,
          where,
        ),
      );
      return undefined;
    }
    const facts = parseFacts(stdout);
    if (!facts) {
      void vscode.window.showErrorMessage(vscode.l10n.t('CNN Slicer: {0} ({1}) is not a Python 3 interpreter.', interpreter.path, where));
      return undefined;
    }
    if (!facts.torch || !facts.numpy) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t(
          'CNN Slicer: {0} (Python {1}, {2}) has no {3}, which the recorder needs. Install PyTorch and numpy for it (https://pytorch.org), or choose the Python that has them (the Python extension, or the setting python.defaultInterpreterPath).',
          interpreter.path,
          facts.version,
          where,
          !facts.torch ? 'torch' : 'numpy',
        ),
      );
      return undefined;
    }
    return facts;
  }

  /**
   * The Python lacks `cnn_slicer`: shows the install command, and resolves to how to run —
   * `bundled` (the extension's copy on PYTHONPATH), the install command to send first, or undefined.
   */
  private async askMissing(interpreter: Interpreter, facts: InterpreterFacts, shell: ReturnType<typeof shellKind>) {
    // Without its dependencies: torch and numpy are there (checked), and pip would replace a torch it
    // does not count as >= 1.13, such as Debian's 1.13.0a0, with a download of the newest.
    const install = commandLine(interpreter.path, ['-m', 'pip', 'install', '--no-deps', this.bundledPackage], shell);
    const runBundled = vscode.l10n.t('Run with the Bundled Copy');
    const installAndRun = vscode.l10n.t('Install and Run');
    const copy = vscode.l10n.t('Copy Command');
    const detail = [
      vscode.l10n.t('Run with the Bundled Copy puts the copy shipped with CNN Slicer on PYTHONPATH for this run only.'),
      facts.externallyManaged
        ? vscode.l10n.t(
            'This Python is managed by the system (PEP 668): pip refuses to install into it. Create a virtual environment (python3 -m venv .venv, with torch), choose it as the interpreter, and install there.',
          )
        : vscode.l10n.t('Install and Run installs it into this Python (for running the script outside VS Code too), then runs the script.'),
    ].join('\n\n');
    const c = await this.ui.ask(
      vscode.l10n.t('CNN Slicer: the recorder package cnn_slicer is not installed for {0}. To install it: {1}', interpreter.path, install),
      detail,
      facts.externallyManaged ? [runBundled, copy] : [runBundled, installAndRun, copy],
    );
    if (c === runBundled) return 'bundled' as const;
    if (c === installAndRun) return { install };
    if (c === copy) {
      await vscode.env.clipboard.writeText(install);
      void vscode.window.showInformationMessage(vscode.l10n.t('CNN Slicer: copied {0}', install));
    }
    return undefined;
  }

  /** Puts the recorder lines around the training loop the user picks, as a snippet to fill in. */
  async insert(file: string, title: string): Promise<PythonAnalyzeResult | undefined> {
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const text = editor.document.getText();
    const sites = findRecorderSites(text, await pythonParser());
    if (sites.existingRecorder !== undefined) {
      const anyway = vscode.l10n.t('Insert Anyway');
      const c = await this.ui.ask(
        vscode.l10n.t('CNN Slicer: {0} already creates a Recorder (line {1}).', basename(file), sites.existingRecorder + 1),
        undefined,
        [anyway],
      );
      if (c !== anyway) {
        const at = new vscode.Position(sites.existingRecorder, 0);
        editor.selection = new vscode.Selection(at, at);
        editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
        return undefined;
      }
    }
    if (sites.loops.length === 0) {
      const docs = vscode.l10n.t('Open the Docs');
      const c = await vscode.window.showWarningMessage(
        vscode.l10n.t(
          'CNN Slicer: no training loop found in {0} (a loop over epochs, or one that calls .backward() or .step()).',
          basename(file),
        ),
        docs,
      );
      if (c === docs) await this.openDocs();
      return undefined;
    }
    const picked = await this.ui.pickLoop(
      sites.loops.map((loop) => ({
        loop,
        label: vscode.l10n.t('line {0}: {1}', loop.line + 1, loop.text),
        description: loop.signs.map((s) => (s === 'epochs' ? vscode.l10n.t('epochs') : `.${s}()`)).join(', '),
        detail: loop.functionName ? vscode.l10n.t('in {0}()', loop.functionName) : undefined,
      })),
      title,
    );
    if (!picked) return undefined;
    const loop = picked.loop;
    const line = await insertRecorderLines(editor, importLineFor(sites, loop), loopEdit(text, loop, basename(file, extname(file))));
    return line === undefined ? undefined : { action: 'insert', line };
  }
}

/**
 * Applies the recorder lines to `editor`: the import before 0-based line `importLine` (none where
 * undefined), then the loop's edit as a snippet whose placeholders the user types over. Resolves to
 * the 0-based line the `with Recorder(…)` is on, undefined where the editor refused the edit.
 */
export async function insertRecorderLines(
  editor: vscode.TextEditor,
  importLine: number | undefined,
  edit: LoopEdit,
): Promise<number | undefined> {
  const eol = editor.document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const shift = importLine === undefined ? 0 : 1;
  if (importLine !== undefined) {
    const ok = await editor.edit((b) => b.insert(new vscode.Position(importLine, 0), RECORDER_IMPORT + eol), {
      undoStopBefore: true,
      undoStopAfter: false,
    });
    if (!ok) return undefined;
  }
  const last = editor.document.lineAt(edit.endLine + shift);
  const range = new vscode.Range(edit.startLine + shift, 0, last.lineNumber, last.range.end.character);
  await editor.insertSnippet(snippetOf(edit.parts), range, { undoStopBefore: importLine === undefined, undoStopAfter: true });
  return edit.startLine + shift;
}

/** The snippet of the recorder lines' parts: literal text and numbered placeholders. */
export function snippetOf(parts: readonly SnippetPart[]): vscode.SnippetString {
  const snippet = new vscode.SnippetString();
  for (const part of parts) {
    if ('text' in part) snippet.appendText(part.text);
    else snippet.appendPlaceholder(part.value, part.tabStop);
  }
  return snippet;
}

/** A file's text: the open editor's (unsaved changes included), else the file's on disk; undefined where it cannot be read. */
async function readText(file: string): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.fileName === file);
  if (open) return open.getText();
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
  } catch {
    return undefined;
  }
}

/** `python.defaultInterpreterPath` where set in the settings (not the Python extension's default). */
function explicitSetting(uri: vscode.Uri): string | undefined {
  const i = vscode.workspace.getConfiguration('python', uri).inspect<string>('defaultInterpreterPath');
  const v = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
  return typeof v === 'string' ? v : undefined;
}

/** How a message names where the interpreter came from. */
function describeSource(i: Interpreter): string {
  return i.source === 'run'
    ? vscode.l10n.t('the Python that trained the run')
    : i.source === 'python-extension'
      ? vscode.l10n.t("the Python extension's interpreter")
      : i.source === 'setting'
        ? vscode.l10n.t('the setting python.defaultInterpreterPath')
        : vscode.l10n.t('the default; no Python extension or python.defaultInterpreterPath');
}

/** The part of the Python extension's API (ms-python.python, `@vscode/python-extension`) asked here. */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path?: string } | undefined;
    resolveEnvironment?(env: { path?: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

/**
 * The Python extension's active interpreter for `resource`, where it is installed; undefined where
 * it is not, or does not answer within 5 s, or answers something unexpected (logged).
 */
async function pythonExtensionInterpreter(resource: vscode.Uri, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) return undefined;
  const ask = async (): Promise<string | undefined> => {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    const active = environments?.getActiveEnvironmentPath?.(resource);
    if (!active) return undefined;
    const resolved = await environments?.resolveEnvironment?.(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  };
  try {
    return await Promise.race([ask(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000))]);
  } catch (e) {
    log.warn(`Analyze CNN: the Python extension's interpreter: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** The runs folder as a message names it: relative to the workspace folder when inside it. */
function describeRunsFolder(runsFolder: string, workspaceFolder: string | undefined): string {
  const r = workspaceFolder ? relative(workspaceFolder, runsFolder) : runsFolder;
  return r && !r.startsWith('..') ? r : runsFolder;
}
