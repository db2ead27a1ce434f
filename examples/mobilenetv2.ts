/**
 * A narrow MobileNetV2 for 32×32 colour images (Sandler et al. 2018, width 0.5, CIFAR-10 strides):
 * inverted residual blocks — a 1×1 expansion, a 3×3 depthwise convolution and a linear 1×1
 * projection, each with BatchNormalization, and a residual `add` where the block keeps its shape —
 * then a 1×1 convolution, global average pooling and the 10-way softmax.
 * CIFAR-10 is not bundled (no npm package ships it): download the binary version
 * (cifar-10-binary.tar.gz from the dataset's home page) and unpack it. In VS Code with CNN Slicer
 * installed, open this file and run "Analyze CNN"; from a terminal, record with
 *   node dist/cli.js record examples/mobilenetv2.ts --dataset cifar10:/path/to/cifar-10-batches-bin --probe 200
 */
import * as tf from '@tensorflow/tfjs';

export const dataset = 'cifar10:./cifar-10-batches-bin';
export const training = { epochs: 10, batchSize: 64, optimizer: 'adam', learningRate: 0.001 };

/** Expansion factor, output channels, repeats and first stride of each group of blocks. */
const BLOCKS: { expand: number; filters: number; repeats: number; strides: number }[] = [
  { expand: 1, filters: 8, repeats: 1, strides: 1 },
  { expand: 6, filters: 12, repeats: 2, strides: 1 },
  { expand: 6, filters: 16, repeats: 3, strides: 2 },
  { expand: 6, filters: 32, repeats: 4, strides: 2 },
  { expand: 6, filters: 48, repeats: 3, strides: 1 },
  { expand: 6, filters: 80, repeats: 3, strides: 2 },
  { expand: 6, filters: 160, repeats: 1, strides: 1 },
];

function relu6(name: string): tf.layers.Layer {
  return tf.layers.reLU({ maxValue: 6, name });
}

function invertedResidual(x: tf.SymbolicTensor, expand: number, filters: number, strides: number, name: string): tf.SymbolicTensor {
  const inChannels = x.shape[3] as number;
  let y = x;
  if (expand !== 1) {
    y = tf.layers
      .conv2d({ filters: inChannels * expand, kernelSize: 1, useBias: false, name: `${name}_expand` })
      .apply(y) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({ name: `${name}_expand_bn` }).apply(y) as tf.SymbolicTensor;
    y = relu6(`${name}_expand_relu`).apply(y) as tf.SymbolicTensor;
  }
  y = tf.layers
    .depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false, name: `${name}_depthwise` })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${name}_depthwise_bn` }).apply(y) as tf.SymbolicTensor;
  y = relu6(`${name}_depthwise_relu`).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters, kernelSize: 1, useBias: false, name: `${name}_project` }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${name}_project_bn` }).apply(y) as tf.SymbolicTensor;
  if (strides === 1 && inChannels === filters) y = tf.layers.add({ name: `${name}_add` }).apply([x, y]) as tf.SymbolicTensor;
  return y;
}

export function createModel(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  let x = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, name: 'stem' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(x) as tf.SymbolicTensor;
  x = relu6('stem_relu').apply(x) as tf.SymbolicTensor;
  BLOCKS.forEach(({ expand, filters, repeats, strides }, g) => {
    for (let r = 0; r < repeats; r++) x = invertedResidual(x, expand, filters, r === 0 ? strides : 1, `block${g + 1}_${r + 1}`);
  });
  x = tf.layers.conv2d({ filters: 640, kernelSize: 1, useBias: false, name: 'head' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'head_bn' }).apply(x) as tf.SymbolicTensor;
  x = relu6('head_relu').apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 10, activation: 'softmax', name: 'output' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'mobilenetv2' });
}
