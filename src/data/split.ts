/**
 * The deterministic split of a dataset into the probe set — the inputs `X` of the hypercube
 * `dCNN(X, L, C, T)` (paper 4.3), recorded every epoch — and the training set, which never
 * contains a probe input, so the views show the network on inputs it did not learn from.
 */
import { indicesByClass, MAX_CLASSES, sampleWithoutReplacement, seededRandom, tooManyClasses } from '../analysis';
import { DatasetError, plural } from './dataset';
import type { ImageDataset } from './mnist';

/** How to split: exactly one of `probeSize` and `probePerClass`. */
export interface SplitOptions {
  /** Integer seed: the same seed gives the same split. */
  seed: number;
  /** Draw this many probe inputs uniformly from the whole dataset. */
  probeSize?: number;
  /** Draw this many probe inputs from every class (balanced). */
  probePerClass?: number;
  /** Keep this fraction (0 < f ≤ 1, default 1) of the non-probe inputs for training. */
  trainFraction?: number;
}

export interface DatasetSplit {
  /** Training inputs: the non-probe inputs in a seeded random order (the first `trainFraction` of it). */
  trainIndices: Int32Array;
  /** Probe inputs, in ascending index order. */
  probeIndices: Int32Array;
  /** One sentence per adjustment made, e.g. a class smaller than `probePerClass`; empty when none. */
  notes: string[];
}

/**
 * A different stream for each purpose and class from one user seed (steps of the golden-ratio
 * constant, as in splitmix), so that classes do not all draw the same positions.
 */
function derivedSeed(seed: number, stream: number): number {
  return (seed + Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
}

/** Fisher–Yates shuffle in place with a seeded generator. */
function shuffle(values: number[], seed: number): number[] {
  const random = seededRandom(seed);
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new DatasetError(`${name} must be a non-negative integer, got ${value}`);
  }
}

/**
 * Splits `ds` into probe and training inputs. The probe set is `probeSize` inputs drawn uniformly
 * without replacement, or `probePerClass` inputs of every class (a class with fewer gives all of
 * them, and `notes` says so). The training set is every other input, shuffled with the seed, cut
 * to `trainFraction`. Same seed, same indices.
 * @throws DatasetError for invalid options, a label outside the class list, more than
 * `MAX_CLASSES` classes, or a probe set that leaves no input for training.
 */
export function splitDataset(ds: Pick<ImageDataset, 'labels' | 'classNames'>, options: SplitOptions): DatasetSplit {
  const { seed, probeSize, probePerClass, trainFraction = 1 } = options;
  if (!Number.isInteger(seed)) throw new DatasetError(`the split seed must be an integer, got ${seed}`);
  checkCount('probeSize', probeSize);
  checkCount('probePerClass', probePerClass);
  if ((probeSize === undefined) === (probePerClass === undefined)) {
    throw new DatasetError('give exactly one of probeSize and probePerClass');
  }
  if (!(trainFraction > 0 && trainFraction <= 1)) {
    throw new DatasetError(`trainFraction must be in (0, 1], got ${trainFraction}`);
  }
  const n = ds.labels.length;
  const classes = ds.classNames.length;
  // Checked here, before a recording writes anything: every epoch's confusion matrix is classes².
  if (classes > MAX_CLASSES) throw new DatasetError(tooManyClasses(`the dataset has ${classes} classes`));
  for (let i = 0; i < n; i++) {
    const y = ds.labels[i];
    if (!(y >= 0 && y < classes)) throw new DatasetError(`label ${y} of input ${i} is not a class (there are ${classes})`);
  }

  const notes: string[] = [];
  let probe: number[];
  if (probeSize !== undefined) {
    // The probe inputs are never trained on: a probe as large as the dataset leaves nothing to train.
    if (probeSize >= n) {
      throw new DatasetError(
        `the probe set of ${plural(probeSize, 'input')} would take all ${plural(n, 'input')} of the dataset, ` +
          `leaving none for training: choose a probe size below ${n}`,
      );
    }
    probe = sampleWithoutReplacement(
      Array.from({ length: n }, (_, i) => i),
      probeSize,
      derivedSeed(seed, 0),
    );
  } else {
    probe = [];
    indicesByClass(ds.labels, classes).forEach((members, k) => {
      if (members.length < probePerClass!) {
        notes.push(
          `class "${ds.classNames[k]}" has only ${plural(members.length, 'input')}; ` +
            `all are in the probe set (asked for ${probePerClass})`,
        );
      }
      probe.push(...sampleWithoutReplacement(members, probePerClass!, derivedSeed(seed, 1 + k)));
    });
    probe.sort((a, b) => a - b);
  }

  const inProbe = new Uint8Array(n);
  for (const i of probe) inProbe[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (inProbe[i] === 0) rest.push(i);
  // The shuffle uses stream −2, which cannot collide with the probe streams 0…classes.
  const train = shuffle(rest, derivedSeed(seed, -2)).slice(0, Math.round(trainFraction * rest.length));
  if (train.length === 0) {
    throw new DatasetError(
      probePerClass !== undefined
        ? `${plural(probePerClass, 'probe input')} per class would take all ${plural(n, 'input')} of the dataset, ` +
            'leaving none for training: choose fewer probe inputs per class'
        : `the probe set of ${plural(probe.length, 'input')} and the training fraction ${trainFraction} leave none of the ` +
            `dataset's ${plural(n, 'input')} for training: choose a smaller probe or a larger fraction`,
    );
  }
  return { trainIndices: Int32Array.from(train), probeIndices: Int32Array.from(probe), notes };
}
