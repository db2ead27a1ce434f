/**
 * The pieces query and answer schemas are built from. A query comes from untrusted JSON (a
 * webview, the command line, another process): each field's schema carries the one-line message
 * that names what is wrong with it, and a missing field gets the message its schema gives for
 * `undefined`, so the same field always says the same thing.
 */
import * as v from 'valibot';

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** A non-negative integer field. */
export const index = (key: string): v.CustomSchema<number, v.ErrorMessage<v.CustomIssue> | undefined> =>
  v.custom<number>(isIndex, (issue) => `"${key}" must be a non-negative integer, got ${JSON.stringify(issue.input)}`);

/** A list of at most `max` non-negative integers. */
export const indexList = (key: string, max = 100000): v.CustomSchema<number[], v.ErrorMessage<v.CustomIssue> | undefined> =>
  v.custom<number[]>(
    (x) => Array.isArray(x) && x.length <= max && x.every(isIndex),
    `"${key}" must be a list of at most ${max} non-negative integers`,
  );

/** Bins per dimension of a binned estimator: from 2 to 4096 (optional: the run's or the estimator's default). */
export const bins = v.optional(
  v.pipe(
    index('bins'),
    v.check(
      (b) => b >= 2 && b <= 4096,
      (issue) => `"bins" must be from 2 to 4096, got ${String(issue.input)}`,
    ),
  ),
);

/** The message of `schema` for `undefined`: what a missing field is told. */
function missingMessage(schema: v.GenericSchema | undefined): string | undefined {
  return schema ? v.safeParse(schema, undefined).issues?.[0]?.message : undefined;
}

/**
 * An object schema whose missing fields get their own schema's message (valibot's default names
 * only the key), and `whole` when the input is not an object at all.
 */
export function fields<E extends v.ObjectEntries>(entries: E, whole: string): v.ObjectSchema<E, v.ErrorMessage<v.ObjectIssue>> {
  return v.object(entries, (issue) => {
    const key = issue.path?.[0]?.key;
    return (typeof key === 'string' && missingMessage(entries[key])) || whole;
  });
}

/** A copy of `o` without its `undefined` fields: a parsed query holds only the fields it was given. */
export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, e]) => e !== undefined)) as T;
}

/**
 * The message of a variant keyed by `kind` that did not match: `notObject` for anything but an
 * object, `unknownKind` for an object whose `kind` is none of the variant's.
 */
export function kindMessage(notObject: string, unknownKind: (kind: unknown) => string): (issue: v.VariantIssue) => string {
  return (issue: v.VariantIssue) => {
    const path = issue.path?.[0];
    return path === undefined || Array.isArray(path.input) ? notObject : unknownKind(issue.input);
  };
}

const SUBSET_NOT_OBJECT = '"x" must be an input subset object such as {"kind":"all"}';

/** An input subset (analysis/subsets.ts) from untrusted JSON: `x` in a query. */
export const SubsetSchema = v.pipe(
  v.variant(
    'kind',
    [
      v.object({ kind: v.literal('all') }),
      fields({ kind: v.literal('classes'), classes: indexList('classes', 10000) }, SUBSET_NOT_OBJECT),
      fields({ kind: v.literal('indices'), indices: indexList('indices') }, SUBSET_NOT_OBJECT),
      fields(
        {
          kind: v.literal('perClass'),
          count: v.pipe(
            index('count'),
            v.check((c) => c >= 1, '"count" must be at least 1'),
          ),
          seed: v.optional(index('seed')),
          classes: v.optional(indexList('classes', 10000)),
        },
        SUBSET_NOT_OBJECT,
      ),
    ],
    kindMessage(SUBSET_NOT_OBJECT, (kind) => `unknown input subset kind ${JSON.stringify(kind)}; use all, classes, indices or perClass`),
  ),
  v.transform(withoutUndefined),
);

/** Entropies are `null` where undefined (estimators.md: never a made-up number). */
export const BitsSchema = v.nullable(v.number());
export type Bits = v.InferOutput<typeof BitsSchema>;

/**
 * A list of numbers or nulls, checked in one loop: a capacity matrix holds up to 512 × 512 of
 * them, and a schema per element would cost tens of milliseconds on every answer.
 */
export const BitsList = v.custom<Bits[]>((x) => Array.isArray(x) && x.every((e) => e === null || typeof e === 'number'));

/** A list of numbers, checked in one loop (see BitsList). */
export const NumberList = v.custom<number[]>((x) => Array.isArray(x) && x.every((e) => typeof e === 'number'));

/** A list of lists of numbers or nulls (`[row][column]`). */
export const BitsRows = v.array(BitsList);

/** What a query that is not a JSON object is told. */
export const QUERY_NOT_OBJECT = 'a query must be a JSON object with a "kind"';

/** The object schema of a query of `kind`: its `kind` and its fields, checked in the order given. */
export function queryFields<K extends string, E extends v.ObjectEntries>(
  kind: K,
  entries: E,
): v.ObjectSchema<{ kind: v.LiteralSchema<K, undefined> } & E, v.ErrorMessage<v.ObjectIssue>> {
  return fields({ kind: v.literal(kind), ...entries }, QUERY_NOT_OBJECT);
}

/** The fields of a query between two layers at an epoch, on an input subset, with the bins of the capacity. */
export const LAYER_PAIR_FIELDS = {
  layerI: index('layerI'),
  layerJ: index('layerJ'),
  epoch: index('epoch'),
  x: v.optional(SubsetSchema),
  bins,
};

/** What every answer between two layers repeats of its query, and the inputs it measured. */
export const LAYER_PAIR_ANSWER = {
  layerI: v.number(),
  layerJ: v.number(),
  epoch: v.number(),
  inputCount: v.number(),
  bins: v.number(),
};
