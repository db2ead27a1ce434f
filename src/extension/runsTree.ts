// The "Recorded Runs" view (cnnSlicer.runs): every run of the workspace's runs folders, live while
// recording, with its details and layers, and the commands on runs (open, record again, cancel,
// rename, delete, reveal, copy path, refresh, go to a layer). The package.json menus key on the
// items' contextValue: `run.recording`, `run.done`, `layer`, `unreadableRun`.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunLayer } from '../run/format';
import type { RunRecord } from '../run/store';
import type { Focus } from '../../webview/protocol';
import { CommandContext, registerCommand } from './commands';
import { revealLayerSource } from './layerSource';
import { defaultLabelOfRun, findRun, labelOfRun, runNames } from './panels';
import {
  detailRows,
  layerDescription,
  layerTooltip,
  rerunSettings,
  runDescription,
  runItemLabel,
  runTooltip,
  shownStatus,
  statusIcon,
  validateRunName,
} from './runDisplay';
import type { Services } from './services';

export const RUNS_VIEW_ID = 'cnnSlicer.runs';

/**
 * A node of the tree. Each carries `runFolder`: commands get the node as their argument, and
 * `{ runFolder }` is the argument every run command accepts (also those of other modules, such as
 * cnnSlicer.cancelRecording in recording.ts).
 */
export type RunsNode =
  | { kind: 'run'; runFolder: string; record: RunRecord }
  | { kind: 'unreadable'; runFolder: string; message: string }
  | { kind: 'details'; runFolder: string; record: RunRecord }
  | { kind: 'detail'; runFolder: string; record: RunRecord; key: string; label: string; value: string; icon: string; command?: vscode.Command }
  | { kind: 'layer'; runFolder: string; record: RunRecord; layer: RunLayer };

/** The dialogs of the run commands, replaceable by the integration tests (a modal cannot be clicked there). */
export interface RunsUi {
  /** A modal warning with one action; resolves to the action when chosen. */
  confirm(message: string, detail: string, action: string): Thenable<string | undefined>;
}

/** What the runs view offers the rest of the extension and the integration tests. */
export interface RunsTree {
  readonly provider: RunsTreeProvider;
  readonly view: vscode.TreeView<RunsNode>;
  ui: RunsUi;
  refresh(): void;
}

const DETAIL_ICONS: Record<string, string> = {
  model: 'file-code',
  dataset: 'database',
  date: 'calendar',
  epochs: 'history',
  backend: 'server-process',
  probe: 'beaker',
  folder: 'folder',
};

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private recordingsSubscribed = false;

  constructor(private readonly services: Services) {
    this.disposables.push(
      this.changed,
      services.runs.onDidChange(() => this.refresh()),
      runNames(services).onDidChange(() => this.refresh()),
    );
  }

  /** Redraws the tree from the run index (which re-reads the disk only when told to or on a change). */
  refresh(): void {
    this.subscribeToRecordings();
    this.changed.fire();
  }

  /** Folders recorded right now in this window. */
  activeFolders(): string[] {
    return this.services.recordings?.activeFolders() ?? [];
  }

  isLive(record: RunRecord): boolean {
    return shownStatus(record, this.activeFolders()) === 'recording';
  }

  getChildren(node?: RunsNode): RunsNode[] {
    this.subscribeToRecordings();
    if (!node) {
      const { runs, errors } = this.services.runs.list();
      return [
        ...runs.map((record): RunsNode => ({ kind: 'run', runFolder: record.folder, record })),
        ...errors.map((e): RunsNode => ({ kind: 'unreadable', runFolder: e.folder, message: e.message })),
      ];
    }
    switch (node.kind) {
      case 'run':
        return [
          { kind: 'details', runFolder: node.runFolder, record: node.record },
          ...node.record.manifest.layers.map((layer): RunsNode => ({ kind: 'layer', runFolder: node.runFolder, record: node.record, layer })),
        ];
      case 'details':
        return this.details(node.record);
      default:
        return [];
    }
  }

  getParent(node: RunsNode): RunsNode | undefined {
    switch (node.kind) {
      case 'run':
      case 'unreadable':
        return undefined;
      case 'detail':
        return { kind: 'details', runFolder: node.runFolder, record: node.record };
      default:
        return { kind: 'run', runFolder: node.runFolder, record: node.record };
    }
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'run':
        return this.runItem(node.record);
      case 'unreadable': {
        const item = new vscode.TreeItem(basename(node.runFolder), vscode.TreeItemCollapsibleState.None);
        item.id = `unreadable:${node.runFolder}`;
        item.description = vscode.l10n.t('cannot be read');
        item.tooltip = new vscode.MarkdownString().appendText(`${node.runFolder}\n\n${node.message}`);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.contextValue = 'unreadableRun';
        return item;
      }
      case 'details': {
        const item = new vscode.TreeItem(vscode.l10n.t('Details'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `details:${node.record.folder}`;
        item.iconPath = new vscode.ThemeIcon('info');
        item.contextValue = 'runDetails';
        return item;
      }
      case 'detail': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `detail:${node.record.folder}:${node.key}`;
        item.description = node.value;
        item.tooltip = node.value;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.command = node.command;
        item.contextValue = 'runDetail';
        return item;
      }
      case 'layer': {
        const { layer, record } = node;
        const item = new vscode.TreeItem(layer.name, vscode.TreeItemCollapsibleState.None);
        item.id = `layer:${record.folder}:${layer.index}`;
        item.description = layerDescription(layer);
        item.tooltip = new vscode.MarkdownString(layerTooltip(layer, vscode.l10n));
        item.iconPath = new vscode.ThemeIcon(layer.index === 0 ? 'arrow-right' : 'layers');
        item.contextValue = 'layer';
        if (layer.source) {
          item.command = { command: 'cnnSlicer.goToLayer', title: vscode.l10n.t('Go to Layer Definition'), arguments: [record.folder, layer.index] };
        }
        return item;
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private runItem(record: RunRecord): vscode.TreeItem {
    const status = shownStatus(record, this.activeFolders());
    const label = labelOfRun(this.services, record);
    const style = { locale: vscode.env.language };
    const item = new vscode.TreeItem(runItemLabel(record.manifest, label), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `run:${record.folder}`;
    item.description = runDescription(record.manifest, status, vscode.l10n, style);
    const tooltip = new vscode.MarkdownString(runTooltip(record, label, status, vscode.l10n, style), true);
    item.tooltip = tooltip;
    const icon = statusIcon(status);
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.contextValue = status === 'recording' ? 'run.recording' : 'run.done';
    return item;
  }

  private details(record: RunRecord): RunsNode[] {
    const nodes: RunsNode[] = detailRows(record, vscode.l10n, { locale: vscode.env.language }).map((row) => {
      let command: vscode.Command | undefined;
      if (row.key === 'model') command = { command: 'vscode.open', title: vscode.l10n.t('Open Model'), arguments: [vscode.Uri.file(row.value)] };
      if (row.key === 'folder') command = { command: 'cnnSlicer.revealRunFolder', title: vscode.l10n.t('Reveal Run Folder'), arguments: [{ runFolder: record.folder }] };
      return { kind: 'detail', runFolder: record.folder, record, key: row.key, label: row.label, value: row.value, icon: DETAIL_ICONS[row.key] ?? 'info', command };
    });
    const error = record.manifest.error;
    if (error) {
      const at = error.location;
      nodes.push({
        kind: 'detail',
        runFolder: record.folder,
        record,
        key: 'error',
        label: vscode.l10n.t('Error'),
        value: at ? `${error.message} (${basename(at.file)}:${at.line})` : error.message,
        icon: 'error',
        command: at
          ? { command: 'vscode.open', title: vscode.l10n.t('Go to Error'), arguments: [vscode.Uri.file(at.file), { selection: new vscode.Range(at.line - 1, Math.max(at.column - 1, 0), at.line - 1, Math.max(at.column - 1, 0)) }] }
          : undefined,
      });
    }
    record.notes.forEach((note, i) => nodes.push({ kind: 'detail', runFolder: record.folder, record, key: `note${i}`, label: vscode.l10n.t('Note'), value: note, icon: 'info' }));
    return nodes;
  }

  /** The recordings registry may be set after this view is registered: subscribe once it exists. */
  private subscribeToRecordings(): void {
    const recordings = this.services.recordings;
    if (this.recordingsSubscribed || !recordings) return;
    this.recordingsSubscribed = true;
    this.disposables.push(recordings.onDidChange(() => this.refresh()));
  }
}

/** What a run command was given: a tree node or `{ runFolder }`, a path or a Uri. */
function folderOfArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { runFolder?: unknown }).runFolder === 'string') return (arg as { runFolder: string }).runFolder;
  return undefined;
}

/** The layer a command was given: a layer node, or `{ layer }` beside a run folder. */
function layerOfArg(arg: unknown): number | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as { kind?: unknown; layer?: unknown };
  if (a.kind === 'layer' && typeof a.layer === 'object' && a.layer !== null) return (a.layer as RunLayer).index;
  return typeof a.layer === 'number' && Number.isInteger(a.layer) && a.layer >= 0 ? a.layer : undefined;
}

export function registerRunsTree(services: Services, commands: CommandContext): RunsTree {
  const provider = new RunsTreeProvider(services);
  const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const updateBadge = () => {
    const n = provider.activeFolders().length;
    view.badge = n ? { value: n, tooltip: vscode.l10n.t('Recordings running: {0}', n) } : undefined;
  };
  services.context.subscriptions.push(provider, view, provider.onDidChangeTreeData(updateBadge));
  const names = runNames(services);

  const tree: RunsTree = {
    provider,
    view,
    ui: { confirm: (message, detail, action) => vscode.window.showWarningMessage(message, { modal: true, detail }, action) },
    refresh: () => provider.refresh(),
  };
  // Reachable from the activated extension's API (the Services object), for the integration tests.
  services.runsTree = tree;

  /**
   * The run a command acts on: its argument, else (for a keybinding on the view) the selected run,
   * else one the user picks. Commands shown in the palette always ask rather than act on a
   * selection the user may have forgotten.
   */
  async function runOf(arg: unknown, placeHolder: string, useSelection = true): Promise<RunRecord | undefined> {
    const folder = folderOfArg(arg) ?? (useSelection ? folderOfArg(view.selection[0]) : undefined);
    if (folder !== undefined) {
      const record = findRun(services, folder);
      if (!record) throw new Error(vscode.l10n.t('{0} is not a recorded run of this workspace (deleted or moved?). Refresh the Recorded Runs view and try again.', folder));
      return record;
    }
    const runs = services.runs.runs();
    if (!runs.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There are no recorded runs in this workspace yet. Open a model file and run “Analyze CNN”.'));
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      runs.map((record) => ({
        label: runItemLabel(record.manifest, labelOfRun(services, record)),
        description: runDescription(record.manifest, shownStatus(record, provider.activeFolders()), vscode.l10n, { locale: vscode.env.language }),
        detail: record.folder,
        record,
      })),
      { placeHolder, matchOnDescription: true },
    );
    return picked?.record;
  }

  /** A folder for the path commands: a run, or an unreadable run folder the index listed. */
  function pathOf(arg: unknown): string {
    const folder = folderOfArg(arg) ?? folderOfArg(view.selection[0]);
    if (folder === undefined) throw new Error(vscode.l10n.t('No run was given. Select a run in the Recorded Runs view first.'));
    const record = findRun(services, folder);
    if (record) return record.folder;
    const unreadable = services.runs.list().errors.find((e) => resolve(e.folder) === resolve(folder));
    if (unreadable) return unreadable.folder;
    throw new Error(vscode.l10n.t('{0} is not a recorded run of this workspace (deleted or moved?). Refresh the Recorded Runs view and try again.', folder));
  }

  function panels() {
    if (!services.panels) throw new Error(vscode.l10n.t('The run panels are not available; see the log for why.'));
    return services.panels;
  }

  registerCommand(commands, 'cnnSlicer.openRun', async (arg: unknown) => {
    const record = await runOf(arg, vscode.l10n.t('Open which run?'), false);
    if (!record) return;
    const layer = layerOfArg(arg);
    const focus: Focus | undefined = layer !== undefined ? { view: 'channel', layer } : undefined;
    await panels().open(record.folder, focus);
  });

  // The inline action on a layer: the run's panel on that layer's channel view.
  registerCommand(commands, 'cnnSlicer.openRunAtLayer', async (arg: unknown) => {
    const record = await runOf(arg, vscode.l10n.t('Open which run?'));
    if (!record) return;
    const layer = layerOfArg(arg);
    await panels().open(record.folder, layer !== undefined ? { view: 'channel', layer } : { view: 'channel' });
  });

  registerCommand(commands, 'cnnSlicer.rerun', async (arg: unknown) => {
    const record = await runOf(arg, vscode.l10n.t('Record which run again?'));
    if (!record) return;
    const modelFile = record.manifest.model.file;
    if (!existsSync(modelFile)) {
      throw new Error(vscode.l10n.t('the model file {0} no longer exists; open the model where it is now and run “Analyze CNN”.', modelFile));
    }
    // Same model, same settings: no questions (the recording module's `noPrompt`).
    return vscode.commands.executeCommand('cnnSlicer.analyze', { modelFile, settings: rerunSettings(record.manifest), noPrompt: true });
  });

  // cnnSlicer.cancelRecording is registered by the recording module (recording.ts); the tree's
  // inline and context-menu entries pass it the node, whose `runFolder` it reads.

  registerCommand(commands, 'cnnSlicer.renameRun', async (arg: unknown) => {
    const record = await runOf(arg, vscode.l10n.t('Rename which run?'));
    if (!record) return;
    const id = record.manifest.id;
    const given = typeof arg === 'object' && arg !== null && typeof (arg as { label?: unknown }).label === 'string' ? (arg as { label: string }).label : undefined;
    const name =
      given ??
      (await vscode.window.showInputBox({
        title: vscode.l10n.t('Rename Run'),
        prompt: vscode.l10n.t('A name for the run {0} of {1}, shown in this workspace only. Leave it empty for the default name.', id, record.manifest.model.name),
        value: names.get(id) ?? '',
        // What the run is called again when the name is cleared.
        placeHolder: defaultLabelOfRun(services, record),
        validateInput: (v) => validateRunName(v, vscode.l10n),
      }));
    if (name === undefined) return;
    const problem = validateRunName(name, vscode.l10n);
    if (problem) throw new Error(problem);
    await names.set(id, name);
    provider.refresh();
  });

  registerCommand(commands, 'cnnSlicer.deleteRun', async (arg: unknown) => {
    const folder = pathOf(arg);
    const record = findRun(services, folder);
    if (record && provider.isLive(record)) {
      const cancel = vscode.l10n.t('Cancel Recording');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('“{0}” is still being recorded. Cancel the recording before deleting the run.', runItemLabel(record.manifest, labelOfRun(services, record))),
        cancel,
      );
      if (choice === cancel) await vscode.commands.executeCommand('cnnSlicer.cancelRecording', { runFolder: folder });
      return;
    }
    const name = record ? runItemLabel(record.manifest, labelOfRun(services, record)) : basename(folder);
    const trash = vscode.l10n.t('Move to Trash');
    const choice = await tree.ui.confirm(
      vscode.l10n.t('Delete the run “{0}”?', name),
      vscode.l10n.t('Its folder {0} (checkpoints, probe set, metrics and cached answers) will be moved to the trash.', folder),
      trash,
    );
    if (choice !== trash) return;
    services.panels?.close(folder);
    const uri = vscode.Uri.file(folder);
    try {
      // Some machines' trash never answers (headless or remote hosts, seen with code-server):
      // after 10 s it counts as unavailable, like an error.
      await Promise.race([
        vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(vscode.l10n.t('the trash did not answer within 10 s'))), 10_000)),
      ]);
    } catch (e) {
      // No trash here (a remote or headless machine, some file systems): say so, and delete for
      // good only if the user agrees a second time.
      if (existsSync(folder)) {
        const reason = e instanceof Error ? e.message : String(e);
        commands.log.warn(`moving ${folder} to the trash failed: ${reason}`);
        const permanently = vscode.l10n.t('Delete Permanently');
        const again = await tree.ui.confirm(
          vscode.l10n.t('“{0}” cannot be moved to the trash. Delete it permanently?', name),
          vscode.l10n.t('{0} could not be moved to the trash ({1}). Deleting it permanently cannot be undone.', folder, reason),
          permanently,
        );
        if (again !== permanently) return;
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
      }
    }
    commands.log.info(`deleted the run ${folder}`);
    if (record) await names.set(record.manifest.id, undefined);
    services.runs.refresh();
  });

  registerCommand(commands, 'cnnSlicer.revealRunFolder', async (arg: unknown) => {
    const uri = vscode.Uri.file(pathOf(arg));
    if (!vscode.env.remoteName) {
      await vscode.commands.executeCommand('revealFileInOS', uri);
      return;
    }
    // In a remote window the OS file manager is on the other machine: use the Explorer instead,
    // which only shows folders inside the workspace.
    if (vscode.workspace.getWorkspaceFolder(uri)) {
      await vscode.commands.executeCommand('revealInExplorer', uri);
      return;
    }
    const copy = vscode.l10n.t('Copy Path');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('The run folder {0} is outside the workspace, so the Explorer cannot show it.', uri.fsPath), copy);
    if (choice === copy) await vscode.env.clipboard.writeText(uri.fsPath);
  });

  registerCommand(commands, 'cnnSlicer.copyRunPath', async (arg: unknown) => {
    const folder = pathOf(arg);
    await vscode.env.clipboard.writeText(folder);
    vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', folder), 3000);
  });

  registerCommand(commands, 'cnnSlicer.refreshRuns', () => {
    // The index re-reads the runs folders and fires onDidChange, which redraws the tree.
    services.runs.refresh();
    provider.refresh();
  });

  registerCommand(commands, 'cnnSlicer.goToLayer', async (arg: unknown, index?: unknown) => {
    const record = await runOf(arg, vscode.l10n.t('Which run?'));
    if (!record) return undefined;
    const layer = typeof index === 'number' ? index : layerOfArg(arg);
    if (layer === undefined || !Number.isInteger(layer) || layer < 0) throw new Error(vscode.l10n.t('No layer was given (expected a layer index).'));
    return revealLayerSource(record.manifest, layer, { subscriptions: services.context.subscriptions });
  });

  return tree;
}
