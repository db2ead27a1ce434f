/**
 * A ResNet-18 for 32×32 colour images (He et al. 2016, in the CIFAR-10 form: a 3×3 stem without
 * max-pooling): four stages of two basic blocks (3×3 convolution, BatchNormalization, ReLU, 3×3
 * convolution, BatchNormalization, then a residual `add` and ReLU) at 64, 128, 256 and 512
 * channels, global average pooling and the 10-way softmax. About 11 million weights and 1.1 GFLOP per
 * input forward: a model of the size people train, to see how slicing and reports behave on it.
 * `createResNet18({ baseFilters })` builds the same structure at another width (16 gives the
 * quarter-width 16–128-channel model of test/fixtures/models/resnet18Quarter.ts).
 * CIFAR-10 is not bundled (no npm package ships it): download the binary version
 * (cifar-10-binary.tar.gz from the dataset's home page) and unpack it. In VS Code with CNN Slicer
 * installed, open this file and run "Analyze CNN"; from a terminal, record with
 *   node dist/cli.js record examples/resnet18.ts --dataset cifar10:/path/to/cifar-10-batches-bin --probe 200
 */
import * as tf from '@tensorflow/tfjs';

export const dataset = 'cifar10:./cifar-10-batches-bin';
export const training = { epochs: 10, batchSize: 64, optimizer: 'adam', learningRate: 0.001 };

function convBn(x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name: `${name}_conv` });
  return tf.layers.batchNormalization({ name: `${name}_bn` }).apply(conv.apply(x)) as tf.SymbolicTensor;
}

/** Two 3×3 convolutions added to the block's input (projected by a strided 1×1 convolution when the shape changes). */
function basicBlock(x: tf.SymbolicTensor, filters: number, strides: number, name: string): tf.SymbolicTensor {
  let y = convBn(x, filters, 3, strides, `${name}_a`);
  y = tf.layers.reLU({ name: `${name}_a_relu` }).apply(y) as tf.SymbolicTensor;
  y = convBn(y, filters, 3, 1, `${name}_b`);
  const shortcut = strides === 1 && x.shape[3] === filters ? x : convBn(x, filters, 1, strides, `${name}_proj`);
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_relu` }).apply(sum) as tf.SymbolicTensor;
}

export interface ResNet18Options {
  /** Channels of the stem and the first stage; each later stage doubles them (default 64). */
  baseFilters?: number;
  /** The model's name (default 'resnet18'). */
  name?: string;
}

/** The ResNet-18 structure with `baseFilters`, 2×, 4× and 8× that many channels in its four stages. */
export function createResNet18({ baseFilters = 64, name = 'resnet18' }: ResNet18Options = {}): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  let x = convBn(input, baseFilters, 3, 1, 'stem');
  x = tf.layers.reLU({ name: 'stem_relu' }).apply(x) as tf.SymbolicTensor;
  const stages = [1, 2, 4, 8].map((factor) => factor * baseFilters);
  stages.forEach((filters, s) => {
    x = basicBlock(x, filters, s === 0 ? 1 : 2, `stage${s + 1}_block1`);
    x = basicBlock(x, filters, 1, `stage${s + 1}_block2`);
  });
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 10, activation: 'softmax', name: 'output' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name });
}

/** The full-width ResNet-18 (64, 128, 256 and 512 channels). */
export function createModel(): tf.LayersModel {
  return createResNet18();
}
