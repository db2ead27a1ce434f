import assert from 'node:assert/strict';
import type { Finding } from '../../../../src/contract/queries';
import { ablationEffect, contradictionReason, effectShows, type InputMeasures } from '../../../../src/service/findings/ablationCheck';

/** 100 probe inputs, each with its loss and whether it was right. */
function measures(losses: (i: number) => number, correct: (i: number) => boolean): InputMeasures {
  const inputLosses = Float64Array.from({ length: 100 }, (_, i) => losses(i));
  return {
    inputLosses,
    inputCorrect: Uint8Array.from({ length: 100 }, (_, i) => (correct(i) ? 1 : 0)),
    loss: inputLosses.reduce((a, b) => a + b, 0) / 100,
  };
}

const before = measures(
  (i) => 1 + (i % 7) / 10,
  (i) => i % 3 !== 0,
);

const dead: Finding = {
  kind: 'dead-channels',
  severity: 'warning',
  layer: 41,
  layerName: 'avg_pool2d',
  epoch: 2,
  message: '512 dead channels of 512: 0, 1, …',
  detail: '',
  evidence: {},
  channels: Array.from({ length: 512 }, (_, c) => c),
  view: { view: 'channel', layer: 41, epoch: 2, channel: 0 },
};

describe('a finding its own ablation contradicts', function () {
  it('is not contradicted by an ablation that changes nothing (truly dead channels): both intervals are [0, 0]', function () {
    const e = ablationEffect(before, before);
    assert.deepEqual([e.accuracy.low, e.accuracy.high, e.loss?.low, e.loss?.high], [0, 0, 0, 0]);
    assert.equal(effectShows(e), false);
  });

  it('is contradicted when 5 of 100 inputs turn wrong (the paired interval lies below 0), not when 1 does', function () {
    // Inputs 1, 2, 4, 5, 7, 8, … were right: 5 of them turn wrong.
    const wrongFive = measures(
      (i) => before.inputLosses[i],
      (i) => before.inputCorrect[i] === 1 && ![1, 2, 4, 5, 7].includes(i),
    );
    const e = ablationEffect(before, wrongFive);
    assert.equal(e.accuracy.mean, -0.05);
    assert.ok(e.accuracy.high < 0, `interval ${e.accuracy.low} to ${e.accuracy.high}`);
    assert.equal(effectShows(e), true);
    const wrongOne = measures(
      (i) => before.inputLosses[i],
      (i) => before.inputCorrect[i] === 1 && i !== 1,
    );
    const one = ablationEffect(before, wrongOne);
    assert.equal(one.accuracy.mean, -0.01);
    assert.equal(one.accuracy.high, 0);
    assert.equal(effectShows(one), false);
  });

  it('is contradicted by the loss alone when every input’s loss rises, not by a change that averages out', function () {
    const risen = measures(
      (i) => before.inputLosses[i] + 0.3,
      (i) => before.inputCorrect[i] === 1,
    );
    const e = ablationEffect(before, risen);
    assert.equal(e.accuracy.mean, 0);
    assert.ok(Math.abs(e.loss!.mean - 0.3) < 1e-12);
    assert.equal(effectShows(e), true);
    const noise = measures(
      (i) => before.inputLosses[i] + (i % 2 ? 0.01 : -0.01),
      (i) => before.inputCorrect[i] === 1,
    );
    assert.equal(effectShows(ablationEffect(before, noise)), false);
  });

  it('reads the accuracy alone where the model has no loss', function () {
    const e = ablationEffect({ ...before, loss: undefined }, { ...before, loss: undefined });
    assert.equal(e.loss, undefined);
    assert.equal(effectShows(e), false);
  });

  it('says why the finding is not shown: the layer, the count, each measure moved with its interval', function () {
    const worse = measures(
      (i) => before.inputLosses[i] + 0.3,
      (i) => before.inputCorrect[i] === 1 && ![1, 2, 4, 5, 7].includes(i),
    );
    const text = contradictionReason(dead, ablationEffect(before, worse));
    assert.match(
      text,
      /^avg_pool2d: 512 channels read as dead, but zeroing them moved the probe accuracy by −5\.0 points \(95% interval −\d+\.\d points to −\d+\.\d points\) and the probe loss by \+0\.300 \(95% interval \+0\.300 to \+0\.300\) over the probe inputs: they are not dead, and the finding is not shown$/,
    );
  });
});
