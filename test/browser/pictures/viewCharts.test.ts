// Picture tests of the canvas charts of the Query (network), Layer, Channel and Information views
// (docs/testing.md "Picture tests"): each drawn in Chromium from a fixed answer
// (test/support/pictureInputs.ts) as its card builds it (CHARTS, test/support/pictureCharts.tsx), its
// canvases' pixels compared with a PNG in test/snapshots/pictures/ (text on a canvas left out) and,
// where the chart's HTML around them says something (labels, placeholders, notes), that HTML as text.
import {
  DECONVOLUTION,
  FEATURE_MAPS,
  FEATURE_MAPS_J,
  LABEL_INFORMATION_LARGE,
  NETWORK,
  NETWORK_LAYERS,
  SAMPLE_INPUTS,
  STRIP,
} from '../../support/pictureInputs';
import { expectPng, expectPngs, expectSvg, usePictures } from './snapshots';

const classNames = ['zero', 'one', 'two'];

describe("pictures: the views' canvas charts", function () {
  const pictures = usePictures(this);

  it('draws the network graph: clusters coloured by entropy (one undefined), bands by capacity, thumbnails, a selected cluster and a focused layer', async () => {
    const page = await pictures.draw(
      'network',
      {
        answer: NETWORK,
        layers: NETWORK_LAYERS,
        classNames,
        bins: 30,
        inputs: SAMPLE_INPUTS,
        selected: { '2': [2, 3] },
        focusedLayer: 3,
      },
      640,
    );
    await expectPng(page, 'network.png', '.picture canvas.network-canvas');
  });

  it("draws the Layer view's epoch strip: two heatmaps on one scale (an undefined pair), a cell not in the report, one computing", async () => {
    const page = await pictures.draw('heatmapStrip', { cells: STRIP, activeKey: 'epoch-2' }, 640);
    // The legend's colour bar first, then each heatmap: one scale for all of them.
    await expectPngs(page, 'heatmap-strip.png', '[data-testid=epoch-strip] canvas');
    await expectSvg(page, 'heatmap-strip.html', '[data-testid=epoch-strip]');
  });

  it('draws the feature maps side by side: the RGB inputs, three channels (one dead) on a scale per row, a channel without maps', async () => {
    const page = await pictures.draw(
      'sideBySide',
      { answer: FEATURE_MAPS, inputs: SAMPLE_INPUTS, channels: [0, 2, 5, 7], classNames, layerName: 'conv1', scale: 'row' },
      480,
    );
    await expectPngs(page, 'side-by-side.png', '.sbs-grid canvas');
    await expectSvg(page, 'side-by-side.html', '.sbs-grid');
  });

  it("draws the feature maps of a heatmap cell's two channels: input, column and row maps, an input without a row map", async () => {
    const page = await pictures.draw(
      'featureMaps',
      { answerI: FEATURE_MAPS, answerJ: FEATURE_MAPS_J, column: 2, row: 1, inputs: SAMPLE_INPUTS, classNames },
      640,
    );
    // The composite the card exports holds every picture of the card, laid out as the paper's Fig. 9.
    await expectPng(page, 'feature-maps.png', '.feature-maps > canvas.chart');
    await expectSvg(page, 'feature-maps.html', '.feature-maps .fm-grid');
  });

  it("draws a channel's deconvolution: inputs above projections on one range, a faint one, an input not loaded", async () => {
    const page = await pictures.draw('deconvolution', { answer: DECONVOLUTION, inputs: SAMPLE_INPUTS, classNames, perImage: false }, 640);
    await expectPng(page, 'deconvolution.png', '.deconv > canvas.chart');
    await expectSvg(page, 'deconvolution.html', '.deconv');
  });

  it("draws the label information's canvas form past 4096 cells: an undefined cell, uninformative channels marked, a focused channel, the epoch", async () => {
    const page = await pictures.draw(
      'channelInformation',
      { answer: LABEL_INFORMATION_LARGE, width: 520, focusedChannel: 12, selectedEpoch: 9 },
      560,
    );
    await expectPng(page, 'label-information-canvas.png', 'canvas.ci-heatmap');
  });
});
