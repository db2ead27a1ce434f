import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunManifest } from '../../../../src/contract/runFormat';
import { AnalysisEngine } from '../../../../src/service/engine';
import { seededRandom } from '../../../../src/analysis';
import {
  EDGE_INPUTS,
  EDGES_PER_CLUSTER,
  edgeSubset,
  EXACT_CELLS,
  MEMBER_SAMPLE,
  nearestClusteredAncestors,
  sampledEdges,
  sampledMembers,
  strongestEdges,
} from '../../../../src/service/handlers/networkGraph';
import { AnswerOf, NetworkNode, parseQuery, QueryError } from '../../../../src/contract/queries';
import { copyFixtureRun } from '../../../support/fixtureRuns';
import { recordWideConv } from '../../../support/recordedModels';

type Graph = AnswerOf['networkGraph'];

/** The mean of the defined cells between two clusters' members, straight from a capacity matrix answer. */
function expectedBits(matrix: AnswerOf['capacityMatrix'], fromChannels: number[], toChannels: number[]): number | null {
  const cells = toChannels.flatMap((r) => fromChannels.map((c) => matrix.values[r * matrix.columns + c])).filter((v) => v !== null);
  return cells.length ? cells.reduce((a, b) => a + b, 0) / cells.length : null;
}

/**
 * Checks what every answer must hold: a partition of each clustered layer's channels, per-cluster
 * summaries of the right sizes, and each edge equal to the mean of the capacity cells between its
 * clusters in a capacity matrix computed afresh (an engine without a cache) on the inputs the edges
 * are measured on (all, or a seeded draw of about EDGE_INPUTS from a larger probe set).
 */
async function checkGraph(graph: Graph, manifest: RunManifest, fresh: AnalysisEngine, folder: string, seed?: number): Promise<void> {
  for (const node of graph.nodes) {
    const layer = manifest.layers[node.layer];
    const mine = graph.clusters.filter((c) => c.layer === node.layer);
    if (!node.clustered) {
      assert.equal(mine.length, 0, `layer ${layer.name} is not clustered`);
      continue;
    }
    const channels = mine.flatMap((c) => c.channels).sort((a, b) => a - b);
    assert.deepEqual(
      channels,
      Array.from({ length: layer.channels }, (_, c) => c),
      `layer ${layer.name}: a partition of its channels`,
    );
    mine.forEach((c, k) => {
      assert.equal(c.cluster, k);
      assert.ok(c.topInputs.length > 0 && c.topInputs.length <= 4);
      assert.ok(c.topInputs.every((i) => i >= 0 && i < graph.inputCount));
      assert.equal(c.classMeans.length, graph.classCount);
      assert.ok(c.meanEntropyBits === null || (c.meanEntropyBits >= 0 && Number.isFinite(c.meanEntropyBits)));
    });
  }
  const pairs = new Set(graph.edges.map((e) => `${e.fromLayer}>${e.toLayer}`));
  for (const pair of pairs) {
    const [from, to] = pair.split('>').map(Number);
    const x = edgeSubset(graph.inputCount, graph.classCount, seed ?? manifest.settings.seed);
    const matrix = (
      await fresh.answer(folder, { kind: 'capacityMatrix', layerI: from, layerJ: to, epoch: graph.epoch, ...(x ? { x } : {}) })
    ).answer;
    if (x) assert.ok(matrix.inputCount < graph.inputCount && matrix.inputCount > 0.9 * EDGE_INPUTS, `edges on ${matrix.inputCount} inputs`);
    const members = (l: number, k: number) => graph.clusters.find((c) => c.layer === l && c.cluster === k)!.channels;
    const exact = matrix.rows * matrix.columns <= EXACT_CELLS;
    const s = seed ?? manifest.settings.seed;
    for (const e of graph.edges.filter((x) => x.fromLayer === from && x.toLayer === to)) {
      const fromMembers = members(from, e.fromCluster);
      const toMembers = members(to, e.toCluster);
      // Beyond EXACT_CELLS: the mean over the cells between each cluster's seeded sample of members.
      const fromSample = exact ? fromMembers : sampledMembers(fromMembers, s, from, e.fromCluster);
      const toSample = exact ? toMembers : sampledMembers(toMembers, s, to, e.toCluster);
      const pairs = fromSample.length * toSample.length;
      assert.equal(e.sampledPairs, pairs < fromMembers.length * toMembers.length ? pairs : undefined, `edge ${JSON.stringify(e)}`);
      const want = expectedBits(matrix, fromSample, toSample);
      if (want === null) assert.equal(e.bits, null);
      else assert.ok(e.bits !== null && Math.abs(e.bits - want) < 1e-9, `edge ${JSON.stringify(e)}: want ${want}`);
    }
  }
}

describe('networkGraph query: channel clusters per layer linked by capacity', function () {
  this.timeout(300_000);

  describe('on the recorded tiny sequential run', () => {
    let runs = '';
    let folder = '';
    let manifest: RunManifest;
    let engine: AnalysisEngine;
    let fresh: AnalysisEngine;
    before(async () => {
      const r = copyFixtureRun('tiny', 'cnn-slicer-network-');
      runs = r.runs;
      folder = r.folder;
      manifest = r.manifest;
      engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
      fresh = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    });
    after(() => {
      engine?.close();
      fresh?.close();
      if (runs) rmSync(runs, { recursive: true, force: true });
    });

    it('is a chain of the layers, clusters every layer with several channels into about √channels clusters, and weights each edge by the mean of its capacity cells', async () => {
      const graph = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1 })).answer;
      assert.equal(graph.nodes.length, manifest.layers.length);
      graph.nodes.forEach((node, l) => {
        assert.deepEqual(node.inputs, l === 0 ? [] : [l - 1], `layer ${l} reads the layer before it`);
        assert.equal(node.merge, undefined);
        assert.equal(node.clustered, manifest.layers[l].channels > 1);
      });
      for (const node of graph.nodes.filter((n) => n.clustered)) {
        const channels = manifest.layers[node.layer].channels;
        assert.equal(graph.clusters.filter((c) => c.layer === node.layer).length, Math.round(Math.sqrt(channels)));
      }
      assert.equal(graph.inputCount, 60);
      assert.equal(graph.classCount, manifest.dataset.classNames.length);
      // A small model's layer pairs are all within EXACT_CELLS: every edge is the exact mean.
      assert.ok(graph.edges.every((e) => e.sampledPairs === undefined));
      await checkGraph(graph, manifest, fresh, folder);
      // Edges join each clustered layer to the clustered layer before it, and nothing else.
      const clustered = graph.nodes.filter((n) => n.clustered).map((n) => n.layer);
      const expectedPairs = clustered.slice(1).map((to, k) => `${clustered[k]}>${to}`);
      assert.deepEqual([...new Set(graph.edges.map((e) => `${e.fromLayer}>${e.toLayer}`))].sort(), expectedPairs.sort());
    });

    it('stores the capacity matrices it reads where the capacityMatrix query finds them, and caches its own answer', async () => {
      const graph = (await engine.answer(folder, { kind: 'networkGraph', epoch: 2 })).answer;
      const pair = graph.edges[0];
      assert.ok(engine.isCached(folder, { kind: 'capacityMatrix', layerI: pair.fromLayer, layerJ: pair.toLayer, epoch: 2 }));
      const again = await engine.answer(folder, { kind: 'networkGraph', epoch: 2 });
      assert.equal(again.cached, true);
      assert.deepEqual(again.answer, graph);
    });

    it('takes K clusters per layer (at most the channels) and clusters only the listed layers, linking across the others', async () => {
      const multi = manifest.layers.filter((l) => l.channels > 1).map((l) => l.index);
      assert.ok(multi.length >= 3, 'the tiny model has three layers with several channels');
      const first = multi[0];
      const last = multi[multi.length - 1];
      const graph = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1, clusters: 3, layers: [first, last] })).answer;
      assert.deepEqual(
        graph.nodes.filter((n) => n.clustered).map((n) => n.layer),
        [first, last],
      );
      for (const l of [first, last])
        assert.equal(graph.clusters.filter((c) => c.layer === l).length, Math.min(3, manifest.layers[l].channels));
      assert.deepEqual([...new Set(graph.edges.map((e) => `${e.fromLayer}>${e.toLayer}`))], [`${first}>${last}`]);
      await checkGraph(graph, manifest, fresh, folder);
    });

    it('answers the same for the same query, and refuses bad ones in one line naming the field', async () => {
      const a = (await fresh.answer(folder, { kind: 'networkGraph', epoch: 1, clusters: 2, seed: 4 })).answer;
      const b = (await fresh.answer(folder, { kind: 'networkGraph', epoch: 1, clusters: 2, seed: 4 })).answer;
      assert.deepEqual(a, b);
      assert.throws(() => parseQuery({ kind: 'networkGraph', epoch: 1, clusters: 0 }), /"clusters" must be from 1/);
      assert.throws(() => parseQuery({ kind: 'networkGraph', epoch: 1, layers: [] }), /"layers" must name at least one layer/);
      assert.throws(() => parseQuery({ kind: 'networkGraph' }), /"epoch" must be a non-negative integer/);
      assert.deepEqual(parseQuery({ kind: 'networkGraph', epoch: 1, layers: [3, 1, 3], extra: 1 }), {
        kind: 'networkGraph',
        epoch: 1,
        layers: [1, 3],
      });
      await assert.rejects(engine.answer(folder, { kind: 'networkGraph', epoch: 1, layers: [99] }), (e: unknown) => {
        assert.ok(e instanceof QueryError);
        assert.equal(e.code, 'out-of-range');
        return true;
      });
      await assert.rejects(engine.answer(folder, { kind: 'networkGraph', epoch: 9 }), (e: unknown) => {
        assert.ok(e instanceof QueryError);
        assert.equal(e.code, 'epoch-not-recorded');
        return true;
      });
    });
  });

  describe('cnn-slicer query <run> networkGraph (dist/cli.js)', () => {
    let runs = '';
    let folder = '';
    const cli = resolve(__dirname, '../../../../dist/cli.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'query', folder, 'networkGraph', ...args], { encoding: 'utf8' });
    before(async () => {
      const r = copyFixtureRun('tiny', 'cnn-slicer-network-cli-');
      runs = r.runs;
      folder = r.folder;
    });
    after(() => {
      if (runs) rmSync(runs, { recursive: true, force: true });
    });

    it('prints the graph of an epoch with --clusters K per layer, only for the --layers listed', () => {
      const r = run('--epoch', '1', '--clusters', '3', '--layers', '1,3');
      assert.equal(r.status, 0, r.stderr);
      const graph = JSON.parse(r.stdout) as Graph;
      assert.equal(graph.epoch, 1);
      assert.deepEqual(
        graph.nodes.filter((n) => n.clustered).map((n) => n.layer),
        [1, 3],
      );
      assert.deepEqual([...new Set(graph.clusters.map((c) => `${c.layer}:${c.cluster}`))], ['1:0', '1:1', '1:2', '3:0', '3:1', '3:2']);
      assert.ok(graph.edges.length > 0 && graph.edges.every((e) => e.fromLayer === 1 && e.toLayer === 3));
    });

    it('exits 2 with one line naming the problem for bad input', () => {
      for (const [args, text] of [
        [['--epoch', '1', '--clusters', '0'], /"clusters" must be from 1 to 4096/],
        [['--epoch', '1', '--clusters', 'many'], /--clusters must be a non-negative integer/],
        [['--epoch', '1', '--layers', 'a,b'], /--layers "a" names no layer of this run/],
        [['--epoch', '1', '--layers', '1,99'], /layer 99 is out of range/],
        [['--epoch', '7'], /epoch 7 is not recorded/],
        [[], /"epoch" must be a non-negative integer/],
      ] as [string[], RegExp][]) {
        const r = run(...args);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, text);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
      const other = spawnSync(process.execPath, [cli, 'query', folder, 'interSample', '--layer', '1', '--epoch', '1', '--clusters', '2'], {
        encoding: 'utf8',
      });
      assert.equal(other.status, 2);
      assert.match(other.stderr, /--clusters and --layers apply to networkGraph/);
    });
  });

  describe('on a graph model with a residual add, a concatenation and a nested model (test/fixtures/models/graphBranches.ts)', () => {
    let runs = '';
    let folder = '';
    let manifest: RunManifest;
    let engine: AnalysisEngine;
    before(() => {
      // graphBranches.ts, 1 epoch on synthetic:330, batch 25, k 10, wasm (test/fixtures/runs/graph-edges), with a
      // probe set of 240, larger than EDGE_INPUTS: the edges are measured on a seeded draw of it.
      const r = copyFixtureRun('graph-edges', 'cnn-slicer-network-graph-');
      runs = r.runs;
      folder = r.folder;
      manifest = r.manifest;
      engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
    });
    after(() => {
      engine?.close();
      if (runs) rmSync(runs, { recursive: true, force: true });
    });

    it('keeps both branches of the add and of the concatenation, with edges along each of them', async () => {
      const graph = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1 })).answer;
      const index = (name: string) => manifest.layers.findIndex((l) => l.name === name);
      const node = (name: string) => graph.nodes[index(name)];
      assert.deepEqual(node('stem').inputs, [0]);
      assert.deepEqual(node('residual').inputs, [index('stem'), index('a2')]);
      assert.equal(node('residual').merge, 'add');
      assert.deepEqual(node('b').inputs, [index('stem')]);
      assert.deepEqual(node('joined').inputs, [index('residual'), index('b')]);
      assert.equal(node('joined').merge, 'concatenate');
      assert.deepEqual(node('nested').inputs, [index('pool')]);
      assert.deepEqual(node('output').inputs, [index('gap')]);
      const pairs = new Set(graph.edges.map((e) => `${manifest.layers[e.fromLayer].name}>${manifest.layers[e.toLayer].name}`));
      for (const pair of ['stem>a1', 'stem>residual', 'a2>residual', 'stem>b', 'residual>joined', 'b>joined', 'joined>pool', 'pool>nested'])
        assert.ok(pairs.has(pair), `an edge ${pair}; edges: ${[...pairs].join(', ')}`);
      assert.ok(!pairs.has('stem>joined'), 'no edge skips a clustered layer');
      await checkGraph(graph, manifest, engine, folder);
      const reseeded = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1, seed: 12 })).answer;
      assert.deepEqual(reseeded.clusters, graph.clusters, 'the seed draws the edge inputs only; the clusters use every input');
      await checkGraph(reseeded, manifest, engine, folder, 12);
    });
  });

  describe(`on a model with a layer pair beyond ${EXACT_CELLS} channel pairs (test/fixtures/models/wideConv.ts: 80 × 80)`, () => {
    let runs = '';
    let folder = '';
    let manifest: RunManifest;
    let engine: AnalysisEngine;
    before(async () => {
      runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-network-wide-'));
      const r = await recordWideConv(runs);
      folder = r.folder;
      manifest = r.manifest;
      engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    });
    after(() => {
      engine?.close();
      if (runs) rmSync(runs, { recursive: true, force: true });
    });

    it('weights its edges by the mean capacity between seeded samples of the members, the same from the cached matrix, and says so on each sampled edge', async () => {
      const wide = [manifest.layers.findIndex((l) => l.name === 'wide1'), manifest.layers.findIndex((l) => l.name === 'wide2')];
      const graph = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1 })).answer;
      const sampled = graph.edges.filter((e) => e.sampledPairs !== undefined);
      assert.ok(sampled.length > 0, 'some 80 × 80 edges are sampled means');
      assert.ok(sampled.every((e) => e.fromLayer === wide[0] && e.toLayer === wide[1]));
      await checkGraph(graph, manifest, engine, folder);
      // Deterministic: a fresh engine gives the same answer, and so does one that has the whole
      // capacity matrix cached already (the sampled cells are read from it, the same bits).
      const cached = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
      try {
        await cached.answer(folder, { kind: 'capacityMatrix', layerI: wide[0], layerJ: wide[1], epoch: 1 });
        assert.deepEqual((await cached.answer(folder, { kind: 'networkGraph', epoch: 1 })).answer, graph);
      } finally {
        cached.close();
        rmSync(join(folder, 'cache'), { recursive: true, force: true });
      }
      const again = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1 })).answer;
      assert.deepEqual(again, graph);
      // Another seed draws other members (and other edge inputs, none here: 60 probe inputs).
      const reseeded = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1, seed: 9 })).answer;
      assert.deepEqual(reseeded.clusters, graph.clusters);
      await checkGraph(reseeded, manifest, engine, folder, 9);
    });
  });

  describe('edge rules', () => {
    it(`measures the edges on every probe input up to ${EDGE_INPUTS}, else on a seeded draw of the same number from each class`, () => {
      assert.equal(edgeSubset(EDGE_INPUTS, 10, 1), undefined);
      assert.deepEqual(edgeSubset(500, 10, 3), { kind: 'perClass', count: EDGE_INPUTS / 10, seed: 3 });
      assert.deepEqual(edgeSubset(5000, 3, 0), { kind: 'perClass', count: Math.floor(EDGE_INPUTS / 3), seed: 0 });
      assert.deepEqual(edgeSubset(5000, 1000, 0), { kind: 'perClass', count: 1, seed: 0 });
    });

    it('links a clustered layer to its nearest clustered ancestors, through layers that are not clustered, each once', () => {
      // 0 → 1 (clustered) → 2 (flatten-like) → 4 (add of 2 and 3); 1 → 3 (clustered) → 4.
      const nodes: NetworkNode[] = [
        { layer: 0, inputs: [], clustered: false },
        { layer: 1, inputs: [0], clustered: true },
        { layer: 2, inputs: [1], clustered: false },
        { layer: 3, inputs: [1], clustered: true },
        { layer: 4, inputs: [2, 3], merge: 'add', clustered: true },
      ];
      assert.deepEqual(nearestClusteredAncestors(4, nodes), [1, 3]);
      assert.deepEqual(nearestClusteredAncestors(1, nodes), []);
    });

    it(`keeps each cluster's ${EDGES_PER_CLUSTER} strongest outgoing and incoming edges, each the mean of its cells`, () => {
      // 5 clusters of one channel on each side: cell (row r, column c) = 10·r + c, so edge (c → r) = 10r + c.
      const values = Array.from({ length: 25 }, (_, i) => Math.floor(i / 5) * 10 + (i % 5));
      const singles = [[0], [1], [2], [3], [4]];
      const kept = strongestEdges(1, singles, 2, singles, { rows: 5, columns: 5, values });
      const key = (c: number, r: number) => `${c}>${r}`;
      const got = new Set(kept.map((e) => key(e.fromCluster, e.toCluster)));
      // Outgoing: every column's strongest are rows 4, 3, 2; incoming: every row's strongest are columns 4, 3, 2.
      const want = new Set<string>();
      for (let c = 0; c < 5; c++) for (const r of [4, 3, 2]) want.add(key(c, r));
      for (let r = 0; r < 5; r++) for (const c of [4, 3, 2]) want.add(key(c, r));
      assert.deepEqual([...got].sort(), [...want].sort());
      for (const e of kept) assert.equal(e.bits, e.toCluster * 10 + e.fromCluster);
      const merged = strongestEdges(1, [[0, 1]], 2, [[3, 4]], { rows: 5, columns: 5, values });
      assert.deepEqual(merged, [{ fromLayer: 1, fromCluster: 0, toLayer: 2, toCluster: 0, bits: (30 + 31 + 40 + 41) / 4 }]);
      const undefinedCells = strongestEdges(1, [[0]], 2, [[0]], { rows: 1, columns: 1, values: [null] });
      assert.equal(undefinedCells[0].bits, null);
    });

    it(`samples ${MEMBER_SAMPLE} members of a larger cluster, the same for the same seed, layer and cluster, and all of a smaller one`, () => {
      const members = Array.from({ length: 40 }, (_, i) => 3 * i + 1);
      const a = sampledMembers(members, 7, 12, 3);
      assert.equal(a.length, MEMBER_SAMPLE);
      assert.equal(new Set(a).size, MEMBER_SAMPLE);
      assert.ok(a.every((c) => members.includes(c)));
      assert.deepEqual(
        a,
        [...a].sort((x, y) => x - y),
        'ascending',
      );
      assert.deepEqual(sampledMembers(members, 7, 12, 3), a, 'deterministic');
      for (const other of [sampledMembers(members, 8, 12, 3), sampledMembers(members, 7, 13, 3), sampledMembers(members, 7, 12, 4)])
        assert.notDeepEqual(other, a, 'another seed, layer or cluster draws others');
      const small = members.slice(0, MEMBER_SAMPLE);
      assert.deepEqual(sampledMembers(small, 7, 12, 3), small);
    });

    it('gives the exact edges, bit for bit, when the samples are whole, and the mean of the sampled cells otherwise', () => {
      // A 30 × 20 matrix of random cells (some undefined); clusters of up to MEMBER_SAMPLE channels.
      const random = seededRandom(11);
      const rows = 30;
      const columns = 20;
      const values = Array.from({ length: rows * columns }, () => (random() < 0.05 ? null : random() * 3));
      const matrix = { rows, columns, values };
      const split = (n: number, size: number) =>
        Array.from({ length: Math.ceil(n / size) }, (_, k) => Array.from({ length: Math.min(size, n - k * size) }, (_, i) => k * size + i));
      const fromClusters = split(columns, MEMBER_SAMPLE - 1);
      const toClusters = split(rows, MEMBER_SAMPLE);
      const cellsOf = (fromSample: number[][], toSample: number[][]) => {
        const c = fromSample.flat();
        const r = toSample.flat();
        return { rows: r.length, columns: c.length, values: r.flatMap((i) => c.map((j) => values[i * columns + j])) };
      };
      const whole = sampledEdges(1, fromClusters, fromClusters, 2, toClusters, toClusters, cellsOf(fromClusters, toClusters));
      assert.deepEqual(whole, strongestEdges(1, fromClusters, 2, toClusters, matrix));
      // Larger clusters: each edge is the mean of the defined cells between the two samples.
      const big = [split(columns, 12)[0], split(columns, 12)[1]];
      const bigRows = split(rows, 15);
      const fromSample = big.map((m, k) => sampledMembers(m, 5, 1, k));
      const toSample = bigRows.map((m, k) => sampledMembers(m, 5, 2, k));
      const edges = sampledEdges(1, big, fromSample, 2, bigRows, toSample, cellsOf(fromSample, toSample));
      assert.equal(edges.length, big.length * bigRows.length, 'every pair kept: at most 3 clusters a side');
      for (const e of edges) {
        const f = fromSample[e.fromCluster];
        const t = toSample[e.toCluster];
        assert.equal(e.sampledPairs, f.length * t.length);
        const cells = t.flatMap((r) => f.map((c) => values[r * columns + c])).filter((v): v is number => v !== null);
        assert.ok(Math.abs(e.bits! - cells.reduce((x, y) => x + y, 0) / cells.length) < 1e-12);
      }
    });
  });
});
