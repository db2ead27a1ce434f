// The Network view's geometry (webview/charts/networkLayout.ts): layers left to right in graph
// order, a residual branch drawn beside the main one, clusters packed inside their node with area
// ∝ channels, bands with width ∝ bits bundled between their clusters.
import assert from 'node:assert/strict';
import type { NetworkCluster, NetworkEdge, NetworkGraphAnswer, NetworkNode } from '../../../../src/contract/queries';
import {
  BAND_PX_PER_BIT,
  bandWidthPx,
  classOrder,
  clusterAt,
  HEADER_HEIGHT,
  layoutNetwork,
  MAX_BAND_PX,
  MIN_BAND_PX,
  MIN_CLUSTER_HEIGHT,
  MIN_CLUSTER_WIDTH,
  titleWidth,
} from '../../../../webview/charts/networkLayout';

/** input → conv1 → conv2 → conv3 → add(conv1, conv3) → dense: one residual skip over conv2 and conv3. */
function residual(): { answer: NetworkGraphAnswer; channels: number[] } {
  const channels = [1, 6, 6, 6, 6, 1];
  const nodes: NetworkNode[] = [
    { layer: 0, inputs: [], clustered: false },
    { layer: 1, inputs: [0], clustered: true },
    { layer: 2, inputs: [1], clustered: true },
    { layer: 3, inputs: [2], clustered: true },
    { layer: 4, inputs: [1, 3], merge: 'add', clustered: true },
    { layer: 5, inputs: [4], clustered: false },
  ];
  const sizes = [[0, 1, 2], [3], [4, 5]];
  const clusters: NetworkCluster[] = [1, 2, 3, 4].flatMap((layer) =>
    sizes.map((members, cluster) => ({
      layer,
      cluster,
      channels: members,
      meanEntropyBits: 1,
      topInputs: [cluster],
      classMeans: [0.1 * cluster, 0.5, null],
    })),
  );
  const edges: NetworkEdge[] = [
    [1, 2],
    [2, 3],
    [3, 4],
    [1, 4],
  ].flatMap(([fromLayer, toLayer]) =>
    [0, 1, 2].map((k) => ({ fromLayer, fromCluster: k, toLayer, toCluster: (k + 1) % 3, bits: 0.5 + k })),
  );
  return { answer: { epoch: 1, nodes, clusters, edges, classCount: 3, inputCount: 10 }, channels };
}

const infos = (channels: number[]) => channels.map((c, index) => ({ index, name: `l${index}`, channels: c }));

describe('networkLayout', () => {
  it('lays the layers out left to right in graph order and draws a residual skip beside the main branch', () => {
    const { answer, channels } = residual();
    const layout = layoutNetwork(answer, infos(channels));
    const box = new Map(layout.nodes.map((n) => [n.layer, n]));
    assert.equal(layout.nodes.length, 6);
    for (const n of answer.nodes) for (const i of n.inputs) assert.ok(box.get(i)!.x + box.get(i)!.width < box.get(n.layer)!.x);
    // One link per graph edge; the skip 1 → 4 bends around conv2 and conv3 (it has bend points between them).
    assert.equal(layout.links.length, 6);
    const skip = layout.links.find((l) => l.from === 1 && l.to === 4)!;
    assert.ok(skip.points.length > 2);
    // No two nodes overlap.
    for (const a of layout.nodes)
      for (const b of layout.nodes)
        if (a !== b) assert.ok(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y);
  });

  it("packs each layer's clusters inside its node, below the title, with area in proportion to their channels", () => {
    const { answer, channels } = residual();
    // Fitted to a tall panel, so every cluster is above the readable minimum and keeps its proportion.
    const layout = layoutNetwork(answer, infos(channels), { width: 900, height: 900 });
    for (const layer of [1, 2, 3, 4]) {
      const node = layout.nodes.find((n) => n.layer === layer)!;
      const mine = layout.clusters.filter((c) => c.cluster.layer === layer);
      assert.equal(mine.length, 3);
      for (const c of mine) {
        assert.ok(c.x >= node.x && c.x + c.width <= node.x + node.width);
        assert.ok(c.y >= node.y + HEADER_HEIGHT && c.y + c.height <= node.y + node.height);
      }
      const area = (k: number) => mine.find((c) => c.cluster.cluster === k)!;
      const a = (k: number) => area(k).width * area(k).height;
      // 3 : 1 : 2 channels (rounded to whole pixels and padded: within 20 %).
      assert.ok(Math.abs(a(0) / a(1) - 3) < 0.6, `${a(0) / a(1)}`);
      assert.ok(Math.abs(a(2) / a(1) - 2) < 0.4, `${a(2) / a(1)}`);
      // The cluster under a point is the one drawn there.
      assert.equal(clusterAt(layout, area(1).x + 1, area(1).y + 1), area(1));
    }
  });

  it('grows the nodes to fill the panel, keeps every cluster at a readable size and makes a node wide enough for its title', () => {
    const { answer, channels } = residual();
    const small = layoutNetwork(answer, infos(channels));
    const fitted = layoutNetwork(answer, infos(channels), { width: 1000, height: 700 });
    assert.ok(fitted.height > small.height * 1.5, `${small.height} → ${fitted.height}`);
    assert.ok(fitted.height <= 700 * 1.05 && fitted.width <= 1000 * 1.05, `${fitted.width} × ${fitted.height}`);
    for (const l of [small, fitted])
      for (const c of l.clusters) {
        // Squarified packing trades a little of one side for the other: within 15 % of the minimum on each side.
        assert.ok(c.width >= MIN_CLUSTER_WIDTH * 0.85, `cluster width ${c.width}`);
        assert.ok(c.height >= MIN_CLUSTER_HEIGHT * 0.85, `cluster height ${c.height}`);
      }
    const titled = infos(channels).map((l) => ({ ...l, title: `a_very_long_layer_name_${l.index} · Flatten` }));
    for (const n of layoutNetwork(answer, titled).nodes) assert.ok(n.width >= titleWidth(titled[n.layer].title));
  });

  it('draws every defined edge as a band from its source cluster to its target cluster, width in proportion to bits', () => {
    const { answer, channels } = residual();
    answer.edges.push({ fromLayer: 2, fromCluster: 0, toLayer: 3, toCluster: 0, bits: null });
    const layout = layoutNetwork(answer, infos(channels));
    assert.equal(layout.bands.length, answer.edges.length - 1, 'an undefined capacity draws no band');
    for (const b of layout.bands) {
      const from = layout.clusters.find((c) => c.cluster.layer === b.edge.fromLayer && c.cluster.cluster === b.edge.fromCluster)!;
      const to = layout.clusters.find((c) => c.cluster.layer === b.edge.toLayer && c.cluster.cluster === b.edge.toCluster)!;
      const [sx, sy] = b.points[0];
      const [tx, ty] = b.points[b.points.length - 1];
      assert.equal(sy, from.y + from.height / 2);
      assert.equal(ty, to.y + to.height / 2);
      assert.ok(sx <= tx);
      assert.equal(b.widthPx, bandWidthPx(b.edge.bits!));
    }
    // The skip's bands follow the skip's route (through its bend points), not the main branch.
    const skipBand = layout.bands.find((b) => b.edge.fromLayer === 1 && b.edge.toLayer === 4)!;
    assert.ok(skipBand.points.length > 4);
    assert.equal(bandWidthPx(1), BAND_PX_PER_BIT);
    assert.equal(bandWidthPx(0), MIN_BAND_PX);
    assert.equal(bandWidthPx(1000), MAX_BAND_PX);
  });

  it("orders a cluster's classes by its response, strongest first, undefined last", () => {
    const c: NetworkCluster = { layer: 1, cluster: 0, channels: [0], meanEntropyBits: 1, topInputs: [], classMeans: [0.2, null, 0.9, 0.2] };
    assert.deepEqual(classOrder(c), [2, 0, 3, 1]);
  });
});
