// The Channel view's side-by-side columns on a model whose layers keep TensorFlow.js's default
// names (`max_pooling2d_MaxPooling2D2`): every column heading is the layer's short label and the
// channel number ("pool2 #15"), and the number is never cut off, even at a narrow width. The page is
// the fixture's report with its manifest's layer names replaced by the defaults tfjs gives (the
// answers are keyed by layer index, so they stay valid); the expected channels are the embedded
// deconvolution answers' own.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { DeconvolutionAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { queries } from '../../src/contract/plan';
import { closeChecked, embedded, openPage, openReport, openView, screenshot, SCREENSHOTS, tempDir, useBrowser, writePage } from './harness';

const LAYER_SELECT = 'select[aria-label="Layer shown in the Channel view"]';
const DECONVOLUTIONS = '#panel-channel [data-testid=sbs-deconvolutions]';
const MAPS = '#panel-channel [data-testid=sbs-maps]';

/** The names tfjs gives the fixture's layers when the model names none (layer 0, the input, is kept). */
const DEFAULT_NAMES = [
  'conv2d_Conv2D1',
  'max_pooling2d_MaxPooling2D1',
  'conv2d_Conv2D2',
  'max_pooling2d_MaxPooling2D2',
  'flatten_Flatten1',
  'dense_Dense1',
  'dense_Dense2',
];

interface Heading {
  channel: number;
  text: string;
  /** The "#N" line lies wholly inside the column's heading box and is not cut by its own box. */
  channelVisible: boolean;
  channelText: string;
}

async function headings(page: Page, grid: string): Promise<Heading[]> {
  return page.$$eval(`${grid} [data-testid=sbs-column][data-channel]`, (cols) =>
    cols.map((c) => {
      const box = c.querySelector('.sbs-title')!.getBoundingClientRect();
      const number = c.querySelector<HTMLElement>('.sbs-heading-channel');
      const r = number?.getBoundingClientRect();
      const inside = !!r && r.width > 0 && r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.bottom <= box.bottom + 0.5;
      return {
        channel: Number((c as HTMLElement).dataset.channel),
        text: c.querySelector('.sbs-title')?.textContent ?? '',
        channelVisible: inside && !!number && number.scrollWidth <= Math.ceil(r.width) + 0.5,
        channelText: number?.textContent ?? '',
      };
    }),
  );
}

describe('browser: side-by-side column headings with default tfjs layer names', function () {
  const browser = useBrowser(this);
  let file: string;
  let theme: string;
  before(async () => {
    const opened = await openReport(browser());
    const data = await opened.page.evaluate(() => JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData);
    await closeChecked(opened.page, opened.problems);
    const renamed = data.manifest.layers.map((l) => (l.index === 0 ? l : { ...l, name: DEFAULT_NAMES[l.index - 1] }));
    data.manifest = {
      ...data.manifest,
      layers: renamed,
      ...(data.manifest.output ? { output: { ...data.manifest.output, layer: renamed[renamed.length - 1].name } } : {}),
    };
    const dir = tempDir('cnn-slicer-headings-');
    file = writePage(join(dir, 'default-names.html'), { data, title: 'default names' });
    theme = writePage(join(dir, 'default-names-dark.html'), { data, title: 'default names', theme: 'dark' });
  });

  for (const width of [1280, 700]) {
    it(`names every deconvolution and feature-map column "pool2 #N" at ${width} px, the channel number never cut`, async () => {
      const { page, problems } = await openPage(browser(), file, { width });
      await openView(page, 'channel');
      await page.selectOption(LAYER_SELECT, '4');
      const field = 'input[aria-label="Channels of pool2 shown side by side"]';
      // The most columns the view shows (12), with two-digit channel numbers.
      await page.fill(field, '4-15');
      await page.press(field, 'Enter');
      await page.waitForSelector(`${DECONVOLUTIONS} [data-testid=sbs-column][data-channel="15"] canvas`);
      // The report holds the deconvolutions at its last epoch, which the view opens on.
      const expected: number[] = [];
      for (let c = 4; c < 16; c++) expected.push((await embedded<DeconvolutionAnswer>(page, queries.deconvolution(4, c, 2))).channel);
      for (const grid of [DECONVOLUTIONS, MAPS]) {
        const shown = await headings(page, grid);
        assert.deepEqual(
          shown.map((h) => h.text),
          expected.map((c) => `pool2 #${c}`),
          `${grid} at ${width} px`,
        );
        for (const h of shown) {
          assert.equal(h.channelText, `#${h.channel}`);
          assert.ok(h.channelVisible, `${grid} column ${h.channel} at ${width} px shows its whole "#${h.channel}"`);
        }
      }
      // No heading anywhere in the view spells the raw tfjs name.
      const raw = await page.$$eval(
        '#panel-channel .sbs-title',
        (els) => els.filter((e) => /_MaxPooling2D/.test(e.textContent ?? '')).length,
      );
      assert.equal(raw, 0);
      await page.locator(DECONVOLUTIONS).scrollIntoViewIfNeeded();
      await screenshot(page, `channel-headings-default-names-${width}-light`);
      await page.locator(DECONVOLUTIONS).screenshot({ path: join(SCREENSHOTS, `channel-headings-grid-${width}-light.png`) });
      await closeChecked(page, problems);
    });
  }

  it('shows the same headings in the dark theme', async () => {
    const { page, problems } = await openPage(browser(), theme, { width: 700 });
    await openView(page, 'channel');
    await page.selectOption(LAYER_SELECT, '2');
    const field = 'input[aria-label="Channels of pool1 shown side by side"]';
    await page.fill(field, '0-7');
    await page.press(field, 'Enter');
    await page.waitForSelector(`${DECONVOLUTIONS} [data-testid=sbs-column][data-channel="7"] canvas`);
    const shown = await headings(page, DECONVOLUTIONS);
    assert.deepEqual(
      shown.map((h) => h.text),
      Array.from({ length: 8 }, (_, c) => `pool1 #${c}`),
    );
    assert.ok(shown.every((h) => h.channelVisible));
    await page.locator(DECONVOLUTIONS).scrollIntoViewIfNeeded();
    await screenshot(page, 'channel-headings-default-names-700-dark');
    await page.locator(DECONVOLUTIONS).screenshot({ path: join(SCREENSHOTS, 'channel-headings-grid-700-dark.png') });
    await closeChecked(page, problems);
  });
});
