/**
 * The input axis `x` of the hypercube (paper 4.3): which inputs a slice is about. A subset is a
 * small description (all, some classes, explicit indices, n per class with a seed) that resolves
 * to ascending input indices, so the same description always names the same inputs.
 */
import { CodedError } from './errors';
import { indicesByClass, sampleWithoutReplacement } from './random';

export type InputSubset =
  | { kind: 'all' }
  /** Every input whose true label is one of `classes` (one class = a one-element list). */
  | { kind: 'classes'; classes: number[] }
  /** Explicit input indices (any order; duplicates are removed). */
  | { kind: 'indices'; indices: number[] }
  /** `count` inputs of each class (or of `classes`), drawn without replacement with `seed` (default 0). */
  | { kind: 'perClass'; count: number; seed?: number; classes?: number[] };

/** A subset that does not fit the inputs it is applied to (class or index out of range, …). */
export class SubsetError extends CodedError {
  constructor(message: string) {
    super('out-of-range', message, 'SubsetError');
  }
}

/** The ascending, distinct indices of `subset` among inputs with these labels (`classes` classes). */
export function resolveSubset(subset: InputSubset, labels: ArrayLike<number>, classes: number): number[] {
  const n = labels.length;
  const checkClasses = (list: number[]) => {
    for (const c of list)
      if (!Number.isInteger(c) || c < 0 || c >= classes)
        throw new SubsetError(`class ${c} is out of range: the run has classes 0..${classes - 1}`);
  };
  switch (subset.kind) {
    case 'all':
      return Array.from({ length: n }, (_, i) => i);
    case 'classes': {
      checkClasses(subset.classes);
      const wanted = new Set(subset.classes);
      const out: number[] = [];
      for (let i = 0; i < n; i++) if (wanted.has(labels[i])) out.push(i);
      return out;
    }
    case 'indices': {
      for (const i of subset.indices)
        if (!Number.isInteger(i) || i < 0 || i >= n)
          throw new SubsetError(`input ${i} is out of range: there are ${n} inputs (0..${n - 1})`);
      return [...new Set(subset.indices)].sort((a, b) => a - b);
    }
    case 'perClass': {
      if (!Number.isInteger(subset.count) || subset.count < 1)
        throw new SubsetError(`count must be a positive integer, got ${subset.count}`);
      const wanted = subset.classes ?? Array.from({ length: classes }, (_, c) => c);
      checkClasses(wanted);
      const byClass = indicesByClass(labels, classes);
      const seed = subset.seed ?? 0;
      const out: number[] = [];
      // A different stream per class, so adding a class does not change the others' draws.
      for (const c of [...new Set(wanted)]) out.push(...sampleWithoutReplacement(byClass[c], subset.count, seed * 1009 + c));
      return out.sort((a, b) => a - b);
    }
  }
}

/**
 * The seed with which input diversity (paper Fig. 5(B)) draws the inputs of class `cls` for a run
 * or demo seed: one stream per class, so a class's draw does not depend on the other classes.
 */
export function diversityClassSeed(seed: number, cls: number): number {
  return seed * 7919 + cls;
}

/**
 * Paper Fig. 5(B)'s "dataset of n per class": `perClass` inputs drawn without replacement from every
 * class (`byClass[c]` lists the inputs of class `c`), class `c` with the seed `seedOfClass(c)`, as
 * `sampleWithoutReplacement(byClass[c], perClass, seedOfClass(c))` draws them; returns their union
 * in ascending order, so a class's own draw of `perClass` inputs is exactly its part of the union.
 * A class with no inputs at all (absent from a probe set, or never used) is left out rather than
 * refusing every size, so the union holds `perClass` × the non-empty classes. Returns `null` when a
 * non-empty class has fewer than `perClass` inputs (a smaller draw of it would not be n per class),
 * or when every class is empty.
 */
export function drawPerClass(
  byClass: readonly (readonly number[])[],
  perClass: number,
  seedOfClass: (cls: number) => number,
): number[] | null {
  if (!Number.isInteger(perClass) || perClass < 1) throw new RangeError(`perClass must be a positive integer, got ${perClass}`);
  const present = byClass.map((members, cls) => ({ members, cls })).filter((g) => g.members.length > 0);
  if (present.length === 0 || present.some((g) => g.members.length < perClass)) return null;
  return present.flatMap((g) => sampleWithoutReplacement(g.members, perClass, seedOfClass(g.cls))).sort((a, b) => a - b);
}

/** A short human description of a subset, for titles and messages. */
export function describeSubset(subset: InputSubset, classNames?: readonly string[]): string {
  const name = (c: number) => classNames?.[c] ?? `class ${c}`;
  switch (subset.kind) {
    case 'all':
      return 'all inputs';
    case 'classes':
      return subset.classes.map(name).join(', ');
    case 'indices':
      return `${subset.indices.length} chosen input${subset.indices.length === 1 ? '' : 's'}`;
    case 'perClass':
      return `${subset.count} per class${subset.classes ? ` (${subset.classes.map(name).join(', ')})` : ''}`;
  }
}
