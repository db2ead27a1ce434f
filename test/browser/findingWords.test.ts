// The Findings list of a report as a person reads it: the binned estimator's saturation names the
// layers by the labels the views use (never tfjs's `conv2d_Conv2D2`), words its advice as the
// command line's flag (a report is read outside VS Code), and a click opens the Information view on
// the binned information plane, where the saturated points are drawn. The page is the fixture run's
// report with its conv2 renamed as tfjs names an unnamed layer, and the finding the rule makes of it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { EpochMetrics, RunManifest } from '../../src/contract/runFormat';
import { ceilingRule } from '../../src/service/findings/layerRules';
import { canonicalQuery } from '../../src/contract/queries';
import { closeChecked, fixtureReportData, openPage, screenshot, tempDir, useBrowser, writePage } from './harness';

/** The fixture's report, its conv2 unnamed (`conv2d_Conv2D2`), with the saturation finding of conv1 and that layer. */
async function page(): Promise<{ file: string; suggested: number }> {
  const data = await fixtureReportData();
  const manifest: RunManifest = structuredClone(data.manifest);
  const conv2 = manifest.layers.find((l) => l.name === 'conv2');
  assert.ok(conv2, 'the fixture has conv2');
  conv2.name = 'conv2d_Conv2D2';
  const last = manifest.epochs[manifest.epochs.length - 1];
  const metrics = [
    {
      epoch: last,
      layers: manifest.layers.map((l) => ({
        layer: l.index,
        interSampleBits: 1,
        deadChannels: [],
        channelBits: [],
        binnedInformation: { ixtBits: 1, ityBits: 1, saturated: l.name === 'conv1' || l.index === conv2.index },
      })),
    } as unknown as EpochMetrics,
  ];
  const findings = ceilingRule({ manifest, metrics, epoch: last }).findings;
  assert.equal(findings.length, 1);
  const answers = {
    ...data.answers,
    [canonicalQuery({ kind: 'findings' })]: { answer: { epoch: last, findings, thresholds: {}, skipped: [] } },
  };
  const file = writePage(join(tempDir('cnn-slicer-finding-words-'), 'findings.html'), { data: { ...data, manifest, answers } });
  return { file, suggested: findings[0].evidence.suggestedProbeSize as number };
}

describe('browser: the words of a finding and the view it opens', function () {
  const browser = useBrowser(this);

  it('names short labels, says "record with --probe N" in a report, and opens the binned information plane', async () => {
    const { file, suggested } = await page();
    const { page: p, problems } = await openPage(browser(), file);
    const item = '#panel-query li.finding[data-kind=measurement-ceiling]';
    await p.waitForSelector(item);
    const text = await p.innerText(`${item} [data-testid=finding-open]`);
    assert.match(text, /the binning estimator is saturated .* on 2 layers of \d+ \(conv1, conv2\)/);
    assert.doesNotMatch(text, /conv2d_Conv2D2/);
    assert.match(text, new RegExp(`: record with --probe ${suggested} to resolve it`));
    assert.doesNotMatch(text, /cnnSlicer\.probeSize/, 'a report is read outside VS Code');
    assert.match(text, /→ Information view/);
    await screenshot(p, 'finding-words');

    await p.click(`${item} [data-testid=finding-open]`);
    await p.waitForSelector('#panel-information');
    assert.equal(await p.getAttribute('.tabs [role=tab][aria-selected=true]', 'id'), 'tab-information');
    assert.equal(await p.getAttribute('#panel-information .info-toolbar button[data-estimator="binned"]', 'aria-pressed'), 'true');
    await p.waitForSelector('#panel-information .information-plane-card');
    assert.match(await p.innerText('#panel-information .information-plane-card'), /Information plane \(binned\)/);
    await closeChecked(p, problems);
  });
});
