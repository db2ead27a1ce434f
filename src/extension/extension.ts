// The extension host entry, bundled to dist/extension.js. It stays small and light: activation
// runs on the VS Code UI's critical path, so it only creates objects and registers providers;
// nothing reads a run, starts a process or loads TensorFlow.js until the user asks for it.
import * as vscode from 'vscode';
import { registerCommand } from './commands';
import { registerModelFeatures } from './modelFeatures';
import { registerPanels } from './panels';
import { registerRecording } from './recording';
import { registerRunsTree } from './runsTree';
import { Services } from './services';

export function activate(context: vscode.ExtensionContext): Services {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('CNN Slicer', { log: true });
  context.subscriptions.push(log);
  const services = new Services(context, log);
  context.subscriptions.push(services);
  const commands = { subscriptions: context.subscriptions, log };

  registerCommand(commands, 'cnnSlicer.showOutput', () => log.show());
  registerPanels(services, commands);
  registerRecording(services, commands);
  registerRunsTree(services, commands);
  registerModelFeatures(services, commands);

  // The version in the log ties a bug report to the build that produced it.
  const version: unknown = context.extension.packageJSON?.version;
  log.info(`CNN Slicer ${typeof version === 'string' ? version : '(unknown version)'} activated in ${(performance.now() - started).toFixed(1)} ms`);
  // Returned as the extension's API, so the integration tests can reach the same services.
  return services;
}

export function deactivate(): void {
  // Nothing to do: everything created in `activate` is owned by context.subscriptions,
  // which VS Code disposes of after this returns.
}
