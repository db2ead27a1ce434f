/**
 * A deep PyTorch run as literal data, for the findings' rules and their summary: a ResNet18-like
 * model as the Python recorder writes it (channels first, every layer of a BasicBlock from one
 * source line of `models/resnet.py`, so `layer1.0.conv1` … `layer4.1.conv1` share line 14), and a
 * healthy metrics line (no rule fires) for the tests to spoil.
 */
import { unitsPerChannelOf } from '../../src/analysis/layout';
import type { EpochMetrics, LayerEpochMetrics, RunLayer, RunManifest } from '../../src/contract/runFormat';

export const RESNET_FILE = '/project/models/resnet.py';

/** The source lines of models/resnet.py: BasicBlock's (`conv1` at 14 …) and ResNet's own. */
export const RESNET_LINES = {
  conv1: 14,
  bn1: 15,
  conv2: 16,
  bn2: 17,
  add: 30,
  stemConv: 70,
  stemBn: 71,
  avgpool: 95,
  flatten: 96,
  linear: 97,
};

export interface DeepOptions {
  /** Channels of the first stage (doubled per stage): 64 as ResNet18, fewer to keep evidence small. */
  width?: number;
  /** Spatial size of the first stage (halved per stage). */
  size?: number;
  stages?: number;
  blocksPerStage?: number;
}

function layer(index: number, name: string, className: string, shape: number[], line?: number, parameters = 0): RunLayer {
  return {
    index,
    name,
    className,
    outputShape: shape,
    channels: shape.length >= 2 ? shape[0] : 1,
    parameters,
    ...(shape.length >= 2 ? { dataFormat: 'channelsFirst' as const } : {}),
    ...(line !== undefined ? { source: { file: RESNET_FILE, line, column: 21 } } : {}),
  };
}

/**
 * The layers: input, the stem's conv1 and bn1, then per block `layerS.B.conv1`, `.bn1`, `.conv2`,
 * `.bn2`, `.add`, then `avg_pool2d` to `[C, 1, 1]`, `flatten` and `linear` (10 classes). ResNet18
 * is `{ width: 64, size: 32 }`: 8 blocks, 45 layers here (the real run also has its relus).
 */
export function deepLayers(o: DeepOptions = {}): RunLayer[] {
  const { width = 8, size = 16, stages = 4, blocksPerStage = 2 } = o;
  const layers: RunLayer[] = [];
  const add = (name: string, className: string, shape: number[], line?: number, parameters = 0) =>
    layers.push(layer(layers.length, name, className, shape, line, parameters));
  add('input', 'InputLayer', [3, size, size]);
  add('conv1', 'Conv2d', [width, size, size], RESNET_LINES.stemConv, 27 * width);
  add('bn1', 'BatchNorm2d', [width, size, size], RESNET_LINES.stemBn, 2 * width);
  let channels = width;
  let side = size;
  for (let s = 1; s <= stages; s++) {
    const out = width * 2 ** (s - 1);
    if (s > 1) side = Math.max(1, side / 2);
    for (let b = 0; b < blocksPerStage; b++) {
      const p = `layer${s}.${b}`;
      add(`${p}.conv1`, 'Conv2d', [out, side, side], RESNET_LINES.conv1, 9 * channels * out);
      add(`${p}.bn1`, 'BatchNorm2d', [out, side, side], RESNET_LINES.bn1, 2 * out);
      add(`${p}.conv2`, 'Conv2d', [out, side, side], RESNET_LINES.conv2, 9 * out * out);
      add(`${p}.bn2`, 'BatchNorm2d', [out, side, side], RESNET_LINES.bn2, 2 * out);
      add(`${p}.add`, 'add', [out, side, side], RESNET_LINES.add);
      channels = out;
    }
  }
  add('avg_pool2d', 'avg_pool2d', [channels, 1, 1], RESNET_LINES.avgpool);
  add('flatten', 'flatten', [channels], RESNET_LINES.flatten);
  add('linear', 'Linear', [10], RESNET_LINES.linear, channels * 10 + 10);
  return layers;
}

export function deepManifest(o: DeepOptions = {}, epochs = [1, 2]): RunManifest {
  const layers = deepLayers(o);
  return {
    formatVersion: 2,
    id: 'resnet18',
    status: 'completed',
    createdAt: '',
    updatedAt: '',
    model: { file: '/project/main.py', fingerprint: 'f', name: 'ResNet', sourceFiles: [RESNET_FILE] },
    layers,
    dataset: {
      spec: 'pytorch:probe',
      name: 'probe',
      fingerprint: 'd',
      classNames: Array.from({ length: 10 }, (_, c) => String(c)),
      inputShape: layers[0].outputShape,
      trainSize: 2000,
    },
    probe: { size: 100, inputsFile: '', labelsFile: '', classCounts: new Array<number>(10).fill(10) },
    settings: {
      epochs: 2,
      batchSize: 128,
      optimizer: 'sgd',
      learningRate: 0.1,
      seed: 1,
      recordEvery: 1,
      probeSize: 100,
      bins: 32,
      k: 1000,
    },
    backend: { name: 'pytorch-cpu', fallbackReasons: [] },
    output: { layer: 'linear', kind: 'logits', chosenBy: 'only' },
    checkpoint: { format: 'onnx', file: 'model.onnx', opset: 14, producer: 'pytorch 1.13' },
    epochs,
  };
}

/**
 * A healthy layer: 2 bits in every channel of several values (a map, a vector's one channel of all
 * its units), 0 in a channel of one value (a `[C, 1, 1]` map: as measured), nothing dead, label information rising by 0.02 bit a layer and
 * input capacity falling by as much (no drop, nothing inert), inter-sample entropy below its ceiling.
 */
export function healthyLayer(l: RunLayer): LayerEpochMetrics {
  const units = unitsPerChannelOf(l.outputShape, l.dataFormat);
  return {
    layer: l.index,
    interSampleBits: 10,
    interSampleBitsPerClass: new Array<null>(10).fill(null),
    channelBits: new Array<number>(l.channels).fill(units > 1 ? 2 : 0),
    channelBitsPerClass: [],
    deadChannels: [],
    nonFiniteCount: 0,
    labelInformationBits: 0.1 + 0.02 * l.index,
    inputCapacityBits: 6 - 0.02 * l.index,
    binnedInformation: { ixtBits: 5, ityBits: 1, saturated: false },
  };
}

export function healthyMetrics(manifest: RunManifest, epoch: number): EpochMetrics {
  return {
    epoch,
    trainLoss: 1.5,
    trainAccuracy: 0.4,
    probeLoss: 2,
    probeAccuracy: 0.2,
    confusion: Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => (r === c ? 2 : 1))),
    hLabelGivenPred: new Array<number>(10).fill(3),
    hPredGivenLabel: new Array<number>(10).fill(3),
    layers: manifest.layers.map(healthyLayer),
    timingsMs: { train: 1, record: 1 },
  };
}

/** The layers each layer reads: the one before, and a block's `add` its conv2's bn2 and the block's input. */
export function deepInputsOf(layers: readonly RunLayer[]): number[][] {
  let blockInput = 2;
  return layers.map((l) => {
    if (l.index === 0) return [];
    if (l.name.endsWith('.add')) {
      const inputs = [l.index - 1, blockInput];
      blockInput = l.index;
      return inputs;
    }
    return [l.index - 1];
  });
}
