// The network graph of a deep model opens on an overview that fits the panel (issue 66): a PyTorch
// ResNet18's 68 layers grouped by their dotted names (`layer1` … `layer4`), each stage collapsed to
// one node; a click or Enter on a stage expands it into its blocks, a block into its layers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserFixture, closeChecked, openPage, screenshot, tempDir, useBrowser, writePage } from './harness';
import { resnet18Network, resnetReport } from './resnetNetwork';

const CANVAS = '[data-testid=network-canvas]';

interface SummaryNode {
  layer: number;
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The layer nodes drawn, in the layout's order (the keyboard's), from the graph's text summary. */
function drawnNodes(page: Page): Promise<SummaryNode[]> {
  return page.$$eval('[data-testid=network-summary] > li', (els) =>
    els.map((el) => ({
      layer: Number(el.getAttribute('data-layer')),
      text: [...el.childNodes]
        .filter((c) => c.nodeName !== 'UL')
        .map((c) => c.textContent ?? '')
        .join('')
        .trim(),
      x: Number(el.getAttribute('data-x')),
      y: Number(el.getAttribute('data-y')),
      w: Number(el.getAttribute('data-w')),
      h: Number(el.getAttribute('data-h')),
    })),
  );
}

/** How far the graph, as drawn, reaches past the panel's right edge, px (0 or less: it fits). */
function pastTheEdge(page: Page): Promise<number> {
  return page.$eval(CANVAS, (el) => el.getBoundingClientRect().right - document.documentElement.clientWidth);
}

describe('browser: the network graph of a deep model opens on its overview', function () {
  const browser = useBrowser(this);

  it('collapses a 68-layer ResNet18 to its stages, fitting the panel, and expands a stage and a block', async () => {
    const { data, last, manifest, answer } = resnetReport((await browserFixture()).manifest, resnet18Network);
    assert.equal(answer.nodes.length, 68);
    const index = (name: string) => manifest.layers.findIndex((l) => l.name === name);
    const file = writePage(join(tempDir('cnn-slicer-network-overview-'), 'resnet18.html'), { data });
    const { page, problems } = await openPage(browser(), file, { width: 1280, height: 900 });
    await page.waitForSelector(`${CANVAS}[data-epoch="${last}"]`);

    // The overview: the stem, the four stages as one node each, the pooling and the classifier.
    let nodes = await drawnNodes(page);
    assert.deepEqual(
      nodes.map((n) => n.layer),
      [
        'input',
        'conv1',
        'bn1',
        'relu',
        'layer1.1.relu_1',
        'layer2.1.relu_1',
        'layer3.1.relu_1',
        'layer4.1.relu_1',
        'avg_pool2d',
        'linear',
      ].map(index),
    );
    assert.ok(
      nodes.some((n) => n.text.startsWith('layer3:')),
      nodes.map((n) => n.text).join(' | '),
    );
    const past = await pastTheEdge(page);
    assert.ok(past <= 0, `the overview fits the panel’s width (${past} px past its edge)`);
    assert.ok(Number(await page.getAttribute(CANVAS, 'data-zoom')) >= 0.7, 'at a readable zoom (70 % or more)');
    assert.deepEqual(
      await page.$$eval('.network-groups button.network-group[aria-expanded=false]', (bs) => bs.map((b) => b.getAttribute('data-group'))),
      ['layer1', 'layer2', 'layer3', 'layer4'],
    );
    await screenshot(page, 'network-overview-resnet18');

    // A click on the layer2 node expands it into its two blocks.
    const zoom = Number(await page.getAttribute(CANVAS, 'data-zoom'));
    const margin = Number(await page.getAttribute(CANVAS, 'data-margin'));
    const stage = nodes.find((n) => n.layer === index('layer2.1.relu_1'))!;
    await page
      .locator(CANVAS)
      .click({ position: { x: (margin + stage.x + stage.w / 2) * zoom, y: (margin + stage.y + stage.h / 2) * zoom } });
    await page.waitForSelector('.network-groups button[data-group="layer2"][aria-expanded=true]');
    nodes = await drawnNodes(page);
    const drawn = new Set(nodes.map((n) => n.layer));
    assert.ok(drawn.has(index('layer2.0.relu_1')) && drawn.has(index('layer2.1.relu_1')), 'layer2’s two blocks are drawn');
    assert.ok(!drawn.has(index('layer2.0.conv1')), 'each block still collapsed');
    assert.equal(nodes.length, 11);

    // Enter on the block layer2.0 (the keyboard's cursor moved to it) expands it into its layers.
    const at = nodes.findIndex((n) => n.layer === index('layer2.0.relu_1'));
    await page.locator(CANVAS).focus();
    for (let k = 0; k < at; k++) await page.keyboard.press('ArrowRight');
    // The first arrow puts the cursor on the first node.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.network-groups button[data-group="layer2.0"][aria-expanded=true]');
    nodes = await drawnNodes(page);
    for (const name of ['layer2.0.conv1', 'layer2.0.bn1', 'layer2.0.relu', 'layer2.0.conv2', 'layer2.0.bn2', 'layer2.0.add'])
      assert.ok(
        nodes.some((n) => n.layer === index(name)),
        `${name} drawn`,
      );
    // Its shortcut (a module of two layers) is a group of its own, collapsed.
    assert.equal(nodes.find((n) => n.layer === index('layer2.0.shortcut.1'))?.text, 'layer2.0.shortcut: not clustered');
    assert.ok(!nodes.some((n) => n.layer === index('layer2.0.shortcut.0')));
    const conv = nodes.find((n) => n.layer === index('layer2.0.conv1'))!;
    assert.match(conv.text, /: \d+ clusters$/, 'an expanded layer is drawn with its clusters');
    await screenshot(page, 'network-overview-resnet18-expanded');

    // Everything expanded is the whole graph, wider than the panel: the overview is what fits.
    await page.click('.network-groups button:text("Expand all")');
    await page.waitForFunction((s) => Number(document.querySelector(s)?.getAttribute('data-nodes')) === 68, CANVAS);
    const whole = await pastTheEdge(page);
    assert.ok(
      whole > 0 || Number(await page.getAttribute(CANVAS, 'data-zoom')) < 0.8,
      `the whole graph does not fit at a readable zoom (${whole} px past the edge)`,
    );
    await page.click('.network-groups button:text("Collapse all")');
    await page.waitForFunction((s) => Number(document.querySelector(s)?.getAttribute('data-nodes')) === 10, CANVAS);
    await closeChecked(page, problems);
  });
});
