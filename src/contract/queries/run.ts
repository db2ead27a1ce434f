/** `run`: the run's manifest, and notes on what the run folder holds. */
import * as v from 'valibot';
import type { RunManifest } from '../runFormat';
import { always, defineQuery, never } from './descriptor';
import { isObject, queryFields } from './fields';

/** The manifest was checked field by field when the service read the run (src/contract/runFormat.ts, validateManifest). */
const ManifestSchema = v.custom<RunManifest>(isObject);

export const run = defineQuery({
  kind: 'run',
  query: queryFields('run', {}),
  answer: v.object({ manifest: ManifestSchema, notes: v.array(v.string()) }),
  fromRecord: always,
  cached: false,
  quick: never,
  forwardPass: false,
});

export type RunAnswer = v.InferOutput<typeof run.answer>;
