// The quick picks that list the recordings under way — the status bar item's menu and "Cancel which
// recording?" — kept live while open: each recording's description is rebuilt on every progress
// message, from the same `describeProgress` and `lastProgress` the status bar reads, so a menu left
// open never reads an epoch behind the status bar.
import * as vscode from 'vscode';

/** A menu entry and what choosing it does. */
export interface MenuItem extends vscode.QuickPickItem {
  run(): unknown;
}

export class RecordingMenu implements vscode.Disposable {
  private open: vscode.QuickPick<MenuItem> | undefined;

  /** `onDidProgress` fires whenever a recording reports progress. */
  constructor(private readonly onDidProgress: vscode.Event<void>) {}

  /** The entries of the menu open now, or undefined (for tests: they read what the user reads). */
  openItems(): readonly vscode.QuickPickItem[] | undefined {
    return this.open?.items;
  }

  /**
   * Shows the entries `build` returns, rebuilt on every progress message while the menu is open
   * (the highlighted entry stays highlighted); resolves with the entry chosen, or undefined.
   */
  show(build: () => MenuItem[], placeholder: string): Promise<MenuItem | undefined> {
    this.open?.hide();
    const pick = vscode.window.createQuickPick<MenuItem>();
    pick.placeholder = placeholder;
    pick.items = build();
    this.open = pick;
    return new Promise((resolve) => {
      let chosen: MenuItem | undefined;
      const refresh = this.onDidProgress(() => {
        const active = pick.activeItems[0]?.label;
        pick.items = build();
        const again = pick.items.find((i) => i.label === active);
        if (again) pick.activeItems = [again];
      });
      pick.onDidAccept(() => {
        chosen = pick.selectedItems[0] ?? pick.activeItems[0];
        pick.hide();
      });
      pick.onDidHide(() => {
        refresh.dispose();
        if (this.open === pick) this.open = undefined;
        pick.dispose();
        resolve(chosen);
      });
      pick.show();
    });
  }

  dispose(): void {
    this.open?.hide();
  }
}
