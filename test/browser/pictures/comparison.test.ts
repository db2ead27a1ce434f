// Picture test of the run comparison's "Layers side by side" (docs/testing.md "Picture tests"): an
// HTML table of small inline SVG bars, whose geometry is the table's layout (each bar's left edge
// in its cell, snapshot-dx), so it is drawn in Chromium and compared with its snapshot in
// test/snapshots/pictures/. The pair of runs (test/support/pictureInputs.ts): layers matched
// by name, one with another shape and one only in B, bars at their ceiling and bars without a value.
// The comparison's SVG charts are drawn in Node (test/unit/webview/charts/pictures.test.ts).
import { LAYERS, VALUES } from '../../support/pictureInputs';
import { expectSvg, usePictures } from './snapshots';

describe('pictures: the run comparison in Chromium', function () {
  const pictures = usePictures(this);

  it('draws "Layers side by side": every bar of a column from its cell’s left edge, ceilings ticked, rows not compared said', async () => {
    const page = await pictures.draw('layersSideBySide', { layers: LAYERS, values: VALUES }, 900);
    await expectSvg(page, 'layers-side-by-side.html', 'table.compare-layers-table', {
      measure: { selector: 'td.compare-value > svg', within: 'td' },
    });
  });
});
