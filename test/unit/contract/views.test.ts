// The views' table (src/contract/views.ts): every list of the views is derived from it, so a view
// added to the table is a tab, a protocol id, a finding destination with a name and a part of the
// report plan, with nothing else to edit but its component (webview/App.tsx) and its plan part.
import assert from 'node:assert/strict';
import { evidenceFocus, VIEW_TITLES } from '../../../src/contract/findingsText';
import { assemblePlan, queries, REPORT_PLAN_OF_VIEW, reportPlan } from '../../../src/contract/plan';
import type { ViewPlan } from '../../../src/contract/plan';
import { canonicalQuery } from '../../../src/contract/queries';
import type { Finding } from '../../../src/contract/queries';
import {
  FINDING_VIEWS,
  findingViewIds,
  REPORT_STAGES,
  TAB_TITLES,
  tabIds,
  tabTitles,
  VIEW_IDS,
  viewNames,
  VIEWS,
} from '../../../src/contract/views';
import { parseAnswer, parseHostMessage, parseWebviewMessage, PROTOCOL_VERSION } from '../../../src/contract/webviewProtocol';
import { planLayer as layer, planManifest } from '../../support/planManifest';

const manifest = planManifest(
  [layer(0, 'input', 'InputLayer', 1), layer(1, 'conv1', 'Conv2D', 4), layer(2, 'conv2', 'Conv2D', 8), layer(3, 'dense', 'Dense', 1)],
  [0, 1, 2, 3],
);
const options = { epochs: [1, 3], datasetDiversity: false, deconvolutionChannels: 2 };

const finding = (view: Finding['view']): Finding => ({
  kind: 'dead-channels',
  severity: 'warning',
  layer: 1,
  epoch: 3,
  message: 'm',
  detail: 'd',
  evidence: {},
  view,
});

describe('the views: one descriptor each (src/contract/views.ts)', () => {
  it('derives the tabs, their titles, the finding destinations and their names from the table', () => {
    assert.deepEqual(VIEW_IDS, ['query', 'training', 'layer', 'channel', 'information']);
    assert.deepEqual(
      VIEW_IDS,
      VIEWS.filter((v) => 'tab' in v).map((v) => v.id),
    );
    for (const v of VIEWS) if ('tab' in v) assert.equal(TAB_TITLES[v.id], v.tab);
    assert.deepEqual(Object.keys(TAB_TITLES), [...VIEW_IDS]);
    assert.deepEqual(
      FINDING_VIEWS,
      VIEWS.filter((v) => v.findings).map((v) => v.id),
    );
    assert.deepEqual(FINDING_VIEWS, [...VIEW_IDS, 'compare'], 'the comparison of runs is a destination, not a tab');
    for (const v of VIEWS) assert.equal(VIEW_TITLES[v.id], v.name);
    assert.equal(new Set(VIEWS.map((v) => v.id)).size, VIEWS.length, 'each view is declared once');
  });

  it("has the protocol accept exactly the tabs as a message's view", () => {
    for (const view of VIEW_IDS) {
      assert.deepEqual(parseHostMessage({ type: 'host/focus', focus: { view } }), { type: 'host/focus', focus: { view } });
      const query = { type: 'webview/query', id: 1, view, query: { kind: 'run' } };
      assert.equal(parseWebviewMessage(query)?.type, 'webview/query', view);
    }
    for (const view of ['compare', 'network', '']) {
      assert.equal(parseHostMessage({ type: 'host/focus', focus: { view } }), undefined, view);
      assert.equal(parseWebviewMessage({ type: 'webview/query', id: 1, view, query: { kind: 'run' } }), undefined, view);
    }
    assert.ok(parseWebviewMessage({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION }));
  });

  it('resolves every finding view to a descriptor: a tab it focuses, or the comparison (another panel)', () => {
    const ids = VIEWS.map((v) => v.id) as string[];
    for (const view of FINDING_VIEWS) {
      assert.ok(ids.includes(view), view);
      assert.ok(VIEW_TITLES[view], view);
      const f = finding(view === 'compare' ? { view, run: 'other' } : { view, layer: 1 });
      const answer = { epoch: 3, findings: [f], thresholds: {}, skipped: [] };
      assert.equal(parseAnswer('findings', answer).problem, undefined, view);
      const target = evidenceFocus(f, manifest);
      if ((VIEW_IDS as readonly string[]).includes(view)) assert.equal(target?.focus.view, view);
      else assert.equal(target, undefined, 'a destination that is not a tab opens through the host');
    }
    const stray = { epoch: 3, findings: [finding({ view: 'network' } as never)], thresholds: {}, skipped: [] };
    assert.notEqual(parseAnswer('findings', stray).problem, undefined, 'a finding cannot point at an undeclared view');
  });

  it('plans a report as the views’ parts, stage by stage in tab order', () => {
    assert.deepEqual(Object.keys(REPORT_PLAN_OF_VIEW).sort(), [...VIEW_IDS].sort(), 'every tab has its part of the report');
    const plan = reportPlan(manifest, options);
    const parts = VIEW_IDS.map((id) => ({ id, part: REPORT_PLAN_OF_VIEW[id](manifest, options) }));
    const expected = REPORT_STAGES.flatMap((s) =>
      parts.flatMap(({ id, part }) => (part[s] ?? []).map((q) => `${id} ${canonicalQuery(q)}`)),
    );
    assert.deepEqual(
      plan.map((p) => `${p.view} ${canonicalQuery(p.query)}`),
      expected,
    );
    const keys = plan.map((p) => canonicalQuery(p.query));
    assert.equal(plan[0].query.kind, 'findings', 'the findings head the page and are computed first');
    // The network graph's edges are the capacities computed before it, cached.
    const firstGraph = keys.findIndex((k) => k.includes('"networkGraph"'));
    const lastCapacity = Math.max(...keys.map((k, i) => (k.includes('"capacityMatrix"') || k.includes('"layerCapacity"') ? i : -1)));
    assert.ok(firstGraph > lastCapacity, 'the network graphs come after every capacity');
    const importance = keys.findIndex((k) => k.includes('"channelImportance"'));
    assert.ok(importance > firstGraph, 'channel importance comes last');
  });

  it('makes a view added to the table a tab, a finding destination, a name and a part of the plan', () => {
    const table = [
      ...VIEWS.slice(0, -1),
      { id: 'network', tab: 'Network', name: 'Network view', findings: true },
      ...VIEWS.slice(-1),
    ] as const;
    assert.deepEqual(tabIds(table), [...VIEW_IDS, 'network']);
    assert.equal(tabTitles(table).network, 'Network');
    assert.deepEqual(findingViewIds(table), [...VIEW_IDS, 'network', 'compare']);
    assert.equal(viewNames(table).network, 'Network view');
    const network: ViewPlan = () => ({ views: [queries.smallMultiples(2)], last: [queries.run()] });
    const plan = assemblePlan(tabIds(table), { ...REPORT_PLAN_OF_VIEW, network }, manifest, options);
    const own = plan.filter((p) => p.view === 'network').map((p) => p.query);
    assert.deepEqual(own, [queries.smallMultiples(2), queries.run()]);
    // Its queries sit in their stages: after the other views' own answers, before what is built on them.
    const at = (view: string, kind: string) => plan.findIndex((p) => p.view === view && p.query.kind === kind);
    assert.ok(at('network', 'smallMultiples') > at('information', 'informationPlane'));
    assert.ok(at('network', 'smallMultiples') < at('query', 'networkGraph'));
    assert.ok(at('network', 'run') > at('information', 'channelImportance'));
    assert.deepEqual(
      plan.filter((p) => p.view !== 'network'),
      reportPlan(manifest, options),
      'the other views plan as before',
    );
  });
});
