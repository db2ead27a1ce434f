// The Network view as a person uses it: the Query view opens on the model's graph,
// clusters packed in each layer node and bands between them; a click on a cluster selects exactly
// its channels in the slicer and the Channel view. On the recorded LeNet fixture's report (real
// answers from the service) and on a ResNet-style graph with residual adds and 512-channel layers
// (synthetic answers, to check the branches, the merges and the drawing time at that size).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { NetworkGraphAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { writeReport } from '../../src/cli/report';
import { copyFixtureRun } from '../support/fixtureRuns';
import {
  browserFixture,
  closeChecked,
  embedded,
  openPage,
  openReport,
  openView,
  screenshot,
  tempDir,
  useBrowser,
  writePage,
} from './harness';
import { resnetNetwork, resnetReport } from './resnetNetwork';

const CANVAS = '[data-testid=network-canvas]';
const MULTIPLES = '#panel-channel canvas.chart[data-channels]';

interface DrawnCluster {
  layer: number;
  cluster: number;
  channels: number[];
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The clusters as the view says it drew them (its screen-reader summary), with their boxes on the canvas. */
async function drawnClusters(page: Page): Promise<DrawnCluster[]> {
  return page.$$eval('[data-testid=network-summary] li[data-cluster]', (els) =>
    // No helper functions inside: the page runs this callback as it is (tsx would name them through a helper the page lacks).
    els.map((el) => ({
      layer: Number(el.parentElement!.closest('li[data-layer]')!.getAttribute('data-layer')),
      cluster: Number(el.getAttribute('data-cluster')),
      channels: (el.getAttribute('data-channels') ?? '').split(',').map(Number),
      x: Number(el.getAttribute('data-x')),
      y: Number(el.getAttribute('data-y')),
      w: Number(el.getAttribute('data-w')),
      h: Number(el.getAttribute('data-h')),
    })),
  );
}

/** Scrolls the cluster into view and clicks its centre. */
async function clickCluster(page: Page, c: DrawnCluster): Promise<void> {
  const p = await clusterPoint(page, c);
  await page.mouse.click(p.x, p.y);
}

/** Client coordinates of a cluster's centre, scrolled into view (the canvas draws at its zoom, `data-zoom`). */
async function clusterPoint(page: Page, c: DrawnCluster): Promise<{ x: number; y: number }> {
  const margin = Number(await page.getAttribute(CANVAS, 'data-margin'));
  const zoom = Number(await page.getAttribute(CANVAS, 'data-zoom'));
  await page.$eval(
    '.network-scroll',
    (el, at) => {
      el.scrollLeft = Math.max(0, at.x - el.clientWidth / 2);
      el.scrollTop = Math.max(0, at.y - el.clientHeight / 2);
    },
    { x: (c.x + margin + c.w / 2) * zoom, y: (c.y + margin + c.h / 2) * zoom },
  );
  await page.locator('.network-scroll').scrollIntoViewIfNeeded();
  const box = (await page.locator(CANVAS).boundingBox())!;
  return { x: box.x + (margin + c.x + c.w / 2) * zoom, y: box.y + (margin + c.y + c.h / 2) * zoom };
}

async function distinctColours(page: Page): Promise<number> {
  return page.$eval(CANVAS, (el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let p = 0; p < d.length && seen.size < 200; p += 4) seen.add((d[p] << 16) | (d[p + 1] << 8) | d[p + 2]);
    return seen.size;
  });
}

/** "0–3, 6" or "1-3, 6" → [0, 1, 2, 3, 6]. */
function parseRanges(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((part) => {
      const [a, b] = part.split(/[-–]/).map(Number);
      return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
    });
}

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  await page.selectOption('select[aria-label=Theme]', theme);
  await page.waitForFunction((t) => document.body.classList.contains(`vscode-${t}`), theme);
}

describe('browser: Network view', function () {
  const browser = useBrowser(this);

  it('opens the Query view on the LeNet network: a node per layer, the clusters of each layer, bands between them', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser());
    const last = f.manifest.epochs[f.manifest.epochs.length - 1];
    await page.waitForSelector(`${CANVAS}[data-epoch="${last}"]`);
    const answer = await embedded<NetworkGraphAnswer>(page, { kind: 'networkGraph', epoch: last });
    // One node per layer of the run, each clustered layer with its clusters, every defined edge a band.
    assert.equal(Number(await page.getAttribute(CANVAS, 'data-nodes')), f.manifest.layers.length);
    assert.equal(answer.nodes.length, f.manifest.layers.length);
    const perLayer = await page.$$eval('[data-testid=network-summary] > li', (els) =>
      els.map((el) => ({ layer: Number(el.getAttribute('data-layer')), clusters: Number(el.getAttribute('data-clusters')) })),
    );
    assert.deepEqual(
      perLayer.sort((a, b) => a.layer - b.layer),
      answer.nodes.map((n) => ({ layer: n.layer, clusters: answer.clusters.filter((c) => c.layer === n.layer).length })),
    );
    const clustered = answer.nodes.filter((n) => n.clustered).map((n) => n.layer);
    assert.deepEqual(
      clustered,
      f.manifest.layers.filter((l) => l.channels > 1).map((l) => l.index),
    );
    const drawn = await drawnClusters(page);
    for (const layer of clustered) {
      const channels = drawn.filter((c) => c.layer === layer).flatMap((c) => c.channels);
      assert.deepEqual(
        channels.sort((a, b) => a - b),
        Array.from({ length: f.manifest.layers[layer].channels }, (_, i) => i),
        `the clusters of layer ${layer} cover its channels once each`,
      );
    }
    const bands = Number(await page.getAttribute(CANVAS, 'data-bands'));
    assert.ok(bands > 0, 'edge bands are drawn');
    assert.equal(bands, answer.edges.filter((e) => e.bits !== null).length);
    // Pixels, not just attributes: cluster fills, class strips, thumbnails and bands.
    assert.ok((await distinctColours(page)) > 40);
    console.log(
      `      LeNet network: layout ${await page.getAttribute(CANVAS, 'data-layout-ms')} ms, draw ${await page.getAttribute(CANVAS, 'data-draw-ms')} ms`,
    );

    // Hover gives the numbers of a cluster.
    const target = drawn.find((c) => c.layer === clustered[clustered.length - 1])!;
    const point = await clusterPoint(page, target);
    await page.mouse.move(point.x, point.y);
    await page.waitForFunction(() => (document.getElementById('tooltip')?.textContent ?? '').includes('mean channel entropy'));
    const tip = (await page.textContent('#tooltip')) ?? '';
    assert.match(tip, new RegExp(`cluster ${target.cluster}`));
    assert.match(tip, new RegExp(`${target.channels.length} channels?: ${target.channels.join(', ')}`));
    await screenshot(page, 'network-lenet');
    await page.mouse.move(0, 0);
    await setTheme(page, 'dark');
    await screenshot(page, 'network-lenet-dark');
    // The layer table is one click away.
    await page.click('[data-testid=overview-table]');
    await page.waitForSelector('table.architecture tbody tr');
    assert.equal(await page.locator(CANVAS).count(), 0);
    await page.click('[data-testid=overview-network]');
    await page.waitForSelector(CANVAS);
    await closeChecked(page, problems);
  });

  it('a click on a cluster selects exactly its channels in the slicer and the Channel view', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser());
    await page.waitForSelector(CANVAS);
    const drawn = await drawnClusters(page);
    // A cluster of a conv layer that holds some but not all of its channels.
    const target =
      drawn.find((c) => c.layer > 1 && c.channels.length > 1 && c.channels.length < f.manifest.layers[c.layer].channels) ?? drawn[0];
    const name = f.manifest.layers[target.layer].name;
    await clickCluster(page, target);
    // The slicer: the layer is in the slice, its channel field holds exactly the cluster's channels, applied.
    const field = page.locator(`input[aria-label^="Channels of ${name}"]`);
    await page.waitForFunction(
      ({ label, expected }) => {
        const el = document.querySelector<HTMLInputElement>(`input[aria-label^="${label}"]`);
        return el !== null && el.value.trim() !== '' && el.value !== expected;
      },
      { label: `Channels of ${name}`, expected: '' },
    );
    assert.deepEqual(parseRanges(await field.inputValue()), target.channels);
    assert.equal(await page.locator('[data-testid=apply-query]').count(), 1);
    await page.waitForSelector('text=applied');
    // The cluster is drawn selected, and the Channel view shows exactly its channels.
    await openView(page, 'channel');
    await page.waitForSelector(`${MULTIPLES}[data-channels="${target.channels.length}"]`);
    assert.equal(
      await page.getAttribute(MULTIPLES, 'data-order').then((o) =>
        o
          ?.split(',')
          .map(Number)
          .sort((a, b) => a - b)
          .join(','),
      ),
      target.channels.join(','),
    );
    assert.match((await page.textContent('#panel-channel .channel-toolbar')) ?? '', new RegExp(f.manifest.layers[target.layer].className));
    await closeChecked(page, problems);
  });

  it('draws a ResNet-style graph: the residual branches and their add merges, 512-channel layers, bands along the skips', async () => {
    const { data, last, manifest, answer } = resnetReport((await browserFixture()).manifest);
    const file = writePage(join(tempDir('cnn-slicer-network-'), 'resnet.html'), { data });
    const { page, problems } = await openPage(browser(), file, { width: 1400, height: 1000 });
    const started = Date.now();
    await page.waitForSelector(`${CANVAS}[data-epoch="${last}"]`);
    const drawMs = await page.getAttribute(CANVAS, 'data-draw-ms');
    const layoutMs = await page.getAttribute(CANVAS, 'data-layout-ms');
    // The bench figure "network graph drawn" (goal < 500 ms) for a ResNet-18-sized graph; printed, not asserted (CI is loaded).
    console.log(
      `      network graph drawn (${manifest.layers.length} layers, ${answer.clusters.length} clusters, ${answer.edges.length} edges): layout ${layoutMs} ms, draw ${drawMs} ms, page to canvas ${Date.now() - started} ms`,
    );
    assert.equal(Number(await page.getAttribute(CANVAS, 'data-nodes')), manifest.layers.length);
    assert.equal(Number(await page.getAttribute(CANVAS, 'data-clusters')), answer.clusters.length);
    assert.equal(Number(await page.getAttribute(CANVAS, 'data-bands')), answer.edges.length);
    // The graph keeps its branches: one link per graph edge, each add with its two inputs.
    assert.equal(
      Number(await page.getAttribute(CANVAS, 'data-links')),
      answer.nodes.reduce((s, n) => s + n.inputs.length, 0),
    );
    const adds = answer.nodes.filter((n) => n.merge === 'add');
    assert.equal(adds.length, 4);
    for (const n of adds) {
      assert.match((await page.textContent(`[data-testid=network-summary] > li[data-layer="${n.layer}"]`)) ?? '', /\(add of 2 inputs\)/);
    }
    // A merge is drawn after both of its inputs (left to right), and the skip branch beside the main one.
    const nodes = await page.$$eval('[data-testid=network-summary] > li', (els) =>
      els.map((el) => ({
        layer: Number(el.getAttribute('data-layer')),
        x: Number(el.getAttribute('data-x')),
        y: Number(el.getAttribute('data-y')),
      })),
    );
    const at = new Map(nodes.map((n) => [n.layer, n]));
    for (const n of adds)
      for (const i of n.inputs) assert.ok(at.get(i)!.x < at.get(n.layer)!.x, `layer ${i} is drawn left of the add ${n.layer}`);
    const projection = answer.nodes.find((n) => manifest.layers[n.layer].name === 'block2_shortcut_conv')!;
    const mainBranch = answer.nodes.find((n) => manifest.layers[n.layer].name === 'block2_conv_a')!;
    assert.equal(
      at.get(projection.layer)!.x,
      at.get(mainBranch.layer)!.x,
      'the projection shortcut sits in the same column as the first conv of its block',
    );
    assert.notEqual(at.get(projection.layer)!.y, at.get(mainBranch.layer)!.y);
    // Clusters per node as answered; the widest layers have 512 channels.
    const drawn = await drawnClusters(page);
    for (const n of answer.nodes.filter((x) => x.clustered))
      assert.equal(drawn.filter((c) => c.layer === n.layer).length, answer.clusters.filter((c) => c.layer === n.layer).length);
    assert.ok((await distinctColours(page)) > 30);
    await screenshot(page, 'network-resnet');
    // A click on a cluster of a 512-channel layer selects exactly its channels.
    const wide = drawn.find((c) => manifest.layers[c.layer].channels === 512 && c.channels.length > 1)!;
    await clickCluster(page, wide);
    const name = manifest.layers[wide.layer].name;
    await page.waitForFunction(
      (label) => (document.querySelector<HTMLInputElement>(`input[aria-label^="${label}"]`)?.value ?? '') !== '',
      `Channels of ${name}`,
    );
    assert.deepEqual(parseRanges(await page.inputValue(`input[aria-label^="Channels of ${name}"]`)), wide.channels);
    await page.mouse.move(0, 0);
    await setTheme(page, 'dark');
    await screenshot(page, 'network-resnet-dark');
    // Keyboard: the canvas takes focus, arrows walk the clusters, Enter selects one.
    await page.focus(CANVAS);
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() =>
      /Enter selects its channels/.test(document.querySelector('.network-graph p.sr-only')?.textContent ?? ''),
    );
    await closeChecked(page, problems);
  });
  it("shows two runs' networks side by side in the comparison view", async () => {
    const f = await browserFixture();
    const a = resnetNetwork(f.manifest);
    const b = resnetNetwork(f.manifest);
    b.manifest.id = 'resnet-style-b';
    // Run B trained less: the same graph with every edge at half the bits, so its bands are thinner.
    b.answer.edges = b.answer.edges.map((e) => ({ ...e, bits: e.bits === null ? null : e.bits / 2 }));
    const run = (r: typeof a) => ({
      runId: r.manifest.id,
      manifest: r.manifest,
      answers: { [canonicalQuery({ kind: 'networkGraph', epoch: r.answer.epoch })]: { answer: r.answer } },
      coverage: 'a synthetic ResNet-style network graph',
    });
    const data: ReportData = {
      formatVersion: 1,
      runId: a.manifest.id,
      createdAt: new Date().toISOString(),
      manifest: a.manifest,
      answers: {},
      coverage: 'two synthetic runs compared',
      runs: [run(a), run(b)],
    };
    const file = writePage(join(tempDir('cnn-slicer-network-'), 'compare.html'), { data });
    const { page, problems } = await openPage(browser(), file, { width: 1400, height: 1000 });
    await page.click('[data-testid=compare-networks-toggle]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=run-network] [data-testid=network-canvas]').length === n, 2);
    const counts = await page.$$eval('[data-testid=run-network]', (els) =>
      els.map((el) => ({
        run: el.getAttribute('data-run'),
        nodes: Number(el.querySelector('[data-testid=network-canvas]')!.getAttribute('data-nodes')),
        bands: Number(el.querySelector('[data-testid=network-canvas]')!.getAttribute('data-bands')),
      })),
    );
    assert.deepEqual(
      counts.map((c) => [c.nodes, c.bands]),
      [
        [a.manifest.layers.length, a.answer.edges.length],
        [b.manifest.layers.length, b.answer.edges.length],
      ],
    );
    // Side by side: the second graph starts to the right of the first, on the same row.
    const boxes = await page.$$eval('[data-testid=run-network]', (els) => els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect));
    assert.ok(boxes[1].left >= boxes[0].right - 1 && Math.abs(boxes[1].top - boxes[0].top) < 2);
    await page.locator('[data-testid=compare-networks-toggle]').scrollIntoViewIfNeeded();
    await screenshot(page, 'network-compare');
    await closeChecked(page, problems);
  });
  it('draws a recorded graph model as the service answers it: the residual add and the concatenation with both their inputs', async function () {
    // A real run of test/fixtures/models/graphBranches.ts (two branches, an add, a concatenation, a nested model):
    // the checked-in fixture run test/fixtures/runs/graph-branches, and its report.
    const { runs, folder, manifest } = copyFixtureRun('graph-branches', 'cnn-slicer-network-graph-');
    const dir = dirname(runs);
    const out = join(dir, 'report.html');
    await writeReport({
      runFolder: folder,
      out,
      maxEpochs: 1,
      deconvolutionChannels: 1,
      datasetDiversity: false,
      theme: 'light',
      maxSeconds: Number.POSITIVE_INFINITY,
    });
    const { page, problems } = await openPage(browser(), out);
    const last = manifest.epochs[manifest.epochs.length - 1];
    await page.waitForSelector(`${CANVAS}[data-epoch="${last}"]`);
    const answer = await embedded<NetworkGraphAnswer>(page, { kind: 'networkGraph', epoch: last });
    assert.equal(Number(await page.getAttribute(CANVAS, 'data-nodes')), manifest.layers.length);
    assert.equal(
      Number(await page.getAttribute(CANVAS, 'data-links')),
      answer.nodes.reduce((n, x) => n + x.inputs.length, 0),
    );
    assert.equal(Number(await page.getAttribute(CANVAS, 'data-bands')), answer.edges.filter((e) => e.bits !== null).length);
    const index = (name: string) => manifest.layers.findIndex((l) => l.name === name);
    const text = async (layer: number) => (await page.textContent(`[data-testid=network-summary] > li[data-layer="${layer}"]`)) ?? '';
    assert.match(await text(index('residual')), /\(add of 2 inputs\)/);
    assert.match(await text(index('joined')), /\(concatenate of 2 inputs\)/);
    const drawn = await drawnClusters(page);
    for (const n of answer.nodes.filter((x) => x.clustered))
      assert.equal(drawn.filter((c) => c.layer === n.layer).length, answer.clusters.filter((c) => c.layer === n.layer).length);
    // Bands reach the add from both of its inputs (the stem, along the skip, and a2).
    const bandsInto = answer.edges.filter((e) => e.toLayer === index('residual') && e.bits !== null);
    assert.deepEqual(
      [...new Set(bandsInto.map((e) => e.fromLayer))].sort((a, b) => a - b),
      [index('stem'), index('a2')].sort((a, b) => a - b),
    );
    await screenshot(page, 'network-graph-branches');
    await closeChecked(page, problems);
  });
});
