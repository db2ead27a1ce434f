// A report's estimate tier as a person reads it (src/contract/plan.ts `reportStandIn`): a capacity
// matrix and a layer-level capacity computed from a sample of the probe inputs say they are estimates
// (the heatmap's note, the layer capacity's row and note), and a channel importance of the estimates
// alone says no channel was ablated and how to get the exact ablations. The page is the fixture run's
// report with those answers replaced by their stand-ins' (the same answers over 3 inputs).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canonicalQuery } from '../../src/contract/queries';
import type { CapacityMatrixAnswer, ChannelImportanceAnswer, LayerCapacityAnswer, Query } from '../../src/contract/queries';
import { decodeEntry } from '../../src/contract/reportCodec';
import { informationLayers, queries } from '../../src/contract/plan';
import { browserFixture, closeChecked, fixtureReportData, openPage, openView, screenshot, tempDir, useBrowser, writePage } from './harness';
import { twoTierImportanceAnswer } from './importanceAnswers';

const ALL = { kind: 'all' } as const;

async function estimatesPage(): Promise<{ file: string; probe: number }> {
  const f = await browserFixture();
  const data = await fixtureReportData();
  const m = f.manifest;
  const last = m.epochs[m.epochs.length - 1];
  const answers = { ...data.answers };
  const overThree = async <A extends { inputCount: number }>(q: Query): Promise<A> => {
    const entry = answers[canonicalQuery(q)];
    assert.ok(entry, `the fixture report holds ${canonicalQuery(q)}`);
    const decoded = await decodeEntry(entry);
    assert.ok('answer' in decoded, 'an answer');
    return { ...(decoded.answer as A), inputCount: 3 };
  };
  for (const q of [queries.capacityMatrix(1, 2, last, ALL), queries.layerCapacity(1, 2, last, ALL)])
    answers[canonicalQuery(q)] = { answer: await overThree<CapacityMatrixAnswer | LayerCapacityAnswer>(q) };
  const layer = informationLayers(m)[0];
  const base = twoTierImportanceAnswer(layer, last, m.layers[layer].channels, m.dataset.classNames);
  const estimatesOnly: ChannelImportanceAnswer = {
    ...base,
    channels: base.channels.map((r) => ({
      ...r,
      measured: false,
      deltaLoss: null,
      deltaLossLow: null,
      deltaLossHigh: null,
      deltaAccuracy: null,
      classesLosing: [],
    })),
    measures: [],
    estimate: { exhaustive: false, measuredCount: 0, topK: 0, sampled: 0, seed: 0, spearman: null, verified: false },
    // Every channel unmeasured: by estimate, as the service ranks them.
    ranking: [...base.channels].sort((a, b) => (b.estimate ?? 0) - (a.estimate ?? 0) || a.channel - b.channel).map((r) => r.channel),
  };
  answers[canonicalQuery({ kind: 'channelImportance', layer, epoch: last })] = { answer: estimatesOnly };
  const file = writePage(join(tempDir('cnn-slicer-estimates-'), 'estimates.html'), { data: { ...data, answers } });
  return { file, probe: m.probe.size };
}

describe('browser: a report’s estimates', function () {
  const browser = useBrowser(this);

  it('marks capacity from a sample of the inputs and importance without ablations as estimates', async () => {
    const { file, probe } = await estimatesPage();
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'layer');
    const note = await page.waitForSelector('#panel-layer [data-testid=heatmap-estimate]');
    assert.match(
      (await note.innerText()) ?? '',
      new RegExp(`This matrix is an estimate, computed from a seeded sample of 3 of the ${probe} probe inputs`),
    );
    assert.match(
      (await page.textContent('#panel-layer .layer-controls')) ?? '',
      /Capacity over all probe inputs: this matrix is an estimate from 3 of them\./,
    );
    const capacity = await page.waitForSelector('#panel-layer [data-testid=layer-capacity-estimate]');
    assert.match(await capacity.innerText(), /Rows marked \(estimate\): an estimate/);
    assert.match((await page.textContent('#panel-layer .layer-capacity-card')) ?? '', /bits \(estimate\)/);
    await screenshot(page, 'estimates-layer');

    await openView(page, 'information');
    const only = await page.waitForSelector('#panel-information [data-testid=importance-estimates-only]');
    assert.match(await only.innerText(), /No channel ablated: the table holds each channel’s Taylor estimate/);
    assert.match(await only.innerText(), /larger --max-seconds/);
    assert.match(
      await page.innerText('#panel-information [data-testid=importance-estimate]'),
      /^Estimates only: every channel has its Taylor estimate/,
    );
    await screenshot(page, 'estimates-importance');
    await closeChecked(page, problems);
  });
});
