/**
 * `inputDiversity`: paper Fig. 5(B), the inter-sample entropy of the raw inputs for subsets of n
 * inputs PER CLASS: a class row draws n of its inputs, the "all" row is exactly the union of the
 * class rows' draws at that size (`drawPerClass`, same seeds), n × the non-empty classes inputs.
 */
import { dirname } from 'node:path';
import { diversityClassSeed, drawPerClass, gatherRows, indicesByClass, sampleWithoutReplacement } from '../../analysis';
import { CancelledError } from '../../analysis/errors';
import { loadDataset, parseDatasetSpec } from '../../data/datasets';
import { AnswerOf, Bits, QueryError } from '../../contract/queries';
import { Handler, orNull } from './handler';

export const inputDiversity: Handler<'inputDiversity'> = async (q, ctx) => {
  const { control } = ctx;
  const m = ctx.manifest;
  const source = q.source ?? 'probe';
  const seed = q.seed ?? m.settings.seed;
  const classes = ctx.classes();
  let inputs: ArrayLike<number>;
  let labels: ArrayLike<number>;
  if (source === 'probe') {
    const probe = ctx.probe();
    inputs = probe.inputs;
    labels = probe.labels;
  } else {
    try {
      const ds = await loadDataset(parseDatasetSpec(m.dataset.spec), { signal: control.signal, cwd: dirname(m.model.file) });
      if (ds.identity && ds.identity.fingerprint !== m.dataset.fingerprint)
        throw new Error(`the dataset at ${m.dataset.spec} has changed since the run was recorded`);
      inputs = ds.inputs;
      labels = ds.labels;
    } catch (e) {
      if (CancelledError.is(e)) throw e;
      throw new QueryError(
        'unsupported',
        `the run's dataset (${m.dataset.spec}) cannot be read: ${(e as Error).message.split('\n')[0]}; use "source": "probe"`,
      );
    }
  }
  const d = m.dataset.inputShape.reduce((a, b) => a * b, 1);
  const byClass = indicesByClass(labels, classes);
  const seedOfClass = (cls: number) => diversityClassSeed(seed, cls);
  const groups: { cls: number | 'all'; available: number }[] = [
    { cls: 'all', available: labels.length },
    ...byClass.map((members, c) => ({ cls: c, available: members.length })),
  ];
  // A class row's draw is, input for input, that class's part of the "all" row at the same size.
  const draw = (cls: number | 'all', size: number): number[] | null => {
    if (cls === 'all') return drawPerClass(byClass, size, seedOfClass);
    const picked = sampleWithoutReplacement(byClass[cls], size, seedOfClass(cls));
    return picked.length < size ? null : picked;
  };
  const pool = ctx.computePool();
  const rows: AnswerOf['inputDiversity']['rows'] = [];
  let done = 0;
  for (const g of groups) {
    const bits: Bits[] = [];
    const counts: number[] = [];
    for (const size of q.sizes) {
      control.onProgress?.(
        done++ / (groups.length * q.sizes.length),
        `input diversity: ${g.cls === 'all' ? 'all classes' : m.dataset.classNames[g.cls]}, ${size} inputs per class`,
      );
      const picked = draw(g.cls, size);
      // A class with fewer than n inputs (for "all": any non-empty class) gives no number rather
      // than a smaller subset's, and nothing is drawn.
      if (picked === null) {
        counts.push(0);
        bits.push(null);
        continue;
      }
      counts.push(picked.length);
      const r = await pool.interSampleEntropy(gatherRows(inputs, d, picked), picked.length, d, { k: m.settings.k, signal: control.signal });
      bits.push(orNull(r.entropyBits));
    }
    rows.push({ class: g.cls, available: g.available, bits, counts });
  }
  return { source, sizes: q.sizes, classNames: m.dataset.classNames, rows };
};
