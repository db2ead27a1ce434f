// A model trained in a Jupyter notebook, in a real VS Code: test/fixtures/notebook/train.ipynb
// defines a small CNN in one cell and trains it in another with the recorder in the loop. The
// notebook is executed headless by nbclient (Debian's python3-ipykernel) in the workspace, as
// Jupyter runs it, and its run measured; then code-server opens the .ipynb in its notebook editor
// and the walk looks at the model cell: a "show entropy" lens above each layer definition, on the
// cell's own lines, none on the other cells, and the layer's hover (docs/pytorch.md "In a notebook").
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunManifest } from '../../src/contract/runFormat';
import { docShot, log, openWorkbench, quickInput, ROOT, screenshotIfFailed, waitUntil, type Workbench } from '../support/vscodeWorkbench';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'notebook');

/** Runs the notebook in a Jupyter kernel (nbclient), the kernel started in the notebook's folder, as Jupyter does. */
function executeNotebook(folder: string): void {
  const script = [
    'import sys, nbformat',
    'from nbclient import NotebookClient',
    'nb = nbformat.read(sys.argv[1], as_version=4)',
    'NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()',
  ].join('\n');
  execFileSync('/usr/bin/python3', ['-c', script, join(folder, 'train.ipynb'), folder], {
    env: { ...process.env, PYTHONPATH: join(ROOT, 'python'), CNN_SLICER_MEASURE: '0' },
    stdio: 'pipe',
    timeout: 600_000,
  });
}

/** The lens above the line containing `marker` in the notebook cell editor that shows it, and the lenses of the other cells. */
async function cellLenses(page: Page, marker: string): Promise<{ above?: { text: string; title: string }; elsewhere: string[] }> {
  return page.evaluate(`(() => {
    const marker = ${JSON.stringify(marker)};
    const text = (e) => (e.textContent || '').replace(/\\u00a0/g, ' ');
    const editors = [...document.querySelectorAll('.notebook-editor .monaco-editor')];
    const cell = editors.find((e) => [...e.querySelectorAll('.view-line')].some((l) => text(l).includes(marker)));
    const elsewhere = editors.filter((e) => e !== cell).flatMap((e) => [...e.querySelectorAll('.codelens-decoration')].map((d) => text(d).trim()));
    if (!cell) return { elsewhere };
    const line = [...cell.querySelectorAll('.view-line')].find((l) => text(l).includes(marker));
    const top = line.getBoundingClientRect().top;
    const lens = [...cell.querySelectorAll('.codelens-decoration')]
      .map((d) => ({ d, box: d.getBoundingClientRect() }))
      .filter((l) => l.box.bottom <= top + 1 && top - l.box.bottom < l.box.height + 4)
      .sort((a, b) => b.box.bottom - a.box.bottom)[0];
    if (!lens) return { elsewhere };
    const link = lens.d.querySelector('a');
    return { above: { text: text(lens.d).trim(), title: link ? link.getAttribute('title') || '' : '' }, elsewhere };
  })()`);
}

describe('browser: a model trained in a Jupyter notebook, its lenses on the notebook’s cells', function () {
  this.timeout(300_000);
  let window: Workbench | undefined;
  let page: Page;
  let manifest: RunManifest;

  before(async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    this.timeout(900_000);
    window = await openWorkbench({
      fixture: FIXTURE,
      logName: 'ui-notebook',
      settings: { 'security.workspace.trust.enabled': false },
      prepare: (folder) => {
        executeNotebook(folder);
        const runs = join(folder, '.cnnslicer', 'runs');
        assert.ok(existsSync(runs), 'the runs folder is beside the notebook');
        const [run] = readdirSync(runs).filter((n) => !n.startsWith('.'));
        assert.ok(run, 'the notebook recorded a run');
        execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'measure', join(runs, run)], { stdio: 'pipe', timeout: 300_000 });
        manifest = JSON.parse(readFileSync(join(runs, run, 'manifest.json'), 'utf8')) as RunManifest;
      },
    });
    ({ page } = window);
  });

  afterEach(async function () {
    await screenshotIfFailed(this.currentTest, page);
  });

  after(async function () {
    this.timeout(60_000);
    await window?.close();
  });

  it('records each layer in its cell: the notebook, the cell’s digest and index, the line in the cell', () => {
    assert.equal(manifest.model.file.endsWith('train.ipynb'), true, manifest.model.file);
    const conv1 = manifest.layers.find((l) => l.name === 'conv1');
    assert.deepEqual(
      conv1?.source && { line: conv1.source.line, index: conv1.source.cell?.index },
      { line: 4, index: 2 },
      JSON.stringify(conv1?.source),
    );
  });

  it('opens the .ipynb in the notebook editor with a lens above each layer of the model cell, none on the other cells', async function () {
    this.timeout(240_000);
    await quickInput(page, 'Control+P', 'train.ipynb', /^train\.ipynb\b/);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.notebook-editor', { timeout: 60_000 });
    const found = await waitUntil(
      'a lens with entropies above conv1 in the model cell',
      async () => {
        const lenses = await cellLenses(page, 'self.conv1 = nn.Conv2d(');
        return /show entropy/.test(lenses.above?.text ?? '') && /bits/.test(lenses.above?.text ?? '') ? lenses : undefined;
      },
      180_000,
      500,
    );
    log(`conv1's lens: ${found.above?.text} (${found.above?.title})`);
    assert.match(found.above!.title, /epoch 2/, 'the lens is of the last epoch');
    for (const marker of ['self.conv2 = nn.Conv2d(', 'self.fc = nn.Linear(', 'x = F.max_pool2d(F.relu(self.conv1(x)), 2)'])
      assert.match((await cellLenses(page, marker)).above?.text ?? '', /show entropy/, `a lens above ${marker}`);
    // The imports and the training cell define no layer of the run: no lens there.
    assert.deepEqual(
      found.elsewhere.filter((t) => /entropy/.test(t)),
      [],
    );
    await docShot(page, 'vscode-notebook-lenses', page.locator('.notebook-editor'));
  });

  it('says the run is stale once the model cell is edited, its definitions still matched', async function () {
    this.timeout(120_000);
    const line = page.locator('.notebook-editor .monaco-editor .view-line', { hasText: 'self.fc = nn.Linear(' }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.type('  # wider later', { delay: 10 });
    const stale = await waitUntil(
      'the stale lens in the edited cell',
      async () => {
        const texts: string[] = await page.$$eval('.notebook-editor .monaco-editor .codelens-decoration', (ds) =>
          ds.map((d) => (d.textContent ?? '').replace(/\u00a0/g, ' ').trim()),
        );
        return texts.find((t) => /recorded before your last edit/.test(t));
      },
      60_000,
      500,
    );
    log(`after the edit: ${stale}`);
    // The scan of the edited text still places conv1's layer on its definition.
    assert.match((await cellLenses(page, 'self.conv1 = nn.Conv2d(')).above?.text ?? '', /show entropy/);
  });
});
