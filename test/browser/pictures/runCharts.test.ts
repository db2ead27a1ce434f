// Picture tests of a run's canvas charts (docs/testing.md "Picture tests"): each drawn in Chromium
// from a fixed answer (test/support/pictureInputs.ts) and its pixels compared with a PNG in
// test/snapshots/pictures/. The SVG charts are drawn in Node instead
// (test/unit/webview/charts/pictures.test.ts): a canvas needs a browser to be drawn at all.
import { HEATMAP, MULTIPLES } from '../../support/pictureInputs';
import { expectPng, usePictures } from './snapshots';

describe("pictures: a run's canvas charts", function () {
  const pictures = usePictures(this);

  it('draws the small multiples on their canvas: one per channel, the dead channel marked, the epoch ruled', async () => {
    const page = await pictures.draw('multiples', { answer: MULTIPLES, classNames: ['zero', 'one', 'two'], epoch: 2, focused: 1 }, 480);
    await expectPng(page, 'multiples.png', '.picture canvas');
  });

  it('draws the capacity heatmap on its canvas: its cells, the undefined one patterned, a row outlined', async () => {
    const page = await pictures.draw('capacityHeatmap', { answer: HEATMAP, maxPlot: 240 });
    // The cells only: the channel numbers and titles around them are text, drawn in whatever font the machine has.
    const crop = await page.$eval('canvas.heatmap-canvas', (c) => {
      const [left, top, cell, rows, columns] = ['plot-left', 'plot-top', 'cell-size', 'rows', 'columns'].map((k) =>
        Number(c.getAttribute(`data-${k}`)),
      );
      return { x: left - 2, y: top - 2, width: cell * columns + 4, height: cell * rows + 4 };
    });
    await expectPng(page, 'capacity-heatmap.png', 'canvas.heatmap-canvas', crop);
  });
});
