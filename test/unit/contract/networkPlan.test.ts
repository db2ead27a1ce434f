// The Network view's queries as src/contract/plan.ts builds them: the report holds the graph
// at every forward-pass epoch, and the thumbnails query is the one the view asks for an answer.
import assert from 'node:assert/strict';
import { canonicalQuery } from '../../../src/contract/queries';
import type { NetworkGraphAnswer } from '../../../src/contract/queries';
import type { RunManifest } from '../../../src/contract/runFormat';
import { networkQueries, reportPlan } from '../../../src/contract/plan';

const manifest = {
  layers: [
    { index: 0, name: 'input', className: 'InputLayer', channels: 1, outputShape: [], parameters: 0 },
    { index: 1, name: 'conv1', className: 'Conv2D', channels: 4, outputShape: [], parameters: 0 },
    { index: 2, name: 'conv2', className: 'Conv2D', channels: 8, outputShape: [], parameters: 0 },
  ],
  epochs: [0, 1, 2, 3],
  probe: { classCounts: [50, 50] },
} as unknown as RunManifest;

describe('Network view queries (plan)', () => {
  it('puts the network graph of every forward-pass epoch in the report, once each', () => {
    const keys = reportPlan(manifest, { epochs: [0, 3], datasetDiversity: false, deconvolutionChannels: 0 }).map((p) =>
      canonicalQuery(p.query),
    );
    const graphs = keys.filter((k) => k.includes('"networkGraph"'));
    assert.deepEqual(graphs, [canonicalQuery({ kind: 'networkGraph', epoch: 0 }), canonicalQuery({ kind: 'networkGraph', epoch: 3 })]);
    assert.equal(canonicalQuery(networkQueries.networkGraph(3)), graphs[1]);
  });

  it("asks the pictures of every cluster's top inputs once each, in ascending order, and nothing when there are none", () => {
    const cluster = (layer: number, topInputs: number[]) => ({
      layer,
      cluster: 0,
      channels: [0],
      meanEntropyBits: 1,
      topInputs,
      classMeans: [],
    });
    const answer: NetworkGraphAnswer = {
      epoch: 3,
      nodes: [],
      clusters: [cluster(1, [9, 2, 40]), cluster(2, [2, 7])],
      edges: [],
      classCount: 2,
      inputCount: 100,
    };
    assert.deepEqual(networkQueries.thumbnails(answer), { kind: 'inputs', x: { kind: 'indices', indices: [2, 7, 9, 40] } });
    assert.equal(networkQueries.thumbnails({ ...answer, clusters: [cluster(1, [])] }), null);
  });
});
