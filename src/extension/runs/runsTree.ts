// The "Recorded Runs" view (cnnSlicer.runs): every run of the workspace's runs folders, grouped by
// the model file it recorded (newest first in each), live while recording, with its details and
// layers. The commands on runs are in commands/runs.ts and commands/panels.ts. The package.json
// menus key on the items' contextValue: `run.recording` (by this window), `run.recordingElsewhere` (by
// another process, a Python training script), `run.done`, `layer`, `unreadableRun`
// (`modelFile`, the groups, has no menu).
import { basename, resolve } from 'node:path';
import * as vscode from 'vscode';
import { shortLayerLabel } from '../../contract/layerLabel';
import type { RunLayer } from '../../contract/runFormat';
import type { RunRecord } from '../../run/store';
import { detailRows, layerDescription, layerTooltip, runDescription, runTooltip, shownStatus, statusIcon } from './runDisplay';
import { GROUP_EXPANDED_MAX_RUNS, groupRunsByModel } from './runGroups';
import type { RunIndex } from './runIndex';
import type { RunLabels } from './runLabels';

export const RUNS_VIEW_ID = 'cnnSlicer.runs';

/** A model file at the top of the tree, with its runs, newest first. It carries no `runFolder`: no run command applies to it. */
export type ModelNode = { kind: 'model'; modelFile: string; runs: RunNode[] };
/** A run under its model file, with its label as the listing that made the node saw it. */
export type RunNode = { kind: 'run'; runFolder: string; record: RunRecord; label: string; model: ModelNode };
type DetailsNode = { kind: 'details'; runFolder: string; record: RunRecord; run: RunNode };

/**
 * A node of the tree. Each carries `runFolder`: commands get the node as their argument, and
 * `{ runFolder }` is the argument every run command accepts (also cnnSlicer.cancelRecording).
 * The nodes below a run know their parent, which `getParent` answers with.
 */
export type RunsNode =
  | ModelNode
  | RunNode
  | { kind: 'unreadable'; runFolder: string; message: string }
  | DetailsNode
  | {
      kind: 'detail';
      runFolder: string;
      record: RunRecord;
      details: DetailsNode;
      key: string;
      label: string;
      value: string;
      icon: string;
      command?: vscode.Command;
    }
  | { kind: 'layer'; runFolder: string; record: RunRecord; run: RunNode; layer: RunLayer };

/** What the view needs of the recordings in this window (recording.ts `Recordings`). */
export interface LiveRecordings {
  readonly onDidChange: vscode.Event<void>;
  /** Run folders being recorded now. */
  activeFolders(): string[];
}

const DETAIL_ICONS: Record<string, string> = {
  control: 'beaker',
  model: 'file-code',
  dataset: 'database',
  date: 'calendar',
  epochs: 'history',
  backend: 'server-process',
  probe: 'beaker',
  output: 'symbol-number',
  folder: 'folder',
};

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly runs: RunIndex,
    private readonly labels: RunLabels,
    private readonly recordings: LiveRecordings,
  ) {
    this.disposables.push(
      this.changed,
      runs.onDidChange(() => this.refresh()),
      labels.onDidChange(() => this.refresh()),
      recordings.onDidChange(() => this.refresh()),
    );
  }

  /** Redraws the tree from the run index (which re-reads the disk only when told to or on a change). */
  refresh(): void {
    this.changed.fire();
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) {
      const { runs, errors } = await this.runs.list();
      const models = groupRunsByModel(runs).map((group): ModelNode => {
        const model: ModelNode = { kind: 'model', modelFile: group.modelFile, runs: [] };
        model.runs = group.runs.map((record) => ({
          kind: 'run',
          runFolder: record.folder,
          record,
          label: this.labels.label(record, runs),
          model,
        }));
        return model;
      });
      return [...models, ...errors.map((e): RunsNode => ({ kind: 'unreadable', runFolder: e.folder, message: e.message }))];
    }
    switch (node.kind) {
      case 'model':
        return node.runs;
      case 'run':
        return [
          { kind: 'details', runFolder: node.runFolder, record: node.record, run: node },
          ...node.record.manifest.layers.map((layer): RunsNode => ({
            kind: 'layer',
            runFolder: node.runFolder,
            record: node.record,
            run: node,
            layer,
          })),
        ];
      case 'details':
        return this.details(node);
      default:
        return [];
    }
  }

  getParent(node: RunsNode): RunsNode | undefined {
    switch (node.kind) {
      case 'model':
      case 'unreadable':
        return undefined;
      case 'run':
        return node.model;
      case 'detail':
        return node.details;
      default:
        return node.run;
    }
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'model':
        return modelItem(node);
      case 'run':
        return this.runItem(node.record, node.label);
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
        // "pool1 · MaxPooling2D" rather than tfjs's long name, which the tree truncates; the full name is in the tooltip.
        const item = new vscode.TreeItem(shortLayerLabel(layer, record.manifest.layers), vscode.TreeItemCollapsibleState.None);
        item.id = `layer:${record.folder}:${layer.index}`;
        item.description = layerDescription(layer);
        item.tooltip = new vscode.MarkdownString(layerTooltip(layer, vscode.l10n));
        item.iconPath = new vscode.ThemeIcon(layer.index === 0 ? 'arrow-right' : 'layers');
        item.contextValue = 'layer';
        if (layer.source) {
          item.command = {
            command: 'cnnSlicer.goToLayer',
            title: vscode.l10n.t('Go to Layer Definition'),
            arguments: [record.folder, layer.index],
          };
        }
        return item;
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private runItem(record: RunRecord, label: string): vscode.TreeItem {
    const status = shownStatus(record, this.recordings.activeFolders());
    const style = { locale: vscode.env.language, roots: workspaceRoots() };
    // The run sits under its model file's group, so its label is the run's own (#3 or the user's
    // name); quick picks, prompts and the tooltip, which have no group around them, say the model too.
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `run:${record.folder}`;
    item.description = runDescription(record, status, vscode.l10n, style);
    const tooltip = new vscode.MarkdownString(runTooltip(record, label, status, vscode.l10n, style), true);
    item.tooltip = tooltip;
    const icon = statusIcon(status);
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    // A control run has its own menu entry, "Compare with Source Run" (package.json: viewItem == run.done.control).
    // A run another process records (a Python training script) cannot be cancelled from here: it has no Cancel Recording.
    const ownRecording = this.recordings.activeFolders().some((f) => resolve(f) === resolve(record.folder));
    item.contextValue =
      status === 'recording'
        ? ownRecording
          ? 'run.recording'
          : 'run.recordingElsewhere'
        : record.manifest.control
          ? 'run.done.control'
          : 'run.done';
    // A click opens the run (as the walkthrough says); the twistie still expands it, since VS Code
    // expands an item that has a command only from its twistie.
    item.command = { command: 'cnnSlicer.openRun', title: vscode.l10n.t('Open Run'), arguments: [{ runFolder: record.folder }] };
    return item;
  }

  private details(parent: DetailsNode): RunsNode[] {
    const { record } = parent;
    const nodes: RunsNode[] = detailRows(record, vscode.l10n, { locale: vscode.env.language, roots: workspaceRoots() }).map((row) => {
      let command: vscode.Command | undefined;
      // The row shows the path relative to the workspace; the command opens the file itself.
      if (row.key === 'model')
        command = { command: 'vscode.open', title: vscode.l10n.t('Open Model'), arguments: [vscode.Uri.file(record.manifest.model.file)] };
      if (row.key === 'control')
        command = {
          command: 'cnnSlicer.compareWithSourceRun',
          title: vscode.l10n.t('Compare with Source Run'),
          arguments: [{ runFolder: record.folder }],
        };
      if (row.key === 'folder')
        command = {
          command: 'cnnSlicer.revealRunFolder',
          title: vscode.l10n.t('Reveal Run Folder'),
          arguments: [{ runFolder: record.folder }],
        };
      return {
        kind: 'detail',
        runFolder: record.folder,
        record,
        details: parent,
        key: row.key,
        label: row.label,
        value: row.value,
        icon: DETAIL_ICONS[row.key] ?? 'info',
        command,
      };
    });
    const error = record.manifest.error;
    if (error) {
      const at = error.location;
      nodes.push({
        kind: 'detail',
        runFolder: record.folder,
        record,
        details: parent,
        key: 'error',
        label: vscode.l10n.t('Error'),
        value: at ? `${error.message} (${basename(at.file)}:${at.line})` : error.message,
        icon: 'error',
        command: at
          ? {
              command: 'vscode.open',
              title: vscode.l10n.t('Go to Error'),
              arguments: [
                vscode.Uri.file(at.file),
                { selection: new vscode.Range(at.line - 1, Math.max(at.column - 1, 0), at.line - 1, Math.max(at.column - 1, 0)) },
              ],
            }
          : undefined,
      });
    }
    record.notes.forEach((note, i) =>
      nodes.push({
        kind: 'detail',
        runFolder: record.folder,
        record,
        details: parent,
        key: `note${i}`,
        label: vscode.l10n.t('Note'),
        value: note,
        icon: 'info',
      }),
    );
    return nodes;
  }
}

/** A model file's group: its path in the workspace, the full path on hover, how many runs. */
function modelItem(node: ModelNode): vscode.TreeItem {
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  const item = new vscode.TreeItem(
    vscode.workspace.asRelativePath(node.modelFile, multiRoot),
    node.runs.length <= GROUP_EXPANDED_MAX_RUNS ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
  );
  item.id = `model:${node.modelFile}`;
  item.description = node.runs.length === 1 ? vscode.l10n.t('1 run') : vscode.l10n.t('{0} runs', node.runs.length);
  item.tooltip = node.modelFile;
  item.resourceUri = vscode.Uri.file(node.modelFile);
  item.iconPath = vscode.ThemeIcon.File;
  item.contextValue = 'modelFile';
  return item;
}

/** The view itself: the tree of `RunsTreeProvider`, with a badge counting the recordings under way. */
export class RunsView implements vscode.Disposable {
  readonly provider: RunsTreeProvider;
  readonly view: vscode.TreeView<RunsNode>;
  private readonly disposables: vscode.Disposable[];

  constructor(runs: RunIndex, labels: RunLabels, recordings: LiveRecordings) {
    const provider = new RunsTreeProvider(runs, labels, recordings);
    // Several runs can be selected at once, for "Compare Runs" on the selection.
    const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true, canSelectMany: true });
    const updateBadge = () => {
      const n = recordings.activeFolders().length;
      view.badge = n ? { value: n, tooltip: vscode.l10n.t('Recordings running: {0}', n) } : undefined;
    };
    this.provider = provider;
    this.view = view;
    this.disposables = [provider, view, provider.onDidChangeTreeData(updateBadge)];
  }

  /** The run node selected in the view, if any (for a keybinding on the view). */
  selection(): RunsNode | undefined {
    return this.view.selection[0];
  }

  refresh(): void {
    this.provider.refresh();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The workspace folders, which run details show paths relative to. */
function workspaceRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}
