/** `inputDiversity`: paper Fig. 5(B), the inter-sample entropy of the inputs for subsets of several sizes, per class and mixed. */
import { dirname } from 'node:path';
import { gatherRows, indicesByClass, sampleWithoutReplacement } from '../../analysis';
import { CancelledError } from '../../compute/pool';
import { loadDataset, parseDatasetSpec } from '../../data/datasets';
import { AnswerOf, Bits, QueryError } from '../queries';
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
  const everyone = Array.from({ length: labels.length }, (_, i) => i);
  const groups: { cls: number | 'all'; members: number[] }[] = [
    { cls: 'all', members: everyone },
    ...byClass.map((members, c) => ({ cls: c, members })),
  ];
  const pool = ctx.computePool();
  const rows: AnswerOf['inputDiversity']['rows'] = [];
  let done = 0;
  for (const g of groups) {
    const bits: Bits[] = [];
    const counts: number[] = [];
    for (const size of q.sizes) {
      control.onProgress?.(
        done++ / (groups.length * q.sizes.length),
        `input diversity: ${g.cls === 'all' ? 'all classes' : m.dataset.classNames[g.cls]}, ${size} inputs`,
      );
      const picked = sampleWithoutReplacement(g.members, size, seed * 7919 + (g.cls === 'all' ? classes : g.cls));
      counts.push(picked.length);
      if (picked.length < size) {
        bits.push(null); // fewer inputs than asked: no number rather than a smaller subset's
        continue;
      }
      const r = await pool.interSampleEntropy(gatherRows(inputs, d, picked), picked.length, d, { k: m.settings.k, signal: control.signal });
      bits.push(orNull(r.entropyBits));
    }
    rows.push({ class: g.cls, available: g.members.length, bits, counts });
  }
  return { source, sizes: q.sizes, classNames: m.dataset.classNames, rows };
};
