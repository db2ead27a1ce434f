// Every command goes through `registerCommand`, so a failure is always logged with its stack
// and shown to the user once, with a way to the log, instead of vanishing into the
// developer console or surfacing as VS Code's generic "command failed" notification. The command
// groups (the other files of this folder) each build their commands with it.
import * as vscode from 'vscode';

/** What a command needs from the extension: somewhere to put disposables and the log (`Ctx` has both). */
export interface CommandContext {
  readonly subscriptions: { dispose(): unknown }[];
  readonly log: vscode.LogOutputChannel;
}

const SHOW_LOG = 'Show Log';

/**
 * Registers `fn` as command `id`, owned by `context.subscriptions`. Errors are caught, logged and
 * shown with a "Show Log" button; cancellation is logged quietly because the user asked for it.
 */
export function registerCommand(context: CommandContext, id: string, fn: (...args: unknown[]) => unknown): void {
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    try {
      return await fn(...args);
    } catch (error) {
      if (isCancellation(error)) {
        context.log.info(`${id}: cancelled`);
        return undefined;
      }
      const err = error instanceof Error ? error : new Error(String(error));
      // The stack goes into the log, not the notification: it is for whoever reads the bug report.
      context.log.error(`${id} failed: ${err.stack ?? err.message}`);
      // Not awaited: the command settles now, whether or not the user ever answers the notification.
      void vscode.window.showErrorMessage(`CNN Slicer: ${id} failed: ${err.message}`, SHOW_LOG).then((choice) => {
        if (choice === SHOW_LOG) context.log.show();
      });
      return undefined;
    }
  };
  context.subscriptions.push(vscode.commands.registerCommand(id, wrapped));
}

function isCancellation(error: unknown): boolean {
  // VS Code's own CancellationError, and the AbortError thrown when an AbortSignal we passed
  // into analysis or recorder code fires.
  return error instanceof vscode.CancellationError || (error instanceof Error && error.name === 'AbortError');
}
