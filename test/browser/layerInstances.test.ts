// The Layer view on the layers of one definition (a CodeLens standing for several layers sends a
// focus with `layers`): a small-multiples row, one cell per layer in order, each with its mean
// channel entropy and its share of the ceiling log2(values per channel), capped by log2 of the bins.
// The host is the real WebviewBridge in front of the real analysis service; the known answers are
// the fixture run's recorded metrics. The Query view's layer table shows the same shares.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBitsOfCeiling } from '../../src/contract/format';
import type { Focus } from '../../src/contract/webviewProtocol';
import { parseHostMessage } from '../../src/contract/webviewProtocol';
import {
  browserFixture,
  closeChecked,
  connectBridge,
  newCheckedPage,
  openView,
  screenshot,
  showArchitectureTable,
  useBrowser,
  useHostService,
} from './harness';

describe('browser: the Layer view on the layers of one definition', function () {
  const browser = useBrowser(this);
  // The page a panel gets: the same builder, no embedded data (so the app waits for the host).
  const host = useHostService(this, 'instances.html');

  /** The mean of the recorded channel entropies of `layer` at the last epoch (the fixture's metrics.jsonl). */
  function recordedMean(runFolder: string, layer: number): number {
    const lines = readFileSync(join(runFolder, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]) as { layers: { layer: number; channelBits: (number | null)[] }[] };
    const bits = last.layers.find((l) => l.layer === layer)?.channelBits.filter((v): v is number => v !== null) ?? [];
    return bits.reduce((a, b) => a + b, 0) / bits.length;
  }

  it('accepts a focus of several layers on both sides of the protocol, and no empty one', () => {
    const focus: Focus = { view: 'layer', layer: 2, layers: [2, 4] };
    assert.deepEqual(parseHostMessage({ type: 'host/focus', focus }), { type: 'host/focus', focus });
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { layers: [] } }), undefined);
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { layers: [-1] } }), undefined);
  });

  it('shows each layer in a row with its bits and share of the ceiling', async () => {
    const f = await browserFixture();
    const { page, problems } = await newCheckedPage(browser());
    const bridge = await connectBridge(page, {
      runFolder: f.runFolder,
      runId: f.manifest.id,
      client: host.client(),
      theme: 'dark',
      keepState: false,
      // pool1 (12×12×8: ceiling log2 32 bins = 5) and pool2 (4×4×16: ceiling log2 16 = 4).
      initialFocus: { view: 'layer', layer: 2, layers: [2, 4] },
    });
    await page.goto(`file://${host.pageFile()}`);
    await page.waitForSelector('[data-testid=instances-row]', { timeout: 60_000 });
    const cells = page.locator('[data-testid=instance-cell]');
    assert.equal(await cells.count(), 2);
    assert.deepEqual(await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-layer'))), ['2', '4']);
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('[data-testid=instance-value]')).every((e) => /bits/.test(e.textContent ?? '')),
      undefined,
      { timeout: 60_000 },
    );
    const values = await page.locator('[data-testid=instance-value]').allTextContents();
    assert.equal(values[0], formatBitsOfCeiling(recordedMean(f.runFolder, 2), 5, { digits: 2 }));
    assert.equal(values[1], formatBitsOfCeiling(recordedMean(f.runFolder, 4), 4, { digits: 2 }));
    assert.match(values[1], /^\d\.\d\d bits · \d+% of 4\.0$/);
    await screenshot(page, 'layer-instances');
    // Closing the row leaves the Layer view as it was.
    await page.click('button[aria-label="Close the layers of one definition"]');
    await page.waitForSelector('[data-testid=instances-row]', { state: 'detached' });
    // The Query view's layer table compares the layers' channel entropies with their shares of the ceiling too.
    await openView(page, 'query');
    await showArchitectureTable(page);
    const cell = page.locator('table.architecture tr[data-layer="4"] [data-testid=channel-entropy-cell]');
    await page.waitForFunction(
      () =>
        /bits/.test(document.querySelector('table.architecture tr[data-layer="4"] [data-testid=channel-entropy-cell]')?.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );
    assert.equal(await cell.textContent(), formatBitsOfCeiling(recordedMean(f.runFolder, 4), 4));
    bridge.dispose();
    await closeChecked(page, problems);
  });
});
