// The Findings list (first in the Query view) and the channel-importance card (Information view) as
// a person uses them: the list shows each finding's severity, layer, message and measured ablation,
// and a click opens its evidence view at the right layer (and channel); the scatter plot draws one
// dot per channel with the rank correlation in its title, and a click on a dot opens the Channel view
// at that channel. The page is the fixture run's report with schema-checked findings and importance
// answers of known numbers added (test/browser/importanceAnswers.ts).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import { shortLayerName } from '../../src/contract/layerLabel';
import { informationLayers } from '../../src/contract/plan';
import { browserFixture, fixtureReportData, closeChecked, openPage, openView, screenshot, tempDir, useBrowser, writePage } from './harness';
import { findingsAnswer, importanceAnswer, noisyImportanceAnswer, probeLossFinding, twoTierImportanceAnswer } from './importanceAnswers';

/**
 * The fixture's report with the findings and the importance of its first two multi-channel layers at
 * the last epoch; `noise`: the first layer's importance is the noise-level one, and the
 * findings hold the probe-loss finding the rule makes of a noisy and of a clear rise.
 */
async function pageWithAnswers(theme: 'light' | 'dark' = 'light', noise = false, twoTier = false) {
  const f = await browserFixture();
  const data = await fixtureReportData();
  const m = f.manifest;
  const last = m.epochs[m.epochs.length - 1];
  const [first, second] = informationLayers(m);
  const names = m.dataset.classNames;
  const answers = { ...data.answers };
  const findings = findingsAnswer(last, first, m.layers[first].name, second);
  if (noise) findings.findings = [probeLossFinding(m, 0.4), ...findings.findings];
  answers[canonicalQuery({ kind: 'findings' })] = { answer: findings };
  for (const l of [first, second])
    answers[canonicalQuery({ kind: 'channelImportance', layer: l, epoch: last })] = {
      answer: (noise && l === first ? noisyImportanceAnswer : twoTier && l === first ? twoTierImportanceAnswer : importanceAnswer)(
        l,
        last,
        m.layers[l].channels,
        names,
      ),
    };
  const name = `importance-${theme}${noise ? '-noise' : ''}${twoTier ? '-two-tier' : ''}.html`;
  const file = writePage(join(tempDir('cnn-slicer-importance-'), name), { data: { ...data, answers }, theme });
  return { file, first, second, last, manifest: m };
}

async function selectedTab(page: Page): Promise<string | null> {
  return page.getAttribute('.tabs [role=tab][aria-selected=true]', 'id');
}

describe('browser: findings and channel importance', function () {
  const browser = useBrowser(this);

  it('lists the findings first in the Query view, and a click opens each one’s evidence view at its layer', async () => {
    const { file, first, second, manifest } = await pageWithAnswers();
    const { page, problems } = await openPage(browser(), file);
    // The Query view is the first tab, and the Findings card is its first card.
    assert.equal(await selectedTab(page), 'tab-query');
    await page.waitForSelector('#panel-query .findings-list li.finding');
    assert.equal(await page.$eval('#panel-query .card', (c) => c.classList.contains('findings-card')), true);
    const items = await page.$$eval('#panel-query li.finding', (lis) =>
      lis.map((li) => ({ kind: li.getAttribute('data-kind'), severity: li.getAttribute('data-severity'), text: li.textContent ?? '' })),
    );
    assert.deepEqual(
      items.map((i) => [i.kind, i.severity]),
      [
        ['control-above-chance', 'warning'],
        ['dead-channels', 'warning'],
        ['label-information-drop', 'information'],
      ],
    );
    assert.match(await page.innerText('#panel-query [data-testid=findings-summary]'), /3 findings \(2 warnings\)/);
    // The dead channels: the layer's short name, the message and the measured ablation as proof.
    const dead = '#panel-query li.finding[data-kind=dead-channels]';
    assert.ok(items[1].text.includes(shortLayerName(manifest.layers[first], manifest.layers)), items[1].text);
    assert.equal(
      await page.innerText(`${dead} [data-testid=finding-proof]`),
      'zeroing these 5 channels: probe accuracy 95.6% → 95.4%, loss +0.010',
    );
    // A report has no host to open the comparison: the other run is named, with the command that writes one.
    assert.match(await page.innerText('#panel-query li.finding[data-kind=control-above-chance]'), /control-run-42.*cnn-slicer report/s);
    assert.equal(await page.$('#panel-query li.finding[data-kind=control-above-chance] [data-testid=finding-open]'), null);
    // Detail on expand.
    await page.click(`${dead} details.finding-detail summary`);
    assert.match(await page.innerText(`${dead} details.finding-detail`), /zero entropy on every probe input.*deadChannels.*0, 1, 2, 3, 4/s);
    await screenshot(page, 'findings-light');

    // Dead channels → the Channel view at that layer and channel 3.
    await page.click(`${dead} [data-testid=finding-open]`);
    await page.waitForSelector('#panel-channel');
    assert.equal(await selectedTab(page), 'tab-channel');
    assert.equal(
      await page.$eval('select[aria-label="Layer shown in the Channel view"]', (s) => (s as HTMLSelectElement).value),
      String(first),
    );
    assert.match(await page.innerText('#panel-channel .channel-selected'), /Selected channel: #3/);

    // The label-information drop → the Layer view on the pair ending at that layer.
    await openView(page, 'query');
    await page.click('#panel-query li.finding[data-kind=label-information-drop] [data-testid=finding-open]');
    await page.waitForSelector('#panel-layer');
    assert.equal(await selectedTab(page), 'tab-layer');
    const pair = await page.$$eval('#panel-layer .layer-picker select', (ss) => ss.map((s) => Number((s as HTMLSelectElement).value)));
    const before = informationLayers(manifest)
      .filter((l) => l < second)
      .pop();
    assert.deepEqual(pair, [before, second]);
    await closeChecked(page, problems);
  });

  it('draws one dot per channel with ρ in the title, switches the measure, and a click on a dot opens the Channel view there', async () => {
    const { file, first, manifest } = await pageWithAnswers();
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'information');
    const scatter = '#panel-information svg.importance-scatter';
    await page.waitForSelector(`${scatter} circle.is-dot`);
    const channels = manifest.layers[first].channels;
    assert.equal(await page.$$eval(`${scatter} circle.is-dot`, (cs) => cs.length), channels);
    assert.equal(
      await page.textContent(`${scatter} text.is-title`),
      `mean channel entropy predicts ablation cost: ρ = 1.00 (95% interval +0.90 to +1.00), p = 0.001 (Holm-adjusted 0.003), over ${channels} channels.`,
    );
    // Higher Δ loss is drawn higher: channel c costs 0.01·c.
    const ys = await page.$$eval(`${scatter} circle.is-dot`, (cs) => cs.map((c) => Number(c.getAttribute('cy'))));
    for (let c = 1; c < ys.length; c++) assert.ok(ys[c] < ys[c - 1], `channel ${c} above channel ${c - 1}`);
    // The ranking: the most costly channel first, undefined values as dashes.
    const firstRow = await page.$$eval('#panel-information table.importance-ranking tbody tr:first-child td', (tds) =>
      tds.map((t) => t.textContent),
    );
    assert.equal(firstRow[1], `#${channels - 1}`);
    assert.equal(firstRow[firstRow.length - 1], '—');
    assert.equal(
      await page.getAttribute('#panel-information table.importance-correlations tr[data-measure=labelInformation]', 'data-reading'),
      'no-evidence',
    );
    // The capacity to the next layer is undefined for channel 0: one dot fewer, said under the chart.
    await page.click('#panel-information .importance-measures button[data-measure=capacityToNext]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#panel-information svg.importance-scatter circle.is-dot').length === n,
      channels - 1,
    );
    assert.match((await page.textContent(`${scatter} text.is-title`)) ?? '', /predicts ablation cost inversely.*ρ = −0\.90/);
    assert.match(await page.innerText('#panel-information [data-testid=importance-missing]'), /1 channel not drawn/);
    // The tooltip names the channel, its value, Δ loss, Δ accuracy and the classes losing most.
    await page.hover(`${scatter} circle.is-dot[data-channel="3"]`);
    await page.waitForFunction(() => /Δ accuracy/.test(document.getElementById('tooltip')?.textContent ?? ''));
    assert.match(
      (await page.textContent('#tooltip')) ?? '',
      /channel 3.*Δ loss \+0\.030 \(95% interval \+0\.026 to \+0\.034\).*Δ accuracy −1\.5%.*classes losing most: class 3 −6\.0%/,
    );
    await screenshot(page, 'importance-light');
    await page.click(`${scatter} circle.is-dot[data-channel="3"]`);
    await page.waitForSelector('#panel-channel');
    assert.equal(await selectedTab(page), 'tab-channel');
    assert.equal(
      await page.$eval('select[aria-label="Layer shown in the Channel view"]', (s) => (s as HTMLSelectElement).value),
      String(first),
    );
    assert.match(await page.innerText('#panel-channel .channel-selected'), /Selected channel: #3/);
    await closeChecked(page, problems);
  });

  it('two tiers: draws the measured channels only, says ρ and "unverified", and lists the rest with their estimates', async () => {
    const { file, first, manifest } = await pageWithAnswers('light', false, true);
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'information');
    const scatter = '#panel-information svg.importance-scatter';
    await page.waitForSelector(`${scatter} circle.is-dot`);
    const channels = manifest.layers[first].channels;
    const measured = Math.floor(channels / 2);
    assert.equal(await page.$$eval(`${scatter} circle.is-dot`, (cs) => cs.length), measured);
    assert.match(
      await page.innerText('#panel-information [data-testid=importance-estimate]'),
      new RegExp(
        `ρ = 0\\.62 over the ${measured} measured channels — unverified \\(${measured < 8 ? 'fewer than 8 channels measured' : 'ρ < 0\\.8'}\\)`,
      ),
    );
    assert.equal(
      await page.getAttribute('#panel-information [data-testid=importance-estimate]', 'class'),
      'chart-note importance-unverified',
    );
    assert.match(
      await page.innerText('#panel-information [data-testid=importance-unmeasured]'),
      new RegExp(`${channels - measured} channels? not drawn: not measured`),
    );
    assert.equal(await page.$('[data-testid=importance-measure-all]'), null, 'a report cannot measure: no button');
    // The table: the measured channels first by Δ loss, then the others by estimate, "not measured" with their estimate.
    // "Show all" is there only when the table is cut; a click that waited for it would wait 30 s.
    await (await page.$('#panel-information [data-testid=importance-all]'))?.click();
    const rows = await page.$$eval('#panel-information table.importance-ranking tbody tr', (trs) =>
      trs.map((tr) => ({ measured: tr.getAttribute('data-measured'), cells: Array.from(tr.querySelectorAll('td'), (t) => t.textContent) })),
    );
    assert.deepEqual(
      rows.map((r) => r.measured),
      [...new Array(measured).fill('true'), ...new Array(channels - measured).fill('false')],
    );
    const unmeasured = rows[measured];
    assert.equal(unmeasured.cells[2], 'not measured');
    assert.equal(unmeasured.cells[3], `+${(0.012 * (channels % 2 === 0 ? channels - 2 : channels - 1)).toFixed(3)}`);
    assert.equal(unmeasured.cells[4], '—', 'no Δ accuracy');
    await screenshot(page, 'importance-two-tier');
    await closeChecked(page, problems);
  });

  it('says "no evidence" when Δ losses are within their bootstrap intervals, shows the intervals and the Holm-adjusted p-values', async () => {
    const { file, first, manifest } = await pageWithAnswers('light', true);
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'information');
    const scatter = '#panel-information svg.importance-scatter';
    await page.waitForSelector(`${scatter} circle.is-dot`);
    const channels = manifest.layers[first].channels;
    // p = 0.03 is below 0.05, but not after Holm's adjustment over the 3 measures tested: no verdict.
    assert.equal(
      await page.textContent(`${scatter} text.is-title`),
      `No evidence that mean channel entropy predicts ablation cost: ρ = 0.55 (95% interval +0.10 to +0.80), p = 0.030 (Holm-adjusted 0.060), over ${channels} channels (Holm-adjusted p not below 0.05).`,
    );
    const readings = await page.$$eval('#panel-information table.importance-correlations tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-measure'), tr.getAttribute('data-reading'), tr.lastElementChild?.textContent]),
    );
    assert.deepEqual(readings, [
      ['channelEntropy', 'no-evidence', 'no evidence'],
      ['labelInformation', 'no-evidence', 'no evidence'],
      ['capacityToNext', 'no-evidence', 'no evidence'],
      ['nearDuplicateShare', 'untested', 'cannot be tested'],
    ]);
    const headers = await page.$$eval('#panel-information table.importance-correlations thead th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(headers, [
      'measure',
      'Spearman ρ',
      'ρ 95% interval',
      'p (999 permutations)',
      'p Holm-adjusted',
      'channels',
      'ablation cost',
    ]);
    // Label information: small p even after the adjustment, but no channel's ablation measurably changes the loss.
    const sentences = await page.$$eval('#panel-information ul.importance-readings li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.match(
      sentences[1],
      /^No evidence that I_pair\(T_c;Y\) predicts ablation cost: .*Holm-adjusted 0\.012.*every channel’s Δ loss interval covers 0/,
    );
    assert.ok(!sentences.some((t) => /^[^N].* predicts ablation cost:/.test(t)), sentences.join('\n'));
    // The ranking shows each Δ loss with its interval.
    const cell = await page.textContent('#panel-information table.importance-ranking tbody tr:first-child td.importance-delta-loss');
    assert.match(cell ?? '', /^\+0\.002 \(95% interval −0\.001 to \+0\.005\)$/);
    assert.match(
      await page.innerText('#panel-information [data-testid=importance-method]'),
      /95% bootstrap over the 200 probe inputs \(2000 resamples, seed 0\).*Holm-adjusted over the 3 measures tested/s,
    );
    await page.$eval('#panel-information .importance-card', (c) => c.scrollIntoView());
    await screenshot(page, 'importance-noise');
    await closeChecked(page, problems);
  });

  it('tells a probe-loss rise within its bootstrap interval from overfitting in the Findings list, with the interval', async () => {
    const { file, manifest } = await pageWithAnswers('light', true);
    const { page, problems } = await openPage(browser(), file);
    const item = '#panel-query li.finding[data-kind=probe-loss-rising]';
    await page.waitForSelector(item);
    // The run: +6 % on 300 probe inputs is no warning, and says why.
    assert.equal(await page.getAttribute(item, 'data-severity'), 'information');
    const text = await page.innerText(item);
    assert.match(text, /probe loss rose 6% since epoch 1 \(0\.269 → 0\.285; \+0\.016, 95% interval −0\.0\d\d to \+0\.0\d\d\)/);
    assert.match(text, /no evidence of overfitting yet/);
    assert.doesNotMatch(text, /it is overfitting/);
    await page.click(`${item} details.finding-detail summary`);
    assert.match(await page.innerText(`${item} details.finding-detail`), /bootstrap over the 300 probe inputs: 2000 resamples, seed 0/);
    await screenshot(page, 'findings-probe-loss-noise');
    // The same rise with little spread between inputs: a warning, with its interval clear of 0.
    const clear = probeLossFinding(manifest, 0.02);
    assert.equal(clear.severity, 'warning');
    assert.match(clear.message, /95% interval \+0\.0\d\d to \+0\.0\d\d\)/);
    await closeChecked(page, problems);
  });

  it('reads in the dark theme', async () => {
    const { file } = await pageWithAnswers('dark');
    const { page, problems } = await openPage(browser(), file);
    await page.waitForSelector('#panel-query .findings-list li.finding');
    await screenshot(page, 'findings-dark');
    await openView(page, 'information');
    await page.waitForSelector('#panel-information svg.importance-scatter circle.is-dot');
    await page.$eval('#panel-information .importance-card', (c) => c.scrollIntoView());
    await screenshot(page, 'importance-dark');
    await closeChecked(page, problems);
  });
});
