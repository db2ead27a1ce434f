// How soon each query is needed, as the views say it to the host (src/contract/webviewProtocol.ts, `priority`):
// the webview in VS Code mode in a real browser, in front of a host that records every query and
// answers it. The Layer view shows the last epoch's capacity matrix (on screen: `visible`) and then
// prefetches the pair at every other epoch: the neighbours a slider step or playback shows next as
// `soon`, the rest, off screen, as `background`. The Channel view asks the channel entropies it
// shows as `visible` and those of the epochs either side as `soon`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Query, QueryPriority } from '../../src/contract/queries';
import type { Page } from 'playwright-core';
import type { RunManifest } from '../../src/contract/runFormat';
import { defaultLayers } from '../../webview/state';
import { PROTOCOL_VERSION } from '../../src/contract/webviewProtocol';
import {
  browserFixture,
  closeChecked,
  fakeCapacityMatrix,
  newCheckedPage,
  openView,
  postToPage,
  screenshot,
  useBrowser,
  writePage,
  stubVsCodeApi,
} from './harness';

/** Eight recorded epochs: enough for neighbours and epochs further off. */
const EPOCHS = [0, 1, 2, 3, 4, 5, 6, 7];

interface Asked {
  id: number;
  query: Query;
  priority: QueryPriority | undefined;
}

describe('browser: the priority each view gives its queries', function () {
  const browser = useBrowser(this);

  /**
   * Opens a panel whose host records every query and answers the run (with `EPOCHS`), capacity
   * matrices, small multiples and channel entropies at any epoch; anything else is refused in place.
   * `done` says when the queries the test waits for have all been asked.
   */
  async function openPanel(done: (asked: Asked[]) => boolean, hold: (q: Query) => boolean = () => false) {
    const f = await browserFixture();
    const manifest: RunManifest = { ...f.manifest, epochs: EPOCHS };
    const pageFile = writePage(join(f.dir, 'priority-panel.html'), { theme: 'light' });
    const { page, problems } = await newCheckedPage(browser());
    const asked: Asked[] = [];
    /** The ids of the queries the page cancelled. */
    const cancelled = new Set<number>();
    let allAsked!: () => void;
    const finished = new Promise<void>((resolve) => (allAsked = resolve));
    const post = postToPage(page);
    await page.exposeFunction('__cnnSlicerToHost', (text: string) => {
      const m = JSON.parse(text) as { type: string; id?: number; query?: Query; priority?: QueryPriority };
      if (m.type === 'webview/ready') post({ type: 'host/hello', protocolVersion: PROTOCOL_VERSION, theme: 'light', runId: manifest.id });
      if (m.type === 'webview/cancel' && m.id !== undefined) cancelled.add(m.id);
      if (m.type !== 'webview/query' || !m.query || m.id === undefined) return;
      asked.push({ id: m.id, query: m.query, priority: m.priority });
      if (done(asked)) allAsked();
      // A held query waits, as one queued behind others in the service would.
      if (hold(m.query)) return;
      const answer = answerOf(manifest, m.query);
      if (answer !== undefined) post({ type: 'host/answer', id: m.id, answer, cached: false, ms: 1 });
      else post({ type: 'host/error', id: m.id, code: 'unsupported', message: `the test host answers no ${m.query.kind} query` });
    });
    await stubVsCodeApi(page, { keepState: false });
    await page.goto(`file://${pageFile}`);
    await page.waitForSelector('.run-header');
    return { page, manifest, asked, cancelled, finished, problems };
  }

  it('asks the capacity matrix on screen as visible, its neighbouring epochs as soon and the others as background', async () => {
    const last = EPOCHS[EPOCHS.length - 1];
    const matrixEpochs = (asked: Asked[]) => new Set(asked.flatMap((a) => (a.query.kind === 'capacityMatrix' ? [a.query.epoch] : [])));
    const { page, manifest, asked, finished, problems } = await openPanel((a) => EPOCHS.every((e) => matrixEpochs(a).has(e)));
    const [layerI, layerJ] = defaultLayers(manifest);
    await openView(page, 'layer');
    await page.waitForSelector(`#panel-layer canvas.heatmap-canvas[data-drawn-epoch="${last}"]`);
    await finished;
    await screenshot(page, 'query-priority-layer');

    const matrixPriority = new Map<number, QueryPriority | undefined>();
    for (const a of asked) {
      if (a.query.kind !== 'capacityMatrix' || a.query.layerI !== layerI || a.query.layerJ !== layerJ) continue;
      assert.equal(matrixPriority.has(a.query.epoch), false, `the matrix at epoch ${a.query.epoch} is asked once`);
      matrixPriority.set(a.query.epoch, a.priority);
    }
    assert.equal(matrixPriority.get(last), 'visible', 'the matrix on screen');
    // The epoch before the last and the first (the prefetch goes round from the last to the first).
    assert.equal(matrixPriority.get(last - 1), 'soon');
    assert.equal(matrixPriority.get(0), 'soon');
    for (const e of EPOCHS.slice(1, -2)) assert.equal(matrixPriority.get(e), 'background', `the matrix at epoch ${e}, off screen`);
    // Every query says how soon it is needed; the run's manifest is on screen.
    assert.deepEqual(
      asked.filter((a) => a.priority === undefined).map((a) => a.query.kind),
      [],
    );
    assert.equal(asked.find((a) => a.query.kind === 'run')?.priority, 'visible');
    await closeChecked(page, problems);
  });

  it('asks the channel entropies on screen as visible and those of the epochs either side as soon', async () => {
    const entropyPriorities = (asked: Asked[]) =>
      asked.flatMap((a) => (a.query.kind === 'channelEntropies' ? [`${a.query.epoch} ${a.priority ?? 'none'}`] : []));
    // Shown: epoch 3, after the last epoch (7) first.
    const { page, asked, finished, problems } = await openPanel((a) =>
      ['3 visible', '2 soon', '4 soon'].every((p) => entropyPriorities(a).includes(p)),
    );
    await openView(page, 'channel');
    await page.waitForSelector('#panel-channel svg.packing[aria-label*="at epoch 7"]');
    await page.$eval(
      '#panel-channel input[type=range][aria-label=Epoch]',
      (el, v) => {
        (el as HTMLInputElement).value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      },
      3,
    );
    await page.waitForSelector('#panel-channel svg.packing[aria-label*="at epoch 3"]');
    await finished;
    await screenshot(page, 'query-priority-channel');
    const got = entropyPriorities(asked);
    assert.equal(got[0], '7 visible', got.join(', '));
    assert.ok(got.includes('6 soon'), `the epoch before the last, next when stepping back: ${got.join(', ')}`);
    assert.equal(
      got.filter((p) => p.endsWith('background')).length,
      0,
      `the Channel view prefetches only the neighbours of the epoch shown: ${got.join(', ')}`,
    );
    for (const kind of ['smallMultiples', 'run'])
      assert.equal(asked.find((a) => a.query.kind === kind)?.priority, 'visible', `the ${kind} answer is on screen`);
    await closeChecked(page, problems);
  });

  /** The Channel view's own queries, which the host below holds (as a service busy with them would). */
  const channelKinds = new Set<string>(['smallMultiples', 'channelEntropies']);
  const isChannel = (q: Query) => channelKinds.has(q.kind);
  const showAllViews = (page: Page) =>
    page.evaluate(() => {
      const box = document.querySelector('.run-tools vscode-checkbox') as HTMLInputElement;
      box.checked = true;
      box.dispatchEvent(new Event('change', { bubbles: true }));
    });

  it('cancels the queries of the tab the user left, and the Layer view asks its own as visible', async () => {
    const { page, asked, cancelled, problems } = await openPanel(() => false, isChannel);
    await openView(page, 'channel');
    await page.waitForFunction(() => document.querySelector('#panel-channel') !== null);
    for (let i = 0; i < 50 && !asked.some((a) => isChannel(a.query)); i++) await page.waitForTimeout(100);
    const waiting = asked.filter((a) => isChannel(a.query));
    assert.ok(waiting.length > 0, 'the Channel view asked its queries');
    const before = asked.length;
    await openView(page, 'layer');
    await page.waitForSelector('#panel-layer canvas.heatmap-canvas[data-drawn-epoch]');
    for (let i = 0; i < 20 && !waiting.every((a) => cancelled.has(a.id)); i++) await page.waitForTimeout(100);
    assert.deepEqual(
      waiting.filter((a) => !cancelled.has(a.id)).map((a) => a.query.kind),
      [],
      'every query of the Channel view left is cancelled',
    );
    const layer = asked.slice(before).find((a) => a.query.kind === 'capacityMatrix');
    assert.equal(layer?.priority, 'visible', 'the Layer view on screen asks as visible');
    await closeChecked(page, problems);
  });

  it('with All views, cancels the queries of a view scrolled away, asks again as visible when it is back, and views drawn ahead ask as background', async () => {
    const { page, asked, cancelled, problems } = await openPanel(() => false, isChannel);
    await openView(page, 'channel');
    for (let i = 0; i < 50 && !asked.some((a) => isChannel(a.query)); i++) await page.waitForTimeout(100);
    const first = asked.filter((a) => isChannel(a.query));
    assert.ok(first.length > 0 && first.every((a) => a.priority === 'visible' || a.priority === 'soon'), 'asked on screen');
    // All five views one under the other: the Channel view, fourth, is below the window.
    await showAllViews(page);
    await page.waitForSelector('#panel-channel .view-presence[data-presence="left"]');
    for (let i = 0; i < 20 && !first.every((a) => cancelled.has(a.id)); i++) await page.waitForTimeout(100);
    assert.deepEqual(
      first.filter((a) => !cancelled.has(a.id)).map((a) => a.query.kind),
      [],
      'the queries of the view scrolled away are cancelled',
    );
    const sinceAll = asked.length;
    // The view at the top is on screen; whatever a view drawn ahead of scrolling asks waits behind it.
    await page.waitForSelector('#panel-query .view-presence[data-presence="on"]');
    await page.waitForTimeout(500);
    for (const a of asked.slice(sinceAll)) {
      if (isChannel(a.query)) assert.fail(`the Channel view, scrolled away, asked ${a.query.kind} while away`);
    }
    const presences = await page.$$eval('.view-presence', (els) =>
      els.map((e) => `${e.closest<HTMLElement>('[data-view]')?.dataset.view} ${e.getAttribute('data-presence')}`),
    );
    for (const a of asked.slice(sinceAll))
      if (a.query.kind === 'capacityMatrix' && presences.includes('layer ahead'))
        assert.equal(a.priority, 'background', `the Layer view drawn ahead asks as background (${presences.join(', ')})`);
    // Scrolled to, the Channel view asks what it waits for again, as visible.
    const beforeBack = asked.length;
    await page.$eval('#panel-channel', (el) => el.scrollIntoView());
    await page.waitForSelector('#panel-channel .view-presence[data-presence="on"]');
    for (let i = 0; i < 20 && !asked.slice(beforeBack).some((a) => isChannel(a.query)); i++) await page.waitForTimeout(100);
    const again = asked.slice(beforeBack).filter((a) => a.query.kind === 'smallMultiples');
    assert.ok(
      again.length > 0,
      `the Channel view asks again: ${asked
        .slice(beforeBack)
        .map((a) => a.query.kind)
        .join(', ')}`,
    );
    assert.ok(
      again.every((a) => a.priority === 'visible'),
      again.map((a) => a.priority).join(', '),
    );
    await screenshot(page, 'query-priority-all-views');
    await closeChecked(page, problems);
  });
});

/** The test host's answers: shapes from the manifest, values that depend on the epoch; undefined for any other kind. */
function answerOf(manifest: RunManifest, q: Query): unknown {
  const classes = manifest.dataset.classNames.length;
  const series = (channels: number, k: number) => Array.from({ length: channels }, (_, c) => 1 + ((c * 3 + k) % 7) / 3);
  switch (q.kind) {
    case 'run':
      return { manifest, notes: [] };
    case 'capacityMatrix':
      return q.x ? undefined : fakeCapacityMatrix(manifest, q.layerI, q.layerJ, q.epoch);
    case 'smallMultiples': {
      const channels = manifest.layers[q.layer].channels;
      const overEpochs = (k: number) => Array.from({ length: channels }, (_, c) => EPOCHS.map((e) => 1 + ((c + e + k) % 5) / 2));
      return {
        layer: q.layer,
        epochs: EPOCHS,
        channels,
        all: overEpochs(0),
        perClass: Array.from({ length: classes }, (_, k) => overEpochs(k + 1)),
        deadChannels: EPOCHS.map(() => []),
      };
    }
    case 'channelEntropies': {
      const channels = manifest.layers[q.layer].channels;
      return {
        layer: q.layer,
        epoch: q.epoch,
        inputCount: manifest.probe.size,
        all: series(channels, q.epoch),
        perClass: Array.from({ length: classes }, (_, k) => series(channels, q.epoch + k + 1)),
        classCounts: manifest.probe.classCounts,
        source: 'summary',
      };
    }
    default:
      return undefined;
  }
}
