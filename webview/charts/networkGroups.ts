// The overview of a deep model's network graph: its layers grouped by their dotted names' prefixes
// (a PyTorch ResNet18's `layer1`, `layer1.0`, … `layer4.1`), each group drawn collapsed as one
// node until it is expanded. A ResNet18's 68 layers drawn one by one made a graph 11,477 px wide;
// collapsed to its stages it fits the panel. Pure: the answer in, the answer to draw out.
import type { NetworkGraphAnswer, NetworkNode } from '../../src/contract/queries';

/** Models with more layer nodes than this open on the collapsed overview. */
export const COLLAPSE_ABOVE = 20;

/** A group of layers under one name prefix, drawn as one node while collapsed. */
export interface NetworkGroup {
  /** The name prefix: `layer1`, `layer1.0`. */
  prefix: string;
  /** Its layers (their indices), in order. */
  members: number[];
  /** The layer whose node stands for the group: its last (its output). */
  representative: number;
}

/** The answer to draw and, by the layer that stands for each, the groups drawn collapsed in it. */
export interface CollapsedNetwork {
  answer: NetworkGraphAnswer;
  collapsed: Map<number, NetworkGroup>;
}

/** The dotted prefixes of a name, shortest first: `layer1.0.conv1` → `layer1`, `layer1.0`. */
export function namePrefixes(name: string): string[] {
  const parts = name.split('.');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
}

/**
 * Every prefix shared by two or more of the graph's layers, with its members: the groups that can
 * be collapsed. A layer named exactly as a prefix (a module that is also a layer) belongs to it.
 */
export function networkGroups(nodes: readonly NetworkNode[], names: (layer: number) => string): Map<string, NetworkGroup> {
  const members = new Map<string, number[]>();
  const all = new Set(nodes.map((n) => names(n.layer)));
  for (const n of nodes) {
    const name = names(n.layer);
    const prefixes = namePrefixes(name);
    if (all.has(name) && nodes.some((o) => names(o.layer).startsWith(`${name}.`))) prefixes.push(name);
    for (const p of prefixes) {
      const list = members.get(p);
      if (list) list.push(n.layer);
      else members.set(p, [n.layer]);
    }
  }
  const groups = new Map<string, NetworkGroup>();
  for (const [prefix, list] of members) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((a, b) => a - b);
    groups.set(prefix, { prefix, members: sorted, representative: sorted[sorted.length - 1] });
  }
  return groups;
}

/**
 * The graph with each group that is not expanded (nor inside one that is not) drawn as one node:
 * its last layer's, unclustered, taking the inputs its members take from outside it. The clusters
 * and edges of the layers it hides are left out; an edge into or out of it is drawn as a link
 * between nodes. Layers outside every group are drawn as they are. A grouping that would make the
 * graph cyclic (a layer outside a group between two of its members) is not applied: the graph is
 * drawn whole.
 */
export function collapseNetwork(
  answer: NetworkGraphAnswer,
  names: (layer: number) => string,
  expanded: ReadonlySet<string>,
): CollapsedNetwork {
  const groups = networkGroups(answer.nodes, names);
  // Each layer's outermost group that is not expanded (its enclosing groups all are).
  const groupOf = new Map<number, NetworkGroup>();
  for (const n of answer.nodes) {
    const name = names(n.layer);
    const prefixes = [...namePrefixes(name), name];
    for (const p of prefixes) {
      const g = groups.get(p);
      if (!g || expanded.has(p)) continue;
      groupOf.set(n.layer, g);
      break;
    }
  }
  if (groupOf.size === 0) return { answer, collapsed: new Map() };
  const shownAs = (layer: number) => groupOf.get(layer)?.representative ?? layer;
  const byLayer = new Map(answer.nodes.map((n) => [n.layer, n]));
  const nodes: NetworkNode[] = [];
  const collapsed = new Map<number, NetworkGroup>();
  for (const n of answer.nodes) {
    const g = groupOf.get(n.layer);
    if (!g) {
      nodes.push({ ...n, inputs: unique(n.inputs.map(shownAs)) });
      continue;
    }
    if (n.layer !== g.representative) continue;
    // Every member is in this group (the groups around it are expanded, or it would stand for them).
    const inputs = g.members.flatMap((m) => byLayer.get(m)?.inputs ?? []).filter((i) => !g.members.includes(i));
    nodes.push({ layer: g.representative, inputs: unique(inputs.map(shownAs)), clustered: false });
    collapsed.set(g.representative, g);
  }
  if (cyclic(nodes)) return { answer, collapsed: new Map() };
  const hidden = (layer: number) => groupOf.has(layer);
  return {
    answer: {
      ...answer,
      nodes,
      clusters: answer.clusters.filter((c) => !hidden(c.layer)),
      edges: answer.edges.filter((e) => !hidden(e.fromLayer) && !hidden(e.toLayer)),
    },
    collapsed,
  };
}

/** The groups to open on: none expanded (each top-level stage collapsed) when the graph has more than COLLAPSE_ABOVE nodes, else every group expanded (the graph as it is). */
export function initialExpanded(answer: NetworkGraphAnswer, names: (layer: number) => string): Set<string> {
  if (answer.nodes.length <= COLLAPSE_ABOVE) return new Set(networkGroups(answer.nodes, names).keys());
  return new Set();
}

function unique(xs: number[]): number[] {
  return [...new Set(xs)];
}

/** Whether the nodes' input links make a cycle (depth-first, iterative). */
function cyclic(nodes: readonly NetworkNode[]): boolean {
  const inputs = new Map(nodes.map((n) => [n.layer, n.inputs]));
  const state = new Map<number, 1 | 2>();
  for (const start of inputs.keys()) {
    if (state.has(start)) continue;
    const stack: [number, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const ins = inputs.get(top[0]) ?? [];
      if (top[1] >= ins.length) {
        state.set(top[0], 2);
        stack.pop();
        continue;
      }
      const next = ins[top[1]++];
      if (!inputs.has(next)) continue;
      const s = state.get(next);
      if (s === 1) return true;
      if (s === undefined) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
  return false;
}
