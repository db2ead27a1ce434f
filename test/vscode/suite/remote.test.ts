// The extension in a remote setup, as code-server is one: it runs in the
// workspace's extension host (on the server, where the files and the runs are) and its panels are
// drawn by the UI (the browser) from resources it asks for by webview URI — no page or message
// assumes the UI's machine can open a path of the server's.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import { activate, extension, fixtureFolder } from './helpers';
import { sharedFixtureRun } from './recordedRuns';

describe('remote: the workspace extension host', function () {
  this.timeout(120_000);
  let api: CnnSlicerApi;
  let folder: string;

  before(async () => {
    api = await activate();
    folder = await sharedFixtureRun(api);
  });

  after(() => api.panels.close(folder));

  it('declares itself a workspace extension and runs in the workspace (remote) extension host', () => {
    const ext = extension();
    assert.deepEqual((ext.packageJSON as { extensionKind?: string[] }).extensionKind, ['workspace']);
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    // code-server's extension host is a remote one: the UI is the browser, the host the server.
    assert.ok(vscode.env.remoteName, 'the suite runs in a remote extension host');
    assert.equal(ext.extensionUri.scheme, 'file', 'the extension is installed on the server, next to the workspace');
  });

  it('records on the server: the run folder is in the workspace’s runs folder on the extension host’s disk', async () => {
    const record = await api.ctx.runs.find(folder);
    assert.ok(record, 'the run recorded in this suite is in the index');
    assert.ok(folder.startsWith(fixtureFolder().uri.fsPath), `${folder} is inside the workspace`);
  });

  it('gives a run panel a page that loads only webview URIs: no file:// URL and no absolute path of the server', async () => {
    await api.panels.open(folder);
    const panel = api.panels.panelOf(folder);
    assert.ok(panel);
    const html = panel.webview.html;
    assert.ok(html.length > 0);
    assert.doesNotMatch(html, /file:\/\//i);
    // Scripts and styles come through the webview's resource URLs, which the UI fetches from the
    // extension host (they may name the server's path inside the URL: the host serves it).
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(sources.length >= 2, html);
    for (const src of sources) assert.match(src, /^(?!file:)[a-z][a-z0-9+.-]*:\/\//, `${src} is a URL the UI can fetch`);
    // Nothing else in the page names a path of the server: not the extension, the workspace or the run.
    const rest = html.replace(/(?:src|href)="[^"]+"/g, '');
    for (const path of [api.ctx.extensionUri.fsPath, fixtureFolder().uri.fsPath, folder])
      assert.ok(!rest.includes(path), `the page names ${path} outside a resource URL`);
  });
});
