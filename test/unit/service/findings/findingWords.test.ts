// How a finding names its layers, where its link leads, and how each surface words its advice:
// short labels (src/contract/layerLabel.ts) rather than tfjs's generated names, the binned information
// plane for the binning estimator's saturation, and the ceiling's probe size as the CLI's flag on
// the command line and in a report, as VS Code's setting in VS Code.
import assert from 'node:assert/strict';
import type { EpochMetrics, LayerEpochMetrics, RunManifest } from '../../../../src/contract/runFormat';
import { formatFindings } from '../../../../src/cli/findings';
import { diagnosticMessage } from '../../../../src/extension/editor/findingsText';
import { englishL10n } from '../../../../src/extension/l10n';
import { ceilingRule, inertLayerRule, labelDropRule } from '../../../../src/service/findings/layerRules';
import type { FindingsInput } from '../../../../src/service/findings/types';
import { probeToResolve, type Finding } from '../../../../src/contract/queries/findings';
import { applyFocus, defaultUiState } from '../../../../webview/state';
import { evidenceFocus, findingLine } from '../../../../src/contract/findingsText';

/** An unnamed LeNet as tfjs names it, but for the user's own `conv2` after the first conv. */
const LAYERS = [
  { name: 'input1', className: 'InputLayer', outputShape: [8, 8, 1], parameters: 0 },
  { name: 'conv2d_Conv2D1', className: 'Conv2D', outputShape: [6, 6, 4], parameters: 40 },
  { name: 'conv2', className: 'Conv2D', outputShape: [4, 4, 4], parameters: 148 },
  { name: 'max_pooling2d_MaxPooling2D1', className: 'MaxPooling2D', outputShape: [2, 2, 4], parameters: 0 },
  { name: 'flatten_Flatten1', className: 'Flatten', outputShape: [16], parameters: 0 },
  { name: 'dense_Dense1', className: 'Dense', outputShape: [3], parameters: 51 },
];

function input(trainSize = 910): FindingsInput {
  const manifest = {
    id: 'fixture',
    layers: LAYERS.map((l, index) => ({ index, ...l, channels: l.outputShape.length >= 2 ? l.outputShape[l.outputShape.length - 1] : 1 })),
    dataset: { classNames: ['a', 'b', 'c'], trainSize },
    probe: { size: 90 },
    settings: { k: 1000, bins: 32 },
    epochs: [0, 1],
  } as unknown as RunManifest;
  const layer = (l: number): LayerEpochMetrics =>
    ({
      layer: l,
      interSampleBits: 5,
      deadChannels: [],
      channelBits: [],
      labelInformationBits: [0.3, 0.3, 0.3, 0.3, 0.3, 0.4][l],
      inputCapacityBits: [4, 3, 2.5, 2, 2, 1][l],
      binnedInformation: { ixtBits: Math.log2(90), ityBits: 1, saturated: l === 1 || l === 2 },
    }) as unknown as LayerEpochMetrics;
  const metrics = [0, 1].map((epoch) => ({ epoch, layers: LAYERS.map((_, l) => layer(l)) }) as unknown as EpochMetrics);
  return { manifest, metrics, epoch: 1 };
}

const saturation = (i: FindingsInput): Finding => {
  const f = ceilingRule(i).findings.find((x) => x.evidence.saturatedLayers !== undefined);
  assert.ok(f, 'the binned estimator is saturated');
  return f;
};

describe('findings: the layers they name, the view they open, the advice each surface words', function () {
  it('names layers by their short labels, unique in the run, never by tfjs’s generated names', function () {
    const f = saturation(input());
    assert.match(f.message, /on 2 layers of 5 \(conv1, conv2\)/);
    assert.doesNotMatch(f.message, /conv2d_Conv2D1/);
    // The label drop names the layer it drops from, and a layer's finding carries its short label.
    const i = input();
    i.metrics[1].layers[2].labelInformationBits = 0.1;
    const [drop] = labelDropRule(i).findings;
    assert.equal(drop.layerName, 'conv2');
    assert.match(drop.message, /\(conv1\)/);
    const j = input();
    Object.assign(j.metrics[1].layers[2], { inputCapacityBits: 3, labelInformationBits: 0.3 });
    const [inert] = inertLayerRule(j).findings;
    assert.match(inert.message, /^conv2 \(148 parameters\)/);
    assert.match(inert.detail, /equal those of conv1 within/);
  });

  it('opens the binned information plane for the binning estimator’s saturation', function () {
    const f = saturation(input());
    assert.deepEqual(f.view, { view: 'information', estimator: 'binned', epoch: 1 });
    const target = evidenceFocus(f, input().manifest);
    assert.deepEqual(target, { focus: { view: 'information', estimator: 'binned' }, epoch: 1 });
    const ui = applyFocus(defaultUiState(input().manifest), target.focus);
    assert.equal(ui.tab, 'information');
    assert.equal(ui.views['information.estimator'], 'binned');
  });

  it('carries the probe size as evidence, worded as the flag on the command line and the setting in VS Code', function () {
    const f = saturation(input());
    assert.doesNotMatch(f.message, /--probe|cnnSlicer/, 'the message itself names no flag and no setting');
    assert.equal(probeToResolve(f), 360);
    assert.match(findingLine(f, 'cli'), /: record with --probe 360 to resolve it$/);
    assert.match(findingLine(f, 'vscode'), /: set cnnSlicer\.probeSize to 360 and record again to resolve it$/);
    const vscode = diagnosticMessage(f, englishL10n);
    assert.match(vscode, /set cnnSlicer\.probeSize to 360 and record again to resolve it/);
    assert.doesNotMatch(vscode, /--probe/);
    assert.match(formatFindings({ epoch: 1, findings: [f], thresholds: {}, skipped: [] }), /record with --probe 360 to resolve it/);
  });

  it('says no probe helps when even the whole dataset leaves no room, on every surface alike', function () {
    const f = saturation(input(200));
    assert.equal(f.evidence.probeSizeCapped, 1);
    assert.equal(probeToResolve(f), undefined);
    assert.match(f.message, /even the whole dataset \(289 inputs\)/);
    assert.equal(findingLine(f, 'cli'), f.message);
    assert.equal(diagnosticMessage(f, englishL10n), f.message);
  });
});
