import { strict as assert } from 'node:assert';
import * as v from 'valibot';
import { LocalRecordOptions, RecordOptions, RecordOptionsSchema } from '../../../../src/contract/protocols/recorder';
import type { SameType } from '../../../../src/contract/messages';

// These lines are checked by `tsc` (the project's type-check includes test/): each `@ts-expect-error`
// fails the type-check when the guard stops catching the difference below it.

// @ts-expect-error a key optional on one side and absent on the other
const optionalKeyMissing: SameType<{ a: number; b?: string }, { a: number }> = true;
// @ts-expect-error the same, the other way round
const optionalKeyAdded: SameType<{ a: number }, { a: number; b?: string }> = true;
// @ts-expect-error a key optional on one side and required on the other
const optionalVersusRequired: SameType<{ a?: number }, { a: number }> = true;
// @ts-expect-error an optional key deeper down
const nestedOptionalKey: SameType<{ d: { a: number; b?: number } }, { d: { a: number } }> = true;
// @ts-expect-error different value types
const differentValues: SameType<{ a: number }, { a: string }> = true;
const sameShape: SameType<{ a: number; b?: string }, { b?: string; a: number }> = true;
const recordOptionsFromSchema: SameType<Omit<RecordOptions, keyof LocalRecordOptions>, v.InferOutput<typeof RecordOptionsSchema>> = true;
void [optionalKeyMissing, optionalKeyAdded, optionalVersusRequired, nestedOptionalKey, differentValues, sameShape, recordOptionsFromSchema];

describe('recording options and their schema', () => {
  it('carry every option the recorder reads across the process boundary, overlapMeasurement included', () => {
    const options: RecordOptions = { modelFile: 'model.ts', epochs: 2, overlapMeasurement: false, defaults: { batchSize: 32 } };
    assert.deepEqual(v.parse(RecordOptionsSchema, options), options);
  });

  it('leave the local options (the abort signal) out of what crosses', () => {
    const parsed = v.parse(RecordOptionsSchema, { modelFile: 'model.ts', signal: new AbortController().signal });
    assert.deepEqual(parsed, { modelFile: 'model.ts' });
  });
});
