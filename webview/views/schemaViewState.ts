// A view's persisted state, checked against a valibot schema when it is read back: a stored value
// that does not match (a layout an older version wrote, another run's classes) falls back to the
// initial value instead of being trusted.
import * as v from 'valibot';
import { useViewState } from '../state';

export function useSchemaViewState<S extends v.GenericSchema>(
  key: string,
  initial: v.InferOutput<S>,
  schema: S,
): [v.InferOutput<S>, (value: v.InferOutput<S>) => void] {
  return useViewState<v.InferOutput<S>>(key, initial, (x): x is v.InferOutput<S> => v.is(schema, x));
}
