// The run panels in a real VS Code: one webview panel per run, reused when opened again, loading the
// views under the strict CSP (the page says hello to the host), limited to the extension's bundle,
// and restored after a reload from the run id the views save — or a notice when the run is gone.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { RunPanels } from '../../../src/extension/panels/panels';
import { activate, waitFor } from './helpers';
import { sharedFixtureRun } from './recordedRuns';

describe('run panels', function () {
  this.timeout(120_000);
  let api: CnnSlicerApi;
  let panels: RunPanels;
  let folder: string;

  before(async () => {
    api = await activate();
    panels = api.panels;
    folder = await sharedFixtureRun(api);
  });

  after(async () => {
    panels?.close(folder);
  });

  it('opens one panel per run and reuses it when the run is opened again', async () => {
    panels.close(folder);
    const before = panels.openPanelCount();
    await vscode.commands.executeCommand('cnnSlicer.openRun', { runFolder: folder });
    assert.equal(panels.openPanelCount(), before + 1);
    const panel = panels.panelOf(folder);
    assert.ok(panel);
    assert.equal(panel.viewType, 'cnnSlicer.run');
    assert.match(panel.title, /^CNN Slicer: tiny-model\.ts \(#\d+\)$/);
    await vscode.commands.executeCommand('cnnSlicer.openRun', { runFolder: folder });
    await panels.open(folder, { view: 'channel', layer: 1 });
    assert.equal(panels.openPanelCount(), before + 1, 'no second panel');
    assert.equal(panels.panelOf(folder), panel);
  });

  it('follows a rename of its run in its title', async () => {
    await panels.open(folder);
    const panel = panels.panelOf(folder)!;
    const numbered = panel.title;
    try {
      await vscode.commands.executeCommand('cnnSlicer.renameRun', { runFolder: folder, label: 'wide filters' });
      await waitFor('the renamed title', () => panel.title === 'CNN Slicer: tiny-model.ts (wide filters)');
    } finally {
      await vscode.commands.executeCommand('cnnSlicer.renameRun', { runFolder: folder, label: '' });
    }
    await waitFor('the numbered title again', () => panel.title === numbered);
  });

  it('gives the webview scripts, its own bundle only, and a page with a nonce-only CSP', () => {
    const panel = panels.panelOf(folder)!;
    const options = panel.webview.options;
    assert.equal(options.enableScripts, true);
    const roots = (options.localResourceRoots ?? []).map((u) => u.path);
    const ext = api.ctx.extensionUri.path;
    assert.deepEqual(roots, [`${ext}/dist`, `${ext}/media`]);
    const html = panel.webview.html;
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'the page has a CSP');
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, csp);
    assert.ok(
      html.includes(
        `<script nonce="${nonce}" src="${panel.webview.asWebviewUri(vscode.Uri.joinPath(api.ctx.extensionUri, 'dist', 'webview.js')).toString()}">`,
      ),
    );
    // Scripts only with this page's nonce; nothing inline or evaluated, nothing remote to connect to.
    assert.match(csp, /(^|; )script-src 'nonce-[^']+'(;|$)/);
    assert.match(csp, /(^|; )default-src 'none'(;|$)/);
    assert.match(csp, /(^|; )connect-src 'none'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  it('loads the views: the page runs its script and greets the host', async () => {
    const panel = panels.panelOf(folder)!;
    panel.reveal(undefined, false);
    await waitFor('the webview to say it is ready', () => panels.readyCount(folder) > 0, 30_000);
  });

  it('gets a new page with a fresh nonce each time it opens', async () => {
    const first = panels.panelOf(folder)!.webview.html;
    panels.close(folder);
    assert.equal(panels.panelOf(folder), undefined);
    await panels.open(folder);
    const second = panels.panelOf(folder)!.webview.html;
    const nonceOf = (html: string) => /'nonce-([^']+)'/.exec(html)?.[1];
    assert.notEqual(nonceOf(first), nonceOf(second));
  });

  it('restores a panel after a reload from the run id its views saved', async () => {
    panels.close(folder);
    const runId = (await api.ctx.runs.find(folder))!.manifest.id;
    // What VS Code hands the serializer after a reload: a panel of our view type and the saved state.
    const panel = vscode.window.createWebviewPanel('cnnSlicer.run', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
    await panels.restore(panel, { version: 1, runId, tab: 'layer' });
    assert.equal(panels.panelOf(folder), panel);
    assert.match(panel.title, /^CNN Slicer: tiny-model\.ts/);
    assert.ok(panel.webview.html.includes('webview.js'));
    await waitFor('the restored webview to say it is ready', () => panels.readyCount(folder) > 0, 30_000);
  });

  it('shows a notice instead of the views when a restored panel’s run is gone', async () => {
    const before = panels.openPanelCount();
    const panel = vscode.window.createWebviewPanel('cnnSlicer.run', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
    try {
      await panels.restore(panel, { version: 1, runId: '20000101-000000-deleted' });
      assert.match(panel.webview.html, /The run 20000101-000000-deleted is no longer available/);
      assert.doesNotMatch(panel.webview.html, /<script/);
      assert.equal(panel.webview.options.enableScripts, false);
      assert.equal(panels.openPanelCount(), before, 'not registered as a run panel');
      await panels.restore(panel, undefined);
      assert.match(panel.webview.html, /could not be restored/);
    } finally {
      panel.dispose();
    }
  });
});
