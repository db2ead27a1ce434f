// A ResNet-style network graph for the Network view's browser test and the views bench: the shapes
// of a ResNet-18 (residual adds, projection shortcuts, 64–512 channels) with synthetic answers, since
// what is measured and checked there is the drawing, not the engine.
import type { NetworkCluster, NetworkEdge, NetworkGraphAnswer, NetworkNode } from '../../src/contract/queries';
import type { RunLayer, RunManifest } from '../../src/contract/runFormat';
import { canonicalQuery } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';

/**
 * A ResNet-18-like graph (stem, four residual blocks of 64–512 channels, the last three with a
 * projection shortcut, global pooling and a dense head) and a network-graph answer for it: clusters
 * of about √channels channels, each target cluster's three edges from its input layers.
 */
export function resnetNetwork(base: RunManifest): { manifest: RunManifest; answer: NetworkGraphAnswer } {
  return syntheticNetwork(base, 'resnet-style', (add) => {
    let at = add('input', 'InputLayer', 3, []);
    at = add('stem_conv', 'Conv2D', 64, [at]);
    at = add('stem_bn', 'BatchNormalization', 64, [at]);
    at = add('stem_relu', 'ReLU', 64, [at]);
    [64, 128, 256, 512].forEach((channels, b) => {
      const block = `block${b + 1}`;
      const entry = at;
      let main = add(`${block}_conv_a`, 'Conv2D', channels, [entry]);
      main = add(`${block}_bn_a`, 'BatchNormalization', channels, [main]);
      main = add(`${block}_relu_a`, 'ReLU', channels, [main]);
      main = add(`${block}_conv_b`, 'Conv2D', channels, [main]);
      main = add(`${block}_bn_b`, 'BatchNormalization', channels, [main]);
      let skip = entry;
      if (b > 0) {
        skip = add(`${block}_shortcut_conv`, 'Conv2D', channels, [entry]);
        skip = add(`${block}_shortcut_bn`, 'BatchNormalization', channels, [skip]);
      }
      const sum = add(`${block}_add`, 'Add', channels, [main, skip], 'add');
      at = add(`${block}_relu`, 'ReLU', channels, [sum]);
    });
    at = add('pool', 'GlobalAveragePooling2D', 1, [at]);
    add('logits', 'Dense', 1, [at]);
  });
}

/**
 * A PyTorch ResNet18 as kuangliu/pytorch-cifar's `models/resnet.py` records it (issue 66): dotted
 * module names (`layer1.0.conv1`, `layer2.0.shortcut.0`), two BasicBlocks per stage, 68 layers.
 */
export function resnet18Network(base: RunManifest): { manifest: RunManifest; answer: NetworkGraphAnswer } {
  return syntheticNetwork(base, 'resnet18', (add) => {
    let at = add('input', 'InputLayer', 3, []);
    at = add('conv1', 'Conv2d', 64, [at]);
    at = add('bn1', 'BatchNorm2d', 64, [at]);
    at = add('relu', 'relu', 64, [at]);
    [64, 128, 256, 512].forEach((channels, s) => {
      for (const b of [0, 1]) {
        const block = `layer${s + 1}.${b}`;
        const entry = at;
        let main = add(`${block}.conv1`, 'Conv2d', channels, [entry]);
        main = add(`${block}.bn1`, 'BatchNorm2d', channels, [main]);
        main = add(`${block}.relu`, 'relu', channels, [main]);
        main = add(`${block}.conv2`, 'Conv2d', channels, [main]);
        main = add(`${block}.bn2`, 'BatchNorm2d', channels, [main]);
        let skip = entry;
        if (s > 0 && b === 0) {
          skip = add(`${block}.shortcut.0`, 'Conv2d', channels, [entry]);
          skip = add(`${block}.shortcut.1`, 'BatchNorm2d', channels, [skip]);
        }
        const sum = add(`${block}.add`, 'add', channels, [main, skip], 'add');
        at = add(`${block}.relu_1`, 'relu', channels, [sum]);
      }
    });
    at = add('avg_pool2d', 'avg_pool2d', 1, [at]);
    add('linear', 'Linear', 1, [at]);
  });
}

type AddLayer = (name: string, className: string, channels: number, inputs: number[], merge?: string) => number;

/** A network-graph answer for the layers `build` adds (see resnetNetwork's doc), with its manifest. */
function syntheticNetwork(
  base: RunManifest,
  id: string,
  build: (add: AddLayer) => void,
): { manifest: RunManifest; answer: NetworkGraphAnswer } {
  const layers: RunLayer[] = [];
  const nodes: NetworkNode[] = [];
  const add = (name: string, className: string, channels: number, inputs: number[], merge?: string): number => {
    const index = layers.length;
    const size = channels === 1 ? [10] : [Math.max(4, 32 >> Math.round(Math.log2(channels / 64))), 0, channels];
    if (size.length === 3) size[1] = size[0];
    layers.push({
      index,
      name,
      className,
      outputShape: size,
      channels,
      parameters: channels * 9,
      source: { file: '/tmp/resnet.ts', line: 10 + index, column: 3 },
    });
    nodes.push({ layer: index, inputs, ...(merge ? { merge } : {}), clustered: channels > 1 && index > 0 });
    return index;
  };
  build(add);

  const classes = base.dataset.classNames.length;
  const clusters: NetworkCluster[] = [];
  const clusterCount = new Map<number, number>();
  for (const n of nodes.filter((x) => x.clustered)) {
    const channels = layers[n.layer].channels;
    const k = Math.max(1, Math.round(Math.sqrt(channels)));
    clusterCount.set(n.layer, k);
    // Uneven cluster sizes, every channel in exactly one: channel c goes to cluster ((97c + 31 layer) xor ⌊c/4⌋) mod k, renumbered by smallest member.
    const groups = Array.from({ length: k }, () => [] as number[]);
    for (let c = 0; c < channels; c++) groups[((c * 97 + n.layer * 31) ^ (c >> 2)) % k].push(c);
    groups
      .filter((g) => g.length > 0)
      .sort((a, b) => a[0] - b[0])
      .forEach((members, cluster) =>
        clusters.push({
          layer: n.layer,
          cluster,
          channels: members,
          meanEntropyBits: 0.5 + ((n.layer * 7 + cluster * 3) % 17) / 5,
          topInputs: [],
          classMeans: Array.from({ length: classes }, (_, c) => ((n.layer * 13 + cluster * 5 + c * 7) % 23) / 10),
        }),
      );
    clusterCount.set(n.layer, clusters.filter((c) => c.layer === n.layer).length);
  }
  const edges: NetworkEdge[] = [];
  for (const n of nodes.filter((x) => x.clustered)) {
    for (const from of n.inputs.filter((i) => nodes[i].clustered)) {
      const kFrom = clusterCount.get(from)!;
      for (let t = 0; t < clusterCount.get(n.layer)!; t++) {
        const sources = new Set([t % kFrom, (t * 3 + 1) % kFrom, (t * 7 + 2) % kFrom]);
        for (const s of sources)
          edges.push({ fromLayer: from, fromCluster: s, toLayer: n.layer, toCluster: t, bits: 0.15 + ((from * 5 + s * 3 + t) % 12) / 8 });
      }
    }
  }
  const manifest: RunManifest = {
    ...structuredClone(base),
    id,
    model: { ...base.model, name: id },
    layers,
    dataset: { ...base.dataset, inputShape: [32, 32, 3] },
  };
  const epoch = manifest.epochs[manifest.epochs.length - 1];
  return { manifest, answer: { epoch, nodes, clusters, edges, classCount: classes, inputCount: manifest.probe.size } };
}

/** A report holding only the ResNet-style graph at its last epoch (see resnetNetwork), that epoch, the graph and its manifest. */
export function resnetReport(
  base: RunManifest,
  network: (base: RunManifest) => { manifest: RunManifest; answer: NetworkGraphAnswer } = resnetNetwork,
): { data: ReportData; last: number; manifest: RunManifest; answer: NetworkGraphAnswer } {
  const { manifest, answer } = network(base);
  const last = manifest.epochs[manifest.epochs.length - 1];
  const data: ReportData = {
    formatVersion: 1,
    runId: manifest.id,
    createdAt: new Date().toISOString(),
    manifest,
    answers: { [canonicalQuery({ kind: 'networkGraph', epoch: last })]: { answer } },
    coverage: 'a synthetic ResNet-style network graph',
  };
  return { data, last, manifest, answer };
}
