/** `demo`: the paper's Fig. 5(B) on MNIST, a recorded LeNet and what the measures say of it (src/cli/demo.ts). */
import { runDemo } from '../demo';
import { intOption } from '../options';
import { defineCommand } from './descriptor';

export const DEMO = defineCommand({
  name: 'demo',
  lines: [{ usage: 'demo', what: 'paper Fig. 5(B) on MNIST, a recorded LeNet, a report' }],
  help: `Usage: cnn-slicer demo [--k K] [--seed S] [--epochs N] [--out DIR]

1. Measures the input diversity of the built-in MNIST digits as in the paper's Fig. 5(B): the
   inter-sample entropy of the whole dataset made of 100, 500 and all digits of every class, beside
   the paper's values, then the same draws class by class.
2. Records examples/mnist-lenet.ts on MNIST and prints, per layer, the inter-sample entropy, mean
   channel entropy and dead channels at the first and last epoch, then where each layer sits on
   the information plane (pairwise and binned I(X;T), I(T;Y)) at those epochs.
3. Prints the run's findings, and how well each channel measure of conv2 and dense1 predicts what
   ablating the channel costs (Spearman's rank correlation with Δ loss).
  --k K        neighbourhood size (default 1000)
  --seed S     seed of the subsets, split and weights (default 1)
  --epochs N   training epochs (default 3)
  --out DIR    runs folder (default .cnnslicer/runs in the current folder)`,
  options: { k: { type: 'string' }, seed: { type: 'string' }, epochs: { type: 'string' }, out: { type: 'string' } },
  positionals: 0,
  run: ({ values }, { io }) =>
    runDemo(
      {
        k: intOption(values, 'k', 1000, 2),
        seed: intOption(values, 'seed', 1, 0),
        epochs: intOption(values, 'epochs', 3, 1),
        out: values.out,
      },
      io,
    ),
});
