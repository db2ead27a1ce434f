// Shared by the integration tests (bundled into each test file): the extension under test, the
// fixture workspace, and waiting for things the extension host does asynchronously.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Finding } from '../../../src/contract/queries/findings';
import type { CnnSlicerApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'cnn-slicer.cnn-slicer';

/** Where the runner (index.ts) puts the function that prints a line of the suite's output. */
export const SUITE_LOG = '__cnnSlicerSuiteLog';

/**
 * Prints a line with the test report (a measurement, a reason). Use it rather than console.log:
 * under code-server plain console output is filed with the workbench's log (index.ts, tagConsole).
 */
export function log(...args: unknown[]): void {
  const print = (globalThis as Record<string, unknown>)[SUITE_LOG];
  if (typeof print === 'function') print(...args);
  else console.log(...args);
}

export function extension(): vscode.Extension<CnnSlicerApi> {
  const ext = vscode.extensions.getExtension<CnnSlicerApi>(EXTENSION_ID);
  assert.ok(ext, `the extension ${EXTENSION_ID} is installed in this VS Code`);
  return ext;
}

/** Activates the extension (a no-op when it is active) and returns its API (extension.ts `CnnSlicerApi`). */
export async function activate(): Promise<CnnSlicerApi> {
  return extension().activate();
}

/** The fixture workspace folder (a temporary copy of test/vscode/fixture/). */
export function fixtureFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'VS Code opened the fixture workspace (the runner passes it as the folder to open)');
  return folder;
}

export function fixtureUri(...segments: string[]): vscode.Uri {
  return vscode.Uri.joinPath(fixtureFolder().uri, ...segments);
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The text of the hovers a hover provider gave (Markdown or plain), one per line. */
export function hoverText(hovers: vscode.Hover[] | undefined): string {
  return (hovers ?? [])
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))
    .join('\n');
}

/**
 * The text of CNN Slicer's own hovers among `hovers` (those that link its commands): other
 * providers' hovers (the TypeScript server's type of the expression) come before or after ours,
 * whichever answers first.
 */
export function ourHoverText(hovers: vscode.Hover[] | undefined): string {
  const text = (h: vscode.Hover) => hoverText([h]);
  return hoverText((hovers ?? []).filter((h) => text(h).includes('command:cnnSlicer.')));
}

/** The findings CNN Slicer put in Problems for `uri` (source "CNN Slicer", the finding's kind as code), by line, then kind. */
export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'CNN Slicer' && typeof d.code === 'string')
    .sort((a, b) => a.range.start.line - b.range.start.line || (a.code as string).localeCompare(b.code as string));
}

/** A finding for a known answer: `kind` and `message` given, the rest an information finding of epoch 1 unless given. */
export function finding(f: Partial<Finding> & Pick<Finding, 'kind' | 'message'>): Finding {
  return { severity: 'information', epoch: 1, detail: 'detail', evidence: {}, view: { view: 'channel' }, ...f };
}

/**
 * Removes a folder the extension may still be writing into (a run just recorded: its panel's answers
 * are cached in it), retried when a file appears while it goes (ENOTEMPTY: CI, 2026-11-26).
 */
export function removeFolder(path: string): void {
  rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
