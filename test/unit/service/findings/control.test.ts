import assert from 'node:assert/strict';
import * as v from 'valibot';
import { binomialUpperTail } from '../../../../src/analysis';
import type { RunControl } from '../../../../src/contract/controlFormat';
import type { EpochMetrics, RunManifest } from '../../../../src/contract/runFormat';
import { CONTROL_ALPHA, CONTROL_MIN_MARGIN, controlFindings } from '../../../../src/service/findings/control';
import { FindingSchema } from '../../../../src/contract/queries/findings';
import { fixtureManifest, fixtureMetrics } from '../../../support/runFixture';

/** A 10-class control run of `n` probe inputs whose last epoch answered `correct` of them right. */
function controlRun(control: Partial<RunControl>, n: number, correct: number): { manifest: RunManifest; metrics: EpochMetrics[] } {
  const manifest = fixtureManifest('control-run', [0, 1]);
  const classes = 10;
  manifest.dataset.classNames = Array.from({ length: classes }, (_, i) => String(i));
  manifest.probe = { ...manifest.probe, size: n, classCounts: new Array(classes).fill(n / classes) };
  manifest.control = {
    spec: 'border:4',
    kind: 'border',
    parameter: 4,
    sourceRun: { id: 'source-run', folder: '../source-run' },
    chanceAccuracy: 0.1,
    ...control,
  };
  // Correct answers on the diagonal of class 0, the rest confused with class 1.
  const confusion = Array.from({ length: classes }, () => new Array(classes).fill(0));
  confusion[0][0] = correct;
  confusion[2][1] = n - correct;
  const metrics = [0, 1].map((epoch) => ({ ...fixtureMetrics(epoch), probeAccuracy: correct / n, confusion }));
  return { manifest, metrics };
}

describe('controlFindings: a control run significantly above chance', () => {
  it('fires on a border control at 71% against 10% chance, with its evidence and the comparison view', () => {
    const { manifest, metrics } = controlRun({}, 200, 142);
    const found = controlFindings(manifest, metrics, 1);
    assert.equal(found.length, 1);
    const f = found[0];
    v.parse(FindingSchema, f);
    assert.equal(f.kind, 'control-above-chance');
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /classifies from the image border alone.*: 71% against 10% chance/);
    assert.deepEqual(f.view, { view: 'compare', run: 'source-run', epoch: 1 });
    assert.equal(f.evidence.accuracy, 0.71);
    assert.equal(f.evidence.chance, 0.1);
    assert.equal(f.evidence.probeSize, 200);
    assert.equal(f.evidence.pValue, binomialUpperTail(200, 142, 0.1));
    assert.match(f.detail, new RegExp(`p < ${CONTROL_ALPHA}`));
  });
  /** The one finding of a control run, which must be the information that it stayed near chance. */
  function nearChance(manifest: RunManifest, metrics: EpochMetrics[]) {
    const found = controlFindings(manifest, metrics, 1);
    assert.deepEqual(
      found.map((f) => [f.kind, f.severity]),
      [['control-near-chance', 'information']],
    );
    v.parse(FindingSchema, found[0]);
    return found[0];
  }
  it('says what it measured near chance (13% of 200 against 10%), and no warning', () => {
    const { manifest, metrics } = controlRun({ kept: { inputShare: 0.005, contentShare: 0.0002 } }, 200, 26);
    const f = nearChance(manifest, metrics);
    assert.match(
      f.message,
      /^control border:4: probe accuracy 13% against 10% chance: no sign that this model classifies from the image border alone/,
    );
    assert.match(f.detail, /the 4-pixel border differs from the background in 0\.5% of the probe inputs and holds 0\.0% of their content/);
  });
  it('is no warning when significant but below the margin (15% of 100,000: p ≈ 0, only 5 points above chance)', () => {
    const { manifest, metrics } = controlRun({}, 100_000, 15_000);
    assert.ok(binomialUpperTail(100_000, 15_000, 0.1) < CONTROL_ALPHA);
    assert.ok(0.15 - 0.1 < CONTROL_MIN_MARGIN);
    nearChance(manifest, metrics);
  });
  it('is no warning when above the margin but not significant (3 of 5 against 10%)', () => {
    const { manifest, metrics } = controlRun({}, 5, 3);
    assert.ok(binomialUpperTail(5, 3, 0.1) > CONTROL_ALPHA);
    nearChance(manifest, metrics);
  });
  it('names what the control kept: mask-centre and shuffle-pixels', () => {
    const mask = controlRun({ spec: 'mask-centre:0.5', kind: 'mask-centre', parameter: 0.5 }, 200, 150);
    assert.match(controlFindings(mask.manifest, mask.metrics, 1)[0].message, /centre masked/);
    const shuffled = controlRun({ spec: 'shuffle-pixels', kind: 'shuffle-pixels', parameter: undefined }, 200, 150);
    const [f] = controlFindings(shuffled.manifest, shuffled.metrics, 1);
    assert.match(f.message, /pixels were shuffled.*75% against 10% chance; the control keeps every pixel/);
    // It keeps all the content, so classifying is no evidence of a shortcut: information.
    assert.equal(f.severity, 'information');
  });
  it('does not say "the border alone" when the control kept content in 1% of the probe inputs or more (MNIST border:4), and says how much', () => {
    const { manifest, metrics } = controlRun({ kept: { inputShare: 0.776, contentShare: 0.036 } }, 200, 106);
    const [f, ...rest] = controlFindings(manifest, metrics, 1);
    assert.equal(rest.length, 0);
    v.parse(FindingSchema, f);
    assert.equal(f.kind, 'control-above-chance');
    assert.equal(
      f.message,
      'this model classifies from what the 4-pixel border kept: 53% against 10% chance; the 4-pixel border differs from the background in 77.6% of the probe inputs and holds 3.6% of their content',
    );
    assert.match(f.detail, /if that is part of the object itself/);
    // Under 1%: the border held no content, so the same accuracy is the border alone; the detail says what was kept.
    const clean = controlRun({ kept: { inputShare: 0.005, contentShare: null } }, 200, 106);
    const [w] = controlFindings(clean.manifest, clean.metrics, 1);
    assert.equal(w.severity, 'warning');
    assert.match(w.message, /border alone/);
    assert.match(w.detail, /What the control kept: the 4-pixel border differs from the background in 0\.5% of the probe inputs\./);
  });
  it('gives nothing for a run that is not a control, an epoch not recorded, or a model without class output', () => {
    const { manifest, metrics } = controlRun({}, 200, 142);
    assert.deepEqual(controlFindings({ ...manifest, control: undefined }, metrics, 1), []);
    assert.deepEqual(controlFindings(manifest, metrics, 7), []);
    assert.deepEqual(controlFindings({ ...manifest, output: { layer: 'dense', kind: 'none', chosenBy: 'only' } }, metrics, 1), []);
  });
});

describe('controlFindings: the memorisation baseline of shuffle-labels', () => {
  const labels = { spec: 'shuffle-labels', kind: 'shuffle-labels' as const, parameter: undefined };
  it('reports the probe accuracy against chance as information when it stays near chance', () => {
    const { manifest, metrics } = controlRun(labels, 200, 22);
    const [f, ...rest] = controlFindings(manifest, metrics, 1);
    assert.equal(rest.length, 0);
    v.parse(FindingSchema, f);
    assert.equal(f.kind, 'memorisation-baseline');
    assert.equal(f.severity, 'information');
    assert.match(f.message, /memorisation baseline.*11% against 10% chance/);
  });
  it('is a warning when the probe is predicted well above chance (labels leaked or probe overlaps training)', () => {
    const { manifest, metrics } = controlRun(labels, 200, 120);
    const [f] = controlFindings(manifest, metrics, 1);
    assert.equal(f.kind, 'memorisation-baseline');
    assert.equal(f.severity, 'warning');
    assert.match(f.detail, /leaked/);
  });
});
