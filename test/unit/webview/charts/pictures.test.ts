// Picture tests of every SVG chart of webview/charts/ (docs/testing.md "Picture tests"), drawn in
// Node: each chart is built as its card builds it (test/support/pictureCharts.tsx) from fixed
// literal data (pictureInputs.ts), drawn in jsdom with deterministic layout stand-ins (pictures.ts)
// and its serialised element tree compared with its snapshot in test/snapshots/pictures-node/.
// The canvas charts and "Layers side by side" (its geometry is the table's layout) are drawn in
// Chromium (test/browser/pictures/).
import type { Draft } from '../../../../webview/slice';
import { useNodePictures } from '../../../support/pictures';
import {
  BINNED,
  CAPACITY_ROWS,
  CLASS_RUNS,
  CONFUSION,
  DIVERSITY,
  DIVERSITY_PAIR,
  ENTROPIES,
  IMPORTANCE,
  LABEL_INFORMATION,
  LAYERS,
  PLANES_PAIR,
  TRAINING,
} from '../../../support/pictureInputs';

const CLASSES = ['zero', 'one', 'two'];

describe("pictures in Node: a run's SVG charts", function () {
  const pictures = useNodePictures(this);

  it('draws the information plane of a run (binned): saturated points ringed on their ceilings, an undefined point left out', async () => {
    await pictures.draw('plane', { answer: BINNED, names: ['input', 'conv1', 'pool1', 'dense1'], selectedEpoch: 2, width: 640 });
    pictures.expect('plane-binned.svg', 'svg.information-plane');
  });

  it('draws an information plane with no layer measured: its axes and ceilings, no trajectory', async () => {
    await pictures.draw('plane', { answer: { ...BINNED, layers: [] }, names: [], selectedEpoch: 0, width: 480 });
    pictures.expect('plane-empty.svg', 'svg.information-plane');
  });

  it('draws loss and accuracy: a gap where epoch 0 has no training value, the selected epoch ruled', async () => {
    await pictures.draw('loss', { answer: TRAINING, selectedEpoch: 2, width: 520 });
    pictures.expect('loss.svg', 'svg.chart');
  });

  it('draws H(label | pred = i) by class: undefined values marked, never 0', async () => {
    await pictures.draw('labelEntropy', { answer: TRAINING, selectedEpoch: 1, width: 520 });
    pictures.expect('label-entropy.svg', 'svg.chart');
  });

  it('draws the input diversity of a run: grouped bars on one baseline, a bar at its ceiling, n/a', async () => {
    await pictures.draw('diversity', { answer: DIVERSITY });
    pictures.expect('diversity.svg', 'svg.chart');
  });

  it('draws the layer-level capacities: bars from one baseline, a pair computing and a pair failed', async () => {
    await pictures.draw('layerCapacity', { rows: CAPACITY_ROWS, epoch: 3, names: ['input', 'conv1', 'pool1', 'conv2', 'dense1'] });
    pictures.expect('layer-capacity.svg', 'svg.chart');
  });

  it('draws channel importance: one dot per channel with a value, the selected one larger', async () => {
    const title =
      'Spearman ρ = 0.93 between conv2 capacity and Δ loss over 7 channels (p = 0.003): the channels that carry more matter more.';
    await pictures.draw('importance', { points: IMPORTANCE, xLabel: 'capacity (bits)', title, width: 560, selected: 3 });
    pictures.expect('importance.svg', 'svg.chart');
  });

  it('draws the confusion matrix: counts coloured, empty cells as nothing, a class highlighted', async () => {
    await pictures.draw('confusion', { answer: CONFUSION, highlight: 1, maxWidth: 420 });
    pictures.expect('confusion.svg', 'svg.chart');
  });

  it('draws the circle packing: a circle per class and one for all, the dead channel without area, every group labelled', async () => {
    await pictures.draw('packing', { answer: ENTROPIES, channels: [0, 1, 2, 3, 4, 5], classNames: CLASSES, zoom: null }, 420);
    pictures.expect('packing.svg', 'svg.packing');
  });

  it('draws the circle packing of a subset of classes zoomed into one: the zoom set at once, labels of the zoomed group', async () => {
    await pictures.draw('packing', { answer: ENTROPIES, channels: [0, 2, 4, 5], classes: [0, 2], classNames: CLASSES, zoom: '2' }, 420);
    pictures.expect('packing-zoomed.svg', 'svg.packing');
  });

  it('draws the label information of each channel: cells by epoch, an undefined cell, the uninformative channel marked', async () => {
    await pictures.draw('channelInformation', { answer: LABEL_INFORMATION, width: 360, focusedChannel: 2, selectedEpoch: 1 });
    pictures.expect('channel-information.svg', '.picture svg');
  });
});

describe('pictures in Node: the Query view and the run comparison', function () {
  const pictures = useNodePictures(this);

  const SLICED: Draft = { layers: [1, 3], channels: { '1': [0, 1, 2] }, subset: { kind: 'classes', classes: [0, 2] }, epoch: 2 };

  it('draws the hypercube slicer: two layers selected, a band per layer with its chosen channels, classes and epoch picked', async () => {
    const props = { layers: LAYERS[0], classNames: CLASSES, classCounts: [34, 33, 33], epochs: [0, 1, 2] };
    await pictures.draw('hypercube', { ...props, draft: SLICED, focus: { layer: 1, channel: 4 } });
    pictures.expect('hypercube.svg', 'svg.hypercube-svg');
  });

  it('draws the hypercube slicer with no layer selected: no band, the line asking for layers', async () => {
    const props = { layers: LAYERS[0], classNames: CLASSES, classCounts: [34, 33, 33], epochs: [0, 1, 2] };
    await pictures.draw('hypercube', { ...props, draft: { ...SLICED, layers: [], channels: {} }, focus: { layer: null, channel: null } });
    pictures.expect('hypercube-empty.svg', 'svg.hypercube-svg');
  });

  it('draws the information plane of two runs: each H(S) labelled on its own line, an off-scale ceiling in a note', async () => {
    await pictures.draw('comparisonPlane', { answers: PLANES_PAIR, layers: LAYERS, width: 700 });
    pictures.expect('comparison-plane.svg', 'svg.information-plane');
  });

  const diversity = (sizeIndex: number) => ({ answers: DIVERSITY_PAIR, sizeIndex, classNames: CLASSES, width: 600 });

  it('draws the input diversity of two runs: bars on one baseline, ceilings, n/a where a run cannot fill a group', async () => {
    await pictures.draw('diversityComparison', diversity(1));
    pictures.expect('diversity-comparison.svg', 'svg.diversity-compare');
  });

  it('draws the input diversity of two runs at the size where one group is at its ceiling', async () => {
    await pictures.draw('diversityComparison', diversity(0));
    pictures.expect('diversity-comparison-ceiling.svg', 'svg.diversity-compare');
  });

  it('draws the per-class small multiples of two runs: a line ending where a run stops, a gap, a run undefined named', async () => {
    await pictures.draw('classMultiples', { epochs: [0, 1, 2], classNames: CLASSES, runs: CLASS_RUNS });
    pictures.expect('class-multiples.html', '.class-multiples');
  });

  it('draws the per-class small multiples when nothing is defined: the scale 0 to 1, no line', async () => {
    const runs = CLASS_RUNS.map((r) => ({ ...r, values: r.values.map((row) => row.map(() => null)) }));
    await pictures.draw('classMultiples', { epochs: [0, 1, 2], classNames: CLASSES, runs });
    pictures.expect('class-multiples-undefined.html', '.class-multiples');
  });
});
