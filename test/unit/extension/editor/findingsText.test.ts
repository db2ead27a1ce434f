import assert from 'node:assert/strict';
import * as v from 'valibot';
import {
  ablationProof,
  diagnosticMessage,
  groupFindings,
  layerSummary,
  modelDefinitionLine,
  placeFindings,
} from '../../../../src/extension/editor/findingsText';
import { englishL10n } from '../../../../src/extension/l10n';
import { findings as findingsQuery, type Finding } from '../../../../src/contract/queries/findings';
import { deepManifest, RESNET_LINES } from '../../../support/deepManifest';

/** A finding as the service sends it: checked against the answer schema, so the fixtures cannot drift from it. */
function finding(over: Partial<Finding> & Pick<Finding, 'kind'>): Finding {
  const f: Finding = {
    severity: 'information',
    epoch: 2,
    message: `${over.kind} found`,
    detail: 'what it means',
    evidence: {},
    view: { view: 'channel' },
    ...over,
  };
  v.parse(findingsQuery.answer, { epoch: 2, findings: [f], thresholds: {}, skipped: [] });
  return f;
}

const dead = finding({
  kind: 'dead-channels',
  layer: 3,
  channels: [1, 4, 6],
  message: '3 dead channels: 1, 4, 6',
  ablation: { channels: [1, 4, 6], mode: 'zero', accuracyBefore: 0.956, accuracyAfter: 0.954, lossBefore: 0.2, lossAfter: 0.21 },
});
const duplicates = finding({ kind: 'near-duplicate-channels', layer: 3, channels: [0, 2], severity: 'warning' });
const inert = finding({ kind: 'inert-layer', layer: 5 });
const rising = finding({ kind: 'probe-loss-rising', severity: 'warning', view: { view: 'training' } });

describe('findings in the editor (findingsText)', () => {
  it('writes the measured ablation as proof: accuracy before → after and the change of loss', () => {
    assert.equal(ablationProof(dead, englishL10n), 'zeroing these 3 channels: probe accuracy 95.6% → 95.4%, loss +0.01');
    assert.equal(
      diagnosticMessage(dead, englishL10n),
      '3 dead channels: 1, 4, 6 — zeroing these 3 channels: probe accuracy 95.6% → 95.4%, loss +0.01',
    );
    const mean = finding({
      kind: 'uninformative-channels',
      layer: 1,
      channels: [2],
      ablation: { channels: [2], mode: 'mean', accuracyBefore: 0.5, accuracyAfter: 0.25, lossBefore: 1.5, lossAfter: 1.2 },
    });
    assert.equal(ablationProof(mean, englishL10n), 'replacing this channel by its mean: probe accuracy 50.0% → 25.0%, loss −0.30');
    // An undefined loss has no change to show: no "+NaN", no 0.
    const noLoss = finding({ ...dead, ablation: { ...dead.ablation!, lossAfter: null } });
    assert.equal(ablationProof(noLoss, englishL10n), 'zeroing these 3 channels: probe accuracy 95.6% → 95.4%');
    assert.equal(ablationProof(inert, englishL10n), undefined);
    assert.equal(diagnosticMessage(inert, englishL10n), 'inert-layer found');
    assert.match(diagnosticMessage(inert, englishL10n, true), /inert-layer found \(run recorded before your last edit\)$/);
  });

  it('summarises a layer for its lens: channel kinds counted by channel, in the kinds order, other layers untouched', () => {
    const all = [duplicates, dead, inert, rising];
    assert.equal(layerSummary(all, 3, englishL10n), '3 dead · 2 near-duplicate');
    assert.equal(layerSummary(all, 5, englishL10n), 'inert');
    assert.equal(layerSummary(all, 4, englishL10n), undefined);
    // Two findings of one kind on a layer add up.
    const more = finding({ kind: 'dead-channels', layer: 3, channels: [9] });
    assert.equal(layerSummary([dead, more], 3, englishL10n), '4 dead');
  });

  it('places layer findings where the matcher puts the layer, drops those it cannot place, and the model-wide ones at the model line', () => {
    const lines = new Map([
      [3, { line: 12, column: 4 }],
      [5, undefined],
    ]);
    const placed = placeFindings([dead, duplicates, inert, rising], (l) => lines.get(l), 9, englishL10n);
    assert.deepEqual(
      placed.map((p) => [p.code, p.line, p.column, p.severity]),
      [
        ['dead-channels', 12, 4, 'information'],
        ['near-duplicate-channels', 12, 4, 'warning'],
        ['probe-loss-rising', 9, 0, 'warning'],
      ],
    );
    assert.match(placed[0].message, /zeroing these 3 channels/);
    // Another file of the model (a helper module): only the layer findings.
    assert.deepEqual(
      placeFindings([dead, rising], (l) => lines.get(l), undefined, englishL10n).map((p) => p.code),
      ['dead-channels'],
    );
  });

  it("finds the model's definition line: the createModel export, else the other export forms, else the first line", () => {
    const text = ["import * as tf from '@tensorflow/tfjs';", '', 'const helper = 1;', 'export function createModel() {', '}'].join('\n');
    assert.equal(modelDefinitionLine(text, 'model.ts'), 3);
    assert.equal(modelDefinitionLine('x\nexport const createModel = () => 1;', 'm.ts'), 1);
    assert.equal(modelDefinitionLine('a\nb\nexport default function () {}', 'm.js'), 2);
    assert.equal(modelDefinitionLine('a\nmodule.exports = { createModel };', 'm.js'), 1);
    assert.equal(modelDefinitionLine('nothing here', 'm.ts'), 0);
    assert.equal(modelDefinitionLine('{\n "modelTopology": {}\n}', 'model.json'), 0);
    // A Python file: the last top-level class with a base (the model comes after its blocks).
    const python =
      'import torch.nn as nn\n\nclass Block(nn.Module):\n    pass\n\nclass Net(nn.Module):\n    class Inner(object):\n        pass\n';
    assert.equal(modelDefinitionLine(python, 'model.py'), 5);
    assert.equal(modelDefinitionLine('x = 1', 'model.py'), 0);
  });
});

describe('the Problems entries of a deep model', function () {
  // ResNet18-like: every BasicBlock's conv1 (8 layers) is line 14 of models/resnet.py, its bn1 line 15.
  const manifest = deepManifest({ width: 8 });
  const byName = (name: string) => manifest.layers.find((l) => l.name === name)!;
  const blocks = ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1'];
  const pairs = [2, 62, 5, 0, 9, 3, 0, 17];
  const nearDuplicates = blocks.flatMap((b, k) =>
    pairs[k]
      ? [
          finding({
            kind: 'near-duplicate-channels',
            layer: byName(`${b}.conv1`).index,
            layerName: `${b}.conv1`,
            message: `${pairs[k]} near-duplicate channel pairs in 1 group {1, 2}`,
            evidence: { nearDuplicatePairs: pairs[k] },
            channels: [2],
          }),
        ]
      : [],
  );
  const positionOf = (l: number) => ({ line: manifest.layers[l].source!.line - 1, column: 8 });
  const instancesAt = (p: { finding: Finding }) => {
    const s = manifest.layers[p.finding.layer!].source!;
    return manifest.layers.filter((l) => l.source?.line === s.line).length;
  };

  it('gives one entry per kind and line, naming its layers by range, with each layer one click away', function () {
    const bnDead = finding({
      kind: 'dead-channels',
      severity: 'warning',
      layer: byName('layer2.1.bn1').index,
      layerName: 'layer2.1.bn1',
      message: '1 dead channel of 16: 4',
      channels: [4],
    });
    const model = finding({ kind: 'probe-loss-rising', severity: 'warning', view: { view: 'training' } });
    const placed = placeFindings([model, bnDead, ...nearDuplicates], positionOf, 3, englishL10n);
    const grouped = groupFindings(placed, instancesAt, englishL10n);
    assert.equal(grouped.length, 3);
    const [whole, bn, conv1] = grouped;
    assert.equal(whole.line, 3);
    assert.deepEqual(whole.related, []);
    // Alone on a line of 8 layers: it names its layer.
    assert.equal(bn.line, RESNET_LINES.bn1 - 1);
    assert.match(bn.message, /^layer2\.1\.bn1: 1 dead channel of 16: 4$/);
    assert.equal(conv1.line, RESNET_LINES.conv1 - 1);
    assert.equal(conv1.severity, 'information');
    assert.equal(conv1.code, 'near-duplicate-channels');
    assert.equal(conv1.message, 'layer1.0–layer4.1 conv1: near-duplicate pairs in 6 of 8 layers, 2–62 pairs each');
    assert.deepEqual(
      conv1.related.map((r) => r.message),
      nearDuplicates.map((f) => `${f.layerName}: ${f.message}`),
    );
    assert.equal(conv1.findings.length, 6);
  });

  it('is a warning when one of the group is, and says when the run predates the text', function () {
    const dead = blocks.slice(0, 2).map((b, k) =>
      finding({
        kind: 'dead-channels',
        severity: 'warning',
        layer: byName(`${b}.conv1`).index,
        layerName: `${b}.conv1`,
        channels: k ? [1, 2, 3] : [5],
      }),
    );
    const [g] = groupFindings(placeFindings(dead, positionOf, undefined, englishL10n, true), instancesAt, englishL10n, true);
    assert.equal(g.severity, 'warning');
    assert.equal(
      g.message,
      'layer1.0–layer1.1 conv1: dead channels in 2 of 8 layers, 1–3 channels each (run recorded before your last edit)',
    );
  });

  it('names each layer once in its related entry, and a count of one in the singular', function () {
    const inert = blocks
      .slice(1, 3)
      .map((b) =>
        finding({ kind: 'inert-layer', layer: byName(`${b}.conv1`).index, layerName: `${b}.conv1`, message: `${b}.conv1 changes neither` }),
      );
    const [g] = groupFindings(placeFindings(inert, positionOf, undefined, englishL10n), instancesAt, englishL10n);
    assert.deepEqual(
      g.related.map((r) => r.message),
      inert.map((f) => f.message),
    );
    const uninformative = blocks
      .slice(0, 2)
      .map((b) => finding({ kind: 'uninformative-channels', layer: byName(`${b}.conv1`).index, layerName: `${b}.conv1`, channels: [3] }));
    const [u] = groupFindings(placeFindings(uninformative, positionOf, undefined, englishL10n), instancesAt, englishL10n);
    assert.match(u.message, /in 2 of 8 layers, 1 channel each$/);
  });

  it('leaves a finding on a line of one layer as it was placed', function () {
    const stem = finding({ kind: 'inert-layer', layer: byName('conv1').index, layerName: 'conv1', message: 'conv1 changes neither' });
    const [g] = groupFindings(placeFindings([stem], positionOf, undefined, englishL10n), instancesAt, englishL10n);
    assert.equal(g.message, 'conv1 changes neither');
    assert.deepEqual(g.related, []);
  });
});
