// The Query view as a person uses it: read the architecture, drag on the hypercube's axes, pick
// inputs and an epoch, press Query, and see the slice reach the other views.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserFixture, closeChecked, openReport, openView, screenshot, showArchitectureTable, useBrowser } from './harness';

async function dragBetween(page: Page, from: string, to: string, o: { fromY?: number; toY?: number } = {}): Promise<void> {
  const a = (await page.locator(from).boundingBox())!;
  const b = (await page.locator(to).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + (o.fromY ?? a.height / 2));
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + (o.toY ?? b.height / 2), { steps: 6 });
  await page.mouse.up();
}

describe('browser: Query view', function () {
  const browser = useBrowser(this);

  it('lists every layer with type, output shape, channels and parameters', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser());
    await showArchitectureTable(page);
    const rows = await page.$$eval('table.architecture tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')),
    );
    assert.equal(rows.length, f.manifest.layers.length);
    f.manifest.layers.forEach((l, i) => {
      assert.equal(rows[i][0], `${l.index} ${l.name}`);
      assert.equal(rows[i][1], l.className);
      assert.equal(rows[i][2], l.outputShape.join('×'));
      assert.equal(rows[i][3], String(l.channels));
      assert.equal(rows[i][4], l.parameters.toLocaleString('en-US'));
      // The inter-sample entropy column is filled from the recorded summary, in bits (marked when
      // at its ceiling log2(N(N−1))).
      // The mean channel entropy with its share of the intra-sample ceiling (none for the input).
      if (l.index === 0) assert.equal(rows[i][5], '');
      else assert.match(rows[i][5], /^\d+\.\d{3} bits · \d+% of \d\.\d$/);
      assert.match(rows[i][6], /^\d+\.\d{3} bits( at ceiling \(\d+\.\d{3} bits\))?$|^undefined$/);
    });
    await screenshot(page, 'query-view');
    await closeChecked(page, problems);
  });

  it('drags across the layer axis and down a channel band, picks inputs and an epoch, and applies the slice', async () => {
    const { page, problems } = await openReport(browser());
    await showArchitectureTable(page);
    // Drag from conv1 to pool2 on the layer axis: layers 1–4 are selected.
    await dragBetween(page, '.slicer-layer[data-layer="1"]', '.slicer-layer[data-layer="4"]');
    assert.deepEqual(
      await page.$$eval('.slicer-layer[data-selected=true]', (els) => els.map((e) => Number(e.getAttribute('data-layer')))),
      [1, 2, 3, 4],
    );
    assert.deepEqual(await page.$$eval('[data-testid=layer-checkbox]', (els) => els.map((e) => (e as HTMLInputElement).checked)), [
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    // Drag down the first half of conv1's band: channels 0–3 of its 8.
    const band = page.locator('[data-band-layer="1"] rect.channel-band');
    const box = (await band.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.5 / 8));
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * (3.5 / 8), { steps: 5 });
    await page.mouse.up();
    // Epoch 0 and four inputs per class.
    await page.click('[data-epoch="0"] circle');
    await page.click('[data-testid=subset-perClass]');
    await page.fill('input[aria-label="Inputs per class"]', '4');
    await page.press('input[aria-label="Inputs per class"]', 'Enter');
    const summary = await page.textContent('[data-testid=slice-summary]');
    assert.equal(summary, 'dCNN(x = 4 per class (seed 0), l = {conv1, pool1, conv2, pool2}, c = conv1: 0–3, t = epoch 0)');
    await page.click('[data-testid=apply-query]');
    await page.waitForSelector('text=applied');
    // The slice reached the shared state: the epoch slider of another view shows epoch 0, and the
    // slice result lists the four layers (their subset is not precomputed in a report: the
    // message says so in place instead of a blank cell).
    assert.equal(await page.$$eval('.view-query table[aria-label^="Inter-sample entropy of the slice"] tbody tr', (r) => r.length), 4);
    assert.match(
      (await page.textContent('.view-query table[aria-label^="Inter-sample entropy of the slice"] tbody tr')) ?? '',
      /not in this report/,
    );
    assert.match(
      (await page.getAttribute('.view-query table[aria-label^="Inter-sample entropy of the slice"] tbody tr [role=note]', 'title')) ?? '',
      /no answer for this slice/,
    );
    // The shared epoch moved too: the architecture table now reads epoch 0's summaries.
    assert.match((await page.textContent('table.architecture thead')) ?? '', /Inter-sample H \(epoch 0\)/);
    // Applied state survives a tab switch (state lives in the app, not in the tab).
    await openView(page, 'training');
    await openView(page, 'query');
    assert.equal(await page.textContent('[data-testid=slice-summary]'), summary);
    await screenshot(page, 'query-view-sliced');
    await closeChecked(page, problems);
  });

  it('slices the Layer view: the channels picked for a layer are the heatmap columns shown', async () => {
    const { page, problems } = await openReport(browser());
    await page.fill('input[aria-label^="Channels of conv1"]', '1-3, 6');
    await page.press('input[aria-label^="Channels of conv1"]', 'Enter');
    await page.click('[data-testid=apply-query]');
    await openView(page, 'layer');
    const canvas = page.locator('canvas.chart[data-rows]');
    await canvas.waitFor();
    assert.equal(await canvas.getAttribute('data-rows'), '8');
    assert.equal(await canvas.getAttribute('data-columns'), '4');
    assert.equal(await canvas.getAttribute('data-column-order'), '1,2,3,6');
    assert.match((await page.textContent('[data-testid=heatmap-sliced]')) ?? '', /8 of 8 pool1 channels × 4 of 8 conv1 channels/);
    await screenshot(page, 'query-sliced-layer-view');
    await closeChecked(page, problems);
  });

  it('links the selection: a layer name picked in the table is highlighted on the layer axis; keyboard toggles a layer', async () => {
    const { page, problems } = await openReport(browser());
    await showArchitectureTable(page);
    await page.click('table.architecture tr[data-layer="3"] .layer-link');
    assert.equal(await page.getAttribute('table.architecture tr[data-layer="3"]', 'class'), 'focused-row');
    assert.equal(await page.locator('.slicer-layer[data-layer="3"] rect.focused').count(), 1);
    await page.focus('.slicer-layer[data-layer="6"]');
    await page.keyboard.press('Space');
    assert.equal(await page.getAttribute('.slicer-layer[data-layer="6"]', 'aria-checked'), 'true');
    // Classes on the input axis: clicking one leaves the other nine.
    await page.click('rect[data-class="0"]');
    assert.match((await page.textContent('[data-testid=slice-summary]')) ?? '', /x = classes 1, 2, 3, 4, 5, 6, 7, 8, 9/);
    await closeChecked(page, problems);
  });
});
