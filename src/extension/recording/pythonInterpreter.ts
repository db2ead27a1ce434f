// Which Python runs a training script for "Analyze CNN" on a `.py` file, what that Python has
// (cnn_slicer, torch, whether pip may install into it), and the command lines shown and sent to
// the terminal, quoted for its shell. Plain Node, tested without VS Code; pythonAnalyze.ts asks
// VS Code and the Python extension for the inputs.

/** Where the interpreter came from, as the messages name it. */
export type InterpreterSource = 'run' | 'python-extension' | 'setting' | 'default';

export interface Interpreter {
  /** The executable: an absolute path, or a command name looked up on the PATH (`python3`). */
  path: string;
  source: InterpreterSource;
}

export interface InterpreterInputs {
  /** The Python that trained the run being recorded again (its manifest's `trainingScript.python`, found on disk). */
  fromRun?: string;
  /** The Python extension's active environment's executable for the file, where it is installed and answered. */
  fromPythonExtension?: string;
  /** `python.defaultInterpreterPath` where the user set it (the Python extension's default `python` is not a choice). */
  setting?: string;
  /** The file's workspace folder, for `${workspaceFolder}` in the setting. */
  workspaceFolder?: string;
  /** The home folder, for a leading `~`. */
  home?: string;
  platform: NodeJS.Platform;
}

/**
 * The interpreter the workspace uses: the Python extension's choice, else the
 * `python.defaultInterpreterPath` setting (with `${workspaceFolder}` and `~` put in), else
 * `python3` (`python` on Windows, where `python3` is the Store's stub).
 */
export function chooseInterpreter(i: InterpreterInputs): Interpreter {
  const run = i.fromRun?.trim();
  if (run) return { path: run, source: 'run' };
  const api = i.fromPythonExtension?.trim();
  if (api) return { path: api, source: 'python-extension' };
  const setting = i.setting?.trim();
  if (setting) {
    let path = setting;
    if (i.workspaceFolder !== undefined) path = path.replace(/\$\{workspaceFolder\}/g, i.workspaceFolder);
    if (i.home !== undefined && /^~(?=$|[\\/])/.test(path)) path = i.home + path.slice(1);
    return { path, source: 'setting' };
  }
  return { path: i.platform === 'win32' ? 'python' : 'python3', source: 'default' };
}

/**
 * What `CHECK_SCRIPT` prints about an interpreter: whether `cnn_slicer`, `torch` and `numpy` can be imported
 * (found, not imported: importing torch takes seconds), its version and executable, and whether pip
 * refuses to install into it (PEP 668: a distribution's Python outside a virtual environment).
 */
export interface InterpreterFacts {
  cnnSlicer: boolean;
  torch: boolean;
  numpy: boolean;
  version: string;
  executable: string;
  externallyManaged: boolean;
}

/** `python -c CHECK_SCRIPT`: one JSON line of `InterpreterFacts` (Python 3.8 and later). */
export const CHECK_SCRIPT = [
  'import importlib.util as u, json, os, sys, sysconfig',
  'm = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")',
  'f = lambda name: u.find_spec(name) is not None',
  'print(json.dumps({"cnnSlicer": f("cnn_slicer"), "torch": f("torch"), "numpy": f("numpy"),',
  ' "version": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable,',
  ' "externallyManaged": sys.prefix == sys.base_prefix and os.path.isfile(m)}))',
].join('\n');

/** The facts in the check's output (its last line), or undefined when it printed something else. */
export function parseFacts(stdout: string): InterpreterFacts | undefined {
  const last = stdout.trim().split(/\r?\n/).pop() ?? '';
  let v: unknown;
  try {
    v = JSON.parse(last);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const bools = ['cnnSlicer', 'torch', 'numpy', 'externallyManaged'] as const;
  if (!bools.every((k) => typeof o[k] === 'boolean') || typeof o.version !== 'string' || typeof o.executable !== 'string') return undefined;
  return {
    cnnSlicer: o.cnnSlicer as boolean,
    torch: o.torch as boolean,
    numpy: o.numpy as boolean,
    version: o.version,
    executable: o.executable,
    externallyManaged: o.externallyManaged as boolean,
  };
}

/** The families of shells whose quoting differs. */
export type ShellKind = 'posix' | 'fish' | 'powershell' | 'cmd';

/** The kind of a shell from its path (`vscode.env.shell`); POSIX when unknown. */
export function shellKind(shellPath: string): ShellKind {
  const name = shellPath.replace(/^.*[\\/]/, '').toLowerCase();
  if (/^(pwsh|powershell)(\.exe)?$/.test(name)) return 'powershell';
  if (/^cmd(\.exe)?$/.test(name)) return 'cmd';
  if (/^fish$/.test(name)) return 'fish';
  return 'posix';
}

/** `arg` as one word of the shell; left bare when it holds only characters no shell treats specially. */
export function quoteArg(arg: string, kind: ShellKind): string {
  if (/^[\w./:@%+=,-]+$/.test(arg)) return arg;
  switch (kind) {
    case 'posix':
      return `'${arg.replace(/'/g, `'\\''`)}'`;
    case 'fish':
      return `'${arg.replace(/[\\']/g, (c) => `\\${c}`)}'`;
    case 'powershell':
      return `'${arg.replace(/'/g, "''")}'`;
    case 'cmd':
      // cmd has no escape inside double quotes; a Windows path cannot hold a double quote.
      return `"${arg.replace(/"/g, '')}"`;
  }
}

/** The command line that runs `executable` with `args` in a shell of `kind`. */
export function commandLine(executable: string, args: readonly string[], kind: ShellKind): string {
  const exe = quoteArg(executable, kind);
  // PowerShell takes a quoted first word as a string, not a command: the call operator runs it.
  const head = kind === 'powershell' && exe !== executable ? `& ${exe}` : exe;
  return [head, ...args.map((a) => quoteArg(a, kind))].join(' ');
}

/** `PYTHONPATH` with `folder` first (the bundled recorder), keeping what was there. */
export function withPythonPath(folder: string, existing: string | undefined, platform: NodeJS.Platform): string {
  const sep = platform === 'win32' ? ';' : ':';
  return existing ? `${folder}${sep}${existing}` : folder;
}
