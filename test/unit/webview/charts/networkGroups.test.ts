// A deep model's network graph grouped by dotted name prefixes (webview/charts/networkGroups.ts):
// known answers on a hand-made residual graph, and on the 68 layers of a ResNet18.
import assert from 'node:assert/strict';
import type { NetworkGraphAnswer, NetworkNode } from '../../../../src/contract/queries';
import { collapseNetwork, COLLAPSE_ABOVE, initialExpanded, namePrefixes, networkGroups } from '../../../../webview/charts/networkGroups';

/**
 * input → conv1 → layer1.0.conv → layer1.0.bn → layer1.0.add (+ conv1) → layer1.1.conv → layer1.1.add (+ layer1.0.add) → fc,
 * every layer clustered but the input and fc, an edge along each clustered link.
 */
const NAMES = ['input', 'conv1', 'layer1.0.conv', 'layer1.0.bn', 'layer1.0.add', 'layer1.1.conv', 'layer1.1.add', 'fc'];
const INPUTS = [[], [0], [1], [2], [3, 1], [4], [5, 4], [6]];
function graph(names = NAMES, inputs = INPUTS): NetworkGraphAnswer {
  const clustered = (l: number) => l > 0 && l < names.length - 1;
  const nodes: NetworkNode[] = names.map((_, l) => ({
    layer: l,
    inputs: inputs[l],
    clustered: clustered(l),
    ...(names[l].endsWith('add') ? { merge: 'add' } : {}),
  }));
  const clusters = nodes
    .filter((n) => n.clustered)
    .map((n) => ({ layer: n.layer, cluster: 0, channels: [0, 1], meanEntropyBits: 1, topInputs: [], classMeans: [0.5] }));
  const edges = nodes.flatMap((n) =>
    n.clustered
      ? n.inputs.filter(clustered).map((from) => ({ fromLayer: from, fromCluster: 0, toLayer: n.layer, toCluster: 0, bits: 1 }))
      : [],
  );
  return { epoch: 1, nodes, clusters, edges, classCount: 1, inputCount: 10 };
}
const nameOf = (l: number) => NAMES[l];

describe('webview/charts/networkGroups: a deep model’s graph collapsed by name prefix', () => {
  it('reads a name’s dotted prefixes, shortest first', () => {
    assert.deepEqual(namePrefixes('layer1.0.conv1'), ['layer1', 'layer1.0']);
    assert.deepEqual(namePrefixes('conv1'), []);
  });

  it('groups the layers sharing a prefix, each group standing as its last layer', () => {
    const groups = networkGroups(graph().nodes, nameOf);
    assert.deepEqual(
      [...groups.values()].map((g) => `${g.prefix}: ${g.members.join(',')} as ${g.representative}`),
      ['layer1: 2,3,4,5,6 as 6', 'layer1.0: 2,3,4 as 4', 'layer1.1: 5,6 as 6'],
    );
  });

  it('draws a collapsed stage as one unclustered node that takes its members’ outside inputs, dropping the clusters and edges inside it', () => {
    const { answer, collapsed } = collapseNetwork(graph(), nameOf, new Set());
    assert.deepEqual(
      answer.nodes.map((n) => `${n.layer}←${n.inputs.join(',')}${n.clustered ? ' c' : ''}`),
      ['0←', '1←0 c', '6←1', '7←6'],
    );
    assert.deepEqual([...collapsed.keys()], [6]);
    assert.equal(collapsed.get(6)?.prefix, 'layer1');
    assert.deepEqual(
      answer.clusters.map((c) => c.layer),
      [1],
    );
    assert.deepEqual(answer.edges, [], 'no edge into a collapsed group');
  });

  it('expands a stage into its blocks, and a block into its layers, with their clusters and edges', () => {
    const blocks = collapseNetwork(graph(), nameOf, new Set(['layer1']));
    assert.deepEqual(
      blocks.answer.nodes.map((n) => `${n.layer}←${n.inputs.join(',')}`),
      ['0←', '1←0', '4←1', '6←4', '7←6'],
    );
    assert.deepEqual(
      [...blocks.collapsed.values()].map((g) => g.prefix),
      ['layer1.0', 'layer1.1'],
    );
    const one = collapseNetwork(graph(), nameOf, new Set(['layer1', 'layer1.0']));
    assert.deepEqual(
      one.answer.nodes.map((n) => `${n.layer}←${n.inputs.join(',')}${n.merge ? ` ${n.merge}` : ''}`),
      ['0←', '1←0', '2←1', '3←2', '4←3,1 add', '6←4', '7←6'],
    );
    assert.deepEqual(
      one.answer.edges.map((e) => `${e.fromLayer}→${e.toLayer}`),
      ['1→2', '2→3', '3→4', '1→4'],
    );
    // Expanding a block inside a collapsed stage changes nothing: the stage stands for it.
    assert.deepEqual(collapseNetwork(graph(), nameOf, new Set(['layer1.0'])).answer.nodes.length, 4);
  });

  it('draws the graph whole when every group is expanded, or when a grouping would make a cycle', () => {
    const all = new Set(networkGroups(graph().nodes, nameOf).keys());
    const whole = collapseNetwork(graph(), nameOf, all);
    assert.deepEqual(whole.answer, graph());
    assert.equal(whole.collapsed.size, 0);
    // b.x → c → b.y: collapsing "b" would make b ⇄ c.
    const names = ['in', 'b.x', 'c', 'b.y'];
    const cyclic = collapseNetwork(graph(names, [[], [0], [1], [2]]), (l) => names[l], new Set());
    assert.equal(cyclic.collapsed.size, 0);
    assert.equal(cyclic.answer.nodes.length, 4);
  });

  it('opens a ResNet18’s 68 layers on its stages, and a model of 20 layers or fewer whole', () => {
    const names = ['input', 'conv1', 'bn1', 'relu'];
    const inputs: number[][] = [[], [0], [1], [2]];
    for (const s of [1, 2, 3, 4])
      for (const b of [0, 1]) {
        const entry = names.length - 1;
        const add = (name: string, from: number[]) => {
          names.push(`layer${s}.${b}.${name}`);
          inputs.push(from);
          return names.length - 1;
        };
        let main = entry;
        for (const n of ['conv1', 'bn1', 'relu', 'conv2', 'bn2']) main = add(n, [main]);
        let skip = entry;
        if (s > 1 && b === 0) skip = add('shortcut.1', [add('shortcut.0', [entry])]);
        add('relu_1', [add('add', [main, skip])]);
      }
    names.push('avg_pool2d', 'linear');
    inputs.push([names.length - 3], [names.length - 2]);
    assert.equal(names.length, 68);
    const answer = graph(names, inputs);
    const expanded = initialExpanded(answer, (l) => names[l]);
    assert.equal(expanded.size, 0);
    const overview = collapseNetwork(answer, (l) => names[l], expanded);
    assert.deepEqual(
      overview.answer.nodes.map((n) => names[n.layer]),
      ['input', 'conv1', 'bn1', 'relu', 'layer1.1.relu_1', 'layer2.1.relu_1', 'layer3.1.relu_1', 'layer4.1.relu_1', 'avg_pool2d', 'linear'],
    );
    assert.deepEqual(
      [...overview.collapsed.values()].map((g) => `${g.prefix} ${g.members.length}`),
      ['layer1 14', 'layer2 16', 'layer3 16', 'layer4 16'],
    );
    // Each stage takes the stage before it (its first block's input and shortcut).
    assert.deepEqual(
      overview.answer.nodes.slice(4, 8).map((n) => n.inputs.map((i) => names[i])),
      [['relu'], ['layer1.1.relu_1'], ['layer2.1.relu_1'], ['layer3.1.relu_1']],
    );
    // A small model opens whole: every group expanded.
    const small = graph();
    assert.ok(small.nodes.length <= COLLAPSE_ABOVE);
    assert.equal(collapseNetwork(small, nameOf, initialExpanded(small, nameOf)).collapsed.size, 0);
  });
});
