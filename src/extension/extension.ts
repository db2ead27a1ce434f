// The extension host entry, bundled to dist/extension.js. It stays small and light: activation
// runs on the VS Code UI's critical path, so nothing heavy (tfjs, webview code) is imported here.
import * as vscode from 'vscode';
import { registerCommand } from './commands';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('CNN Slicer', { log: true });
  context.subscriptions.push(log);
  const commands = { subscriptions: context.subscriptions, log };

  registerCommand(commands, 'cnnSlicer.showOutput', () => log.show());

  // The version in the log ties a bug report to the build that produced it.
  const version: unknown = context.extension.packageJSON?.version;
  log.info(`CNN Slicer ${typeof version === 'string' ? version : '(unknown version)'} activated`);
}

export function deactivate(): void {
  // Nothing to do: everything created in `activate` is owned by context.subscriptions,
  // which VS Code disposes of after this returns.
}
