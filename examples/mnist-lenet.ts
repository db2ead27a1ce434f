/**
 * A LeNet-like CNN for the built-in MNIST digits: small enough to record in seconds per epoch.
 * Open this file in VS Code with CNN Slicer installed and run "Analyze CNN", or from a terminal:
 *   node dist/cli.js record examples/mnist-lenet.ts --epochs 3
 */
import * as tf from '@tensorflow/tfjs';

export const dataset = 'mnist';
export const training = { epochs: 3, batchSize: 64, optimizer: 'adam', learningRate: 0.002 };

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu', name: 'conv1' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', name: 'conv2' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ units: 64, activation: 'relu', name: 'dense1' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'output' }));
  return model;
}
