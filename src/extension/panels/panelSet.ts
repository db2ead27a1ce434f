// What the run panels (panels.ts) and the comparison panels (comparePanels.ts) share: a set of
// open webview panels by key, each wired to its own WebviewBridge; the theme following VS Code's;
// panels restored after a window reload through a serializer; exports starting where the run's
// last one went; errors shown with a way to the log. Each kind keeps what is its own: how a panel
// is found again, its title, and what its bridge may ask of the editor.
import * as vscode from 'vscode';
import type { RunRecord } from '../../run/store';
import type { ExportFormat, Focus } from '../../contract/webviewProtocol';
import type { Ctx } from '../ctx';
import { basename } from 'node:path';
import { saveFilters, themeOfKind } from '../runs/runDisplay';
import { exportsFolderOf } from '../../run/location';
import type { WebviewBridge } from './webviewBridge';

const SHOW_LOG = 'Show Log';

/** One open panel and what hangs on it. */
export interface PanelEntry {
  panel: vscode.WebviewPanel;
  bridge: WebviewBridge;
  disposables: vscode.Disposable[];
  /** Hellos sent: one per page load (the page loaded, passed its CSP and ran its script). */
  hellos: number;
  /** Every focus asked of the panel since it opened (what the integration tests check). */
  focuses: Focus[];
}

export abstract class PanelSet<E extends PanelEntry> implements vscode.Disposable {
  protected readonly entries = new Map<string, E>();
  protected readonly disposables: vscode.Disposable[] = [];
  /** Where each run's last export went (by run folder), so its next one starts there: other runs keep their own `exports/`. */
  private readonly lastExportFolders = new Map<string, vscode.Uri>();

  /**
   * `viewType`'s panels kept by VS Code across a window reload come back through `restore`; if that
   * throws, `restoreFailed` shows in the panel what happened (and the log has the stack).
   */
  constructor(
    protected readonly ctx: Ctx,
    viewType: string,
    kind: string,
    restore: (panel: vscode.WebviewPanel, state: unknown) => Promise<void>,
    restoreFailed: (panel: vscode.WebviewPanel) => void,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveColorTheme((theme) => {
        for (const e of this.entries.values()) e.bridge.theme(themeOfKind(theme.kind));
      }),
      vscode.window.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: async (panel, state) => {
          try {
            await restore(panel, state);
          } catch (e) {
            // A panel left blank says nothing; say what happened in it and in the log.
            ctx.log.error(`restoring a ${kind} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
            restoreFailed(panel);
          }
        },
      }),
    );
  }

  dispose(): void {
    // The panels themselves are not closed here: on a window reload VS Code keeps them and hands
    // them back to the serializer. Their bridges and listeners go.
    for (const e of this.entries.values()) {
      e.bridge.dispose();
      for (const d of e.disposables) d.dispose();
    }
    this.entries.clear();
    for (const d of this.disposables) d.dispose();
  }

  /**
   * Registers `entry` under `key` and wires its panel: messages go to its bridge; a hidden panel's
   * page is gone (retainContextWhenHidden is off), so what it waited for is cancelled — it says hello
   * again when shown, and a focus asked meanwhile goes with that hello; a panel visible but not the
   * active one asks behind the other panels (WebviewBridge.setActive); a closed panel lets go of
   * everything and leaves the set (`onClosed` then does what else the kind keeps).
   */
  protected register(key: string, entry: E, onClosed?: () => void): void {
    const { panel } = entry;
    entry.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => entry.bridge.handle(m)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) entry.bridge.dispose();
        // A panel visible beside the active one asks behind it.
        else entry.bridge.setActive(panel.active);
      }),
      panel.onDidDispose(() => {
        entry.bridge.dispose();
        for (const d of entry.disposables) d.dispose();
        if (this.entries.get(key) === entry) this.entries.delete(key);
        onClosed?.();
      }),
    );
    this.entries.set(key, entry);
  }

  /** Saves a panel's export of `record` where the user chooses, starting where that run's last export went. */
  protected async saveExportOf(record: RunRecord, fileName: string, format: ExportFormat, data: Uint8Array | string): Promise<void> {
    const saved = await saveExport(this.lastExportFolders.get(record.folder) ?? defaultExportFolder(record), fileName, format, data);
    if (saved) this.lastExportFolders.set(record.folder, vscode.Uri.joinPath(saved, '..'));
  }

  /** Says what failed in an error message with a way to the log, which has the stack. */
  protected fail(what: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.ctx.log.error(`${what}: ${error instanceof Error ? (error.stack ?? message) : message}`);
    void vscode.window.showErrorMessage(`${what}: ${message}`, SHOW_LOG).then((c) => {
      if (c === SHOW_LOG) this.ctx.log.show();
    });
  }
}

/** Where a run's exports are offered first: the run folder's `exports/` (created when an export is saved). */
export function defaultExportFolder(record: RunRecord): vscode.Uri {
  return vscode.Uri.file(exportsFolderOf(record.folder));
}

/** Writes a panel's export where the user chooses (starting in `folder`); the file written, or undefined if the user cancelled. */
export async function saveExport(
  folder: vscode.Uri,
  fileName: string,
  format: ExportFormat,
  data: Uint8Array | string,
): Promise<vscode.Uri | undefined> {
  // The dialog opens in the folder only if it exists; a run folder that cannot take one (read-only) offers its own folder.
  try {
    await vscode.workspace.fs.createDirectory(folder);
  } catch {
    folder = vscode.Uri.joinPath(folder, '..');
  }
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(folder, fileName),
    filters: saveFilters(format, vscode.l10n),
    saveLabel: vscode.l10n.t('Export'),
    title: vscode.l10n.t('Export {0}', fileName),
  });
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, typeof data === 'string' ? new TextEncoder().encode(data) : data);
  const open = vscode.l10n.t('Open');
  // Not awaited: the next export may start in this folder whether or not the user answers.
  void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}.', basename(uri.path)), open).then(async (choice) => {
    if (choice === open) await vscode.commands.executeCommand('vscode.open', uri);
  });
  return uri;
}
