import * as tf from '@tensorflow/tfjs';
import { deconvolve } from './src/service/deconvolution';
(async () => {
  await tf.setBackend('cpu');
      const input = tf.input({ shape: [6, 6, 1] });
      const a = tf.layers.conv2d({ name: 'a', filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
      const b = tf.layers.conv2d({ name: 'b', filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: 'merge' }).apply([a, b]) as tf.SymbolicTensor;
      const out = tf.layers.conv2d({ name: 'top', filters: 2, kernelSize: 3 }).apply(sum) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      const x = tf.ones([1,6,6,1]);
      const r = await deconvolve(tf, model, 'top', 0, x);
      console.log(r.shape, r.min, r.max);
})().catch((e) => console.log(e.stack));
